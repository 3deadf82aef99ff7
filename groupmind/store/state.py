"""Conversations, member activity and community settings, kept in Redis.

Each conversation is one stream, trimmed with `MAXLEN ~` and by age (`MINID`,
the retention setting) so it never grows without bound. An append is one round trip: one script stores the stream entry,
the member's activity and the community's indexes, unless the conversation
already holds that platform message id (a sorted set of the ids its stream
holds, trimmed with it). So a message stored twice (the client retries a write
whose first attempt landed before Redis died, a platform redelivers, a replay
repeats a line) is kept once and counted once. Streams cannot be edited in
place, so an edit is kept beside the stream and applied on read; a delete
removes the entry.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import chain
from typing import AsyncIterator, Callable, Iterable, Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.events import ChannelRef, ChatMessage, sanitize_text, truncate_text
from groupmind.store.keys import CommunityKeys
from groupmind.store.audit import AuditLog, RedisAuditLog
from groupmind.store.drift import DriftState, RedisDriftState
from groupmind.store.norms import NormsRepo, RedisNorms
from groupmind.store.safety_plans import RedisSafetyPlans, SafetyPlans
from groupmind.store.due import DueWork, RedisDueWork
from groupmind.store.group_memory import GroupMemory
from groupmind.store.member_facts import MemberFacts
from groupmind.store.work_queue import PARTITIONS, WorkQueue
from groupmind.store.profiles import ProfilesRepo, ProfileUpdate, RedisProfiles, queue_update
from groupmind.store.pending import PendingRepo, PendingReply, RedisPending, read_replies
from groupmind.store.pending import queue_read as queue_pending
from groupmind.store.settings import CommunitySettings, RedisSettings, SettingsRepo, queue_community, read_community
from groupmind.store.window_cache import Entry, WindowCache

log = logging.getLogger(__name__)

REPLICA_WAIT_MS = 1000
"""How long a write waits for its replicas (`replicas`) before it is kept on the primary alone, with a warning."""

ACTIVE_DAYS_KEPT = 366
"""How many days back a member's active days are remembered."""

_SCAN_PAGE = 500

ProfileFilter = Callable[[ChatMessage], bool]
"""Says whose activity may be profiled; opted-out members' messages are stored without it."""


def _everyone(msg: ChatMessage) -> bool:
    return True


@dataclass(frozen=True)
class Activity:
    """What the store knows about one member's activity in a community."""

    member_id: str
    display_name: str
    messages: int
    first_seen: datetime
    last_seen: datetime
    active_days: int


_APPEND = """
-- KEYS: stream, its ids, the community's channels[, its members, the author's activity, the author's days]
-- ARGV: maxlen, message id, conversation, author id, epoch, day, author name, days kept, retention ms,
--       field, value, ...
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then return 0 end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local previous = newest and newest[1] or ''
local entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 10))
local entry_ms = tonumber(string.match(entry, '^%d+'))
if tonumber(ARGV[9]) > 0 then redis.call('XTRIM', KEYS[1], 'MINID', entry_ms - tonumber(ARGV[9])) end
redis.call('ZADD', KEYS[2], entry_ms, ARGV[2])
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.match(oldest, '^%d+'))
redis.call('SADD', KEYS[3], ARGV[3])
if #KEYS == 3 then return {entry, previous} end
local stamp = tonumber(ARGV[5])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('HINCRBY', KEYS[5], 'messages', 1)
local seen = redis.call('HMGET', KEYS[5], 'first_seen', 'last_seen')
if not seen[1] or stamp < tonumber(seen[1]) then redis.call('HSET', KEYS[5], 'first_seen', ARGV[5]) end
if not seen[2] or stamp >= tonumber(seen[2]) then redis.call('HSET', KEYS[5], 'last_seen', ARGV[5], 'name', ARGV[7]) end
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', tonumber(ARGV[6]) - tonumber(ARGV[8]))
return {entry, previous}
"""
"""Store one message unless its conversation holds its id already; [entry id, the entry before it] if
stored ("" before the first), 0 if not. The entry before tells this process's window cache whether the
message landed right after the newest one it keeps (`store.window_cache`).

One script, so the check and the writes are atomic: a retried attempt finds the
first one's claim. Besides its length, the stream is trimmed by age: entries
older than the retention before the new entry's server time go (exact MINID,
which removes the one or two entries that aged out since the last append). The ids are scored by their stream entry's time and trimmed
to the stream's oldest entry, so they bound themselves as the stream does. The
member's activity is written only for a new message: a duplicate counts nothing.
EVAL (not EVALSHA): a restarted server has an empty script cache, and the text
costs less than a NOSCRIPT round trip.
"""


