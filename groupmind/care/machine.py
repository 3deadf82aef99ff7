"""The care protocol as a pure state machine: a session, a label and a text in; the next steps out.

Per the care protocol: in the channel, a short warm acknowledgement that offers
a private place and repeats nothing; in private, ask directly once, stay, offer
the care contact and ask consent to invite them, give one resource for the
region, and check in again later. At imminent risk the care contacts are
alerted at once, without consent, and the bot keeps talking.

This module alone decides which protocol step comes next. It does no I/O: the
care service (`groupmind.care.service`) words each step (`protocol`,
`wording`), delivers it and feeds back whether it arrived (`after_say`), since
a private step moves the conversation on only once the member got it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Mapping, Union

from groupmind.care.checks import Step
from groupmind.care import replies
from groupmind.care.config import CareConfig
from groupmind.care.quiet import QuietMember
from groupmind.care.replies import HelpKind, Move, Reading
from groupmind.care.signals import ALERT_LABELS, RANK, RISK_LABELS, Label
from groupmind.events import ChannelRef, Urgency
from groupmind.store.care_sessions import Session
from groupmind.store.safety_plans import STEPS as _PLAN_NAMES

PLAN_STEPS = len(_PLAN_NAMES)

URGENCY: dict[Label, Urgency] = {
    Label.DISTRESS: "low", Label.PANIC: "medium", Label.PASSIVE_IDEATION: "medium",
    Label.MEANS_QUESTION: "high", Label.ACTIVE_IDEATION: "high", Label.PLAN_OR_IMMINENT: "imminent",
}  # fmt: skip
UNREACHED = "could not reach them privately"


# -- what goes in ----------------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """A member's message as care sees it."""

    label: Label
    text: str
    where: ChannelRef
    """Where a talk that begins now begins (the channel, or the member's direct line)."""
    at: datetime
    private: bool = False
    addressed: bool = False
    """In a channel: the message spoke to the bot."""
    name: str = ""
    """The member's display name, kept with a talk for when nothing else knows it (one begun privately)."""


# -- what comes out ----------------------------------------------------------------


@dataclass(frozen=True)
class SayPublic:
    """Say this step in the channel the message came from."""

    step: Step
    label: Label
    disclosure: str = ""
    """What the member said, which the public text must not repeat."""


@dataclass(frozen=True)
class SayPrivate:
    """Say this step to the member privately; `changes` apply to the session once it arrived."""

    step: Step
    label: Label
    changes: Mapping[str, object] = field(default_factory=dict)
    unreached: tuple[Effect, ...] = ()
    """What to do instead when it could not be delivered."""
    fill: Mapping[str, str] = field(default_factory=dict)
    """What the step's text says back (`protocol.text_for`): a reflection, a plan step's intro."""
    variant: int | None = None
    """Which phrasing to use; None rotates with the talk's turns (a plan step is its own phrasing)."""


@dataclass(frozen=True)
class RaiseAlert:
    """Alert the care contacts about this talk (its excerpt, and what the bot said last)."""

    label: Label
    why: str = ""


@dataclass(frozen=True)
class KeepPlanStep:
    """Keep the member's words as step `step` (0-based) of their safety plan."""

    step: int
    text: str


@dataclass(frozen=True)
class FollowUp:
    """Check in with the member at `at` (moves a follow-up already waiting)."""

    at: datetime


Effect = Union[SayPublic, SayPrivate, RaiseAlert, KeepPlanStep, FollowUp]


@dataclass(frozen=True)
class Plan:
    """The session after a message, and what to do about it, in order."""

    session: Session
    effects: tuple[Effect, ...] = ()

    @property
    def said_in_public(self) -> bool:
        return any(isinstance(e, SayPublic) for e in self.effects)


@dataclass(frozen=True)
class QuietPlan:
    """What to do about a regular gone quiet: a private hello or not, and the alert's reason and urgency."""

    checkin: bool
    why: str
    urgency: Urgency


# -- transitions -------------------------------------------------------------------


def urgency(label: Label) -> Urgency:
    return URGENCY.get(label, "medium")


def reason(label: Label, why: str = "") -> str:
    """Why an alert is raised, as the care contacts read it."""
    if label not in RISK_LABELS and why:  # worry about someone else: the why is the whole story
        return why
    return label.value.replace("_", " ") + (f"; {why}" if why else "")


