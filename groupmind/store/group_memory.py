"""The lasting group model of a community, in Redis, bounded whatever the community says.

Every ranked part is a capped sorted set scored by forward decay: one use at
time t adds exp((t - EPOCH) / TAU), so a score is a count in which older uses
weigh less (by e every TAU), without ever rescaling what is stored; after each
increment the set is trimmed to its top entries, so a one-off word falls out
while what the group keeps coming back to stays. Rhythm is a 168-field hash
(weekday x hour), style a hash of a few counters, decisions a short list. An
observation is queued into the message's own append (`queue`), so the group
model costs no extra round trip on the per-message path.

Entries credited to a member (expertise, a joke's author, a decision's sources)
carry the member's id, so `forget_member` can take them out; anything naming the
member is taken out too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.store.keys import WE_PARTS, CommunityKeys

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp()
TAU_S = 60 * 86400.0
"""Forward decay's time constant: a use this long ago weighs 1/e of one now (good until about 2115)."""
CAPS = {"topics": 400, "phrases": 200, "jokes": 60, "events": 40, "expertise": 1500, "answerers": 500, "askers": 500}
DECISIONS_KEPT = 30
SEP = "\x1f"


def weight(ts: float) -> float:
    """What one use at epoch `ts` adds to a forward-decayed score."""
    return math.exp((ts - EPOCH) / TAU_S)


def now_value(score: float, now: float) -> float:
    """A forward-decayed score as a count seen from `now`."""
    return score / weight(now)


@dataclass(frozen=True)
class GroupPart:
    """What one message adds to the group model (the store's view of `we.memory.Observation`)."""

    ts: float
    slot: str
    """The weekday-hour field of the rhythm hash (`d4h18`)."""
    topics: tuple[str, ...] = ()
    phrase: str | None = None
    joke: str | None = None
    """`phrase SEP author`."""
    event: str | None = None
    expertise: tuple[str, ...] = ()
    """`topic SEP member`."""
    decision: str | None = None
    """JSON {"text", "by", "ts"}."""
    answerer: str | None = None
    """The author, when the message answered someone's question."""
    asker: str | None = None
    """The author, when the message asked one."""
    style: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupRecord:
    """The stored group model as read back: ranked entries are (item, count now)."""

    topics: list[tuple[str, float]]
    phrases: list[tuple[str, float]]
    jokes: list[tuple[str, float]]
    events: list[tuple[str, float]]
    expertise: list[tuple[str, float]]
    answerers: list[tuple[str, float]]
    askers: list[tuple[str, float]]
    rhythm: dict[str, int]
    style: dict[str, int]
    decisions: list[dict[str, object]]
    summary: dict[str, object] | None


def _keys(platform: str, community: str) -> CommunityKeys:
    return CommunityKeys(platform, community)


def _ranked(pipe: RedisPipeline, key: str, members: tuple[str, ...], w: float, cap: int) -> None:
    """Count `members` once more in a capped sorted set, trimming it once."""
    for member in members:
        pipe.zincrby(key, w, member)
    if members:
        pipe.zremrangebyrank(key, 0, -cap - 1)


def queue(pipe: RedisPipeline, keys: CommunityKeys, part: GroupPart) -> None:
    """Queue one message's part of the group model into `pipe` (the message's own append)."""
    w = weight(part.ts)
    _ranked(pipe, keys.we("topics"), part.topics, w, CAPS["topics"])
    for name, item in (("phrases", part.phrase), ("jokes", part.joke), ("events", part.event)):
        _ranked(pipe, keys.we(name), (item,) if item else (), w, CAPS[name])
    _ranked(pipe, keys.we("expertise"), part.expertise, w, CAPS["expertise"])
    _ranked(pipe, keys.we("answerers"), (part.answerer,) if part.answerer else (), w, CAPS["answerers"])
    _ranked(pipe, keys.we("askers"), (part.asker,) if part.asker else (), w, CAPS["askers"])
    pipe.hincrby(keys.we("rhythm"), part.slot, 1)
    pipe.hset(keys.we("meta"), "last", part.ts)
    for name, count in part.style.items():
        pipe.hincrby(keys.we("style"), name, count)
    if part.decision:
        pipe.lpush(keys.we("decisions"), part.decision)
        pipe.ltrim(keys.we("decisions"), 0, DECISIONS_KEPT - 1)