def _keys(ref: ChannelRef | ChatMessage) -> CommunityKeys:
    return CommunityKeys(ref.platform, ref.community)


def _ts(value: str) -> datetime:
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


@dataclass(frozen=True)
class Look:
    """What `Store.look` read before a message is stored."""

    entries: list[Entry]
    settings: CommunitySettings
    opted_out: bool
    pending: tuple[PendingReply | None, int] | None
    """The pending reply and recent reply count, when asked for."""


class Store:
    """The shared state of every community, on one Redis connection."""

    def __init__(
        self, redis: Redis, *, maxlen: int = 10_000, retention: timedelta | None = None, replicas: int = 0
    ) -> None:
        self.redis = redis
        self.maxlen = maxlen
        self.retention = retention
        """Messages older than this are trimmed from their stream as new ones arrive; None keeps by length only."""
        self.replicas = replicas
        """A stored message is acknowledged once this many replicas hold it (WAIT), so a failover cannot lose it."""
        self.settings: SettingsRepo = RedisSettings(redis)
        """Community settings and opt-outs."""
        self.pending: PendingRepo = RedisPending(redis)
        """The bot's pending reply and reply times per conversation."""
        self.audit: AuditLog = RedisAuditLog(redis)
        """The audit trail of every community."""
        self.drift: DriftState = RedisDriftState(redis)
        """The drift watch's measures per conversation."""
        self.profiles: ProfilesRepo = RedisProfiles(redis)
        """Member profiles (share of voice, topics, whom they answer)."""
        self.due: DueWork = RedisDueWork(redis)
        """Work that falls due later: settled replies, care follow-ups, reminders, quiet sweeps."""
        self.safety_plans: SafetyPlans = RedisSafetyPlans(redis)
        """Members' own safety plans, made with the bot in private."""
        self.group_memory = GroupMemory(redis)
        """The lasting group model of each community (topics, who knows what, style, rhythm, decisions)."""
        self.member_facts = MemberFacts(redis)
        """Each member's lasting model (interests, expertise, hours, how to address them)."""
        self.norms: NormsRepo = RedisNorms(redis)
        """The house rules each community taught the bot, with who taught them."""
        self.windows = WindowCache()
        """The conversations' recent messages as this process last saw them, checked by stream id on every read."""

    def work_queue(self, consumer: str = "", partitions: int = PARTITIONS) -> WorkQueue:
        """The shared work streams (`work_queue` on), as `consumer` sees them."""
        return WorkQueue(self.redis, consumer, partitions)

    async def ping(self) -> bool:
        """Whether the server answers (a health check; it does not wait through a reconnect)."""
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    # --- conversations -------------------------------------------------------------

    async def append(
        self,
        msg: ChatMessage,
        *,
        profile: bool = True,
        fields: Mapping[str, str] | None = None,
        profile_update: ProfileUpdate | None = None,
        also: Callable[[RedisPipeline], None] | None = None,
    ) -> bool:
        """Store one message and (if `profile`) count it in its author's activity, in one round trip.

        Returns False when the conversation already held the message (nothing changed).
        `fields` are kept beside the message in its stream entry (the we model's
        reply-to link); `profile_update` is applied to the author's profile in the
        same round trip, even for a duplicate, as is `also` (more commands: a test's hook).
        """
        pipe = self.redis.pipeline(transaction=False)
        self._queue(pipe, msg, profile, fields or {})
        if profile_update is not None:
            queue_update(pipe, _keys(msg), msg.where.conversation, profile_update)
        if also is not None:
            also(pipe)
        self._queue_wait(pipe)
        stored, *rest = await pipe.execute()
        self._check_wait(rest)
        if stored:
            entry_id, previous = stored
            stream = _keys(msg).log(msg.where.conversation)
            self.windows.appended(stream, previous, entry_id, (msg, self._fields(msg, fields or {})))
        return bool(stored)

    async def append_many(self, messages: Iterable[ChatMessage], *, profile: ProfileFilter = _everyone) -> int:
        """Store messages in one round trip per community, all at once (replays, backfills); returns how many were new.

        One pipeline per community keeps each in its own hash slot: on a cluster a
        pipeline spanning communities would be split across nodes behind our back.
        A batch retried after the server stopped mid-way is stored whole, each message once,
        but the count misses what the first attempt had stored (the retry sees it as known).
        """
        pipes: dict[tuple[str, str], RedisPipeline] = {}
        for msg in messages:
            community = (msg.platform, msg.community)
            if community not in pipes:
                pipes[community] = self.redis.pipeline(transaction=False)
            self._queue(pipes[community], msg, profile(msg), {})
        for pipe in pipes.values():
            self._queue_wait(pipe)
        stored = await asyncio.gather(*(pipe.execute() for pipe in pipes.values()))
        for results in stored:
            self._check_wait(results)
        return sum(1 for results in stored for new in results[: len(results) - bool(self.replicas)] if new)

    def _queue_wait(self, pipe: RedisPipeline) -> None:
        """End the round trip with WAIT when replicas must hold a write before it counts as stored."""
        if self.replicas:
            pipe.wait(self.replicas, REPLICA_WAIT_MS)

    def _check_wait(self, results: list[object]) -> None:
        if self.replicas and int(results[-1]) < self.replicas:  # type: ignore[call-overload]
            # Stored on the primary only: kept and answered (availability), but a failover now could lose it.
            log.warning("a write reached %s of %s replicas within %s ms", results[-1], self.replicas, REPLICA_WAIT_MS)

    def _queue(self, pipe: RedisPipeline, msg: ChatMessage, profile: bool, fields: Mapping[str, str]) -> None:
        """Queue the `_APPEND` script for one message."""
        keys = _keys(msg)
        conversation = msg.where.conversation
        names = [keys.log(conversation), keys.ids(conversation), keys.channels]
        if profile and not msg.author_is_bot:
            names += [keys.members, keys.member(msg.author_id), keys.member_days(msg.author_id)]
        entry = self._fields(msg, fields)
        pipe.eval(
            _APPEND, len(names), *names,
            self.maxlen, msg.message_id, conversation, msg.author_id, msg.ts.timestamp(),
            msg.ts.date().toordinal(), msg.author_name, ACTIVE_DAYS_KEPT, self._retention_ms,
            *chain.from_iterable(entry.items()),
        )  # fmt: skip

    @staticmethod
    def _fields(msg: ChatMessage, fields: Mapping[str, str]) -> dict[str, str]:
        """A message's stream entry: `fields` beside it, then its id, author and JSON."""
        return {**fields, "id": msg.message_id, "author": msg.author_id, "j": msg.model_dump_json()}

    @property
    def _retention_ms(self) -> int:
        return 0 if self.retention is None else max(1, int(self.retention.total_seconds() * 1000))

    async def window(self, where: ChannelRef, count: int) -> list[ChatMessage]:
        """The last `count` messages of a conversation, oldest first, edits applied."""
        return [msg for msg, _ in await self.window_entries(where, count)]

    async def window_entries(self, where: ChannelRef, count: int) -> list[Entry]:
        """Like `window`, each message with the extra fields stored beside it.

        One round trip when this process's kept window is current (`store.window_cache`), two when not.
        """
        pipe = self.redis.pipeline(transaction=False)
        self._queue_tail(pipe, where)
        tail, revision = await pipe.execute()
        return await self._window(where, count, tail, revision)

    async def look(
        self, where: ChannelRef, member_id: str, count: int, pending_at: tuple[datetime, timedelta] | None = None
    ) -> Look:
        """What handling a message by `member_id` needs first, in one round trip when the window is kept:
        the conversation's last `count` entries, the community's settings, whether the member opted out,
        and with `pending_at` (now, rate window) the conversation's pending reply (`PendingRepo.read`)."""
        pipe = self.redis.pipeline(transaction=False)
        self._queue_tail(pipe, where)
        queue_community(pipe, _keys(where), member_id)
        if pending_at is not None:
            queue_pending(pipe, where, *pending_at)
        tail, revision, *rest = await pipe.execute()
        settings, opted_out = read_community(rest[:3])
        pending = read_replies(rest[3:]) if pending_at is not None else None
        return Look(await self._window(where, count, tail, revision), settings, opted_out, pending)

    def _queue_tail(self, pipe: RedisPipeline, where: ChannelRef) -> None:
        """Queue the reads that tell whether a kept window is current: the newest entry and the revision."""
        keys = _keys(where)
        pipe.xrevrange(keys.log(where.conversation), count=1)
        pipe.get(keys.revision)

    async def _window(
        self, where: ChannelRef, count: int, newest: list[tuple[str, dict[str, str]]], revision: str | None
    ) -> list[Entry]:
        keys = _keys(where)
        stream = keys.log(where.conversation)
        tail, rev = (newest[0][0] if newest else ""), revision or ""
        if (kept := self.windows.get(stream, count, tail, rev)) is not None:
            return kept
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.revision)
        pipe.xrevrange(stream, count=count)
        rev, entries = await pipe.execute()
        rev = rev or ""
        pairs = [(ChatMessage.model_validate_json(fields["j"]), fields) for _, fields in reversed(entries)]
        if pairs:
            edited = await self.redis.hmget(keys.edits(where.conversation), [m.message_id for m, _ in pairs])
            pairs = [(m if text is None else m.model_copy(update={"text": text}), fields)
                     for (m, fields), text in zip(pairs, edited)]  # fmt: skip
        self.windows.put(stream, count, entries[0][0] if entries else "", rev, pairs)
        return pairs

    async def _find(self, where: ChannelRef, message_id: str) -> str | None:
        """Stream entry id of a platform message id, searching newest first."""
        log = _keys(where).log(where.conversation)
        upper = "+"
        while True:
            entries = await self.redis.xrevrange(log, max=upper, count=_SCAN_PAGE)
            for entry_id, fields in entries:
                if fields.get("id") == message_id:
                    return entry_id
            if len(entries) < _SCAN_PAGE:
                return None
            upper = "(" + entries[-1][0]

    async def holds(self, where: ChannelRef, message_id: str) -> bool:
        """True if the conversation's stream holds this platform message (a retried handle checks first)."""
        return await self._find(where, message_id) is not None

    async def edit(self, where: ChannelRef, message_id: str, text: str) -> bool:
        """Record a new text for a stored message; False if it is not stored."""
        if await self._find(where, message_id) is None:
            return False
        edits = _keys(where).edits(where.conversation)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(edits, message_id, truncate_text(sanitize_text(text)))
        pipe.incr(_keys(where).revision)
        await pipe.execute()
        await self._prune_edits(where)
        return True

    async def delete(self, where: ChannelRef, message_id: str) -> bool:
        """Remove a stored message and its edits; False if it is not stored."""
        entry_id = await self._find(where, message_id)
        if entry_id is None:
            return False
        keys = _keys(where)
        pipe = self.redis.pipeline(transaction=False)
        pipe.xdel(keys.log(where.conversation), entry_id)
        pipe.zrem(keys.ids(where.conversation), message_id)
        pipe.hdel(keys.edits(where.conversation), message_id)
        pipe.incr(keys.revision)
        await pipe.execute()
        return True

    async def _prune_edits(self, where: ChannelRef) -> None:
        """Drop edits of messages the stream has trimmed away, once they pile up."""
        keys = _keys(where)
        edits = keys.edits(where.conversation)
        if await self.redis.hlen(edits) <= self.maxlen // 10:
            return
        edited = set(await self.redis.hkeys(edits))
        present: set[str] = set()
        async for _, fields in self.entries(keys.log(where.conversation)):
            if fields["id"] in edited:
                present.add(fields["id"])
        if stale := edited - present:
            await self.redis.hdel(edits, *stale)

    async def entries(self, log: str) -> AsyncIterator[tuple[str, dict[str, str]]]:
        """Every (entry id, fields) of a stream, oldest first, page by page."""
        lower = "-"
        while True:
            entries = await self.redis.xrange(log, min=lower, count=_SCAN_PAGE)
            for entry in entries:
                yield entry
            if len(entries) < _SCAN_PAGE:
                return
            lower = "(" + entries[-1][0]

    async def conversations(self, platform: str, community: str) -> list[str]:
        """Names of the conversations seen in a community, sorted."""
        return sorted(await self.redis.smembers(CommunityKeys(platform, community).channels))

    async def stored_count(self, where: ChannelRef) -> int:
        """How many messages a conversation's stream holds now."""
        return int(await self.redis.xlen(_keys(where).log(where.conversation)))

    async def stored_counts(self, platform: str, community: str, conversations: Iterable[str]) -> dict[str, int]:
        """How many messages each conversation's stream holds now, in one round trip."""
        keys = CommunityKeys(platform, community)
        names = list(conversations)
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.xlen(keys.log(name))
        return {name: int(count) for name, count in zip(names, await pipe.execute())}

    async def first_delivery(self, platform: str, community: str, event_key: str, ttl_s: int = 3600) -> bool:
        """True the first time an event key is seen within `ttl_s`; False for a redelivery.

        One atomic SET NX EX, so two workers (or two event types carrying the same
        message) cannot both claim it.
        """
        key = CommunityKeys(platform, community).delivery(event_key)
        return bool(await self.redis.set(key, "1", nx=True, ex=ttl_s))

    # --- members ------------------------------------------------------------------------

    async def activity(self, platform: str, community: str, member_id: str) -> Activity | None:
        """A member's activity, or None if they never spoke here."""
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.member(member_id))
        pipe.zcard(keys.member_days(member_id))
        fields, days = await pipe.execute()
        if not fields:
            return None
        return Activity(
            member_id=member_id,
            display_name=fields.get("name", member_id),
            messages=int(fields["messages"]),
            first_seen=_ts(fields["first_seen"]),
            last_seen=_ts(fields["last_seen"]),
            active_days=int(days),
        )

    async def member_ids(self, platform: str, community: str) -> list[str]:
        """Ids of the members who ever spoke in a community (and were profiled), sorted."""
        return sorted(await self.redis.smembers(CommunityKeys(platform, community).members))

    async def member_names(self, platform: str, community: str, member_ids: Iterable[str]) -> dict[str, str]:
        """Display names of member ids, in one round trip (the id itself for one who never spoke)."""
        keys = CommunityKeys(platform, community)
        ids = list(member_ids)
        pipe = self.redis.pipeline(transaction=False)
        for member_id in ids:
            pipe.hget(keys.member(member_id), "name")
        return {i: name or i for i, name in zip(ids, await pipe.execute())}

