"""Due work: everything that must happen later, in one sorted set, so one scheduler owns time.

A settled reply, a care follow-up, a reminder of an open alert, a quiet sweep:
each is a `Due` item with the moment it falls due. Scheduling an item again
under the same (kind, community, key) moves it (a new message re-arms its
conversation's settle wait); `take` removes and returns what is due, atomically,
so of several workers sharing one Redis exactly one runs each item. Because the
items live in Redis, a restart or a second worker loses none of them.

`MemoryDueWork` is the in-memory twin, for pure tests and the local room
without a server; both pass the same contract tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Collection, Mapping, Protocol

from redis.asyncio import Redis

_TAG = "gm:{due}"
"""One hash tag for the set and its payloads, so taking an item is one script even on Redis Cluster."""
AT = f"{_TAG}:at"
DATA = f"{_TAG}:data"
_SEP = "\x1f"


@dataclass(frozen=True)
class Due:
    """One piece of work and when it falls due.

    `kind` names the handler ("reply", "care-followup", ...); `key` tells items of
    one kind and community apart (a conversation, a member id); `data` is what the
    handler needs beyond that, kept small.
    """

    kind: str
    platform: str
    community: str
    key: str
    at: datetime
    data: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return _SEP.join((self.kind, self.platform, self.community, self.key))


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp()


def _item(member: str, score: float, data: str | None) -> Due:
    kind, platform, community, key = member.split(_SEP, 3)
    return Due(kind, platform, community, key, datetime.fromtimestamp(score, timezone.utc), json.loads(data or "{}"))


class DueWork(Protocol):
    """What the scheduler and the parts that schedule work may ask of the due set."""

    async def schedule(self, item: Due) -> None:
        """Add `item`, or move it (and replace its data) if one with its id is waiting."""
        ...

    async def cancel(self, kind: str, platform: str, community: str, key: str) -> None:
        """Drop a waiting item; nothing happens if there is none."""
        ...

    async def take(self, now: datetime, limit: int = 100, *, kinds: Collection[str] | None = None) -> list[Due]:
        """Remove and return up to `limit` items due at `now`, earliest first; each is taken by one caller only.

        With `kinds`, only items of those kinds are taken; the others stay waiting.
        """
        ...

    async def next_at(self) -> datetime | None:
        """When the earliest waiting item falls due; None when nothing waits."""
        ...

    async def waiting(self, kind: str, platform: str, community: str, key: str) -> Due | None:
        """The waiting item with that id, if any."""
        ...


_TAKE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local limit = tonumber(ARGV[2])
local wanted = nil
if #ARGV > 3 then
  wanted = {}
  for i = 4, #ARGV do wanted[ARGV[i]] = true end
end
local out = {}
for i = 1, #ids, 2 do
  if #out >= 3 * limit then break end
  if wanted == nil or wanted[string.match(ids[i], '^[^\\31]*')] then
    redis.call('ZREM', KEYS[1], ids[i])
    local data = redis.call('HGET', KEYS[2], ids[i])
    redis.call('HDEL', KEYS[2], ids[i])
    table.insert(out, ids[i]); table.insert(out, ids[i + 1]); table.insert(out, data or '{}')
  end
end
return out
"""
_SCANNED = 1_000
"""Due items looked through for ones of the wanted kinds, per take."""


class RedisDueWork:
    """The due set in Redis: a sorted set of ids by due time, and a hash of their data."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)

    async def schedule(self, item: Due) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(AT, {item.id: _epoch(item.at)})
        pipe.hset(DATA, item.id, json.dumps(dict(item.data)))
        await pipe.execute()

    async def cancel(self, kind: str, platform: str, community: str, key: str) -> None:
        member = _SEP.join((kind, platform, community, key))
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(AT, member)
        pipe.hdel(DATA, member)
        await pipe.execute()

    async def take(self, now: datetime, limit: int = 100, *, kinds: Collection[str] | None = None) -> list[Due]:
        scan = limit if kinds is None else max(limit, _SCANNED)
        flat = await self._take(keys=[AT, DATA], args=[repr(_epoch(now)), limit, scan, *(kinds or ())])
        return [_item(flat[i], float(flat[i + 1]), flat[i + 2]) for i in range(0, len(flat), 3)]

    async def next_at(self) -> datetime | None:
        first = await self.redis.zrange(AT, 0, 0, withscores=True)
        return datetime.fromtimestamp(first[0][1], timezone.utc) if first else None

    async def waiting(self, kind: str, platform: str, community: str, key: str) -> Due | None:
        member = _SEP.join((kind, platform, community, key))
        pipe = self.redis.pipeline(transaction=False)
        pipe.zscore(AT, member)
        pipe.hget(DATA, member)
        score, data = await pipe.execute()
        return None if score is None else _item(member, float(score), data)


class MemoryDueWork:
    """The due set in memory: the same contract, for pure tests."""

    def __init__(self) -> None:
        self._items: dict[str, Due] = {}

    async def schedule(self, item: Due) -> None:
        at = datetime.fromtimestamp(_epoch(item.at), timezone.utc)  # as Redis gives it back
        self._items[item.id] = Due(item.kind, item.platform, item.community, item.key, at, dict(item.data))

    async def cancel(self, kind: str, platform: str, community: str, key: str) -> None:
        self._items.pop(_SEP.join((kind, platform, community, key)), None)

    async def take(self, now: datetime, limit: int = 100, *, kinds: Collection[str] | None = None) -> list[Due]:
        due = sorted(
            (i for i in self._items.values() if _epoch(i.at) <= _epoch(now) and (kinds is None or i.kind in kinds)),
            key=lambda i: (_epoch(i.at), i.id),
        )
        for item in due[:limit]:
            del self._items[item.id]
        return due[:limit]

    async def next_at(self) -> datetime | None:
        return min((i.at for i in self._items.values()), key=_epoch, default=None)

    async def waiting(self, kind: str, platform: str, community: str, key: str) -> Due | None:
        return self._items.get(_SEP.join((kind, platform, community, key)))
