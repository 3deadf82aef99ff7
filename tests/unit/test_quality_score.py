"""The reply-quality bench's scoring, on outcomes written by hand: leads are never the model's words."""

from __future__ import annotations

from datetime import datetime, timezone

from bench import we
from bench.quality import score
from bench.rooms import Outcome, Said, Scenario
from tests.helpers import msg

TS = datetime(2026, 4, 1, 18, 0, tzinfo=timezone.utc)


def room() -> Scenario:
    lines = [("Frank", "anyone up for pizza later?"), ("Carol", "Frank: count me in"), ("Frank", "Mind, what is 2+2?")]
    messages = [msg(name, text, author_id=name.casefold(), ts=TS) for name, text in lines]
    return Scenario("arithmetic", "mention", messages, [False, False, True])


def test_a_roll_call_a_loop_and_a_repeat_are_counted_and_a_grounded_answer_is_seen() -> None:
    bad = Outcome(
        [False, False, True],
        [
            Said(2, "I'm not sure. I'm not sure.", "@Frank @Carol @Dave I'm not sure. I'm not sure."),
            Said(2, "I'm not sure. I'm not sure!", "@Frank I'm not sure. I'm not sure!"),
        ],
    )
    figures = score([room()], [bad], "Mind")
    assert figures["mention_runs"] == 1 and figures["loops"] == 2 and figures["repeats"] == 1
    assert figures["grounded_answers"] == 0.0 and figures["ungrounded"] == 1.0
    good = Outcome([False, False, True], [Said(2, "2+2 is 4.", "@Frank 2+2 is 4.")])
    figures = score([room()], [good], "Mind")
    assert figures["grounded_answers"] == 1.0 and figures["mention_runs"] == 0 and figures["silence_right"] == 1.0


def test_the_gini_counts_whom_the_model_named_not_the_pipelines_leads() -> None:
    # Both replies answer Frank; the leads also name Carol, which the model never did.
    said = [Said(2, "2+2 is 4, Frank.", "@Frank @Carol 2+2 is 4, Frank."), Said(2, "pizza at eight", "@Frank @Carol pizza at eight")]
    outcome = Outcome([False, False, True], said)
    leads_counted = Outcome([False, False, True], [Said(s.index, s.shown, s.shown) for s in said])
    assert we.measure([room()], [outcome], "Mind")["gini"] == 0.5  # all on Frank, of two active members
    assert we.measure([room()], [leads_counted], "Mind")["gini"] < 0.5
    assert score([room()], [outcome], "Mind")["gini"] == 0.5


def test_the_bar_withholds_ungrounded_replies_as_silence() -> None:
    outcome = Outcome([False, False, True], [Said(2, "The weather in Lisbon is lovely.", "@Frank The weather in Lisbon is lovely.")])
    assert score([room()], [outcome], "Mind", bar=0.0)["withheld"] == 0
    withheld = score([room()], [outcome], "Mind", bar=0.2)
    assert withheld["withheld"] == 1 and withheld["replies"] == 0 and withheld["speak_accuracy"] < 1.0
