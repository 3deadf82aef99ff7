"""The learned reply-to linker: hand-written exchanges, real dev logs, hostile input, reproducible weights."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice

import numpy as np
import pytest

from bench.annotation import learned_parents, rule_parents, score_links
from groupmind.replay import read_irc
from groupmind.we import linker
from groupmind.we.threads import Linked, Threader, Threaders, link_message
from tests.conftest import IRC_DEV
from tests.helpers import msg

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def play(*lines: tuple[str, str], gap: int = 10) -> list[Linked]:
    """Link `lines` (author, text) one by one through `link_message`, as the room does."""
    recent: list[Linked] = []
    for index, (author, text) in enumerate(lines):
        m = msg(author, text, message_id=f"x{index}", ts=T0 + timedelta(seconds=gap * index))
        recent.append(Linked(m, link_message(m, recent)))
    return recent


def parent(out: list[Linked], index: int) -> str:
    return out[index].link.parent


CHATTER = [
    ("dora", "my sound stopped after the upgrade to jammy"),
    ("ana", "how do i mount a usb stick from the terminal?"),
    ("eli", "dora: is pulseaudio running?"),
    ("dora", "eli: it says no such process"),
]


def test_a_named_member_is_answered_even_by_a_prefix_of_their_nick() -> None:
    out = play(*CHATTER, ("ben", "ana: sudo mount /dev/sdb1 /mnt"))
    assert parent(out, 4) == "x1" and "addressed to ana" in out[4].link.reason
    prefixed = play(("kummerfeld", "which kernel has the fix for the wifi drop?"), *CHATTER[2:],
                    ("ben", "kumm: 6.8 has it"))
    assert parent(prefixed, 3) == "x0"


def test_an_answer_amid_other_talk_links_to_the_question_it_answers() -> None:
    out = play(*CHATTER, ("cleo", "does anyone know how to reset the gnome keyring password?"),
               ("eli", "dora: then start it with pulseaudio --start"),
               ("ben", "the keyring password resets when you delete the login keyring file"))
    assert parent(out, 5) == "x3" and parent(out, 6) == "x4", [item.link for item in out]
    assert "shares words with cleo" in out[6].link.reason


def test_the_asker_answering_back_links_to_whoever_answered_them() -> None:
    out = play(*CHATTER, ("ben", "ana: use udisksctl mount -b /dev/sdb1"), ("ana", "thanks ben, that worked"))
    assert parent(out, 5) == "x4"


def test_a_new_topic_links_to_itself() -> None:
    out = play(("solo", "hello, my laptop will not suspend since yesterday"))
    assert out[0].link.starts_thread and out[0].link.thread == "x0"
    later = play(*CHATTER, ("zed", "hi all, is there a way to get the old alt-tab back in gnome 46?"), gap=20)
    assert later[4].link.starts_thread, later[4].link


def test_links_beat_the_rules_on_two_annotated_dev_logs() -> None:
    raws = sorted(IRC_DEV.glob("*.raw.txt"))[:2]
    if not raws:
        pytest.skip(f"{IRC_DEV} is absent")
    learned, rules = score_links(raws, learned_parents), score_links(raws, rule_parents)
    assert learned.gold == rules.gold > 400
    assert learned.f1 >= rules.f1 + 0.03, (learned.as_dict(), rules.as_dict())


def test_stream_and_one_shot_links_agree() -> None:
    """`Threader` keeps its window between calls; `link_message` rebuilds it from the messages it is given.

    Every cue reads the window alone, so both link alike, on a real log long enough
    for nicks, namings and words to leave the window.
    """
    raws = sorted(IRC_DEV.glob("*.raw.txt"))
    if not raws:
        pytest.skip(f"{IRC_DEV} is absent")
    threader, recent = Threader(), []
    for m in islice(read_irc(raws[0]), 400):
        streamed = threader.link(m)
        assert link_message(m, recent[-linker.WINDOW :]) == streamed
        recent.append(Linked(m, streamed))


def room(threaders: Threaders, lines: list[tuple[str, str]], window: int, start: int = 0) -> list[Linked]:
    """Link `lines` as the room does: `Threaders` handed the last `window` stored messages each time."""
    stored: list[Linked] = []
    for index, (author, text) in enumerate(lines, start):
        m = msg(author, text, message_id=f"r{index}", ts=T0 + timedelta(seconds=7 * index))
        stored.append(Linked(m, threaders.link("general", m, stored[-window:])))
    return stored


def test_the_room_resumes_its_window_and_links_as_a_rebuild_would() -> None:
    """Resumed across 5 windows' worth of messages (one rebuild: the first), each link equals a fresh rebuild's."""
    raws = sorted(IRC_DEV.glob("*.raw.txt"))
    if not raws:
        pytest.skip(f"{IRC_DEV} is absent")
    lines = [(m.author_name, m.text) for m in islice(read_irc(raws[1]), 300)]
    threaders = Threaders(60)
    stored = room(threaders, lines, 60)
    assert threaders.rebuilds == 1
    for index, item in enumerate(stored):
        assert link_message(item.msg, stored[max(0, index - 60) : index]) == item.link


def test_an_edited_or_deleted_message_makes_the_room_rebuild_its_window() -> None:
    threaders = Threaders(60)
    stored = room(threaders, CHATTER * 3, 60)
    assert threaders.rebuilds == 1
    changed = Linked(stored[1].msg.model_copy(update={"text": "which kernel has the fix?"}), stored[1].link)
    for window in (stored[:1] + [changed] + stored[2:], stored[:1] + stored[2:]):  # edited, deleted
        before = threaders.rebuilds
        m = msg("ben", "ana: sudo mount /dev/sdb1 /mnt", message_id=f"n{before}", ts=T0 + timedelta(minutes=5))
        link = threaders.link("general", m, window)
        assert link == link_message(m, window) and threaders.rebuilds == before + 1
    window.append(Linked(m, link))  # stored as linked: the next message resumes
    m = msg("ana", "ben: thanks, that worked", message_id="thanks", ts=T0 + timedelta(minutes=6))
    assert threaders.link("general", m, window) == link_message(m, window) and threaders.rebuilds == 3


def test_the_room_keeps_a_bounded_number_of_conversations() -> None:
    threaders = Threaders(60, limit=2)
    for key in ("a", "b", "c", "a"):
        threaders.link(key, msg("ana", f"hello from {key}", message_id=f"{key}-{threaders.rebuilds}", ts=T0), [])
    assert list(threaders._held) == ["c", "a"] and threaders.rebuilds == 4


@pytest.mark.parametrize(
    "nick,text",
    [
        ("a.*b", "a.*b: (( [[ \\ $ ^"),
        ("[x]", "[x]: ?"),
        ("(", "( ( ( :"),
        ("\\", "\\\\: \\d+"),
        ("ünï", "ÜNÏ: ça va ?"),
    ],
)
def test_nicks_full_of_pattern_characters_are_plain_names(nick: str, text: str) -> None:
    out = play(("ana", "something to answer"), (nick, "what i asked before"), ("ben", text))
    assert out[2].link.parent in {"x1", "x2"}


def test_hostile_text_is_linked_without_error() -> None:
    huge = "wifi " * 100_000
    binary = bytes(range(256)) * 40
    out = play(("ana", ""), ("ben", huge), ("cleo", binary.decode("latin-1")), ("dan", "   "), ("eve", "?" * 9000))
    assert [item.link.message_id for item in out] == [f"x{i}" for i in range(5)]
    assert out[0].link.starts_thread
    m = msg("fay", binary, message_id="bin", ts=T0)  # ChatMessage decodes bytes, replacing what is not UTF-8
    assert link_message(m, out).message_id == "bin"


def test_a_long_stream_stays_bounded_and_keeps_linking() -> None:
    """Many speakers and words pass through: the indexes are rebuilt from the window, links go on."""
    threader = Threader()
    for i in range(2_000):
        words = " ".join(f"w{i}x{k}" for k in range(40))
        threader.link(msg(f"user{i % 700}", words, message_id=f"s{i}", ts=T0 + timedelta(seconds=i)))
    inner = threader._linker
    assert inner._entries() <= inner._compact_at <= 2 * 41 * linker.WINDOW  # 40 words and a nick a message
    assert len(inner.messages) == len(threader.recent) == linker.WINDOW
    # s1999 is user599's (1999 % 700)
    last = msg("zoe", "user599: did that fix it?", message_id="end", ts=T0 + timedelta(seconds=2_001))
    assert threader.link(last).parent == "s1999"


def test_rows_and_scores_are_deterministic() -> None:
    out = play(*CHATTER)
    window = linker.replay(item.msg for item in out)
    m = msg("ben", "ana: try udisksctl", message_id="y", ts=T0 + timedelta(minutes=2))
    rows = window.rows(m)
    assert rows.shape == (len(out) + 1, len(linker.FEATURES)) and rows[-1, 0] == 1.0
    assert np.array_equal(rows, linker.replay(item.msg for item in out).rows(m))


def test_shipped_weights_match_the_features() -> None:
    weights = linker.load()
    assert weights.w1.shape[0] == len(linker.FEATURES) and np.all(weights.scale > 0)


def test_shipped_weights_fingerprint_the_training_logs_and_settings() -> None:
    """The weights record a hash of the logs, annotations, cue names and settings they were trained from.

    With the determinism test below this ties the shipped file to this script's inputs;
    `bench/train_linker.py --check` (minutes) retrains in full and compares the weights.
    """
    pytest.importorskip("threadpoolctl")
    from bench import train_linker

    raws = sorted(train_linker.IRC_TRAIN.glob("*.raw.txt"))
    if not raws:
        pytest.skip("the IRC training logs are not here")
    assert train_linker.shipped_fingerprint() == train_linker.fingerprint(raws)


def test_training_is_deterministic() -> None:
    pytest.importorskip("threadpoolctl")
    from bench import train_linker

    raws = sorted(train_linker.IRC_TRAIN.glob("*.raw.txt"))[:2]
    if not raws:
        pytest.skip("the IRC training logs are not here")
    first, again = train_linker.train(raws), train_linker.train(raws)
    assert train_linker.reproduces(train_linker.rounded(first), again)
    assert first.w1.shape == (len(linker.FEATURES), train_linker.HIDDEN * train_linker.SEEDS)
