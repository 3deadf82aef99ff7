"""Each member's lasting model: interests, expertise, usual hours, how they like to be addressed.

Kept under the member's own keys (`member:<id>:model:*`), so forget-me deletes
all of it with the rest of them. Interests and expertise are capped sorted sets
with forward decay, like the group's (`groupmind.store.group_memory`); hours a
24-field hash; facts a small hash (`call`: the name they asked to be called).
An item the member deleted goes to their `muted` set, so the bot does not learn
it back from their next message: reading filters it out, which keeps the
per-message path free of reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.store.group_memory import now_value, weight
from groupmind.store.keys import CommunityKeys

INTERESTS_KEPT = 25
KNOWS_KEPT = 25
MUTED_KEPT = 200
KINDS = ("interest", "expertise")
"""The kinds of item a member can add or delete by value (`/gm me set interest X`)."""
_SET_OF = {"interest": "interests", "expertise": "knows"}


@dataclass(frozen=True)
class MemberPart:
    """What one message adds to its author's model."""

    member_id: str
    ts: float
    hour: int
    interests: tuple[str, ...] = ()
    knows: tuple[str, ...] = ()
    call_me: str | None = None


@dataclass(frozen=True)
class MemberRecord:
    """A member's model as read back; items they deleted are left out."""

    member_id: str
    call: str | None
    interests: list[tuple[str, float]]
    knows: list[tuple[str, float]]
    hours: dict[int, int]

    @property
    def empty(self) -> bool:
        return not (self.call or self.interests or self.knows or self.hours)

    def usual_hours(self) -> list[int]:
        """Hours (UTC) holding at least a tenth of their messages, busiest first, at most four."""
        total = sum(self.hours.values())
        ranked = sorted(self.hours.items(), key=lambda kv: (-kv[1], kv[0]))
        return [h for h, n in ranked if total and n / total >= 0.1][:4]


def queue(pipe: RedisPipeline, keys: CommunityKeys, part: MemberPart) -> None:
    """Queue one message's part of its author's model into `pipe` (the message's own append)."""
    w = weight(part.ts)
    for name, items, cap in (("interests", part.interests, INTERESTS_KEPT), ("knows", part.knows, KNOWS_KEPT)):
        key = keys.member_model(part.member_id, name)
        for item in items:
            pipe.zincrby(key, w, item)
        if items:
            pipe.zremrangebyrank(key, 0, -cap - 1)
    pipe.hincrby(keys.member_model(part.member_id, "hours"), str(part.hour), 1)
    if part.call_me:
        pipe.hset(keys.member_model(part.member_id, "facts"), "call", part.call_me)


def queued(keys: CommunityKeys, part: MemberPart) -> Callable[[RedisPipeline], None]:
    return lambda pipe: queue(pipe, keys, part)


class MemberFacts:
    """Read a member's model, and let the member correct or delete any item of it."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(self, platform: str, community: str, member_id: str, now_ts: float) -> MemberRecord:
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys.member_model(member_id, "facts"), "call")
        pipe.zrevrange(keys.member_model(member_id, "interests"), 0, -1, withscores=True)
        pipe.zrevrange(keys.member_model(member_id, "knows"), 0, -1, withscores=True)
        pipe.hgetall(keys.member_model(member_id, "hours"))
        pipe.smembers(keys.member_model(member_id, "muted"))
        call, interests, knows, hours, muted = await pipe.execute()

        def kept(kind: str, entries: list[tuple[str, float]]) -> list[tuple[str, float]]:
            return [(item, now_value(score, now_ts)) for item, score in entries if f"{kind}:{item}" not in muted]

        return MemberRecord(
            member_id, call, kept("interest", interests), kept("expertise", knows),
            {int(h): int(n) for h, n in hours.items()} if "hours:" not in muted else {},
        )  # fmt: skip

    async def muted_of(self, platform: str, community: str, member_ids: Iterable[str]) -> dict[str, set[str]]:
        """The items each member deleted (`kind:item`), which the group model must not credit them with either."""
        keys = CommunityKeys(platform, community)
        ids = list(member_ids)
        pipe = self.redis.pipeline(transaction=False)
        for member_id in ids:
            pipe.smembers(keys.member_model(member_id, "muted"))
        return {m: set(items) for m, items in zip(ids, await pipe.execute()) if items}

    async def call_name(self, platform: str, community: str, member_id: str) -> str | None:
        """The name the member asked to be called, if any."""
        return await self.redis.hget(CommunityKeys(platform, community).member_model(member_id, "facts"), "call")

    async def set_call(self, platform: str, community: str, member_id: str, name: str | None) -> None:
        key = CommunityKeys(platform, community).member_model(member_id, "facts")
        if name is None:
            await self.redis.hdel(key, "call")
        else:
            await self.redis.hset(key, "call", name)

    async def add(self, platform: str, community: str, member_id: str, kind: str, item: str, ts: float) -> None:
        """A member's own correction: `item` is one of their interests or what they know about."""
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        pipe.srem(keys.member_model(member_id, "muted"), f"{kind}:{item}")
        pipe.zincrby(keys.member_model(member_id, _SET_OF[kind]), weight(ts) * 5, item)  # said by them: weighs more
        await pipe.execute()

    async def forget_all(self, platform: str, community: str, member_id: str) -> None:
        """Delete the member's whole model (what they asked the bot not to keep stays muted)."""
        keys = CommunityKeys(platform, community)
        await self.redis.delete(*(keys.member_model(member_id, part) for part in ("interests", "knows", "hours", "facts")))

    async def delete(self, platform: str, community: str, member_id: str, kind: str, item: str) -> bool:
        """Delete one item and keep it from coming back; False when the bot did not hold it."""
        keys = CommunityKeys(platform, community)
        muted = keys.member_model(member_id, "muted")
        pipe = self.redis.pipeline(transaction=False)
        if kind == "hours":
            pipe.delete(keys.member_model(member_id, "hours"))
        else:
            pipe.zrem(keys.member_model(member_id, _SET_OF[kind]), item)
        pipe.sadd(muted, f"{kind}:{item}")
        pipe.scard(muted)
        removed, _, size = await pipe.execute()
        if size > MUTED_KEPT:  # bounded: the oldest wish is not known, so a random one goes
            await self.redis.spop(muted, size - MUTED_KEPT)
        return bool(removed)
