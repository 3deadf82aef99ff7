"""The grounding score on candidates like the ones the default model wrote (issue 17), and the gate using it."""

from __future__ import annotations

import pytest

from groupmind.guard import Reason, Scene, check
from groupmind.guard.grounding import grounded, grounding, stem

NAMES = ("Frank", "Carol", "Dave", "Mind")
THREAD = (
    "anyone up for pizza later?",
    "Frank: count me in",
    "Carol: pepperoni again?",
    "Mind, what is 2+2?",
)


@pytest.mark.parametrize(
    "candidate",
    [
        "@frank @carol @carol @carol",  # the row of names a math question got
        "Frank, Carol, Dave",
        "The weather in Lisbon is lovely this time of year.",  # about nothing anyone said
        "yes!",  # no content word at all: not told apart from a guess
        "",
    ],
)
def test_names_chatter_and_empty_candidates_score_zero(candidate: str) -> None:
    assert grounding(candidate, THREAD, NAMES) == 0.0
    assert grounded(candidate, THREAD, NAMES, 0.2).reason is Reason.UNGROUNDED


@pytest.mark.parametrize(
    "candidate",
    [
        "2+2 is 4.",
        "Pepperoni pizza sounds great, count me in too",
        "Frank, pizza later works for me",
    ],
)
def test_candidates_about_the_thread_pass(candidate: str) -> None:
    assert grounding(candidate, THREAD, NAMES) >= 0.2
    assert grounded(candidate, THREAD, NAMES, 0.2).passed


def test_the_score_is_the_share_of_content_words_heard_by_stem() -> None:
    asked = ["Mind, which bike chain should I get for my commute?"]
    assert grounding("the chains from Shimano suit commuting bikes", asked, NAMES) == pytest.approx(3 / 5)  # chain, commut, bik of five
    assert stem("installing") == stem("install") and stem("bikes") == stem("bike")


def test_a_bar_of_zero_turns_the_check_off_and_a_higher_bar_asks_more() -> None:
    candidate = "pizza is fine but honestly I prefer sushi, ramen or dumplings tonight"
    score = grounding(candidate, THREAD, NAMES)
    assert 0 < score < 0.5
    assert grounded(candidate, THREAD, NAMES, 0.0).passed
    assert grounded(candidate, THREAD, NAMES, 0.1).passed
    assert not grounded(candidate, THREAD, NAMES, 0.5).passed


def test_the_gate_scores_grounding_only_when_it_has_grounds_and_after_the_other_checks() -> None:
    off_topic = "The weather in Lisbon is lovely this time of year."
    scene = Scene(bot_name="Mind", speakers=("Frank", "Carol"), grounds=THREAD, grounding_min=0.2)
    assert check(off_topic, scene).reason is Reason.UNGROUNDED
    assert check(off_topic, Scene(bot_name="Mind", speakers=("Frank",))).passed  # care wording: no grounds
    # a repeat is a repeat first, even when it is on topic
    repeat = Scene(bot_name="Mind", own_recent=("pizza later works, count me in",), grounds=THREAD, grounding_min=0.2)
    assert check("pizza later works, count me in!", repeat).reason is Reason.REPEAT
    # a run of names is blocked as mentions before grounding is looked at
    assert check("@frank @carol @carol @carol", scene).reason is Reason.MENTIONS
