"""Reply-to linking and its score against the #ubuntu annotation (the learned linker's own tests: test_we_linker.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from typing import Callable, Sequence

from bench.annotation import read_annotation, score_logs
from bench.rules_linker import rule_link
from groupmind.events import ChatMessage
from groupmind.we.threads import Link, Linked, addressees, link_message, previous_other_speaker
from tests.conftest import IRC_DEV
from tests.helpers import msg

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def play(
    *lines: tuple[str, str], link: Callable[[ChatMessage, Sequence[Linked]], Link] = link_message
) -> list[Linked]:
    recent: list[Linked] = []
    for index, (author, text) in enumerate(lines):
        m = msg(author, text, message_id=f"x{index}", ts=T0 + timedelta(seconds=10 * index))
        recent.append(Linked(m, link(m, recent)))
    return recent


def parents(recent: list[Linked]) -> list[str]:
    return [item.link.parent for item in recent]


def test_leading_nick_links_to_that_members_latest_message() -> None:
    out = play(("ana", "anyone know grub?"), ("ben", "lunch anyone"), ("cleo", "ana: reinstall grub"))
    assert parents(out) == ["x0", "x1", "x0"]
    assert out[2].link.thread == "x0" and "addressed to ana" in out[2].link.reason


def test_explicit_reply_wins_over_everything() -> None:
    recent = play(("ana", "first"), ("ben", "second"))
    m = msg("cleo", "ben: hmm", reply_to="x0", message_id="x9", ts=T0 + timedelta(minutes=1))
    assert link_message(m, recent).parent == "x0"


def test_mention_addresses_a_member() -> None:
    recent = play(("ana", "my wifi drops"), ("ben", "pizza tonight"))
    m = msg("cleo", "try another channel", mentions=("ana",), message_id="x9", ts=T0 + timedelta(minutes=1))
    assert link_message(m, recent).parent == "x0"


def test_the_baseline_rules_alternate_and_continue() -> None:
    out = play(
        ("ana", "my wifi drops every hour"),
        ("ben", "ana: which router?"),
        ("ana", "a cheap one from the shop"),  # answers ben, who addressed her
        ("ana", "it is two years old"),  # continues her own message
        link=rule_link,
    )
    assert parents(out)[2:] == ["x1", "x2"]


def test_the_baseline_rules_link_by_overlap_and_start_a_conversation_otherwise() -> None:
    out = play(("ana", "the printer driver crashes cups"), ("ben", "cups printer driver is broken on jammy"), link=rule_link)
    assert out[1].link.parent == "x0" and "shares words" in out[1].link.reason
    other = play(("ana", "the printer driver crashes cups"), ("ben", "who watched the match"), link=rule_link)
    assert other[1].link.starts_thread


def test_baseline_links_to_previous_other_speaker() -> None:
    recent = play(("ana", "one"), ("ben", "two"), ("ben", "three"))
    assert previous_other_speaker(msg("ben", "four"), recent) == "x0"
    assert previous_other_speaker(msg("ana", "first", message_id="solo"), []) == "solo"


def test_annotation_reader_orders_pairs_and_skips_bad_lines(tmp_path) -> None:
    path = tmp_path / "x.annotation.txt"
    path.write_text("1002 1003 -\nbad line\n1004 1004 -\n1010\n")
    assert read_annotation(path) == {(1003, 1002), (1004, 1004)}


def test_links_beat_the_baseline_on_annotated_irc() -> None:
    raws = sorted(IRC_DEV.glob("*.raw.txt"))
    if not raws:
        pytest.skip(f"{IRC_DEV} is absent")
    ours, baseline = score_logs(raws)
    assert ours.gold == baseline.gold > 2000
    assert ours.f1 >= baseline.f1 + 0.3, (ours.as_dict(), baseline.as_dict())


def test_the_paper_protocol_also_scores_system_lines_as_self_links(tmp_path) -> None:
    from bench.annotation import baseline_parents, score_log

    lines = [f"[10:{i % 60:02d}] <u{i % 3}> filler {i}" for i in range(1000)]
    lines += ["=== ana [~a@b] has joined #ubuntu", "[11:00] <ana> hello all", "[11:01] <ben> ana: hi"]
    raw = tmp_path / "2020-01-01.raw.txt"
    raw.write_text("\n".join(lines) + "\n")
    (tmp_path / "2020-01-01.annotation.txt").write_text("1000 1000 -\n1001 1001 -\n1001 1002 -\n")
    ours, paper = score_log(raw, baseline_parents), score_log(raw, baseline_parents, paper=True)
    assert (ours.correct, ours.predicted, ours.gold) == (1, 2, 2)  # the filler before ana is wrong; ben -> ana
    assert (paper.correct, paper.predicted, paper.gold) == (2, 3, 3)


def test_an_at_nick_addresses_that_member_with_or_without_punctuation_anywhere() -> None:
    names = {"ben": "ben", "ana maria": "am", "cleo": "cleo"}
    for text in ("@ben are you coming?", "@Ben, are you coming?", "@ben: yes", "are you coming @BEN?", "@ben"):
        assert addressees(msg("cleo", text), names) == ["ben"], text
    assert addressees(msg("cleo", "thoughts @Ana Maria?"), names) == ["am"]
    assert addressees(msg("cleo", "@ben and @cleo and @ana maria"), names) == ["ben", "am"], "never the author"
    for text in ("mail me@ben.org", "@bench is free", "@@ben", "ben is here", "@everyone hi"):
        assert addressees(msg("cleo", text), names) == [], text
    out = play(("ana", "anyone know grub?"), ("ben", "lunch anyone"), ("cleo", "@ana reinstall grub"))
    assert parents(out)[2] == "x0"
