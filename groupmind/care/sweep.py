"""The quiet sweep as due work: one item per community, which runs the sweep and comes round again.

Each run reports the regulars newly gone quiet (`quiet.sweep_quiet`) to the care
contacts in one digest, and, where the community allows it, says a low-key
private hello to each of them first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from groupmind.care import machine
from groupmind.care.kinds import QUIET
from groupmind.care.checks import Step
from groupmind.care.config import CareConfig
from groupmind.care.courier import render_digest
from groupmind.care.escalation import Escalation
from groupmind.care.quiet import QuietMember, sweep_quiet
from groupmind.care.signals import Label
from groupmind.care.wording import Voice
from groupmind.events import CareAlert, ChannelRef, Member
from groupmind.store import Store
from groupmind.store.care_signals import CareSignals
from groupmind.store.due import Due, DueWork

_SWEEP = "sweep"
"""The key of a community's one quiet-sweep item."""


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
