"""The care protocol machine, pure: every step and transition, without a server, a model or a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.care import machine
from groupmind.care.checks import Step
from groupmind.care.config import CareConfig
from groupmind.care.machine import FollowUp, Heard, RaiseAlert, SayPrivate, SayPublic
from groupmind.care.quiet import QuietMember
from groupmind.care.signals import ALERT_LABELS, RISK_LABELS, Label
from groupmind.events import ChannelRef, Member
from groupmind.store.care_sessions import Session

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(minutes=1)
DAY = timedelta(hours=24)
ROOM = ChannelRef(platform="local", community="test", channel="general")
DIRECT = ChannelRef(platform="local", community="test", channel="direct")
DANA = Member(id="dana", display_name="Dana")
CONFIG = CareConfig(contacts=(DANA,), region="US")
NO_CONTACTS = CareConfig(region="US")
NOT_IMMINENT = sorted(RISK_LABELS - {Label.PLAN_OR_IMMINENT}, key=lambda label: label.value)


def heard(label: Label, text: str = "something", *, private: bool = False, addressed: bool = False) -> Heard:
    return Heard(label, text, DIRECT if private else ROOM, T0, private=private, addressed=addressed)


def talk(**fields: object) -> Session:
    """A talk that began in the room at T0, after a passive-ideation disclosure."""
    base = Session(started=T0.timestamp(), origin=ROOM.model_dump_json(), label="passive_ideation", excerpt="x")
    return replace(base, **fields)  # type: ignore[arg-type]


def steps(effects: tuple[machine.Effect, ...]) -> list[str]:
    """The effects as short words, for tables: 'public:acknowledge', 'private:ask', 'alert', 'follow-up'."""
    words = []
    for effect in effects:
        if isinstance(effect, SayPublic):
            words.append(f"public:{effect.step.value}")
        elif isinstance(effect, SayPrivate):
            words.append(f"private:{effect.step.value}")
        elif isinstance(effect, RaiseAlert):
            words.append("alert")
        else:
            words.append("follow-up")
    return words


# -- in a channel ----------------------------------------------------------------


@pytest.mark.parametrize(("label", "addressed", "expected"), [
    (Label.NONE, False, []),
    (Label.NONE, True, []),
    (Label.CURIOSITY, False, []),
    (Label.CURIOSITY, True, ["public:curiosity"]),
])  # fmt: skip
def test_no_risk_in_a_channel_starts_nothing(label: Label, addressed: bool, expected: list[str]) -> None:
    plan = machine.on_channel(Session(), heard(label, addressed=addressed), CONFIG, NOW, DAY)
    assert steps(plan.effects) == expected and plan.session == Session()
    assert plan.said_in_public is bool(expected)


@pytest.mark.parametrize("label", NOT_IMMINENT)
def test_a_first_risk_message_is_acknowledged_in_public_then_asked_about_privately(label: Label) -> None:
    plan = machine.on_channel(Session(), heard(label, "i feel like a burden"), CONFIG, NOW, DAY)
    assert steps(plan.effects) == ["public:acknowledge", "private:ask", "follow-up"]
    ack, ask, follow_up = plan.effects
    assert isinstance(ack, SayPublic) and ack.disclosure == "i feel like a burden"  # so the text can avoid it
    assert isinstance(ask, SayPrivate) and ask.changes == {"asked": True, "ai_said": True, "awaiting": "ask"}
    # Someone at real risk who cannot be reached privately gets a human instead.
    assert ask.unreached == ((RaiseAlert(label, machine.UNREACHED),) if label in ALERT_LABELS else ())
    assert follow_up == FollowUp(NOW + DAY)
    session = plan.session
    assert session.active and session.started == T0.timestamp() and session.where == ROOM
    assert (session.label, session.excerpt) == (label.value, "i feel like a burden")
    assert plan.said_in_public


def test_imminent_risk_alerts_at_once_and_keeps_talking() -> None:
    plan = machine.on_channel(Session(), heard(Label.PLAN_OR_IMMINENT, "tonight"), CONFIG, NOW, DAY)
    assert steps(plan.effects) == ["public:acknowledge", "private:imminent", "alert", "follow-up"]
    imminent = plan.effects[1]
    assert isinstance(imminent, SayPrivate) and imminent.changes == {"ai_said": True, "asked": True, "resource": True}
    assert plan.session.awaiting == ""
    assert plan.effects[2] == RaiseAlert(Label.PLAN_OR_IMMINENT)  # without consent
    assert plan.session.imminent and plan.session.offered


@pytest.mark.parametrize(("session", "label", "expected"), [
    (talk(), Label.DISTRESS, ["follow-up"]),  # the talk goes on privately; nothing more in public
    (talk(), Label.ACTIVE_IDEATION, ["follow-up"]),
    (talk(), Label.PLAN_OR_IMMINENT, ["private:imminent", "alert", "follow-up"]),
    (talk(imminent=True, alert="1"), Label.PLAN_OR_IMMINENT, ["follow-up"]),  # alerted once
])  # fmt: skip
def test_later_messages_in_a_channel_only_escalate(session: Session, label: Label, expected: list[str]) -> None:
    plan = machine.on_channel(session, heard(label, "again"), CONFIG, NOW, DAY)
    assert steps(plan.effects) == expected and not plan.said_in_public
    assert plan.session.started == session.started  # the same talk


def test_a_talk_keeps_its_most_serious_label_and_what_was_said_with_it() -> None:
    session = talk(label="passive_ideation", excerpt="sleep forever")
    assert machine.seen(session, Label.DISTRESS, "tired") == session
    worse = machine.seen(session, Label.ACTIVE_IDEATION, "i want to kill myself")
    assert (worse.label, worse.excerpt) == ("active_ideation", "i want to kill myself")
    assert machine.on_channel(session, heard(Label.MEANS_QUESTION, "bridge?"), CONFIG, NOW, DAY).session.excerpt == "bridge?"


# -- in private ------------------------------------------------------------------


@pytest.mark.parametrize("label", [Label.NONE, Label.CURIOSITY])
def test_a_private_message_without_a_talk_or_risk_is_not_cares(label: Label) -> None:
    assert machine.on_private(Session(), heard(label, private=True), CONFIG, NOW, DAY) is None


@pytest.mark.parametrize("label", NOT_IMMINENT)
def test_risk_said_privately_starts_a_talk_with_the_direct_question(label: Label) -> None:
    plan = machine.on_private(Session(), heard(label, "i can't go on", private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == ["private:ask", "follow-up"]
    assert plan.session.where == DIRECT and plan.session.excerpt == "i can't go on"


@pytest.mark.parametrize(("session", "config", "expected", "changes"), [
    (talk(), CONFIG, Step.ASK, {"asked": True, "ai_said": True, "awaiting": "ask"}),
    (talk(asked=True, answer="yes"), CONFIG, Step.PROBE, {"probed": True, "awaiting": "probe"}),
    (talk(asked=True), CONFIG, Step.OFFER_HUMAN, {"offered": True, "consent": "pending", "awaiting": "consent"}),
    (talk(asked=True), NO_CONTACTS, Step.OFFER_HUMAN, {"offered": True, "consent": "", "awaiting": ""}),  # nobody to invite
    (talk(asked=True, offered=True, consent="no"), CONFIG, Step.RESOURCE, {"resource": True, "awaiting": ""}),
    (talk(asked=True, offered=True, resource=True), CONFIG, Step.OFFER_PLAN, {"plan_offered": True, "awaiting": "plan_offer"}),
    (talk(asked=True, offered=True, resource=True, plan_offered=True), CONFIG, Step.REFLECT, {"awaiting": ""}),
])  # fmt: skip
def test_the_private_talk_asks_once_offers_a_human_gives_one_resource_offers_a_plan_then_stays(
    session: Session, config: CareConfig, expected: Step, changes: dict[str, object]
) -> None:
    plan = machine.on_private(session, heard(Label.DISTRESS, "hmm", private=True), config, NOW, DAY)
    assert plan is not None
    [say, follow_up] = plan.effects
    assert isinstance(say, SayPrivate) and say.step is expected and say.changes == changes
    assert say.label is Label.PASSIVE_IDEATION  # the talk's label, not this message's milder one
    assert follow_up == FollowUp(NOW + DAY)


OFFERED = {"asked": True, "offered": True, "consent": "pending", "awaiting": "consent"}


@pytest.mark.parametrize(("session", "answer", "expected", "consent"), [
    (talk(**OFFERED), "ok yes please", ["alert", "private:invited", "private:resource"], "yes"),
    (talk(**OFFERED, alert="4"), "yeah", ["private:invited", "private:resource"], "yes"),
    (talk(**{**OFFERED, "resource": True}), "sure", ["alert", "private:invited"], "yes"),
    (talk(**OFFERED), "no. please don't tell anyone", ["private:listen", "private:resource"], "no"),
    (talk(**OFFERED), "not now", ["private:listen", "private:resource"], "no"),
    (talk(**OFFERED), "i'm just tired", ["private:resource"], "pending"),
    (talk(asked=True, offered=True, consent=""), "yes", ["private:resource"], ""),  # nothing was asked
])  # fmt: skip
def test_consent_to_invite_the_care_contact(session: Session, answer: str, expected: list[str], consent: str) -> None:
    plan = machine.on_private(session, heard(Label.NONE, answer, private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == [*expected, "follow-up"]
    assert plan.session.consent == consent
    alerts = [e for e in plan.effects if isinstance(e, RaiseAlert)]
    assert all(a.label is Label.PASSIVE_IDEATION and not a.why for a in alerts)


def test_imminent_risk_in_private_alerts_even_while_consent_is_pending() -> None:
    session = talk(asked=True, offered=True, consent="pending")
    plan = machine.on_private(session, heard(Label.PLAN_OR_IMMINENT, "yes, tonight", private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == ["private:imminent", "alert", "follow-up"]
    assert plan.session.imminent and plan.session.consent == "pending"  # "yes" here is not consent
    again = machine.on_private(plan.session, heard(Label.PLAN_OR_IMMINENT, "tonight", private=True), CONFIG, NOW, DAY)
    assert again is not None and "alert" not in steps(again.effects)  # alerted once; the bot keeps talking


# -- what happens after a step ----------------------------------------------------


def test_a_private_step_moves_the_talk_on_only_once_it_arrived() -> None:
    session = talk(turns=2)
    ask = SayPrivate(Step.ASK, Label.PASSIVE_IDEATION, {"asked": True}, (RaiseAlert(Label.PASSIVE_IDEATION, "why"),))
    after, instead = machine.after_say(session, ask, "are you thinking about suicide?", arrived=True)
    assert (after.asked, after.turns, after.last_said, instead) == (True, 3, "are you thinking about suicide?", ())
    unchanged, instead = machine.after_say(session, ask, "are you thinking about suicide?", arrived=False)
    assert unchanged == session and instead == ask.unreached
    assert machine.after_alert(session, "7").alert == "7"


@pytest.mark.parametrize(("session", "opted_out", "expected"), [
    (talk(), False, ["private:follow_up"]),
    (talk(), True, []),  # opted out since
    (Session(), False, []),  # no talk (over, or forgotten)
    (talk(origin=""), False, []),  # nowhere to say it
])  # fmt: skip
def test_the_follow_up_check_in(session: Session, opted_out: bool, expected: list[str]) -> None:
    plan = machine.on_follow_up(session, opted_out)
    assert steps(plan.effects) == expected and plan.session == session
    if expected:
        assert plan.effects[0] == SayPrivate(Step.FOLLOW_UP, Label.PASSIVE_IDEATION)


@pytest.mark.parametrize(("checkins", "distress", "urgency", "why"), [
    (True, False, "low", "gone quiet: silent 11 days, usually every 24 hours"),
    (False, False, "low", "gone quiet: silent 11 days, usually every 24 hours"),
    (True, True, "medium", "gone quiet: silent 11 days, usually every 24 hours, after recent distress"),
])  # fmt: skip
def test_a_regular_gone_quiet(checkins: bool, distress: bool, urgency: str, why: str) -> None:
    quiet = QuietMember("pat", T0.timestamp(), "general", timedelta(days=11), timedelta(hours=24), 4.2, distress)
    plan = machine.on_quiet(quiet, replace(CONFIG, checkins=checkins))
    assert (plan.checkin, plan.urgency, plan.why) == (checkins, urgency, why)


@pytest.mark.parametrize(("label", "urgency"), [
    (Label.DISTRESS, "low"), (Label.PANIC, "medium"), (Label.PASSIVE_IDEATION, "medium"),
    (Label.MEANS_QUESTION, "high"), (Label.ACTIVE_IDEATION, "high"), (Label.PLAN_OR_IMMINENT, "imminent"),
    (Label.CURIOSITY, "medium"),
])  # fmt: skip
def test_urgency_and_reason_of_an_alert(label: Label, urgency: str) -> None:
    assert machine.urgency(label) == urgency
    assert machine.reason(Label.PASSIVE_IDEATION, machine.UNREACHED) == "passive ideation; could not reach them privately"
    assert machine.reason(Label.PLAN_OR_IMMINENT) == "plan or imminent"


def test_a_whole_talk_walked_through_the_machine() -> None:
    """Disclosure, the question, the offer, a yes: the steps the integration tests see, with no server."""
    said: list[str] = []

    def run(plan: machine.Plan | None, arrived: bool = True) -> Session:
        assert plan is not None
        session, queue = plan.session, list(plan.effects)
        while queue:
            effect = queue.pop(0)
            if isinstance(effect, SayPrivate):
                said.append(effect.step.value if arrived else "")
                session, instead = machine.after_say(session, effect, effect.step.value, arrived)
                queue[:0] = instead
            elif isinstance(effect, RaiseAlert):
                said.append("alert:" + effect.why)
                session = machine.after_alert(session, "1")
        return session

    session = run(machine.on_channel(Session(), heard(Label.PASSIVE_IDEATION), CONFIG, NOW, DAY))
    session = run(machine.on_private(session, heard(Label.NONE, "sometimes", private=True), CONFIG, NOW, DAY))
    session = run(machine.on_private(session, heard(Label.NONE, "no, no plan", private=True), CONFIG, NOW, DAY))
    session = run(machine.on_private(session, heard(Label.NONE, "ok yes", private=True), CONFIG, NOW, DAY))
    session = run(machine.on_private(session, heard(Label.NONE, "thanks", private=True), CONFIG, NOW, DAY))
    assert said == ["ask", "probe", "offer_human", "alert:", "invited", "resource", "offer_plan"]
    assert (session.turns, session.consent, session.alert, session.last_said) == (6, "yes", "1", "offer_plan")

    said.clear()
    unreached = run(machine.on_channel(Session(), heard(Label.ACTIVE_IDEATION), CONFIG, NOW, DAY), arrived=False)
    assert said == ["", "alert:could not reach them privately"] and unreached.alert == "1" and not unreached.asked


# -- answering what the member said --------------------------------------------------


@pytest.mark.parametrize(("session", "text", "expected"), [
    (talk(asked=True, awaiting="ask"), "yeah sometimes", ["private:probe"]),
    (talk(asked=True, awaiting="ask"), "not really", ["private:believe"]),
    (talk(asked=True, answer="yes", probed=True, awaiting="probe"), "yes", ["private:imminent", "alert"]),
    (talk(asked=True, answer="yes", probed=True, awaiting="probe"), "no, no plan", ["private:offer_human"]),
    (talk(asked=True), "how many pills would it take", ["private:decline_method"]),
    (talk(asked=True), "is this just between us?", ["private:secrecy"]),
    (talk(asked=True), "should i call my therapist?", ["private:help"]),
    (talk(asked=True), "can we make a plan for bad nights", ["private:plan_step"]),
    (talk(asked=True), "you already said that", ["private:repair"]),
    (talk(asked=True, offered=True, resource=True, imminent=True, alert="1"), "whatever", ["private:safe_now"]),
])  # fmt: skip
def test_a_private_reply_is_answered_for_what_it_says(session: Session, text: str, expected: list[str]) -> None:
    plan = machine.on_private(session, heard(Label.NONE, text, private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == [*expected, "follow-up"]


def test_stop_pauses_the_talk_tells_the_contact_while_risk_is_open_and_skips_the_check_in() -> None:
    plan = machine.on_private(talk(asked=True), heard(Label.NONE, "stop messaging me", private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == ["alert", "private:pause"]
    pause = plan.effects[1]
    assert isinstance(pause, SayPrivate) and "Dana" in pause.fill["after"] and pause.changes["paused"]
    paused = replace(plan.session, paused=True)
    assert machine.on_follow_up(paused, opted_out=False).effects == ()
    back = machine.on_private(paused, heard(Label.NONE, "sorry, i'm back", private=True), CONFIG, NOW, DAY)
    assert back is not None and not back.session.paused  # writing again opens the talk again


def test_worry_for_someone_else_in_private_first_is_support_for_the_helper() -> None:
    text = "i'm worried about my son, he said he wants to die"
    plan = machine.on_private(Session(), heard(Label.NONE, text, private=True), CONFIG, NOW, DAY)
    assert plan is not None and steps(plan.effects) == ["private:concern", "follow-up"]
    assert plan.session.concern and plan.session.label == "none"  # the member is not the one at risk


def test_the_safety_plan_is_asked_one_step_at_a_time_and_kept() -> None:
    session = talk(asked=True, awaiting="plan:0", plan_offered=True)
    plan = machine.on_private(session, heard(Label.NONE, "when i stop sleeping", private=True), CONFIG, NOW, DAY)
    assert plan is not None and plan.effects[0] == machine.KeepPlanStep(0, "when i stop sleeping")
    ask = plan.effects[1]
    assert isinstance(ask, SayPrivate) and ask.step is Step.PLAN_STEP and ask.variant == 1
    last = machine.on_private(talk(awaiting="plan:5"), heard(Label.NONE, "lock the meds away", private=True), CONFIG, NOW, DAY)
    assert last is not None and steps(last.effects)[1:] == ["private:plan_show", "follow-up"]


def test_worry_for_someone_else_said_in_a_channel_is_acknowledged_then_supported_privately() -> None:
    plan = machine.on_channel(Session(), heard(Label.CONCERN, "my brother says he wants to die"), CONFIG, NOW, DAY)
    assert steps(plan.effects) == ["public:acknowledge", "private:concern", "follow-up"]
    helper = plan.effects[1]
    assert plan.session.concern and isinstance(helper, SayPrivate) and helper.changes["awaiting"] == "consent"
    assert machine.on_channel(plan.session, heard(Label.CONCERN, "again"), CONFIG, NOW, DAY).effects == ()
