"""The work streams in Redis: N partitions, one consumer group each, leases that say which worker reads which.

A message goes to partition `partition_of(msg)`, a hash of its conversation, so
a conversation's messages queue in one stream, in order, and the partitions
spread over the nodes of a Redis Cluster (each has its own hash tag,
`gm:{work:<k>}`). A partition is read by one worker at a time: the one holding
its lease (`gm:{work:<k>}:lease`, with a TTL the holder renews), so no two
workers ever handle messages of one conversation side by side. Workers note
themselves in `gm:{work}:workers` as they beat; each takes its fair share of
the partitions, gives back what is above it when others join, and a crashed
worker's leases run out and are taken by the others (with its pending jobs,
XAUTOCLAIM). `groupmind.work` runs the jobs; this module is only their storage.
Every key of a job's end (mark the message done, XACK, XDEL) shares its
partition's tag, so that end is one MULTI even on a cluster. A Redis outage
surfaces as `QueueUnavailable`, for the worker to wait out.
"""

from __future__ import annotations

import time
import zlib
from typing import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from groupmind.events import ChatMessage

QueueUnavailable = RedisError
"""Redis could not be reached (or refused a command); the work stays where it was."""

PARTITIONS = 16
"""The default number of work streams (`work_partitions`): more than workers, so shares come out even."""
GROUP = "workers"
DONE = "done"
DONE_TTL_S = 86_400
"""How long a finished message (and a job's saved steps) is remembered."""
DEAD_MAXLEN = 10_000
WORKERS = "gm:{work}:workers"
"""Sorted set of live workers, scored by their last beat (epoch ms); only the worker set lives here."""

Entry = tuple[str, dict[str, str]]

_IF_HELD = """
-- KEYS: a lease; ARGV: holder, ttl ms (0: give it back)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
"""Renew or give back a lease only while it is still this worker's (another may hold it since it ran out)."""


def _tag(partition: int) -> str:
    return f"gm:{{work:{partition}}}"


def inbox(partition: int) -> str:
    """The work stream of one partition."""
    return f"{_tag(partition)}:inbox"


def dead(partition: int) -> str:
    """Entries of one partition that no worker can run, with the reason."""
    return f"{_tag(partition)}:dead"


def lease_key(partition: int) -> str:
    return f"{_tag(partition)}:lease"


def partition_of(msg: ChatMessage, partitions: int) -> int:
    """The partition of a message's conversation: stable across processes, runs and platforms."""
    where = f"{msg.platform}:{msg.community}:{msg.where.conversation}"
    return zlib.crc32(where.encode("utf-8")) % partitions


def marker_key(msg: ChatMessage, partitions: int = PARTITIONS) -> str:
    """A message's marker: the entry whose job handles it, then `DONE` once its replies went out."""
    where = f"{msg.platform}:{msg.community}:{msg.where.conversation}:{msg.message_id}"
    return f"{_tag(partition_of(msg, partitions))}:msg:{where}"


def _steps_key(partition: int, entry: str) -> str:
    return f"{_tag(partition)}:job:{entry}"


