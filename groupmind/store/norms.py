"""The norms a community taught the bot, kept as plain records: what, who said so, when, how strongly.

A norm is one house rule about the bot (no pings, at most so many characters, a
topic to avoid, ...), keyed by its kind and value. Each vote for or against it
keeps its source (member id, platform, message id) and time, so the weight of the
group's feedback can be recomputed as it ages, and forget-me can take one
member's votes out. What counts as a norm and which ones are in force is the we
model's (`groupmind.we.norms`); here they are only kept.

All of a community's norms live in one hash under the community's key tag, one
field per norm, bounded: at most `MAX_NORMS` norms and `MAX_SOURCES` sources each
(the oldest member-taught norm, and a norm's oldest sources, make room).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

from redis.asyncio import Redis

from groupmind.store.keys import CommunityKeys

MAX_NORMS = 40
"""Norms one community keeps; the oldest unpinned one makes room for a new one."""
MAX_SOURCES = 24
"""Votes one norm keeps; one per member, the oldest dropped first."""


@dataclass(frozen=True)
class Source:
    """One member's vote about a norm: where it came from, when, and which way."""

    member_id: str
    platform: str
    message_id: str
    ts: float
    """Epoch seconds of the message or reaction."""
    vote: int = 1
    """+1 asks for the norm, -1 asks against it."""
    weight: float = 1.0
    """An explicit correction counts 1; a reaction, a vaguer signal, less."""


@dataclass(frozen=True)
class Norm:
    """One house rule and the votes behind it; `pinned` norms are the admins' and hold whatever the votes."""

    kind: str
    value: str = ""
    sources: tuple[Source, ...] = ()
    pinned: bool = False
    created: float = 0.0
    pinned_at: float = 0.0
    """When an admin set or pinned it: of two pinned values of one kind, the later holds."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    def with_vote(self, source: Source) -> Norm:
        """This norm with `source` as its member's one vote (replacing an earlier one), bounded."""
        others = [s for s in self.sources if s.member_id != source.member_id]
        return replace(self, sources=(*others, source)[-MAX_SOURCES:])

    def without(self, member_id: str) -> Norm:
        return replace(self, sources=tuple(s for s in self.sources if s.member_id != member_id))


def _dump(norm: Norm) -> str:
    return json.dumps(asdict(norm), separators=(",", ":"))


def _load(raw: str) -> Norm:
    data = json.loads(raw)
    return Norm(
        kind=data["kind"],
        value=data.get("value", ""),
        sources=tuple(Source(**s) for s in data.get("sources", ())),
        pinned=bool(data.get("pinned")),
        created=float(data.get("created", 0.0)),
        pinned_at=float(data.get("pinned_at", 0.0)),
    )


def _evict(norms: dict[str, Norm], keep: set[str]) -> list[str]:
    """The keys to drop so at most MAX_NORMS remain: oldest unpinned first, never those in `keep`."""
    excess = len(norms) - MAX_NORMS
    if excess <= 0:
        return []
    candidates = sorted((n for k, n in norms.items() if not n.pinned and k not in keep), key=lambda n: n.created)
    return [n.key for n in candidates[:excess]]


class NormsRepo(Protocol):
    """A community's norms, by key (`kind:value`)."""

    async def all(self, platform: str, community: str) -> list[Norm]: ...

    async def put(self, platform: str, community: str, *norms: Norm) -> None:
        """Keep `norms` in one write (each replacing the one with its key, so the votes of one message
        land together), evicting the oldest unpinned beyond MAX_NORMS."""
        ...

    async def remove(self, platform: str, community: str, key: str) -> Norm | None: ...

    async def forget_member(self, platform: str, community: str, member_id: str) -> int:
        """Take the member's votes out of every norm; a norm left with none goes unless pinned.
        Returns how many votes were removed."""
        ...


class RedisNorms:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def all(self, platform: str, community: str) -> list[Norm]:
        raw = await self.redis.hgetall(CommunityKeys(platform, community).norms)
        return sorted((_load(v) for v in raw.values()), key=lambda n: n.created)

    async def put(self, platform: str, community: str, *norms: Norm) -> None:
        key = CommunityKeys(platform, community).norms
        await self.redis.hset(key, mapping={n.key: _dump(n) for n in norms})
        if await self.redis.hlen(key) > MAX_NORMS:
            book = {n.key: n for n in await self.all(platform, community)}
            if drop := _evict(book, {n.key for n in norms}):
                await self.redis.hdel(key, *drop)

    async def remove(self, platform: str, community: str, key: str) -> Norm | None:
        hkey = CommunityKeys(platform, community).norms
        raw = await self.redis.hget(hkey, key)
        if raw is None:
            return None
        await self.redis.hdel(hkey, key)
        return _load(raw)

    async def forget_member(self, platform: str, community: str, member_id: str) -> int:
        hkey = CommunityKeys(platform, community).norms
        removed = 0
        for norm in await self.all(platform, community):
            kept = norm.without(member_id)
            if len(kept.sources) == len(norm.sources):
                continue
            removed += len(norm.sources) - len(kept.sources)
            if kept.sources or kept.pinned:
                await self.redis.hset(hkey, norm.key, _dump(kept))
            else:
                await self.redis.hdel(hkey, norm.key)
        return removed


@dataclass
class MemoryNorms:
    """The in-memory twin of `RedisNorms`."""

    norms: dict[tuple[str, str], dict[str, Norm]] = field(default_factory=dict)

    async def all(self, platform: str, community: str) -> list[Norm]:
        return sorted(self.norms.get((platform, community), {}).values(), key=lambda n: n.created)

    async def put(self, platform: str, community: str, *norms: Norm) -> None:
        book = self.norms.setdefault((platform, community), {})
        book.update((n.key, n) for n in norms)
        for key in _evict(book, {n.key for n in norms}):
            del book[key]

    async def remove(self, platform: str, community: str, key: str) -> Norm | None:
        return self.norms.get((platform, community), {}).pop(key, None)

    async def forget_member(self, platform: str, community: str, member_id: str) -> int:
        book = self.norms.get((platform, community), {})
        removed = 0
        for key, norm in list(book.items()):
            kept = norm.without(member_id)
            removed += len(norm.sources) - len(kept.sources)
            if kept.sources or kept.pinned:
                book[key] = kept
            else:
                del book[key]
        return removed
