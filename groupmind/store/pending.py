"""The bot's pending reply in each conversation (the burst it waits to answer) and its recent reply times.

What `groupmind.speak` decides on, kept where every worker sees it. `PendingRepo`
is the one way to read and change it, in Redis (`RedisPending`) or in memory
(`MemoryPending`, for pure tests); both pass the same contract tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys

Conversation = tuple[str, str, str]
"""(platform, community, conversation)."""


@dataclass(frozen=True)
class PendingReply:
    """A reply the bot is waiting to give: the burst so far."""

    last_id: str
    last_ts: datetime
    addressed: str
    """Why it was addressed ("mentioned by Ana"), or "" when it only watches the room."""


class PendingRepo(Protocol):
    """Pending replies and reply times of every conversation."""

    async def read(self, where: ChannelRef, now: datetime, window: timedelta) -> tuple[PendingReply | None, int]:
        """The pending reply, if any, and how many replies the bot gave in the `window` before `now`."""

    async def keep(self, where: ChannelRef, last_id: str, last_ts: datetime, addressed: str) -> None:
        """Extend the pending reply with a message; being addressed ("" is not) is never forgotten."""

    async def has(self, where: ChannelRef) -> bool:
        """True while a burst in `where` waits for the bot's answer."""

    async def clear(self, where: ChannelRef) -> None:
        """Forget the pending reply."""

    async def replied(self, where: ChannelRef, ts: datetime, window: timedelta) -> None:
        """Count a reply at `ts` (forgetting those older than `window`) and forget the answered burst."""


def _keys(where: ChannelRef) -> CommunityKeys:
    return CommunityKeys(where.platform, where.community)


def queue_read(pipe: RedisPipeline, where: ChannelRef, now: datetime, window: timedelta) -> None:
    """Queue `PendingRepo.read` on a pipeline, so it shares a round trip (`Store.look`); see `read_replies`."""
    keys = _keys(where)
    pipe.hgetall(keys.speak(where.conversation))
    pipe.zcount(keys.bot_replies(where.conversation), (now - window).timestamp(), "+inf")


def read_replies(replies: Sequence[Any]) -> tuple[PendingReply | None, int]:
    """What `queue_read` read: the pending reply, if any, and the recent reply count."""
    fields, count = replies
    if not fields:
        return None, int(count)
    pending = PendingReply(
        last_id=fields["last_id"],
        last_ts=datetime.fromtimestamp(float(fields["last_ts"]), tz=timezone.utc),
        addressed=fields.get("addressed", ""),
    )
    return pending, int(count)


class RedisPending:
    """`PendingRepo` on one hash (the burst) and one sorted set (reply times) per conversation."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(self, where: ChannelRef, now: datetime, window: timedelta) -> tuple[PendingReply | None, int]:
        pipe = self.redis.pipeline(transaction=False)
        queue_read(pipe, where, now, window)
        return read_replies(await pipe.execute())

    async def keep(self, where: ChannelRef, last_id: str, last_ts: datetime, addressed: str) -> None:
        key = _keys(where).speak(where.conversation)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, mapping={"last_id": last_id, "last_ts": last_ts.timestamp()})
        if addressed:
            pipe.hset(key, "addressed", addressed)
        await pipe.execute()

    async def has(self, where: ChannelRef) -> bool:
        return bool(await self.redis.exists(_keys(where).speak(where.conversation)))

    async def clear(self, where: ChannelRef) -> None:
        await self.redis.delete(_keys(where).speak(where.conversation))

    async def replied(self, where: ChannelRef, ts: datetime, window: timedelta) -> None:
        keys = _keys(where)
        replies = keys.bot_replies(where.conversation)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(replies, {str(ts.timestamp()): ts.timestamp()})
        pipe.zremrangebyscore(replies, "-inf", (ts - window).timestamp())
        pipe.delete(keys.speak(where.conversation))
        await pipe.execute()


def _at(where: ChannelRef) -> Conversation:
    return (where.platform, where.community, where.conversation)


class MemoryPending:
    """`PendingRepo` in memory: the twin of `RedisPending`, for tests without a server."""

    def __init__(self) -> None:
        self.pending: dict[Conversation, PendingReply] = {}
        self.replies: dict[Conversation, set[float]] = {}

    async def read(self, where: ChannelRef, now: datetime, window: timedelta) -> tuple[PendingReply | None, int]:
        since = (now - window).timestamp()
        return self.pending.get(_at(where)), sum(1 for t in self.replies.get(_at(where), ()) if t >= since)

    async def keep(self, where: ChannelRef, last_id: str, last_ts: datetime, addressed: str) -> None:
        before = self.pending.get(_at(where))
        kept = addressed or (before.addressed if before else "")
        self.pending[_at(where)] = PendingReply(last_id, last_ts.astimezone(timezone.utc), kept)

    async def has(self, where: ChannelRef) -> bool:
        return _at(where) in self.pending

    async def clear(self, where: ChannelRef) -> None:
        self.pending.pop(_at(where), None)

    async def replied(self, where: ChannelRef, ts: datetime, window: timedelta) -> None:
        oldest = (ts - window).timestamp()
        times = self.replies.setdefault(_at(where), set())
        times.add(ts.timestamp())
        self.replies[_at(where)] = {t for t in times if t > oldest}
        self.pending.pop(_at(where), None)
