"""The work stream in Redis: one stream, one consumer group, XAUTOCLAIM for work a crashed worker left.

Every key shares one hash tag, so a job's end (mark the message done, XACK,
XDEL) is one MULTI even on Redis Cluster. `groupmind.work` runs the jobs; this
module is only their storage. A Redis outage surfaces as `QueueUnavailable`,
for the worker to wait out.
"""

from __future__ import annotations

from typing import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from groupmind.events import ChatMessage

QueueUnavailable = RedisError
"""Redis could not be reached (or refused a command); the work stays where it was."""

_TAG = "gm:{work}"
STREAM = f"{_TAG}:inbox"
DEAD = f"{_TAG}:dead"
GROUP = "workers"
DONE = "done"
DONE_TTL_S = 86_400
"""How long a finished message (and a job's saved steps) is remembered."""
DEAD_MAXLEN = 10_000


def marker_key(msg: ChatMessage) -> str:
    """A message's marker: the entry whose job handles it, then `DONE` once its replies went out."""
    return f"{_TAG}:msg:{msg.platform}:{msg.community}:{msg.where.conversation}:{msg.message_id}"


def _steps_key(entry: str) -> str:
    return f"{_TAG}:job:{entry}"


class WorkQueue:
    """The work stream and its consumer group, as one consumer sees them."""

    def __init__(self, redis: Redis, consumer: str = "") -> None:
        self.redis = redis
        self.consumer = consumer

    async def submit(self, msg: ChatMessage) -> str:
        """Queue a message for whichever worker is free; returns the entry id."""
        return str(await self.redis.xadd(STREAM, {"j": msg.model_dump_json()}))

    async def ensure_group(self) -> None:
        """Create the stream and group unless they exist (a fresh or restarted Redis)."""
        try:
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def claim(self, min_idle_ms: int, count: int) -> list[tuple[str, dict[str, str]]]:
        """Take over up to `count` entries other consumers left untouched for `min_idle_ms`."""
        try:
            reply = await self.redis.xautoclaim(STREAM, GROUP, self.consumer, min_idle_ms, "0-0", count=count)
        except ResponseError as exc:
            return await self._regroup(exc)
        return [(entry, fields) for entry, fields in reply[1] if fields is not None]

    async def read(self, count: int, block_ms: int) -> list[tuple[str, dict[str, str]]]:
        """New entries for this consumer, waiting up to `block_ms` for some."""
        try:
            reply = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=count, block=block_ms)
        except ResponseError as exc:
            return await self._regroup(exc)
        return [entry for _, entries in reply or [] for entry in entries]

    async def _regroup(self, exc: ResponseError) -> list[tuple[str, dict[str, str]]]:
        """Redis came back without the group (a restart without persistence): make it again."""
        if "NOGROUP" not in str(exc):
            raise exc
        await self.ensure_group()
        return []

    async def touch(self, entry: str) -> bool:
        """Reset an entry's idle time (a heartbeat); False once another consumer owns it."""
        pending = await self.redis.xpending_range(STREAM, GROUP, min=entry, max=entry, count=1)
        if not pending or pending[0]["consumer"] != self.consumer:
            return False
        await self.redis.xclaim(STREAM, GROUP, self.consumer, 0, [entry], justid=True)
        return True

    async def take(self, entry: str, msg: ChatMessage) -> bool:
        """Claim the message for this entry's job; False if another entry has it (queued twice) or it is done."""
        key = marker_key(msg)
        if await self.redis.set(key, entry, nx=True, ex=DONE_TTL_S):
            return True
        return await self.redis.get(key) == entry  # this entry's job, taken over

    async def steps(self, entry: str) -> dict[str, str]:
        """What earlier runs of this job recorded (`r:<step>` replies, `d:<step>` delivered)."""
        return dict(await self.redis.hgetall(_steps_key(entry)))

    async def record(self, entry: str, step: str, value: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(_steps_key(entry), step, value)
        pipe.expire(_steps_key(entry), DONE_TTL_S)
        await pipe.execute()

    async def finish(self, entry: str, msg: ChatMessage | None) -> None:
        """Mark the message answered and remove its entry, atomically; None drops a duplicate entry."""
        pipe = self.redis.pipeline(transaction=True)
        if msg is not None:
            pipe.set(marker_key(msg), DONE, ex=DONE_TTL_S)
        self._drop(pipe, entry)
        await pipe.execute()

    async def bury(self, entry: str, fields: Mapping[str, str], reason: str) -> None:
        """Move an entry no worker can run to the dead-letter stream, with the reason."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(DEAD, {**fields, "entry": entry, "error": reason[:500]}, maxlen=DEAD_MAXLEN, approximate=True)
        self._drop(pipe, entry)
        await pipe.execute()

    def _drop(self, pipe: object, entry: str) -> None:
        pipe.delete(_steps_key(entry))  # type: ignore[attr-defined]
        pipe.xack(STREAM, GROUP, entry)  # type: ignore[attr-defined]
        pipe.xdel(STREAM, entry)  # type: ignore[attr-defined]
