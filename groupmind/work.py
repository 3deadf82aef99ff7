"""Work shared by several workers on one Redis: a stream, a consumer group, XAUTOCLAIM.

With `work_queue` on, adapters do not handle a message inline: they add it, and
where to answer it, to one work stream. Every worker reads that stream in one
consumer group, so each message goes to one worker. A worker that crashes
leaves its messages pending in the group; once they sit untouched (no
heartbeat) for `work_claim_idle_ms`, another worker takes them over with
XAUTOCLAIM.

Taking work over must not answer twice. A job runs in steps (handle the
message, then tick its conversation as the settle waits pass). Each step's
replies are saved in Redis before they are delivered and marked delivered
after, so a worker taking a job over sends saved replies instead of generating
new ones and skips steps already delivered; a message already stored is not
stored again. A job first claims its message (SET NX of a per-message
marker) and ends with one MULTI that marks the message done, XACKs and XDELs
its entry, so the same message queued twice is answered once and the stream
holds only open work. An entry that cannot be decoded, or whose job fails with a bug,
moves to a dead-letter stream with the reason: never retried forever, never
lost silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable, Mapping, Sequence

from pydantic import TypeAdapter
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from groupmind.events import ChatMessage, Reply
from groupmind.pipeline import Pipeline

log = logging.getLogger(__name__)

_TAG = "gm:{work}"
"""One hash tag for every work key, so a job's end is one MULTI even on Redis Cluster."""
STREAM = f"{_TAG}:inbox"
DEAD = f"{_TAG}:dead"
GROUP = "workers"
DONE_TTL_S = 86_400
"""How long a finished message (and a job's saved steps) is remembered."""
DEAD_MAXLEN = 10_000
BLOCK_MS = 1_000
"""How long one XREADGROUP waits; well under the client's socket timeout."""
RETRY_S = 1.0
_SLACK_S = 0.05  # tick just after a wait ends, never just before

Target = Mapping[str, str]
"""Where an adapter wants the answer (channel, thread, message answered): its own ids."""
Deliver = Callable[[Sequence[Reply], Target], Awaitable[None]]
"""Posts replies to a target through one platform's client; logs (never raises) a platform refusal."""

_REPLIES = TypeAdapter(list[Reply])


class NoDelivery(RuntimeError):
    """This worker has no client for a message's platform, so it cannot answer it."""


@dataclass(frozen=True)
class Job:
    """One queued message and where to answer it."""

    entry: str
    msg: ChatMessage
    target: dict[str, str]
    reclaimed: bool
    """Taken over from another consumer: part of it may have run already."""

    @classmethod
    def decode(cls, entry: str, fields: Mapping[str, str], reclaimed: bool) -> Job:
        """Raises KeyError or ValueError (pydantic's included) for an entry no worker can run."""
        target = json.loads(fields.get("to", "{}"))
        if not isinstance(target, dict) or not all(isinstance(v, str) for v in target.values()):
            raise ValueError("the reply target is not a map of strings")
        return cls(entry, ChatMessage.model_validate_json(fields["j"]), target, reclaimed)


DONE = "done"


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

    async def submit(self, msg: ChatMessage, target: Target) -> str:
        """Queue a message for whichever worker is free; returns the entry id."""
        fields = {"j": msg.model_dump_json(), "to": json.dumps(dict(target))}
        return str(await self.redis.xadd(STREAM, fields))  # type: ignore[arg-type]

    async def ensure_group(self) -> None:
        """Create the stream and group unless they exist (a fresh or restarted Redis)."""
        try:
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def claim(self, min_idle_ms: int, count: int) -> list[tuple[str, dict[str, str]]]:
        """Take over up to `count` entries other consumers left untouched for `min_idle_ms`."""
        reply = await self.redis.xautoclaim(STREAM, GROUP, self.consumer, min_idle_ms, "0-0", count=count)
        return [(entry, fields) for entry, fields in reply[1] if fields is not None]

    async def read(self, count: int, block_ms: int) -> list[tuple[str, dict[str, str]]]:
        """New entries for this consumer, waiting up to `block_ms` for some."""
        reply = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=count, block=block_ms)
        return [entry for _, entries in reply or [] for entry in entries]

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
        """What earlier runs of this job recorded: `r:<step>` replies, `d:<step>` delivered."""
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
        log.warning("work entry %s moved to %s: %s", entry, DEAD, reason[:500])

    def _drop(self, pipe: object, entry: str) -> None:
        pipe.delete(_steps_key(entry))  # type: ignore[attr-defined]
        pipe.xack(STREAM, GROUP, entry)  # type: ignore[attr-defined]
        pipe.xdel(STREAM, entry)  # type: ignore[attr-defined]


