"""The drift watch's state per conversation: the measures of the bot's latest replies, and the re-anchor count.

What the measures mean is the guard's (`groupmind.guard.drift`); here each is
an opaque string, kept newest first in a window that expires unused.
`RedisDriftState` and its in-memory twin `MemoryDriftState` pass the same
contract tests.
"""

from __future__ import annotations

from typing import Any, Protocol

from redis.asyncio import Redis

from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys

Conversation = tuple[str, str, str]


class DriftState(Protocol):
    """The drift watch's rolling window and re-anchor count of every conversation."""

    async def add(self, where: ChannelRef, measures: str, window: int, kept_s: int) -> list[str]:
        """Add one reply's measures; the window's measures afterwards, newest first (at most `window`)."""

    async def restart(self, where: ChannelRef, anchor_replies: int, kept_s: int) -> None:
        """Empty the window and re-anchor the next `anchor_replies` replies."""

    async def anchoring(self, where: ChannelRef) -> bool:
        """Whether the next reply is re-anchored; counts one off."""


class RedisDriftState:
    """`DriftState` on a list and a counter beside the conversation's other keys."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, where: ChannelRef, measures: str, window: int, kept_s: int) -> list[str]:
        key = CommunityKeys(where.platform, where.community).drift(where.conversation)
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(key, measures)
        pipe.ltrim(key, 0, window - 1)
        pipe.expire(key, kept_s)
        pipe.lrange(key, 0, -1)
        *_, raw = await pipe.execute()
        return list(raw)

    async def restart(self, where: ChannelRef, anchor_replies: int, kept_s: int) -> None:
        keys = CommunityKeys(where.platform, where.community)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(keys.drift(where.conversation))
        pipe.set(keys.drift_anchor(where.conversation), anchor_replies, ex=kept_s)
        await pipe.execute()

    async def anchoring(self, where: ChannelRef) -> bool:
        key = CommunityKeys(where.platform, where.community).drift_anchor(where.conversation)
        if int(await self.redis.get(key) or 0) <= 0:
            return False
        await self.redis.decr(key)
        return True


class MemoryDriftState:
    """`DriftState` in memory: the twin of `RedisDriftState` (without expiry), for tests without a server."""

    def __init__(self) -> None:
        self.windows: dict[Conversation, list[str]] = {}
        self.anchors: dict[Conversation, int] = {}

    async def add(self, where: ChannelRef, measures: str, window: int, kept_s: int) -> list[str]:
        at = (where.platform, where.community, where.conversation)
        self.windows[at] = [measures, *self.windows.get(at, [])][:window]
        return list(self.windows[at])

    async def restart(self, where: ChannelRef, anchor_replies: int, kept_s: int) -> None:
        at = (where.platform, where.community, where.conversation)
        self.windows.pop(at, None)
        self.anchors[at] = anchor_replies

    async def anchoring(self, where: ChannelRef) -> bool:
        at = (where.platform, where.community, where.conversation)
        if self.anchors.get(at, 0) <= 0:
            return False
        self.anchors[at] -= 1
        return True


def as_drift_state(target: Any) -> DriftState:
    """`target` if it is a drift state already; a Redis client is wrapped (for callers not yet moved)."""
    return RedisDriftState(target) if hasattr(target, "xadd") else target  # type: ignore[no-any-return]
