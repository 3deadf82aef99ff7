"""The care service the pipeline calls: on a channel message, on a private message, when care work falls due.

It reads the community's care settings (`config`), asks the protocol machine
(`machine`) what to do, and does it: the wording (`wording.Voice`: the
protocol's text, or the model's if it passes the checks and the guard), the
people (`escalation`: members privately, care contacts, the audit log) and the
records (the store's care repositories). The model is never the only gate: it
refines labels afterwards, within bounds (`judge`), and never makes risk imminent.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Mapping, Sequence

from groupmind.admin import audit
from groupmind.care import machine
from groupmind.care.config import CareConfig, CareSettings, care_settings, named, read_config, read_settings
from groupmind.care.escalation import Escalation
from groupmind.care.kinds import CARE_KINDS, FOLLOW_UP, QUIET, REMINDER
from groupmind.care.judge import judge
from groupmind.care.machine import Heard
from groupmind.care.monitor import observe, observe_batch
from groupmind.care.risk import Assessment
from groupmind.care.signals import RISK_LABELS, Label
from groupmind.care.steps import SayPublicFn, Steps
from groupmind.care.sweep import QuietRound
from groupmind.care.wording import Voice
from groupmind.config import Settings
from groupmind.events import ChannelRef, ChatMessage, Member, utcnow
from groupmind.guard import Guard
from groupmind.llm.engine import Engine
from groupmind.platform import Platform
from groupmind.store import Store
from groupmind.store.care_records import CareRecords
from groupmind.store.care_sessions import CareSessions
from groupmind.store.care_signals import CareSignals
from groupmind.store.due import Due, DueWork
from groupmind.store.safety_plans import SafetyPlans
from groupmind.store.settings import CommunitySettings

log = logging.getLogger(__name__)

def handles(kind: str) -> bool:
    """Whether due items of `kind` are care's (`CareService.run_due`)."""
    return kind in CARE_KINDS


