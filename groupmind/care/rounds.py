"""Care's due work: follow-up check-ins, reminders of open alerts, and the quiet sweep.

Each is an item in the due set (`groupmind.store.due`), which the one
scheduler takes when it falls due and hands to `CareService.run_due`:
- a follow-up ("care-followup", per member) a while after each care message;
- a reminder ("care-reminder", per alert) while nobody acknowledged it;
- the quiet sweep ("care-quiet", per community), armed when the community first
  speaks to this worker and again each time it runs.

`run_rounds` and `schedule_rounds` run the due care items for callers that do
not have the scheduler yet (the local room runs them as its script's clock
moves, so a script spanning weeks sees what a live community would).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from groupmind.care import machine
from groupmind.care.checks import Step
from groupmind.care.config import CareConfig
from groupmind.care.courier import render_digest
from groupmind.care.escalation import REMIND_AFTER, REMINDER, Escalation
from groupmind.care.quiet import QuietMember, sweep_quiet
from groupmind.care.signals import Label
from groupmind.care.wording import Voice
from groupmind.events import CareAlert, ChannelRef, Member
from groupmind.store import Store
from groupmind.store.care_signals import CareSignals
from groupmind.store.due import Due, DueWork
from groupmind.store.keys import ROUNDS_LOCK

if TYPE_CHECKING:
    from groupmind.care.service import CareService

__all__ = ["CARE_KINDS", "REMIND_AFTER", "ROUNDS_LOCK", "QuietRound", "RoundsDone", "handles", "run_rounds"]

log = logging.getLogger(__name__)

FOLLOW_UP = "care-followup"
QUIET = "care-quiet"
CARE_KINDS = frozenset({FOLLOW_UP, REMINDER, QUIET})
_SWEEP = "sweep"
"""The key of a community's one quiet-sweep item."""


def handles(kind: str) -> bool:
    """Whether due items of `kind` are care's (`CareService.run_due`)."""
    return kind in CARE_KINDS


class QuietRound:
    """The quiet sweep of one community: a digest to the care contacts, and a private hello if allowed."""

    def __init__(
        self, store: Store, signals: CareSignals, voice: Voice, escalation: Escalation, due: DueWork, every: timedelta
    ) -> None:
        self.store = store
        self.signals = signals
        self.voice = voice
        self.escalation = escalation
        self.due = due
        self.every = every
        self.reported = 0
        """Regulars reported gone quiet."""
        self._armed: set[tuple[str, str]] = set()
        """Communities whose sweep this worker has seen waiting (a cache: the due set is the truth)."""

    async def arm(self, platform: str, community: str, now: datetime) -> None:
        """Make sure the community's sweep is waiting in the due set."""
        if (platform, community) in self._armed:
            return
        if await self.due.waiting(QUIET, platform, community, _SWEEP) is None:
            await self.due.schedule(Due(QUIET, platform, community, _SWEEP, now + self.every))
        self._armed.add((platform, community))

    async def run(self, item: Due, now: datetime, config: CareConfig) -> None:
        """Sweep the community; alert the care contacts, in one digest, about regulars newly gone quiet."""
        platform, community = item.platform, item.community
        await self.due.schedule(Due(QUIET, platform, community, _SWEEP, now + self.every))  # first, so it comes round
        quiet = await sweep_quiet(self.signals, platform, community, now, sensitivity=config.sensitivity)
        reported = await self.signals.reported_quiet(platform, community, [q.member_id for q in quiet])
        fresh = [q for q, seen in zip(quiet, reported) if seen != repr(q.last)]
        if not fresh:
            return
        names = await self.store.member_names(platform, community, [q.member_id for q in fresh])
        alerts = [await self._alert(item, config, q, Member(id=q.member_id, display_name=names[q.member_id]))
                  for q in fresh]  # fmt: skip
        await self.signals.mark_quiet(platform, community, {q.member_id: repr(q.last) for q in fresh})
        self.reported += len(fresh)
        ordered = sorted(alerts, key=lambda a: a.urgency != "medium")
        await self.escalation.deliver(ordered, config.contacts, render_digest(ordered))

    async def _alert(self, item: Due, config: CareConfig, quiet: QuietMember, member: Member) -> CareAlert:
        where = ChannelRef(platform=item.platform, community=item.community, channel=quiet.channel or "direct")
        plan = machine.on_quiet(quiet, config)
        said = ""
        if plan.checkin and self.escalation.reaches(item.platform):
            text = await self.voice.say(
                Step.QUIET_CHECKIN, Label.NONE, config, public=False, name=member.display_name, where=where
            )
            if await self.escalation.to_member(where, member, text):
                said = text
        return await self.escalation.create(member, where, why=plan.why, urgency=plan.urgency, bot_said=said)


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
        if handles(item.kind):
            await care.run_due(item, now)
        else:
            await care.due.schedule(item)
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