def seen(session: Session, label: Label, text: str) -> Session:
    """`session` after a message `text` labelled `label`: it keeps the most serious one."""
    worse = RANK[label] > RANK[Label(session.label)]
    return replace(session, label=label.value, excerpt=text) if worse else session


def begin(heard: Heard) -> Session:
    """A new talk, begun by `heard`."""
    return Session(started=heard.at.timestamp(), origin=heard.where.model_dump_json(), name=heard.name)


def after_say(session: Session, say: SayPrivate, text: str, arrived: bool) -> tuple[Session, tuple[Effect, ...]]:
    """The session after the bot tried to say `text` privately, and what to do next if it did not arrive."""
    if not arrived:
        return session, say.unreached
    return replace(session, turns=session.turns + 1, last_said=text, **say.changes), ()  # type: ignore[arg-type]


def after_alert(session: Session, alert_id: str) -> Session:
    return replace(session, alert=alert_id)


def on_channel(session: Session, heard: Heard, config: CareConfig, now: datetime, follow_up: timedelta) -> Plan:
    """A labelled message in a channel.

    A risk message starting a talk is acknowledged once, in public (before
    anything private), and the private talk begins; later ones only move the
    talk on if they make it imminent. A curious question put to the bot gets a
    calm public answer. Worry about someone else is acknowledged the same way, and
    the private talk that follows supports the helper.
    """
    if heard.label is Label.CURIOSITY:
        return Plan(session, (SayPublic(Step.CURIOSITY, heard.label),) if heard.addressed else ())
    if heard.label is Label.CONCERN and not session.active:  # worry for someone else: support for the helper
        session = replace(begin(heard), concern=True)
        consent = "pending" if config.contacts else ""
        helper = SayPrivate(Step.CONCERN, heard.label, {"consent": consent, "awaiting": "consent"})
        return Plan(session, (SayPublic(Step.ACKNOWLEDGE, heard.label, disclosure=heard.text), helper,
                              FollowUp(now + follow_up)))  # fmt: skip
    if heard.label not in RISK_LABELS:
        return Plan(session)
    first = not session.active
    said: tuple[Effect, ...] = ()
    if first:
        session = begin(heard)
        said = (SayPublic(Step.ACKNOWLEDGE, heard.label, disclosure=heard.text),)
    session = seen(session, heard.label, heard.text)
    if heard.label is Label.PLAN_OR_IMMINENT and not session.imminent:
        session, steps = _imminent(session, heard.label)
    elif first:
        steps = _next_private(session, config, heard.label)
    else:
        steps = ()
    return Plan(session, (*said, *steps, FollowUp(now + follow_up)))


def on_private(
    session: Session, heard: Heard, config: CareConfig, now: datetime, follow_up: timedelta
) -> Plan | None:
    """A member's private message; None when it is not care's to answer.

    Care answers what the member said (`replies.read`): a plan, means or a time,
    or "I'm not safe", makes the talk imminent whatever came before; otherwise a
    method question, a request to stop, a secrecy question, an answer to the
    bot's last question, a request for help, worry about someone else, or "you
    said that already" each get their own answer, and anything else is reflected
    and the protocol's next step follows. A talk begins here too, without any
    public message first, on a risk signal or worry about someone else.
    """
    reading = replies.read(heard.text, after_probe=session.awaiting == _PROBE)
    unsafe = heard.label is Label.PLAN_OR_IMMINENT or reading.move is Move.UNSAFE
    concern = reading.move is Move.CONCERN or heard.label is Label.CONCERN
    if not session.active and heard.label not in RISK_LABELS and not unsafe and not concern:
        return None
    if not session.active:
        session = replace(begin(heard), concern=concern and heard.label not in RISK_LABELS and not unsafe)
    session = seen(session, Label.PLAN_OR_IMMINENT if unsafe else heard.label, heard.text)
    session = replace(session, paused=False)  # they wrote again: the talk is open again
    if unsafe and not session.imminent:
        session, steps = _imminent(session, Label.PLAN_OR_IMMINENT)
    elif session.imminent:
        steps = _still_imminent(session, reading)
    else:
        if session.awaiting == _CONSENT and session.consent == "pending" and reading.move in (Move.YES, Move.NO):
            session = replace(session, consent="yes" if reading.move is Move.YES else "no")
        steps = _answer(session, config, reading, heard.text)
    if any(isinstance(e, SayPrivate) and e.step is Step.PAUSE for e in steps):
        return Plan(session, steps)  # no check-in for someone who asked for quiet
    return Plan(session, (*steps, FollowUp(now + follow_up)))