class MessageJobs:
    """Runs one queued message through the pipeline and delivers its replies, step by step."""

    def __init__(self, pipeline: Pipeline, queue: WorkQueue, deliver: Mapping[str, Deliver]) -> None:
        self.pipeline = pipeline
        self.queue = queue
        self.deliver = deliver

    async def __call__(self, job: Job) -> None:
        if self.pipeline.engine is not None and job.msg.platform not in self.deliver:
            raise NoDelivery(f"no {job.msg.platform} client on this worker to answer with")
        where = job.msg.where
        steps = await self.queue.steps(job.entry)
        await self._step(job, steps, "handle", lambda: self._handle(job))
        rules = self.pipeline.rules
        for index, wait in enumerate(sorted({rules.settle, rules.question_pause} - {timedelta(0)})):
            if not await self.pipeline.awaiting_reply(where):
                return
            due = job.msg.ts + wait - self.pipeline.clock()
            await asyncio.sleep(max(0.0, due.total_seconds()) + _SLACK_S)
            await self._step(job, steps, f"tick{index}", lambda: self.pipeline.tick(where))

    async def _handle(self, job: Job) -> list[Reply]:
        if job.reclaimed and await self.pipeline.store.holds(job.msg.where, job.msg.message_id):
            # The worker that crashed stored it already; only its answer may be missing.
            return await self.pipeline.tick(job.msg.where)
        return await self.pipeline.handle(job.msg)

    async def _step(
        self, job: Job, steps: Mapping[str, str], name: str, produce: Callable[[], Awaitable[list[Reply]]]
    ) -> None:
        if f"d:{name}" in steps:
            return
        if (saved := steps.get(f"r:{name}")) is not None:
            replies = _REPLIES.validate_json(saved)
        else:
            replies = await produce()
            await self.queue.record(job.entry, f"r:{name}", _REPLIES.dump_json(replies).decode())
        if replies:
            await self.deliver[job.msg.platform](replies, job.target)
        await self.queue.record(job.entry, f"d:{name}", "1")


class Worker:
    """One consumer of the work stream: takes over stale work, reads new work, runs jobs side by side.

    Args:
        queue: the stream as this consumer sees it.
        run_job: runs one job to its end (`MessageJobs`).
        claim_idle_ms: entries untouched this long are taken over; running jobs are touched 3x as often.
        concurrency: most jobs running at once.
    """

    def __init__(
        self,
        queue: WorkQueue,
        run_job: Callable[[Job], Awaitable[None]],
        *,
        claim_idle_ms: int,
        concurrency: int,
        block_ms: int = BLOCK_MS,
    ) -> None:
        self.queue = queue
        self.run_job = run_job
        self.claim_idle_ms = claim_idle_ms
        self.concurrency = concurrency
        self.block_ms = block_ms
        self._running: dict[str, asyncio.Task[None]] = {}

    @classmethod
    def for_pipeline(cls, pipeline: Pipeline, deliver: Mapping[str, Deliver]) -> Worker:
        settings = pipeline.settings
        queue = WorkQueue(pipeline.store.redis, settings.worker_name)
        return cls(
            queue,
            MessageJobs(pipeline, queue, deliver),
            claim_idle_ms=settings.work_claim_idle_ms,
            concurrency=settings.work_concurrency,
        )

    async def run(self) -> None:
        """Serve until cancelled, waiting out Redis outages; jobs stopped by a cancel stay pending for others."""
        try:
            await self.queue.ensure_group()
            while True:
                try:
                    await self.step()
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    await self.queue.ensure_group()  # Redis came back without the group
                except RedisError as exc:
                    log.warning("work queue: Redis unavailable (%s); retrying", exc)
                    await asyncio.sleep(RETRY_S)
        finally:
            tasks, self._running = list(self._running.values()), {}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def step(self) -> None:
        """One round: wait for a free slot, take over stale work, then read new work."""
        if len(self._running) >= self.concurrency:
            await asyncio.wait(self._running.values(), timeout=self.block_ms / 1000, return_when="FIRST_COMPLETED")
            return
        for entry, fields in await self.queue.claim(self.claim_idle_ms, self.concurrency - len(self._running)):
            self._start(entry, fields, reclaimed=True)
        if free := self.concurrency - len(self._running):
            for entry, fields in await self.queue.read(free, self.block_ms):
                self._start(entry, fields, reclaimed=False)

    def _start(self, entry: str, fields: dict[str, str], *, reclaimed: bool) -> None:
        if entry in self._running:
            return
        task = asyncio.create_task(self._job(entry, fields, reclaimed))
        self._running[entry] = task
        task.add_done_callback(lambda _: self._running.pop(entry, None))

    async def _job(self, entry: str, fields: dict[str, str], reclaimed: bool) -> None:
        try:
            job = Job.decode(entry, fields, reclaimed)
        except (KeyError, ValueError) as exc:
            await self._bury(entry, fields, f"undecodable entry: {type(exc).__name__}: {exc}")
            return
        heartbeat = asyncio.create_task(self._heartbeat(entry))
        try:
            if await self.queue.take(entry, job.msg):
                await self.run_job(job)
                await self.queue.finish(entry, job.msg)
            else:
                await self.queue.finish(entry, None)
        except RedisError as exc:
            log.warning("job %s paused, Redis unavailable (%s); it stays pending to be taken over", entry, exc)
        except Exception as exc:  # a bug or a missing client: retrying would fail the same way
            log.exception("job %s failed", entry)
            await self._bury(entry, fields, f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()

    async def _bury(self, entry: str, fields: Mapping[str, str], reason: str) -> None:
        try:
            await self.queue.bury(entry, fields, reason)
        except RedisError as exc:
            log.warning("job %s not moved to dead letters yet (%s); it stays pending", entry, exc)

    async def _heartbeat(self, entry: str) -> None:
        """Keep a running job's entry fresh; stop the job if another worker took it over."""
        job = self._running.get(entry)
        while True:
            await asyncio.sleep(self.claim_idle_ms / 3000)
            try:
                if await self.queue.touch(entry):
                    continue
            except RedisError:
                continue  # an outage: the job pauses on its own, or carries on when Redis is back
            log.warning("job %s was taken over by another worker; stopping it here", entry)
            if job is not None:
                job.cancel()
            return


async def offer(pipeline: Pipeline, msg: ChatMessage, target: Target) -> bool:
    """The adapters' hand-off: with `work_queue` on, queue `msg` for any worker and return True.

    False means handle it inline, as a single process does.
    """
    if not pipeline.settings.work_queue:
        return False
    await WorkQueue(pipeline.store.redis).submit(msg, target)
    return True
