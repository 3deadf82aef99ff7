"""Conversations, member activity and community settings, kept in Redis.

Each conversation is one stream, trimmed with `MAXLEN ~` so it never grows
without bound. An append is one round trip: the stream entry, the member's
activity and the community's indexes go in one pipeline. Streams cannot be
edited in place, so an edit is kept beside the stream and applied on read; a
delete removes the entry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import AsyncIterator, Callable, Iterable, Mapping

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.events import ChannelRef, ChatMessage, sanitize_text, truncate_text
from groupmind.store.keys import CommunityKeys

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


@dataclass
class _MemberBatch:
    """One member's activity within a batch of appends, written as one set of commands."""

    messages: int = 0
    first: float = float("inf")
    last: float = 0.0
    name: str = ""
    days: set[int] = field(default_factory=set)

    def add(self, msg: ChatMessage) -> None:
        stamp = msg.ts.timestamp()
        self.messages += 1
        self.first = min(self.first, stamp)
        if stamp >= self.last:
            self.last, self.name = stamp, msg.author_name
        self.days.add(msg.ts.date().toordinal())

    def queue(self, pipe: RedisPipeline, keys: CommunityKeys, member_id: str) -> None:
        member, days = keys.member(member_id), keys.member_days(member_id)
        pipe.sadd(keys.members, member_id)
        pipe.hincrby(member, "messages", self.messages)
        pipe.hsetnx(member, "first_seen", self.first)
        pipe.hset(member, mapping={"last_seen": self.last, "name": self.name})
        pipe.zadd(days, {str(day): day for day in self.days})
        pipe.zremrangebyscore(days, "-inf", max(self.days) - ACTIVE_DAYS_KEPT)


def _keys(ref: ChannelRef | ChatMessage) -> CommunityKeys:
    return CommunityKeys(ref.platform, ref.community)


def _ts(value: str) -> datetime:
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


class Store:
    """The shared state of every community, on one Redis connection."""

    def __init__(self, redis: Redis, *, maxlen: int = 10_000) -> None:
        self.redis = redis
        self.maxlen = maxlen

    # --- conversations -------------------------------------------------------------

    async def append(
        self,
        msg: ChatMessage,
        *,
        profile: bool = True,
        fields: Mapping[str, str] | None = None,
        also: Callable[[RedisPipeline], None] | None = None,
    ) -> None:
        """Store one message and (if `profile`) count it in its author's activity, in one round trip.

        `fields` are kept beside the message in its stream entry (the we model's
        reply-to link); `also` queues more commands into the same round trip.
        """
        pipe = self.redis.pipeline(transaction=False)
        self._queue(pipe, (msg,), lambda _: profile, fields or {})
        if also is not None:
            also(pipe)
        await pipe.execute()

    async def append_many(self, messages: Iterable[ChatMessage], *, profile: ProfileFilter = _everyone) -> int:
        """Store messages in one round trip (replays, backfills); returns how many."""
        pipe = self.redis.pipeline(transaction=False)
        count = self._queue(pipe, messages, profile, {})
        if count:
            await pipe.execute()
        return count

    def _queue(
        self,
        pipe: RedisPipeline,
        messages: Iterable[ChatMessage],
        profile: ProfileFilter,
        fields: Mapping[str, str],
    ) -> int:
        """Queue the stream entries, then activity summed per member rather than per message."""
        conversations: dict[CommunityKeys, set[str]] = defaultdict(set)
        members: dict[tuple[CommunityKeys, str], _MemberBatch] = {}
        count = 0
        for msg in messages:
            keys = _keys(msg)
            conversation = msg.where.conversation
            pipe.xadd(
                keys.log(conversation),
                {**fields, "id": msg.message_id, "author": msg.author_id, "j": msg.model_dump_json()},
                maxlen=self.maxlen,
                approximate=True,
            )
            conversations[keys].add(conversation)
            if not msg.author_is_bot and profile(msg):
                members.setdefault((keys, msg.author_id), _MemberBatch()).add(msg)
            count += 1
        for keys, names in conversations.items():
            pipe.sadd(keys.channels, *names)
        for (keys, member_id), batch in members.items():
            batch.queue(pipe, keys, member_id)
        return count

    async def window(self, where: ChannelRef, count: int) -> list[ChatMessage]:
        """The last `count` messages of a conversation, oldest first, edits applied."""
        return [msg for msg, _ in await self.window_entries(where, count)]

    async def window_entries(self, where: ChannelRef, count: int) -> list[tuple[ChatMessage, dict[str, str]]]:
        """Like `window`, each message with the extra fields stored beside it."""
        keys = _keys(where)
        conversation = where.conversation
        entries = await self.redis.xrevrange(keys.log(conversation), count=count)
        if not entries:
            return []
        pairs = [(ChatMessage.model_validate_json(fields["j"]), fields) for _, fields in reversed(entries)]
        edited = await self.redis.hmget(keys.edits(conversation), [m.message_id for m, _ in pairs])
        return [
            (m if text is None else m.model_copy(update={"text": text}), fields)
            for (m, fields), text in zip(pairs, edited)
        ]

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
        await self.redis.hset(edits, message_id, truncate_text(sanitize_text(text)))
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
        pipe.hdel(keys.edits(where.conversation), message_id)
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

    async def member_names(self, platform: str, community: str, member_ids: Iterable[str]) -> dict[str, str]:
        """Display names of member ids, in one round trip (the id itself for one who never spoke)."""
        keys = CommunityKeys(platform, community)
        ids = list(member_ids)
        pipe = self.redis.pipeline(transaction=False)
        for member_id in ids:
            pipe.hget(keys.member(member_id), "name")
        return {i: name or i for i, name in zip(ids, await pipe.execute())}

    # --- community settings -----------------------------------------------------------

    async def get_settings(self, platform: str, community: str) -> dict[str, str]:
        return dict(await self.redis.hgetall(CommunityKeys(platform, community).settings))

    async def set_setting(self, platform: str, community: str, name: str, value: str) -> str | None:
        """Set one community setting; returns the previous value."""
        key = CommunityKeys(platform, community).settings
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, name)
        pipe.hset(key, name, value)
        old, _ = await pipe.execute()
        return old  # type: ignore[no-any-return]