def on_follow_up(session: Session, opted_out: bool) -> Plan:
    """The later check-in, when it falls due: only in a talk still going on with someone still monitored."""
    if opted_out or not session.active or session.where is None or session.paused:
        return Plan(session)
    return Plan(session, (SayPrivate(Step.FOLLOW_UP, Label(session.label)),))


def on_quiet(quiet: QuietMember, config: CareConfig) -> QuietPlan:
    """A regular gone quiet: the care contacts hear of it; the member gets a low-key hello if the community allows."""
    why = f"gone quiet: silent {_span(quiet.silence)}, usually every {_span(quiet.usual_gap)}"
    if quiet.recent_distress:
        why += ", after recent distress"
    return QuietPlan(checkin=config.checkins, why=why, urgency="medium" if quiet.recent_distress else "low")


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def _imminent(session: Session, label: Label) -> tuple[Session, tuple[Effect, ...]]:
    """Alert the care contacts at once, without consent, and keep talking.

    The imminent text asks "are you safe right now?", names the contact and gives the resource.
    """
    session = replace(session, imminent=True, offered=True, paused=False, awaiting="")
    say = SayPrivate(Step.IMMINENT, label, {"ai_said": True, "asked": True, "resource": True})
    return session, (say, RaiseAlert(label))


_ASK, _PROBE, _CONSENT, _PLAN_OFFER, _PLAN = "ask", "probe", "consent", "plan_offer", "plan:"
_HELP_INTRO = {
    HelpKind.CLINICIAN: "Yes, reaching out to your therapist or doctor is a really good step, and I'd do it today. ",
    HelpKind.EMERGENCY_ROOM: (
        "Honest answer: at the emergency room, staff ask what's been happening and whether you're safe, and a "
        "doctor or counsellor talks with you about what would help. Often that means going home with a plan and "
        "follow-up. You can bring someone. "
    ),
}


def _still_imminent(session: Session, reading: Reading) -> tuple[Effect, ...]:
    """An imminent talk goes on: never 'later', always someone with them, distance from means, help coming."""
    if reading.move is Move.METHOD:
        return (SayPrivate(Step.DECLINE_METHOD, Label(session.label)),)
    return (SayPrivate(Step.SAFE_NOW, Label(session.label)),)


def _answer(session: Session, config: CareConfig, reading: Reading, text: str) -> tuple[Effect, ...]:
    """The next private steps after the member spoke to the bot, answering what they said."""
    label, move, awaiting = Label(session.label), reading.move, session.awaiting
    if move is Move.METHOD:
        return (SayPrivate(Step.DECLINE_METHOD, label, {"awaiting": _ASK, "asked": True}),)
    if move is Move.STOP:
        return _pause(session, config, label)
    if move is Move.SECRECY:
        return (SayPrivate(Step.SECRECY, label),)
    if awaiting == _ASK and move in (Move.YES, Move.MAYBE, Move.NO):
        if move is Move.NO:
            return (SayPrivate(Step.BELIEVE, label, {"answer": "no", "awaiting": ""}),)
        return (SayPrivate(Step.PROBE, label, {"answer": move.value, "probed": True, "awaiting": _PROBE}),)
    if awaiting == _CONSENT and session.consent in ("yes", "no"):
        if session.consent == "yes":
            why = "worried about someone else, asked for help" if session.concern else ""
            steps: tuple[Effect, ...] = (*_alert_once(session, label, why), SayPrivate(Step.INVITED, label, {"awaiting": ""}))
        else:  # a helper who would rather not is not promised anything about their own safety
            steps = (SayPrivate(Step.STAY if session.concern else Step.LISTEN, label, {"awaiting": ""}),)
        if not session.resource and not session.concern:
            steps += (SayPrivate(Step.RESOURCE, label, {"resource": True}),)
        return steps
    if awaiting == _PLAN_OFFER and move in (Move.YES, Move.NO):
        if move is Move.YES:
            return (_plan_step(0, "Okay, let's make it together, one question at a time. "),)
        return (SayPrivate(Step.STAY, label, {"awaiting": ""}),)
    if move is Move.HELP:
        if reading.help is HelpKind.PLAN:
            return (_plan_step(0, "Yes, let's make one together, one small question at a time. "),)
        intro = _HELP_INTRO.get(reading.help) if reading.help else None
        fill = {"intro": intro} if intro else {}
        return (SayPrivate(Step.HELP, label, {"plan_offered": True, "awaiting": _PLAN_OFFER}, fill=fill),)
    if move is Move.CONCERN:
        consent = "pending" if config.contacts else ""
        return (SayPrivate(Step.CONCERN, label, {"concern": True, "consent": consent, "awaiting": _CONSENT}),)
    if move is Move.REPEAT:
        return (SayPrivate(Step.REPAIR, label),)
    if awaiting.startswith(_PLAN):
        step = int(awaiting.removeprefix(_PLAN))
        keep = KeepPlanStep(step, text)
        if step + 1 < PLAN_STEPS:
            return (keep, _plan_step(step + 1))
        return (keep, SayPrivate(Step.PLAN_SHOW, label, {"awaiting": ""}))
    return _next_private(session, config, label, replies.reflect(text))


