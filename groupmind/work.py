"""Work shared by several workers on one Redis: partitioned streams, leases, consumer groups, XAUTOCLAIM.

With `work_queue` on, the ingress does not handle a message inline: it adds it
to its conversation's partition of the work streams (`groupmind.store.work_queue`).
Each partition is read by the one worker holding its lease, and that worker runs
a conversation's jobs one after another, in stream order, so a conversation is
stored and answered in order however many workers there are. Workers beat in
Redis; each keeps its fair share of the partitions (all of them / live workers),
gives back what is above it when another joins, and takes the leases a worker
that left or crashed no longer renews, together with the jobs it left pending
(XAUTOCLAIM). A running job is touched as it goes, so a worker that only
stalled finds its job taken over and stops it.

A job handles its message and ends: a reply that waits for the burst to
settle is a due item in Redis (`groupmind.scheduler`), answered by whichever
worker's scheduler takes it, so no job holds a worker slot through a wait.

Taking work over must not answer twice. The replies a job makes are saved in
Redis before they are delivered and marked delivered after, so a worker taking
a job over sends saved replies instead of generating new ones, and skips them
once delivered; a message already stored is not stored again. A job first
claims its message (SET NX of a per-message marker) and ends with one MULTI
that marks the message done, XACKs and XDELs its entry, so the same message
queued twice is answered once and the streams hold only open work. An entry
that cannot be decoded, or whose job fails with a bug, moves to its partition's
dead-letter stream with the reason: never retried forever, never lost silently.
"""

from __future__ import annotations

import asyncio
import logging
import math
import zlib
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping

from pydantic import TypeAdapter

from groupmind.events import ChatMessage, Reply
from groupmind.pipeline import Pipeline
from groupmind.store.work_queue import QueueUnavailable, WorkQueue, dead

log = logging.getLogger(__name__)

POLL_S = 0.05
"""How long a worker waits before reading its partitions again when they were empty."""
RETRY_S = 1.0
STEP = "handle"
"""The one step a job records: the replies its message made at once."""

_REPLIES = TypeAdapter(list[Reply])


class NoDelivery(RuntimeError):
    """This worker has no client for a message's platform, so it cannot answer it."""


@dataclass(frozen=True)
class Job:
    """One queued message."""

    partition: int
    entry: str
    msg: ChatMessage
    reclaimed: bool
    """Taken over from another consumer: part of it may have run already."""

    @classmethod
    def decode(cls, partition: int, entry: str, fields: Mapping[str, str], reclaimed: bool) -> Job:
        """Raises KeyError or ValueError (pydantic's included) for an entry no worker can run."""
        return cls(partition, entry, ChatMessage.model_validate_json(fields["j"]), reclaimed)


class MessageJobs:
    """Runs one queued message through the pipeline and delivers what it made at once."""

    def __init__(self, pipeline: Pipeline, queue: WorkQueue) -> None:
        self.pipeline = pipeline
        self.queue = queue

    async def __call__(self, job: Job) -> None:
        if self.pipeline.engine is not None and job.msg.platform not in self.pipeline.platforms:
            raise NoDelivery(f"no {job.msg.platform} client on this worker to answer with")
        steps = await self.queue.steps(job.partition, job.entry)
        if f"d:{STEP}" in steps:
            return
        if (saved := steps.get(f"r:{STEP}")) is not None:
            replies = _REPLIES.validate_json(saved)
        else:
            replies = await self._handle(job)
            await self.queue.record(job.partition, job.entry, f"r:{STEP}", _REPLIES.dump_json(replies).decode())
        await self.pipeline.deliver(replies)
        await self.queue.record(job.partition, job.entry, f"d:{STEP}", "1")

    async def _handle(self, job: Job) -> list[Reply]:
        if job.reclaimed and await self.pipeline.store.holds(job.msg.where, job.msg.message_id):
            # The worker that crashed stored it already; only its answer may be missing.
            return await self.pipeline.tick(job.msg.where, deliver=False)
        return await self.pipeline.handle(job.msg, deliver=False)