class WorkQueue:
    """The partitioned work streams and their consumer groups, as one consumer sees them."""

    def __init__(self, redis: Redis, consumer: str = "", partitions: int = PARTITIONS) -> None:
        self.redis = redis
        self.consumer = consumer
        self.partitions = partitions

    async def submit(self, msg: ChatMessage) -> str:
        """Queue a message in its conversation's partition; returns the entry id."""
        return str(await self.redis.xadd(inbox(partition_of(msg, self.partitions)), {"j": msg.model_dump_json()}))

    async def ensure_group(self, partition: int) -> None:
        """Create the partition's stream and group unless they exist (a fresh or restarted Redis)."""
        try:
            await self.redis.xgroup_create(inbox(partition), GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # -- workers and leases ----------------------------------------------------------

    async def beat(self, ttl_ms: int) -> list[str]:
        """Note this worker alive; the live workers (those that beat within `ttl_ms`), sorted by name."""
        now = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(WORKERS, {self.consumer: now})
        pipe.zremrangebyscore(WORKERS, "-inf", now - ttl_ms)
        pipe.zrange(WORKERS, 0, -1)
        *_, live = await pipe.execute()
        return sorted(live)

    async def leave(self) -> None:
        await self.redis.zrem(WORKERS, self.consumer)

    async def holders(self) -> list[str | None]:
        """Who holds each partition's lease (None: nobody), by partition."""
        pipe = self.redis.pipeline(transaction=False)  # not MGET: on a cluster the leases live on several nodes
        for k in range(self.partitions):
            pipe.get(lease_key(k))
        return list(await pipe.execute())

    async def acquire(self, partition: int, ttl_ms: int) -> bool:
        return bool(await self.redis.set(lease_key(partition), self.consumer, nx=True, px=ttl_ms))

    async def renew(self, partition: int, ttl_ms: int) -> bool:
        return bool(await self.redis.eval(_IF_HELD, 1, lease_key(partition), self.consumer, ttl_ms))

    async def release(self, partition: int) -> None:
        await self.redis.eval(_IF_HELD, 1, lease_key(partition), self.consumer, 0)

    # -- jobs --------------------------------------------------------------------------

    async def claim(self, partition: int, min_idle_ms: int, count: int) -> list[Entry]:
        """Take over up to `count` of the partition's entries left untouched for `min_idle_ms`, oldest first."""
        try:
            reply = await self.redis.xautoclaim(inbox(partition), GROUP, self.consumer, min_idle_ms, "0-0", count=count)
        except ResponseError as exc:
            return await self._regroup(partition, exc)
        return [(entry, fields) for entry, fields in reply[1] if fields is not None]

    async def read(self, partitions: list[int], count: int) -> list[tuple[int, str, dict[str, str]]]:
        """New entries for this consumer in `partitions`, without waiting; one pipeline (per node, on a cluster)."""
        if not partitions:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for partition in partitions:
            pipe.xreadgroup(GROUP, self.consumer, {inbox(partition): ">"}, count=count)
        found: list[tuple[int, str, dict[str, str]]] = []
        for partition, reply in zip(partitions, await pipe.execute(raise_on_error=False)):
            if isinstance(reply, ResponseError):
                await self._regroup(partition, reply)
                continue
            found += [(partition, entry, fields) for _, entries in reply or [] for entry, fields in entries]
        return found

    async def _regroup(self, partition: int, exc: ResponseError) -> list[Entry]:
        """Redis came back without the group (a restart without persistence): make it again."""
        if "NOGROUP" not in str(exc):
            raise exc
        await self.ensure_group(partition)
        return []

    async def touch(self, partition: int, entry: str) -> bool:
        """Reset an entry's idle time (a heartbeat); False once another consumer owns it."""
        stream = inbox(partition)
        pending = await self.redis.xpending_range(stream, GROUP, min=entry, max=entry, count=1)
        if not pending or pending[0]["consumer"] != self.consumer:
            return False
        await self.redis.xclaim(stream, GROUP, self.consumer, 0, [entry], justid=True)
        return True

    async def take(self, partition: int, entry: str, msg: ChatMessage) -> bool:
        """Claim the message for this entry's job; False if another entry has it (queued twice) or it is done."""
        key = marker_key(msg, self.partitions)
        if await self.redis.set(key, entry, nx=True, ex=DONE_TTL_S):
            return True
        return await self.redis.get(key) == entry  # this entry's job, taken over

    async def steps(self, partition: int, entry: str) -> dict[str, str]:
        """What earlier runs of this job recorded (`r:<step>` replies, `d:<step>` delivered)."""
        return dict(await self.redis.hgetall(_steps_key(partition, entry)))

    async def record(self, partition: int, entry: str, step: str, value: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(_steps_key(partition, entry), step, value)
        pipe.expire(_steps_key(partition, entry), DONE_TTL_S)
        await pipe.execute()

    async def finish(self, partition: int, entry: str, msg: ChatMessage | None) -> None:
        """Mark the message answered and remove its entry, atomically; None drops a duplicate entry."""
        pipe = self.redis.pipeline(transaction=True)
        if msg is not None:
            pipe.set(marker_key(msg, self.partitions), DONE, ex=DONE_TTL_S)
        self._drop(pipe, partition, entry)
        await pipe.execute()

    async def bury(self, partition: int, entry: str, fields: Mapping[str, str], reason: str) -> None:
        """Move an entry no worker can run to its partition's dead-letter stream, with the reason."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(dead(partition), {**fields, "entry": entry, "error": reason[:500]}, maxlen=DEAD_MAXLEN,
                  approximate=True)  # fmt: skip
        self._drop(pipe, partition, entry)
        await pipe.execute()

    def _drop(self, pipe: object, partition: int, entry: str) -> None:
        pipe.delete(_steps_key(partition, entry))  # type: ignore[attr-defined]
        pipe.xack(inbox(partition), GROUP, entry)  # type: ignore[attr-defined]
        pipe.xdel(inbox(partition), entry)  # type: ignore[attr-defined]
