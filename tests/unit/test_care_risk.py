"""Risk across messages: means in hand with a time or a preparation, in separate messages, is imminent."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.care.risk import assess
from groupmind.care.signals import Label, detect
from groupmind.store.care_signals import RiskState, _risk

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def run(*messages: tuple[int, str]) -> tuple[Label, str | None]:
    state, label, why = RiskState(), Label.NONE, None
    for minutes, text in messages:
        result = assess(state, detect(text), T0 + timedelta(minutes=minutes))
        state, label, why = result.state, result.label, result.escalated
    return label, why


@pytest.mark.parametrize(
    ("messages", "why"),
    [
        (((0, "i don't want to be here anymore"), (30, "my dad keeps a gun in the house"), (90, "tonight")), "means+time"),
        (((0, "i can't do this anymore"), (10, "it's happening this weekend"), (600, "there's a rifle in the garage")), "means+time"),
        (((0, "i'm such a burden to everyone"), (45, "i have access to my uncle's guns"), (300, "bye everyone")), "means+preparation"),
        (((0, "i just want it all to stop"), (120, "been saving up my meds"), (180, "wrote some letters")), "means+preparation"),
    ],
)
def test_means_with_time_or_preparation_is_imminent(messages: tuple[tuple[int, str], ...], why: str) -> None:
    assert run(*messages) == (Label.PLAN_OR_IMMINENT, why)


@pytest.mark.parametrize(
    "messages",
    [
        ((0, "got my rifle ready for hunting season"), (30, "heading out tonight with my brother")),
        ((0, "anyone up for pizza tonight"), (5, "bye everyone see you later")),
        ((0, "i feel so empty"), (5, "there's a gun at home"), (60 * 24 * 21, "going to the lake this weekend")),
    ],
)
def test_means_and_time_without_distress_or_outside_the_window_is_not(messages: tuple[tuple[int, str], ...]) -> None:
    assert run(*messages)[0] is not Label.PLAN_OR_IMMINENT


def test_not_feeling_safe_is_imminent_alone() -> None:
    assert run((0, "I'm not safe"))[0] is Label.PLAN_OR_IMMINENT
    assert run((0, "i don't feel safe with myself"))[0] is Label.PLAN_OR_IMMINENT


def test_stored_state_without_the_new_fields_still_reads() -> None:
    old = {"score": "2.5", "updated": "100", "last_risk": "90"}
    assert _risk(old) == RiskState(2.5, 100.0, 90.0)
    new = RiskState(1.0, 2.0, 3.0, means_at=4.0, time_at=5.0, prep_at=6.0)
    assert _risk({k: str(v) for k, v in asdict(new).items()}) == new


def test_a_means_question_in_distress_then_a_time_is_imminent() -> None:
    """'How many of my pills would it take', then 'tonight': the means were asked about, the time came later."""
    t0 = datetime(2026, 3, 2, 22, 0, tzinfo=timezone.utc)
    state = assess(RiskState(), detect("i just want to sleep forever"), t0).state
    asked = assess(state, detect("how many of my sleeping pills would it take"), t0 + timedelta(minutes=5))
    assert asked.label in (Label.MEANS_QUESTION, Label.ACTIVE_IDEATION) and asked.state.means_at
    later = assess(asked.state, detect("i think tonight"), t0 + timedelta(minutes=9))
    assert later.label is Label.PLAN_OR_IMMINENT and later.escalated == "means+time"
