"""Bringing in humans: care alerts, their delivery to the care contacts, reminders, and the audit fallback.

An alert goes privately to every care contact the platform can reach; one it
cannot reach is skipped for the next, and when nobody got it the audit log says
so: an alert is never silently lost. An alert nobody acknowledged in time is
sent again as a reminder, through the due set, at growing gaps (`reminder_wait`),
at most `MAX_REMINDERS` times: reminding a contact every day for weeks teaches
them to ignore the bot. When the last reminder goes unanswered too, the admins
are told once (`Platform.to_admins`, else the audit log) and the reminders stop;
the count lives with the alert, so a restart neither resets nor repeats it.
Private messages to members travel the same way, through the member's `Platform`.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Mapping, Sequence

from groupmind.care.kinds import REMINDER
from groupmind.care.courier import render_alert, render_unanswered
from groupmind.events import CareAlert, ChannelRef, Member, Urgency
from groupmind.platform import Platform
from groupmind.store.care_alerts import CareAlerts
from groupmind.store.due import Due, DueWork

log = logging.getLogger(__name__)

REMIND_AFTER: dict[Urgency, timedelta] = {
    "imminent": timedelta(minutes=30), "high": timedelta(hours=4),
    "medium": timedelta(hours=24), "low": timedelta(hours=48),
}  # fmt: skip
"""How long an alert may stay open (not acknowledged) before the care contacts are first reminded."""
GROWTH = 2
"""Each wait for an answer is this many times the one before."""
LONGEST_WAIT = timedelta(days=7)
"""No wait grows past a week: a low-urgency alert still reaches the admins within three weeks."""
MAX_REMINDERS = 3
"""Reminders of one alert before the admins are told instead."""


def reminder_wait(urgency: Urgency, reminded: int) -> timedelta:
    """How long to wait for an answer after an alert was delivered and then reminded `reminded` times."""
    return min(REMIND_AFTER[urgency] * GROWTH**reminded, LONGEST_WAIT)


AuditNote = Callable[[ChannelRef, str, datetime], Awaitable[None]]
"""Writes what the bot itself had to report into the community's audit log."""


class Escalation:
    """Creates alerts, gets them to the care contacts, reminds them, and reaches members privately.

    Args:
        alerts: the alerts repository.
        platforms: each platform's way out, by name (read only); without one, nobody there is reached privately.
        due: the due set, where the reminders wait.
        note: the audit log, for what reached nobody.
        clock: wall time.
    """

    def __init__(
        self,
        alerts: CareAlerts,
        platforms: Mapping[str, Platform],
        due: DueWork,
        note: AuditNote,
        clock: Callable[[], datetime],
    ) -> None:
        self.alerts = alerts
        self.platforms = platforms
        self.due = due
        self.note = note
        self.clock = clock
        self.counts: Counter[str] = Counter()
        """What it did ("alerts", "reminders", "admin notices"), for replays and metrics."""

    @property
    def alerts_raised(self) -> int:
        return self.counts["alerts"]

    def reaches(self, platform: str) -> bool:
        """Whether anyone on `platform` can be reached privately (replays reach nobody)."""
        return platform in self.platforms

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """Say `text` to `member` privately on `where`'s platform; False when it did not arrive."""
        platform = self.platforms.get(where.platform)
        return platform is not None and await platform.to_member(where, member, text)

    async def create(
        self, member: Member, where: ChannelRef, *, why: str, urgency: Urgency, excerpt: str = "", bot_said: str = ""
    ) -> CareAlert:
        """Store a new open alert (not delivered yet: see `deliver`)."""
        alert = await self.alerts.create(
            member=member, where=where, why=why, excerpt=excerpt, urgency=urgency, bot_said=bot_said
        )
        self.counts["alerts"] += 1
        return alert

    async def raise_alert(
        self, member: Member, where: ChannelRef, contacts: Sequence[Member], *, why: str, urgency: Urgency,
        excerpt: str = "", bot_said: str = "",
    ) -> CareAlert:
        """Create an alert and deliver it to every care contact who can be reached; else note it in the audit log."""
        alert = await self.create(member, where, why=why, urgency=urgency, excerpt=excerpt, bot_said=bot_said)
        await self.deliver([alert], contacts, render_alert(alert))
        return alert

    async def deliver(self, alerts: Sequence[CareAlert], contacts: Sequence[Member], text: str) -> int:
        """Send `text` about `alerts` (most urgent first) to each care contact; returns how many got it.

        A contact the platform cannot reach is skipped for the next; when nobody got
        it, the audit log says so, so an alert is never silently lost. Each alert's
        next reminder is then due (`reminder_wait`).
        """
        first = alerts[0]
        platform = self.platforms.get(first.where.platform)
        about = {a.member.id for a in alerts}
        reached = 0
        for contact in contacts:
            if contact.id in about:
                continue  # a care contact in trouble is not told about themselves
            if platform is not None and await platform.to_contact(first, contact, text):
                reached += 1
        now = self.clock()
        for alert in alerts:
            await self.due.schedule(Due(
                REMINDER, alert.where.platform, alert.where.community, alert.id,
                now + reminder_wait(alert.urgency, alert.reminders),
            ))  # fmt: skip
        if not reached:
            tried = ", ".join(c.display_name for c in contacts) or "no care contact is set"
            ids = ", ".join(f"#{a.id}" for a in alerts)
            log.warning("care alert %s reached no care contact", ids)
            await self.note(first.where, f"care alert {ids} reached no care contact ({tried})", now)
        return reached

    async def remind(self, item: Due, contacts: Sequence[Member]) -> bool:
        """The reminder `item` fell due: remind the contacts of an alert still open; True if a reminder was sent.

        After `MAX_REMINDERS` the admins are told instead, once, and nothing more is scheduled.
        The count is stored before the reminder goes out, so a crash in between never sends one too many.
        """
        alert = await self.alerts.get(item.platform, item.community, item.key)
        if alert is None or alert.state != "open" or alert.admins_told_at is not None:
            return False  # handled, resolved, forgotten, or already passed to the admins
        if alert.reminders >= MAX_REMINDERS:
            await self._tell_admins(alert)
            return False
        reminded = await self.alerts.reminded(item.platform, item.community, alert.id)
        if reminded is None:
            return False
        text = render_alert(reminded, reminder=True, last=reminded.reminders >= MAX_REMINDERS)
        await self.deliver([reminded], contacts, text)
        self.counts["reminders"] += 1
        return True

    async def _tell_admins(self, alert: CareAlert) -> None:
        """Nobody answered any reminder: the admins hear it privately (else the audit log), once."""
        told = await self.alerts.admins_told(alert.where.platform, alert.where.community, alert.id)
        if told is None:
            return
        text = render_unanswered(told)
        platform = self.platforms.get(alert.where.platform)
        if not (platform is not None and await platform.to_admins(alert.where, text)):
            await self.note(alert.where, text, self.clock())
        self.counts["admin notices"] += 1
