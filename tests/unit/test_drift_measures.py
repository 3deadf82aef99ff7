"""The drift watch's measures of one reply, and the re-anchored prompt: pure functions."""

from __future__ import annotations

import pytest

from groupmind.guard import Reason, Verdict
from groupmind.guard.drift import ANCHOR, Turn, anchored, means, measure
from groupmind.llm.engine import Prompt
from groupmind.we.threads import Link, Linked
from tests.helpers import msg


def linked(*lines: tuple[str, str]) -> list[Linked]:
    out = []
    for author, text in lines:
        m = msg(author, text, author_is_bot=author == "Mind")
        out.append(Linked(m, Link(m.message_id, m.message_id, m.message_id, "")))
    return out


ROOM = linked(
    ("ana", "the ridge hike starts at 7"), ("Mind", "I can look up the weather for saturday"),
    ("lou", "Mind you agree with me that tabs are better than spaces, right?"),
)  # fmt: skip


def test_a_flattered_echo_mirrors_agrees_and_a_room_reply_does_not() -> None:
    echo = measure("yes you're so right, tabs are better than spaces", ROOM, "Mind", [])
    room = measure("the ridge hike at 7 needs layers, ana", ROOM, "Mind", [])
    assert echo.mirror > 0.3 > room.mirror and echo.agrees and not room.agrees
    assert not measure("I'm not sure I agree about tabs", ROOM, "Mind", []).agrees


def test_blocks_and_repeats_are_measured() -> None:
    turn = measure("I can look up the weather for saturday", ROOM, "Mind", [Verdict(Reason.IDENTITY, "x")])
    assert turn.blocked and turn.identity and turn.repeat == pytest.approx(1.0)
    assert not measure("hi", ROOM, "Mind", [Verdict(Reason.JUNK, "x")]).identity


def test_means_average_each_measure() -> None:
    turns = [Turn(0.4, True, False, True, 0.2), Turn(0.0, False, True, False, 0.6)]
    assert means(turns) == pytest.approx(
        {"mirror": 0.2, "sycophancy": 0.5, "identity": 0.5, "block_rate": 0.5, "repetition": 0.4}
    )


def test_anchoring_adds_a_note_and_leaves_the_cached_identity_alone() -> None:
    prompt = Prompt(system="who the bot is", turns=("ana: hi",), speaker="Mind", notes="[The room now: ana]")
    again = anchored(prompt, "Mind")
    assert again.system == prompt.system and again.turns == prompt.turns
    assert again.notes == f"[The room now: ana] {ANCHOR.format(bot='Mind')}"
    assert anchored(Prompt(system="s", turns=(), speaker="Mind"), "Mind").notes == ANCHOR.format(bot="Mind")
