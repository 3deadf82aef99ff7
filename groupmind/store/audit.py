"""The audit trail's storage: one stream of entries (plain string fields) per community.

What goes in an entry and how it is redacted is the admin layer's
(`groupmind.admin.audit`); here it is kept, trimmed with `MAXLEN ~`, read newest
first, and rewritten in place of the original (the rewritten entry moves to the
end of the stream). `RedisAuditLog` and its in-memory twin `MemoryAuditLog` pass
the same contract tests.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol

from redis.asyncio import Redis

from groupmind.store.keys import CommunityKeys

AUDIT_MAXLEN = 10_000

Entry = dict[str, str]
Fix = Callable[[Entry], "Entry | None"]
"""Given an entry, its replacement, or None to leave it as it is."""


class AuditLog(Protocol):
    """The audit trail of every community."""

    async def add(self, platform: str, community: str, fields: Mapping[str, str]) -> None:
        """Append one entry."""

    async def latest(self, platform: str, community: str, count: int = 100) -> list[Entry]:
        """The newest `count` entries, newest first."""

    async def rewrite(self, platform: str, community: str, fix: Fix) -> int:
        """Replace each entry `fix` changes (it moves to the end); returns how many were replaced."""


class RedisAuditLog:
    """`AuditLog` on one stream per community."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, platform: str, community: str, fields: Mapping[str, str]) -> None:
        key = CommunityKeys(platform, community).audit
        await self.redis.xadd(key, dict(fields), maxlen=AUDIT_MAXLEN, approximate=True)  # type: ignore[arg-type]

    async def latest(self, platform: str, community: str, count: int = 100) -> list[Entry]:
        key = CommunityKeys(platform, community).audit
        return [fields for _, fields in await self.redis.xrevrange(key, count=count)]

    async def rewrite(self, platform: str, community: str, fix: Fix) -> int:
        key = CommunityKeys(platform, community).audit
        rewritten = 0
        for entry_id, fields in await self.redis.xrange(key):
            clean = fix(fields)
            if clean is None:
                continue
            pipe = self.redis.pipeline(transaction=True)
            pipe.xdel(key, entry_id)
            pipe.xadd(key, clean, maxlen=AUDIT_MAXLEN, approximate=True)  # type: ignore[arg-type]
            await pipe.execute()
            rewritten += 1
        return rewritten


class MemoryAuditLog:
    """`AuditLog` in memory: the twin of `RedisAuditLog`, for tests without a server."""

    def __init__(self, maxlen: int = AUDIT_MAXLEN) -> None:
        self.maxlen = maxlen
        self.logs: dict[tuple[str, str], list[Entry]] = {}

    async def add(self, platform: str, community: str, fields: Mapping[str, str]) -> None:
        log = self.logs.setdefault((platform, community), [])
        log.append(dict(fields))
        del log[: max(0, len(log) - self.maxlen)]

    async def latest(self, platform: str, community: str, count: int = 100) -> list[Entry]:
        return [dict(e) for e in reversed(self.logs.get((platform, community), [])[-count:])]

    async def rewrite(self, platform: str, community: str, fix: Fix) -> int:
        log = self.logs.get((platform, community), [])
        fixed = [(entry, fix(dict(entry))) for entry in log]
        log[:] = [entry for entry, clean in fixed if clean is None] + [clean for _, clean in fixed if clean is not None]
        return sum(clean is not None for _, clean in fixed)


def as_audit_log(target: Any) -> AuditLog:
    """`target` if it is an audit log already; a Redis client is wrapped (for callers not yet moved)."""
    return RedisAuditLog(target) if hasattr(target, "xadd") else target  # type: ignore[no-any-return]
