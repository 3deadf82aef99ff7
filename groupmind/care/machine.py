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

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Mapping, Union

from groupmind.care.checks import Step
from groupmind.care.config import CareConfig
from groupmind.care.quiet import QuietMember
from groupmind.care.signals import ALERT_LABELS, RANK, RISK_LABELS, Label
from groupmind.events import ChannelRef, Urgency
from groupmind.store.care_sessions import Session

URGENCY: dict[Label, Urgency] = {
    Label.DISTRESS: "low", Label.PANIC: "medium", Label.PASSIVE_IDEATION: "medium",
    Label.MEANS_QUESTION: "high", Label.ACTIVE_IDEATION: "high", Label.PLAN_OR_IMMINENT: "imminent",
}  # fmt: skip
_YES = re.compile(r"^\W*(yes|yeah|yep|yup|ok|okay|sure|please|alright|all right|go ahead|do it|y)\b", re.IGNORECASE)
_NO = re.compile(r"\b(no|nope|don'?t|do not|not now|rather not|nobody|no one)\b", re.IGNORECASE)
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


@dataclass(frozen=True)
class RaiseAlert:
    """Alert the care contacts about this talk (its excerpt, and what the bot said last)."""

    label: Label
    why: str = ""


@dataclass(frozen=True)
class FollowUp:
    """Check in with the member at `at` (moves a follow-up already waiting)."""

    at: datetime


Effect = Union[SayPublic, SayPrivate, RaiseAlert, FollowUp]


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
    return label.value.replace("_", " ") + (f"; {why}" if why else "")


def seen(session: Session, label: Label, text: str) -> Session:
    """`session` after a message `text` labelled `label`: it keeps the most serious one."""
    worse = RANK[label] > RANK[Label(session.label)]
    return replace(session, label=label.value, excerpt=text) if worse else session


def begin(heard: Heard) -> Session:
    """A new talk, begun by `heard`."""
    return Session(started=heard.at.timestamp(), origin=heard.where.model_dump_json())


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
    calm public answer.
    """
    if heard.label is Label.CURIOSITY:
        return Plan(session, (SayPublic(Step.CURIOSITY, heard.label),) if heard.addressed else ())
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
    """A member's private message; None when it is not care's to answer (no talk going on, no risk in it)."""
    if not session.active and heard.label not in RISK_LABELS:
        return None
    if not session.active:
        session = begin(heard)
    session = seen(session, heard.label, heard.text)
    if heard.label is Label.PLAN_OR_IMMINENT and not session.imminent:
        session, steps = _imminent(session, heard.label)
    else:
        steps = _answer(session, config, Label(session.label), heard.text)
        if session.consent == "pending":  # the answer to the offer of a human, whatever the step it brings
            session = replace(session, consent=_consent(heard.text))
    return Plan(session, (*steps, FollowUp(now + follow_up)))


def on_follow_up(session: Session, opted_out: bool) -> Plan:
    """The later check-in, when it falls due: only in a talk still going on with someone still monitored."""
    if opted_out or not session.active or session.where is None:
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
    session = replace(session, imminent=True, offered=True)
    say = SayPrivate(Step.IMMINENT, label, {"ai_said": True, "asked": True, "resource": True})
    return session, (say, RaiseAlert(label))


def _consent(text: str) -> str:
    """The consent after the member answered the offer of a human ('pending' if the answer is neither)."""
    if _YES.search(text):
        return "yes"
    return "no" if _NO.search(text) else "pending"


def _answer(session: Session, config: CareConfig, label: Label, text: str) -> tuple[Effect, ...]:
    """The next private steps after the member spoke to the bot."""
    consent = _consent(text) if session.consent == "pending" else ""
    if consent in ("yes", "no"):
        if consent == "yes":
            steps: tuple[Effect, ...] = (*_alert_once(session, label), SayPrivate(Step.INVITED, label))
        else:
            steps = (SayPrivate(Step.LISTEN, label),)
        if not session.resource:
            steps += (SayPrivate(Step.RESOURCE, label, {"resource": True}),)
        return steps
    return _next_private(session, config, label)


def _next_private(session: Session, config: CareConfig, label: Label) -> tuple[Effect, ...]:
    """Ask once, then offer a human, then give the resource, then stay."""
    if not session.asked:
        # Someone who cannot be reached privately is not left alone: a human is brought in.
        unreached = _alert_once(session, label, UNREACHED) if label in ALERT_LABELS else ()
        return (SayPrivate(Step.ASK, label, {"asked": True, "ai_said": True}, unreached),)
    if not session.offered:
        consent = "pending" if config.contacts else ""
        return (SayPrivate(Step.OFFER_HUMAN, label, {"offered": True, "consent": consent}),)
    if not session.resource:
        return (SayPrivate(Step.RESOURCE, label, {"resource": True}),)
    return (SayPrivate(Step.STAY, label),)


def _alert_once(session: Session, label: Label, why: str = "") -> tuple[Effect, ...]:
    """This talk's alert, unless it has one already."""
    return () if session.alert else (RaiseAlert(label, why),)