def _plan_step(step: int, intro: str = "") -> SayPrivate:
    """Ask step `step` of the safety plan (the variant of PLAN_STEP is the step)."""
    changes = {"plan_offered": True, "awaiting": f"{_PLAN}{step}"}
    return SayPrivate(Step.PLAN_STEP, Label.NONE, changes, fill={"intro": intro}, variant=step)


def _pause(session: Session, config: CareConfig, label: Label) -> tuple[Effect, ...]:
    """Stop the private messages, say how to come back, and tell the care contact when risk is still open."""
    steps: tuple[Effect, ...] = ()
    after = ""
    if label in ALERT_LABELS and config.contacts:
        steps = _alert_once(session, label, "asked the bot to stop messaging them; risk still open")
        after = f" Because I'm worried about you, I've let {config.contact_name} know quietly, so a person can check in."
    return (*steps, SayPrivate(Step.PAUSE, label, {"paused": True, "awaiting": ""}, fill={"after": after}))


def _next_private(session: Session, config: CareConfig, label: Label, reflection: str = "") -> tuple[Effect, ...]:
    """The protocol's next step: ask once, probe after a yes, offer a human, give the resource, offer a plan, stay.

    `reflection` (what the member just said, reflected) leads a step that would otherwise ignore it.
    """
    lead = {"lead": f"{reflection} "} if reflection and not reflection.startswith("Thank you") else {}
    if session.concern:
        return (SayPrivate(Step.REFLECT, label, fill={"reflection": reflection or "Thank you for telling me that."}),)
    if not session.asked:
        # Someone who cannot be reached privately is not left alone: a human is brought in.
        unreached = _alert_once(session, label, UNREACHED) if label in ALERT_LABELS else ()
        return (SayPrivate(Step.ASK, label, {"asked": True, "ai_said": True, "awaiting": _ASK}, unreached, lead),)
    if session.answer in ("yes", "maybe") and not session.probed:
        return (SayPrivate(Step.PROBE, label, {"probed": True, "awaiting": _PROBE}, fill=lead),)
    if not session.offered:
        consent = "pending" if config.contacts else ""
        awaiting = _CONSENT if config.contacts else ""
        return (SayPrivate(Step.OFFER_HUMAN, label, {"offered": True, "consent": consent, "awaiting": awaiting}, fill=lead),)
    if not session.resource:
        return (SayPrivate(Step.RESOURCE, label, {"resource": True, "awaiting": ""}, fill=lead),)
    if not session.plan_offered:
        return (SayPrivate(Step.OFFER_PLAN, label, {"plan_offered": True, "awaiting": _PLAN_OFFER}, fill=lead),)
    return (SayPrivate(Step.REFLECT, label, {"awaiting": ""}, fill={"reflection": reflection or "Thank you for telling me that."}),)


def _alert_once(session: Session, label: Label, why: str = "") -> tuple[Effect, ...]:
    """This talk's alert, unless it has one already."""
    return () if session.alert else (RaiseAlert(label, why),)
