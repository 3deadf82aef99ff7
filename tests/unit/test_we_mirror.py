"""The mirror index (the drift watch's measure), and the we bench's attention balance and agreement."""

from __future__ import annotations

import pytest

from bench.scores import agreement, gini
from groupmind.we.mirror import mirror_index


def test_mirror_index_is_high_for_an_echo_and_low_for_a_room_reply() -> None:
    last = "my sourdough starter died again"
    others = ["the hiking trip needs a map", "who brings the tent and stove"]
    echo = mirror_index("sorry your sourdough starter died", last, others)
    room = mirror_index("for the hiking trip I can bring a map, Ana", last, others, names=["Ana"])
    assert echo > 0.3 > room
    assert room < 0


def test_mirror_index_ignores_names_and_handles_no_other_members() -> None:
    assert mirror_index("Ana", "Ana", [], names=["Ana"]) == 0.0
    assert mirror_index("starter died", "starter died", []) == pytest.approx(1.0)


def test_gini_even_skewed_and_empty() -> None:
    assert gini({"a": 2, "b": 2, "c": 2}, ["a", "b", "c"]) == pytest.approx(0.0)
    assert gini({"a": 3}, ["a", "b", "c"]) == pytest.approx(2 / 3)
    assert gini({}, ["a"]) == 0.0 and gini({"a": 1}, []) == 0.0


def test_agreement_counts_matches_and_refuses_misaligned_input() -> None:
    assert agreement([True, False, False], [True, True, False]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="2 decisions for 1 labels"):
        agreement([True, False], [True])
