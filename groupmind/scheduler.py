"""The one owner of time: due work in Redis, woken by one apscheduler job or by the room's script clock.

Everything that must happen later is a `Due` item in one sorted set
(`groupmind.store.due`): a reply waiting for its burst to settle, the care
rounds. `run_due(now)` takes what is due, atomically, so of several workers on
one Redis exactly one runs each item, and hands each to the handler of its
kind. Live, `running()` calls it a few times a second (apscheduler 3.x); the
local room calls it itself as its script's clock moves, so a script spanning
weeks sees what a live community would.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import AsyncIterator, Awaitable, Callable, Collection, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from groupmind.store.due import Due, DueWork

log = logging.getLogger(__name__)

Handler = Callable[[Due, datetime], Awaitable[None]]
"""Runs one due item at `now`; may schedule it again."""

EVERY_S = 0.2
"""How often the live job looks for due work: a settled reply comes at most this late."""
BATCH = 100


class Scheduler:
    """Takes due items and runs each through the handler of its kind.

    Args:
        due: the due set (Redis, or the in-memory twin).
        handlers: one per kind of item.
        clock: what `now` is when the caller does not say.
        every_s: how often `running()` looks.
    """

    def __init__(
        self,
        due: DueWork,
        handlers: Mapping[str, Handler],
        clock: Callable[[], datetime],
        *,
        every_s: float = EVERY_S,
    ) -> None:
        self.due = due
        self.handlers = dict(handlers)
        self.clock = clock
        self.every_s = every_s

    async def run_due(self, now: datetime | None = None, *, kinds: Collection[str] | None = None) -> int:
        """Run every item due at `now` (of `kinds`, when given), one after another; returns how many ran."""
        now = now or self.clock()
        ran = 0
        async for item in self._taken(now, kinds):
            await self._run(item, now)
            ran += 1
        return ran

    async def _taken(self, now: datetime, kinds: Collection[str] | None) -> AsyncIterator[Due]:
        while items := await self.due.take(now, BATCH, kinds=kinds):
            for item in items:
                yield item
            if len(items) < BATCH:
                return

    async def _run(self, item: Due, now: datetime) -> None:
        handler = self.handlers.get(item.kind)
        if handler is None:
            log.warning("due item of unknown kind %r dropped", item.kind)
            return
        try:
            await handler(item, now)
        except Exception:  # one failed item must not stop the others; what it was about is stored
            log.exception("due %s in %s/%s failed", item.kind, item.platform, item.community)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Look for due work every `every_s` while the block is open; each item runs side by side
        with the others, so one slow reply holds up no other conversation."""
        started: set[asyncio.Task[None]] = set()

        async def look() -> None:
            now = self.clock()
            try:
                async for item in self._taken(now, None):
                    task = asyncio.create_task(self._run(item, now))
                    started.add(task)
                    task.add_done_callback(started.discard)
            except Exception:  # Redis away: the items wait in Redis for the next look
                log.warning("due work not taken this time", exc_info=True)

        jobs = AsyncIOScheduler(timezone=timezone.utc)
        jobs.add_job(look, "interval", seconds=self.every_s, coalesce=True, max_instances=1)
        jobs.start()
        try:
            yield
        finally:
            jobs.shutdown(wait=False)
            for task in list(started):
                task.cancel()
            await asyncio.gather(*started, return_exceptions=True)
