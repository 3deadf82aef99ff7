"""The care rounds for callers without the scheduler: run every due care item now.

Care's later work waits in the due set (`groupmind.store.due`): follow-up
check-ins (`steps.FOLLOW_UP`), reminders of open alerts
(`escalation.REMINDER`) and each community's quiet sweep (`sweep.QUIET`).
The scheduler hands each item to `CareService.run_due` when it falls due;
until every caller has it, `run_rounds` and `schedule_rounds` do that for the
care items (the local room runs them as its script's clock moves, so a script
spanning weeks sees what a live community would).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from groupmind.care.escalation import REMIND_AFTER
from groupmind.care.service import CARE_KINDS, CareService, handles
from groupmind.store.keys import ROUNDS_LOCK

__all__ = ["CARE_KINDS", "REMIND_AFTER", "ROUNDS_LOCK", "RoundsDone", "handles", "run_rounds", "schedule_rounds"]

log = logging.getLogger(__name__)


@dataclass
class RoundsDone:
    quiet: int = 0
    follow_ups: int = 0
    reminders: int = 0


async def run_rounds(care: CareService, now: datetime) -> RoundsDone:
    """Run every care item due at `now`; what was done, counted.

    Until the scheduler dispatches due items by kind, this takes what is due and
    puts back any item that is not care's.
    """
    before = (care.quiet.reported, care.follow_ups, care.escalation.counts["reminders"])
    for item in await care.due.take(now, 10_000):
        if not handles(item.kind):
            await care.due.schedule(item)
            continue
        try:
            await care.run_due(item, now)
        except Exception:  # one failed item must not stop the others (as the scheduler does)
            log.exception("care %s in %s/%s failed", item.kind, item.platform, item.community)
    after = (care.quiet.reported, care.follow_ups, care.escalation.counts["reminders"])
    return RoundsDone(*(a - b for a, b in zip(after, before)))


@asynccontextmanager
async def schedule_rounds(care: CareService, every: timedelta) -> AsyncIterator[AsyncIOScheduler]:
    """Run the due care items every `every` while the context is open (apscheduler 3.x)."""

    async def job() -> None:
        # One worker per round: the claim expires before the next round is due.
        if not await care.signals.claim(every * 0.9):
            return
        done = await run_rounds(care, care.clock())
        log.info("care rounds: %s", done)

    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    scheduler.add_job(job, "interval", seconds=every.total_seconds(), coalesce=True, max_instances=1)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