def queued(keys: CommunityKeys, part: GroupPart) -> Callable[[RedisPipeline], None]:
    """`queue` bound to one part, in the shape `Store.append(also=...)` takes."""
    return lambda pipe: queue(pipe, keys, part)


_RANKED = ("topics", "phrases", "jokes", "events", "expertise", "answerers", "askers")


class GroupMemory:
    """The group model of every community: read it, keep its consolidated summary, forget a member in it."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(self, platform: str, community: str, now: datetime, *, top: int = -1) -> GroupRecord:
        """The whole model (`top` entries of each ranked part, -1 for all), in one round trip."""
        keys = _keys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        for name in _RANKED:
            pipe.zrevrange(keys.we(name), 0, top, withscores=True)
        pipe.hgetall(keys.we("rhythm"))
        pipe.hgetall(keys.we("style"))
        pipe.lrange(keys.we("decisions"), 0, -1)
        pipe.get(keys.we("summary"))
        *ranked, rhythm, style, decisions, summary = await pipe.execute()
        at = now.timestamp()
        values = [[(item, now_value(score, at)) for item, score in entries] for entries in ranked]
        return GroupRecord(
            *values,
            rhythm={k: int(v) for k, v in rhythm.items()},
            style={k: int(v) for k, v in style.items()},
            decisions=[json.loads(d) for d in decisions],
            summary=json.loads(summary) if summary else None,
        )

    async def last_message(self, platform: str, community: str) -> datetime | None:
        """When the group model last learned from a message."""
        last = await self.redis.hget(_keys(platform, community).we("meta"), "last")
        return datetime.fromtimestamp(float(last), tz=timezone.utc) if last else None

    async def keep_summary(self, platform: str, community: str, summary: dict[str, object]) -> None:
        """Keep the consolidated summary (replacing the last one)."""
        await self.redis.set(_keys(platform, community).we("summary"), json.dumps(summary, ensure_ascii=False))

    async def size_bytes(self, platform: str, community: str) -> int:
        """Memory the group model's keys take (MEMORY USAGE), for the bench's growth figure."""
        keys = _keys(platform, community)
        names = [keys.we(name) for name in WE_PARTS]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.memory_usage(name)
        return sum(size or 0 for size in await pipe.execute())

    async def drop_credits(self, platform: str, community: str, member_id: str, topics: list[str] | None) -> int:
        """Stop crediting a member with expertise on `topics` (None: on anything); returns how many went."""
        key = _keys(platform, community).we("expertise")
        theirs = [e for e in await self.redis.zrange(key, 0, -1) if e.rpartition(SEP)[2] == member_id]
        gone = [e for e in theirs if topics is None or e.rpartition(SEP)[0] in topics]
        return await self.redis.zrem(key, *gone) if gone else 0

    async def forget_member(self, platform: str, community: str, member_id: str, names: tuple[str, ...]) -> int:
        """Take the member out of the group model: entries credited to them or naming them; returns how many."""
        keys = _keys(platform, community)
        named = _naming([member_id, *names])
        removed = 0
        for name in _RANKED:
            key = keys.we(name)
            entries = await self.redis.zrange(key, 0, -1)
            gone = [e for e in entries if e.rpartition(SEP)[2] == member_id or named(e)]
            if gone:
                removed += await self.redis.zrem(key, *gone)
        decisions = keys.we("decisions")
        for raw in await self.redis.lrange(decisions, 0, -1):
            entry = json.loads(raw)
            if member_id in entry.get("by", []) or named(str(entry.get("text", ""))):
                removed += await self.redis.lrem(decisions, 0, raw)
        summary = await self.redis.get(keys.we("summary"))
        if summary and named(summary):
            removed += await self.redis.delete(keys.we("summary"))  # consolidated again at the next quiet spell
        return removed


def _naming(words: list[str]) -> Callable[[str], bool]:
    """A test for text naming any of `words` as a whole word, case-insensitively."""
    alternatives = "|".join(re.escape(w) for w in dict.fromkeys(words) if w.strip())
    pattern = re.compile(rf"(?<![\w]){'(?:' + alternatives + ')'}(?![\w])", re.I) if alternatives else None
    return lambda text: bool(pattern and pattern.search(text))