class CareService:
    """Runs the care protocol for every community the pipeline serves."""

    def __init__(
        self, store: Store, engine: Engine | None, settings: Settings, *, voice: Voice, escalation: Escalation,
        sessions: CareSessions, signals: CareSignals, due: DueWork, plans: SafetyPlans, clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self.store = store
        self.engine = engine
        self.settings = settings
        self.voice = voice
        self.escalation = escalation
        self.sessions = sessions
        self.signals = signals
        self.due = due
        self.clock = clock
        self.steps = Steps(voice, escalation, sessions, due, plans)
        self.quiet = QuietRound(store, signals, voice, escalation, due, timedelta(minutes=settings.care_sweep_minutes))
        self.flags: Counter[str] = Counter()
        """Detections by final label, for replays and metrics."""
        self.follow_ups = 0
        """Follow-up check-ins that reached the member."""

    @property
    def alerts_raised(self) -> int:
        return self.escalation.alerts_raised

    # -- messages ------------------------------------------------------------------

    async def on_message(
        self, msg: ChatMessage, *, addressed: bool, say_public: SayPublicFn,
        known: CommunitySettings | None = None, opted_out: bool | None = None,
    ) -> bool:  # fmt: skip
        """Care for one stored channel message; True when it said something in the channel (through `say_public`).

        Only a first acknowledgement (or a calm answer to a curious question put to
        the bot) is public, and it comes before anything private; the rest goes privately.
        Stage one's label acts at once; the model's judgement comes after and refines it within bounds.
        `known` and `opted_out` are the community's settings and the author's opt-out when they were
        read with the message (the pipeline's first round trip); None reads them here.
        """
        if known is None:
            settings = await read_settings(self.store, msg.platform, msg.community)
        else:
            settings = care_settings(known)
        assessment = await self._observe(msg, settings.sensitivity, opted_out)
        if assessment is None or assessment.label is Label.NONE:
            return False
        config = await named(self.store, msg.platform, msg.community, settings)
        if assessment.label in RISK_LABELS:  # before any reply can read it: the model never sees its text
            await self.signals.flag(msg.platform, msg.community, msg.author_id, msg.message_id, msg.ts)
        session = await self.sessions.load(msg.platform, msg.community, msg.author_id)
        heard = Heard(assessment.label, msg.text, msg.where, msg.ts, addressed=addressed, name=msg.author.display_name)
        plan = machine.on_channel(session, heard, config, self.clock(), self._follow_up)
        await self.steps.carry_out(plan, msg.author, config, msg.where, say_public)
        if assessment.label is Label.CURIOSITY:
            self.flags[Label.CURIOSITY.value] += 1
        else:
            await self._refine(msg, assessment)
        return plan.said_in_public

    async def observe_many(self, messages: Sequence[ChatMessage], optouts: Mapping[tuple[str, str], set[str]]) -> None:
        """Detection without conversation (replays without replies): flags, and alerts only at imminent risk.

        Batched per community (`monitor.observe_batch`); `optouts` are each community's opted-out members.
        """
        communities: dict[tuple[str, str], list[ChatMessage]] = {}
        for msg in messages:
            communities.setdefault((msg.platform, msg.community), []).append(msg)
        for (platform, community), batch in communities.items():
            settings = await read_settings(self.store, platform, community)
            out = optouts.get((platform, community), set())
            if any(not m.author_is_bot and not m.is_blank and m.author_id not in out for m in batch):
                await self.quiet.arm(platform, community, self.clock())
            for msg, assessment in await observe_batch(self.signals, batch, out, settings.sensitivity):
                await self._note_unanswered(msg, assessment, settings)

    async def _note_unanswered(self, msg: ChatMessage, assessment: Assessment, settings: CareSettings) -> None:
        """Act on a message nobody answers: count it, flag risk, and alert the contacts at imminent risk."""
        if assessment.label is Label.NONE:
            return
        self.flags[assessment.label.value] += 1
        if assessment.label in RISK_LABELS:
            await self.signals.flag(msg.platform, msg.community, msg.author_id, msg.message_id, msg.ts)
        if assessment.imminent:
            config = await named(self.store, msg.platform, msg.community, settings)
            await self.escalation.raise_alert(
                msg.author, msg.where, config.contacts, why=machine.reason(assessment.label),
                urgency=machine.urgency(assessment.label), excerpt=msg.text,
            )  # fmt: skip

    async def on_private(
        self, platform: str, communities: Sequence[str], member: Member, text: str, ts: datetime | None = None
    ) -> bool:
        """A member's private message to the bot; True when care answered it (privately).

        `communities` are those the member shares with the bot; the one with a care
        conversation going on wins, else a risk signal starts one in the first.
        """
        if not communities:
            return False
        when = ts or self.clock()
        sessions = {c: await self.sessions.load(platform, c, member.id) for c in communities}
        community = next((c for c, s in sessions.items() if s.active), communities[0])
        session = sessions[community]
        where = session.where or ChannelRef(platform=platform, community=community, channel="direct")
        msg = ChatMessage(
            platform=platform, community=community, channel=where.channel, thread=where.thread,
            message_id=f"private-{uuid.uuid4().hex[:16]}", author_id=member.id, author_name=member.display_name,
            text=text, ts=when,
        )  # fmt: skip
        settings = await read_settings(self.store, platform, community)
        assessment = await self._observe(msg, settings.sensitivity)
        if assessment is None:
            return False  # opted out, or nothing said
        config = await named(self.store, platform, community, settings)
        heard = Heard(assessment.label, text, where, when, private=True, name=member.display_name)
        plan = machine.on_private(session, heard, config, self.clock(), self._follow_up)
        if plan is None:
            return False
        await self.steps.carry_out(plan, member, config, where)
        await self._refine(msg, assessment)
        return True

    # -- due work ------------------------------------------------------------------

    async def run_due(self, item: Due, now: datetime) -> None:
        """Run one due care item (a kind in `CARE_KINDS`); the scheduler calls this."""
        config = await read_config(self.store, item.platform, item.community)
        if item.kind == FOLLOW_UP:
            await self._check_in(item.platform, item.community, item.key, config)
        elif item.kind == REMINDER:
            await self.escalation.remind(item, config.contacts)
        elif item.kind == QUIET:
            await self.quiet.run(item, now, config)

    async def _check_in(self, platform: str, community: str, member_id: str, config: CareConfig) -> None:
        """Check in once with a member whose care talk went quiet for a while."""
        session = await self.sessions.load(platform, community, member_id)
        plan = machine.on_follow_up(session, await self.signals.opted_out(platform, community, member_id))
        if plan.effects and session.where is not None:
            stored = (await self.store.member_names(platform, community, [member_id]))[member_id]
            member = Member(id=member_id, display_name=session.name if stored == member_id and session.name else stored)
            self.follow_ups += await self.steps.carry_out(plan, member, config, session.where) != session

    # -- doing what the machine decided --------------------------------------------

    @property
    def _follow_up(self) -> timedelta:
        return timedelta(hours=self.settings.care_follow_up_hours)

    async def _observe(self, msg: ChatMessage, sensitivity: str, opted_out: bool | None = None) -> Assessment | None:
        assessment = await observe(self.signals, msg, sensitivity, opted_out)
        if assessment is not None:
            await self.quiet.arm(msg.platform, msg.community, self.clock())
        return assessment

    async def _refine(self, msg: ChatMessage, assessment: Assessment) -> None:
        """Let the model judge a risk message after the bot has answered; the talk keeps its (bounded) label.

        The refined label is what a later alert carries; it never makes risk imminent (see `judge.bound`).
        """
        label = assessment.label
        if label is Label.NONE:
            return
        if self.engine is not None and label in RISK_LABELS and not assessment.imminent:
            label = (await judge(self.engine, msg.text, label, timeout=self.settings.care_judge_timeout_s)).label
        self.flags[label.value] += 1
        if label is assessment.label:
            return
        session = await self.sessions.load(msg.platform, msg.community, msg.author_id)
        if session.active:
            await self.sessions.save(msg.platform, msg.community, msg.author_id, machine.seen(session, label, msg.text))


def care_service(
    store: Store, engine: Engine | None, settings: Settings, guard: Guard, *, platforms: Mapping[str, Platform],
    due: DueWork, clock: Callable[[], datetime] = utcnow, records: CareRecords | None = None,
) -> CareService:  # fmt: skip
    """The care service over the store's care records (or `records`), reaching people through `platforms`."""
    records = records or CareRecords.of(store, clock)

    async def note(where: ChannelRef, what: str, when: datetime) -> None:
        await audit.note(store.audit, where, what, when)

    escalation = Escalation(records.alerts, platforms, due, note, clock)
    return CareService(
        store, engine, settings, voice=Voice(engine, settings, guard), escalation=escalation,
        sessions=records.sessions, signals=records.signals, due=due, plans=records.plans, clock=clock,
    )  # fmt: skip
