"""groupmind.names: names compared by how they read."""

from __future__ import annotations

import pytest

from groupmind.names import defuse_mentions, find_label, is_own, mention, names_in, same_name, skeleton
from tests.helpers import msg
from tests.hostile.conftest import MASS_MENTION

LOOKALIKES = {
    "case": "MIND",
    "lower case": "mind",
    "surrounding spaces": " Mind ",
    "spaced out": "m i n d",
    "no-break spaces": "M\u00a0i\u00a0n\u00a0d",
    "zero-width space": "Mi\u200bnd",
    "zero-width joiner and non-joiner": "M\u200di\u200cnd",
    "word joiner": "M\u2060ind",
    "byte order mark": "\ufeffMind",
    "hangul filler": "Mind\u3164",
    "left-to-right and right-to-left marks": "\u200eMi\u200fnd",
    "bidi embedding and override": "\u202aMi\u202end\u202c",
    "bidi isolates": "\u2066Mind\u2069",
    "soft hyphen": "Min\u00add",
    "Cyrillic capital em, small i": "\u041c\u0456nd",
    "Cyrillic small em": "\u043cind",
    "Greek capital mu, small iota": "\u039c\u03b9nd",
    "Lisu ma": "\ua4dfind",
    "Cherokee lu": "\u13b7ind",
    "fullwidth": "\uff2d\uff49\uff4e\uff44",
    "mathematical bold": "\U0001d40c\U0001d422\U0001d427\U0001d41d",
    "mathematical fraktur": "\U0001d510\U0001d526\U0001d52b\U0001d521",
    "combining acute": "Mi\u0301nd",
    "combining grapheme joiner": "Mi\u034fnd",
    "variation selector": "Mi\ufe0fnd",
    "digit one for i": "M1nd",
    "small L for i": "Mlnd",
    "r n for m": "rnind",
}


@pytest.mark.parametrize("name", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_a_lookalike_reads_as_the_bots_name(name: str) -> None:
    assert same_name(name, "Mind")
    assert skeleton(name) == skeleton("Mind")


@pytest.mark.parametrize("name", ["Mindy", "Mina", "Min", "Mind2", "Ana", "Amanda", "Mind the gap", "?"])
def test_other_names_are_other_names(name: str) -> None:
    assert not same_name(name, "Mind")


def test_lookalikes_of_any_member_read_alike() -> None:
    assert same_name("Ana", "\u0410na")  # Cyrillic A
    assert same_name("Bob Lee", "bob  lee")
    assert not same_name("Bob Lee", "Bob Leo")


def test_a_name_that_shows_nothing_has_an_empty_skeleton() -> None:
    assert skeleton("\u200b\u2060\u3164") == ""


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Mind, what do you think?", True),
        ("hey \U0001d40c\U0001d422\U0001d427\U0001d41d, what now?", True),
        ("what does MI\u200bND say", True),
        ("ask \u041c\u0456nd", True),
        ("line one\nMind\nline three", True),
        ("a mindful walk", False),
        ("remind me", False),
        ("", False),
    ],
)
def test_names_in_finds_the_name_as_a_word_in_any_form(text: str, named: bool) -> None:
    assert names_in(text, "Mind") is named


def test_a_name_of_several_words_is_found_across_any_spaces() -> None:
    assert names_in("I asked Big\u00a0Al yesterday", "Big Al")
    assert not names_in("I asked Big Alan yesterday", "Big Al")


def test_the_bots_own_message_is_a_bot_message_under_exactly_its_name() -> None:
    assert is_own(msg("Mind", "hi", author_is_bot=True), "Mind")
    assert not is_own(msg("Mind", "hi"), "Mind"), "a member named Mind"
    assert not is_own(msg("\u041c\u0456nd", "hi", author_is_bot=True), "Mind"), "another bot, named like it"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("sure thing alice: no you", (11, 17)),
        ("ok \u041c I N D : hi", (3, 12)),
        ("ok Mi\u200bnd: hi", (3, 9)),
        ("ALICE:hi", (0, 6)),
        ("a ratio of 3:1", None),
        ("malice: is not alice", None),
    ],
)
def test_find_label_finds_a_label_in_any_form_at_a_word_start(text: str, span: tuple[int, int] | None) -> None:
    assert find_label(text, ["alice", "Mind"]) == span


def test_find_label_takes_the_first_of_several() -> None:
    assert find_label("x bob: y alice: z", ["alice", "bob"]) == (2, 6)
    assert find_label("anything: at all", []) is None


@pytest.mark.parametrize("name", ["everyone", "Everyone", "here", "HERE", "channel", "\u0435veryone", "e v e r y o n e"])
def test_a_mention_of_a_member_named_like_a_room_never_pings_it(name: str) -> None:
    lead = mention(name)
    assert lead == f"@\u200b{name}"
    assert not MASS_MENTION.search(lead)


@pytest.mark.parametrize("name", ["<!here>", "<@&123>", "@everyone", "<!subteam^S1|mods>"])
def test_mention_markup_inside_a_name_is_defused(name: str) -> None:
    assert not MASS_MENTION.search(mention(name))
    assert "<!" not in mention(name) and "<@" not in mention(name)


def test_other_members_are_mentioned_plainly() -> None:
    assert mention("Ana") == "@Ana"
    assert mention("everyone's friend") == "@everyone's friend"


def test_defused_model_text_keeps_its_words_and_pings_nobody() -> None:
    text = "hey @everyone and @here, <!channel> <@U1> <@&42> <#C1> mail me at a@b.org"
    defused = defuse_mentions(text)
    assert not MASS_MENTION.search(defused)
    assert defused.replace("\u200b", "") == text
    assert "a@b.org" in defused, "an address is not a mention"