class Worker:
    """One consumer of the work streams: holds its share of the partitions, runs their jobs side by side,
    and each conversation's jobs one after another.

    Args:
        queue: the streams as this consumer sees them.
        run_job: runs one job to its end (`MessageJobs`).
        claim_idle_ms: entries untouched this long are taken over, and a lease not renewed this long
            runs out; running jobs are touched, and leases renewed, 3x as often.
        concurrency: most jobs running (or waiting for their conversation's previous job) at once.
    """

    def __init__(
        self, queue: WorkQueue, run_job: Callable[[Job], Awaitable[None]], *, claim_idle_ms: int, concurrency: int,
    ) -> None:  # fmt: skip
        self.queue = queue
        self.run_job = run_job
        self.claim_idle_ms = claim_idle_ms
        self.concurrency = concurrency
        self.owned: set[int] = set()
        """The partitions whose lease this worker holds."""
        self._running: dict[str, asyncio.Task[None]] = {}
        self._last: dict[str, asyncio.Task[None]] = {}
        """Each conversation's latest job here: the next one of that conversation waits for it."""
        self._next_beat = 0.0

    @classmethod
    def for_pipeline(cls, pipeline: Pipeline) -> Worker:
        """A worker answering through the pipeline's platforms."""
        settings = pipeline.settings
        queue = pipeline.work_queue(settings.worker_name)
        return cls(
            queue, MessageJobs(pipeline, queue), claim_idle_ms=settings.work_claim_idle_ms,
            concurrency=settings.work_concurrency,
        )  # fmt: skip

    async def run(self) -> None:
        """Serve until cancelled, waiting out Redis outages; jobs stopped by a cancel stay pending for others."""
        try:
            while True:
                try:
                    await self.step()
                except QueueUnavailable as exc:
                    log.warning("work queue: Redis unavailable (%s); retrying", exc)
                    await asyncio.sleep(RETRY_S)
        finally:
            tasks, self._running = list(self._running.values()), {}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._leave()

    async def _leave(self) -> None:
        """Give back every lease at once, so the others need not wait for them to run out."""
        try:
            for partition in list(self.owned):
                await self.queue.release(partition)
            await self.queue.leave()
        except QueueUnavailable:
            pass  # they run out on their own
        self.owned.clear()

    async def step(self) -> None:
        """One round: keep the share of partitions, wait for a free slot, take over stale work, read new work."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_beat:
            await self.rebalance()
            self._next_beat = loop.time() + self.claim_idle_ms / 3000
        if len(self._running) >= self.concurrency:
            await asyncio.wait(self._running.values(), timeout=POLL_S * 20, return_when="FIRST_COMPLETED")
            return
        started = 0
        for partition, entry, fields in await self.queue.read(sorted(self.owned), self._free()):
            started += self._start(partition, entry, fields, reclaimed=False)
        if not started:
            await asyncio.sleep(POLL_S)

    def _free(self) -> int:
        return max(1, self.concurrency - len(self._running))

    async def rebalance(self) -> None:
        """Renew the leases held, then take free partitions up to the fair share, or give back those above it.

        A partition taken over from a worker that left or crashed comes with the jobs it left pending,
        which run first, in order (its lease ran out, so it no longer runs them).
        """
        live = await self.queue.beat(3 * self.claim_idle_ms)
        for partition in sorted(self.owned):
            if not await self.queue.renew(partition, self.claim_idle_ms):
                log.warning("work partition %d: lease lost; another worker has it now", partition)
                self.owned.discard(partition)
                continue
            for entry, fields in await self.queue.claim(partition, self.claim_idle_ms, self._free()):
                self._start(partition, entry, fields, reclaimed=True)  # a stalled job of this worker's own
        share = math.ceil(self.queue.partitions / max(len(live), 1))
        busy = {job_partition for job_partition, _ in (key.split(":", 1) for key in self._running)}
        for partition in sorted(self.owned, reverse=True):
            if len(self.owned) <= share:
                break
            if str(partition) not in busy:  # its running jobs finish here first
                await self.queue.release(partition)
                self.owned.discard(partition)
        if len(self.owned) >= share:
            return
        holders = await self.queue.holders()
        start = zlib.crc32(self.queue.consumer.encode()) % self.queue.partitions  # workers start apart
        for offset in range(self.queue.partitions):
            partition = (start + offset) % self.queue.partitions
            if len(self.owned) >= share:
                break
            if holders[partition] is None and await self.queue.acquire(partition, self.claim_idle_ms):
                await self.queue.ensure_group(partition)
                self.owned.add(partition)
                for entry, fields in await self.queue.claim(partition, 0, 10_000):
                    self._start(partition, entry, fields, reclaimed=True)

    def _start(self, partition: int, entry: str, fields: dict[str, str], *, reclaimed: bool) -> bool:
        key = f"{partition}:{entry}"
        if key in self._running:
            return False
        try:
            job: Job | str = Job.decode(partition, entry, fields, reclaimed)
        except (KeyError, ValueError) as exc:
            job = f"undecodable entry: {type(exc).__name__}: {exc}"
        conversation = "" if isinstance(job, str) else f"{job.msg.platform}:{job.msg.community}:{job.msg.where.conversation}"
        before = self._last.get(conversation)
        task = asyncio.create_task(self._job(partition, entry, fields, job, before))
        self._running[key] = task
        self._last[conversation] = task

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(key, None)
            if self._last.get(conversation) is task:
                del self._last[conversation]

        task.add_done_callback(done)
        return True

    async def _job(
        self, partition: int, entry: str, fields: dict[str, str], job: Job | str, before: asyncio.Task[None] | None
    ) -> None:
        """Run a decoded job (or bury an entry that would not decode: `job` is then why)."""
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)  # the conversation's previous message first
        if isinstance(job, str):
            await self._bury(partition, entry, fields, job)
            return
        heartbeat = asyncio.create_task(self._heartbeat(partition, entry))
        try:
            if await self.queue.take(partition, entry, job.msg):
                await self.run_job(job)
                await self.queue.finish(partition, entry, job.msg)
            else:
                await self.queue.finish(partition, entry, None)
        except QueueUnavailable as exc:
            log.warning("job %s paused, Redis unavailable (%s); it stays pending to be taken over", entry, exc)
        except Exception as exc:  # a bug or a missing client: retrying would fail the same way
            log.exception("job %s failed", entry)
            await self._bury(partition, entry, fields, f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()

    async def _bury(self, partition: int, entry: str, fields: Mapping[str, str], reason: str) -> None:
        try:
            await self.queue.bury(partition, entry, fields, reason)
        except QueueUnavailable as exc:
            log.warning("job %s not moved to dead letters yet (%s); it stays pending", entry, exc)
            return
        log.warning("work entry %s moved to %s: %s", entry, dead(partition), reason[:500])

    async def _heartbeat(self, partition: int, entry: str) -> None:
        """Keep a running job's entry fresh; stop the job if another worker took it over."""
        job = self._running.get(f"{partition}:{entry}")
        while True:
            await asyncio.sleep(self.claim_idle_ms / 3000)
            try:
                if await self.queue.touch(partition, entry):
                    continue
            except QueueUnavailable:
                continue  # an outage: the job pauses on its own, or carries on when Redis is back
            log.warning("job %s was taken over by another worker; stopping it here", entry)
            if job is not None:
                job.cancel()
            return

