"""Work shared by several workers on one Redis: a stream, a consumer group, XAUTOCLAIM.

With `work_queue` on, the ingress does not handle a message inline: it adds
it to one work stream (`groupmind.store.work_queue`). Every worker reads that
stream in one consumer group, so each message goes to one worker. A worker
that crashes leaves its messages pending in the group; once they sit untouched
(no heartbeat) for `work_claim_idle_ms`, another worker takes them over with
XAUTOCLAIM.

A job handles its message and ends: a reply that waits for the burst to
settle is a due item in Redis (`groupmind.scheduler`), answered by whichever
worker's scheduler takes it, so no job holds a worker slot through a wait.

Taking work over must not answer twice. The replies a job makes are saved in
Redis before they are delivered and marked delivered after, so a worker taking
a job over sends saved replies instead of generating new ones, and skips them
once delivered; a message already stored is not stored again. A job first
claims its message (SET NX of a per-message marker) and ends with one MULTI
that marks the message done, XACKs and XDELs its entry, so the same message
queued twice is answered once and the stream holds only open work. An entry
that cannot be decoded, or whose job fails with a bug, moves to a dead-letter
stream with the reason: never retried forever, never lost silently.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping

from pydantic import TypeAdapter

from groupmind.events import ChatMessage, Reply
from groupmind.pipeline import Pipeline
from groupmind.store.work_queue import DEAD, QueueUnavailable, WorkQueue

log = logging.getLogger(__name__)

BLOCK_MS = 1_000
"""How long one XREADGROUP waits; well under the client's socket timeout."""
RETRY_S = 1.0
STEP = "handle"
"""The one step a job records: the replies its message made at once."""

_REPLIES = TypeAdapter(list[Reply])


class NoDelivery(RuntimeError):
    """This worker has no client for a message's platform, so it cannot answer it."""


@dataclass(frozen=True)
class Job:
    """One queued message."""

    entry: str
    msg: ChatMessage
    reclaimed: bool
    """Taken over from another consumer: part of it may have run already."""

    @classmethod
    def decode(cls, entry: str, fields: Mapping[str, str], reclaimed: bool) -> Job:
        """Raises KeyError or ValueError (pydantic's included) for an entry no worker can run."""
        return cls(entry, ChatMessage.model_validate_json(fields["j"]), reclaimed)


class MessageJobs:
    """Runs one queued message through the pipeline and delivers what it made at once."""

    def __init__(self, pipeline: Pipeline, queue: WorkQueue) -> None:
        self.pipeline = pipeline
        self.queue = queue

    async def __call__(self, job: Job) -> None:
        if self.pipeline.engine is not None and job.msg.platform not in self.pipeline.platforms:
            raise NoDelivery(f"no {job.msg.platform} client on this worker to answer with")
        steps = await self.queue.steps(job.entry)
        if f"d:{STEP}" in steps:
            return
        if (saved := steps.get(f"r:{STEP}")) is not None:
            replies = _REPLIES.validate_json(saved)
        else:
            replies = await self._handle(job)
            await self.queue.record(job.entry, f"r:{STEP}", _REPLIES.dump_json(replies).decode())
        await self.pipeline.deliver(replies)
        await self.queue.record(job.entry, f"d:{STEP}", "1")

    async def _handle(self, job: Job) -> list[Reply]:
        if job.reclaimed and await self.pipeline.store.holds(job.msg.where, job.msg.message_id):
            # The worker that crashed stored it already; only its answer may be missing.
            return await self.pipeline.tick(job.msg.where, deliver=False)
        return await self.pipeline.handle(job.msg, deliver=False)


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
    def for_pipeline(cls, pipeline: Pipeline) -> Worker:
        """A worker answering through the pipeline's platforms."""
        settings = pipeline.settings
        queue = pipeline.work_queue(settings.worker_name)
        return cls(
            queue,
            MessageJobs(pipeline, queue),
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
                except QueueUnavailable as exc:
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
        except QueueUnavailable as exc:
            log.warning("job %s paused, Redis unavailable (%s); it stays pending to be taken over", entry, exc)
        except Exception as exc:  # a bug or a missing client: retrying would fail the same way
            log.exception("job %s failed", entry)
            await self._bury(entry, fields, f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()

    async def _bury(self, entry: str, fields: Mapping[str, str], reason: str) -> None:
        try:
            await self.queue.bury(entry, fields, reason)
        except QueueUnavailable as exc:
            log.warning("job %s not moved to dead letters yet (%s); it stays pending", entry, exc)
            return
        log.warning("work entry %s moved to %s: %s", entry, DEAD, reason[:500])

    async def _heartbeat(self, entry: str) -> None:
        """Keep a running job's entry fresh; stop the job if another worker took it over."""
        job = self._running.get(entry)
        while True:
            await asyncio.sleep(self.claim_idle_ms / 3000)
            try:
                if await self.queue.touch(entry):
                    continue
            except QueueUnavailable:
                continue  # an outage: the job pauses on its own, or carries on when Redis is back
            log.warning("job %s was taken over by another worker; stopping it here", entry)
            if job is not None:
                job.cancel()
            return
