"""Norms the group teaches, as pure functions: reading corrections and reactions, weighing them, and the guard's
mending and blocking of a reply that breaks one."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from groupmind.admin.norms import listing, parse, pick
from groupmind.events import Reaction
from groupmind.guard import Scene, check
from groupmind.guard.norms import breaks, obey, trim
from groupmind.guard.verdict import Reason
from groupmind.store.norms import MAX_SOURCES, Norm, Source
from groupmind.we.norm_text import has_emoji, language_of
from groupmind.we.norms import (
    AVOID_TOPIC, KINDS, LANGUAGE, MAX_LENGTH, NO_EMOJI, NO_LISTS, NO_MENTIONS, NO_PROFANITY, NO_QUESTIONS, QUIET, TONE,
    Vote, corrections, house_rules, in_force, is_correction_to_bot, reaction_votes,
)  # fmt: skip
from tests.helpers import msg

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def kinds(text: str) -> set[tuple[str, str, int]]:
    return {(v.kind, v.value, v.vote) for v in corrections(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mind, stop pinging people", (NO_MENTIONS, "", 1)),
        ("can you not tag everyone every single time", (NO_MENTIONS, "", 1)),
        ("please don't @ people, it buzzes our phones", (NO_MENTIONS, "", 1)),
        ("shorter please", (MAX_LENGTH, "200", 1)),
        ("way too wordy, Mind", (MAX_LENGTH, "200", 1)),
        ("tl;dr next time", (MAX_LENGTH, "200", 1)),
        ("answer in one sentence", (MAX_LENGTH, "120", 1)),
        ("keep it under 30 words", (MAX_LENGTH, "180", 1)),
        ("we don't do politics here", (AVOID_TOPIC, "politics", 1)),
        ("don't talk about crypto", (AVOID_TOPIC, "crypto", 1)),
        ("keep religion out of this chat", (AVOID_TOPIC, "religion", 1)),
        ("no football talk in here please", (AVOID_TOPIC, "football", 1)),
        ("let's not get into the war", (AVOID_TOPIC, "war", 1)),
        ("please reply in Spanish", (LANGUAGE, "Spanish", 1)),
        ("could you answer in german from now on", (LANGUAGE, "German", 1)),
        ("habla en español", (LANGUAGE, "Spanish", 1)),
        ("no emoji", (NO_EMOJI, "", 1)),
        ("enough with the smileys", (NO_EMOJI, "", 1)),
        ("don't use swear words", (NO_PROFANITY, "", 1)),
        ("watch your language, Mind", (NO_PROFANITY, "", 1)),
        ("quit cussing", (NO_PROFANITY, "", 1)),
        ("stop using bullet lists", (NO_LISTS, "", 1)),
        ("drop the markdown please", (NO_LISTS, "", 1)),
        ("less formal please", (TONE, "casual", 1)),
        ("you sound too robotic", (TONE, "casual", 1)),
        ("be more professional", (TONE, "formal", 1)),
        ("stop asking us questions", (NO_QUESTIONS, "", 1)),
        ("only speak when you're spoken to", (QUIET, "", 1)),
        ("stop butting in Mind", (QUIET, "", 1)),
        ("emoji are fine", (NO_EMOJI, "", -1)),
        ("you can ping me whenever", (NO_MENTIONS, "", -1)),
        ("longer answers please, more detail", (MAX_LENGTH, "", -1)),
    ],
)
def test_a_correction_is_read_across_its_phrasings(text: str, expected: tuple[str, str, int]) -> None:
    assert expected in kinds(text)


@pytest.mark.parametrize(
    "text",
    ["stop it", "I love talking about politics", "don't worry about it", "no thanks", "thanks Mind!",
     "hey Mind how was your day", "what's the weather like", "can you list the steps?", "the ping to the server is 40ms",
     "", "🙂" * 500, "\x00\x01binary\xff"],
)  # fmt: skip
def test_ordinary_talk_teaches_nothing(text: str) -> None:
    assert corrections(text) == []


def test_a_correction_counts_only_when_it_is_about_the_bot() -> None:
    bot = msg("Mind", "Here's a long answer", author_id="bot:Mind", author_is_bot=True)
    ana = msg("ana", "we don't do politics here")
    assert is_correction_to_bot(ana, [bot], "Mind")  # right after the bot spoke
    others = [msg("ben", f"line {i}") for i in range(4)]
    assert not is_correction_to_bot(ana, [bot, *others], "Mind")  # between members, long after
    assert is_correction_to_bot(msg("ana", "Mind, no emoji"), others, "Mind")  # named
    assert not is_correction_to_bot(msg("ana", "Mind, no emoji", author_is_bot=True), others, "Mind")


def test_a_reaction_votes_on_what_the_message_did() -> None:
    long_pinging = "@ana " + "This is a sentence about kernels. " * 12 + " 🎉"
    down = {(v.kind, v.vote) for v in reaction_votes("👎", long_pinging)}
    assert down == {(MAX_LENGTH, 1), (NO_MENTIONS, 1), (NO_EMOJI, 1)}
    assert reaction_votes("thumbsdown", "short and plain.") == []  # nothing to blame
    assert reaction_votes(":straight_ruler:", "short") == [Vote(MAX_LENGTH, "200")]  # the emoji names the fault
    assert {(v.kind, v.vote) for v in reaction_votes("+1", "nice 🎉")} == {(NO_EMOJI, -1)}
    assert reaction_votes("🦄", long_pinging) == []


def src(member: str, days_ago: float = 0, vote: int = 1, weight: float = 1.0) -> Source:
    return Source(member, "local", f"m-{member}", (NOW - timedelta(days=days_ago)).timestamp(), vote, weight)


def test_several_members_outweigh_one_whoever_spoke_last() -> None:
    norm = Norm(NO_EMOJI, sources=(src("ana", 2), src("ben", 1), src("cara", 0, vote=-1)))
    assert [n.key for n in in_force([norm], NOW)] == ["no_emoji:"]
    lifted = norm.with_vote(src("dan", 0, vote=-1)).with_vote(src("eve", 0, vote=-1))
    assert in_force([lifted], NOW) == []


def test_one_member_changing_their_mind_is_one_vote_and_a_tie_keeps_the_restriction() -> None:
    norm = Norm(NO_EMOJI, sources=(src("ana", 1),)).with_vote(src("ana", 0, vote=-1))
    assert len(norm.sources) == 1 and in_force([norm], NOW) == []
    tie = Norm(NO_EMOJI, sources=(src("ana", 1), src("ben", 0, vote=-1)))
    assert in_force([tie], NOW) == [tie]


def test_old_feedback_fades_so_fresh_voices_decide() -> None:
    norm = Norm(NO_LISTS, sources=(src("ana", 120), src("ben", 120), src("cara", 0, vote=-1)))
    assert in_force([norm], NOW) == []  # two voices from four months ago weigh less than one today


def test_admins_norms_come_first_and_a_members_correction_does_not_override_them() -> None:
    english = Norm(LANGUAGE, "English", (src("admin"),), pinned=True, pinned_at=1.0)
    spanish = Norm(LANGUAGE, "Spanish", (src("ana"), src("ben"), src("cara")))
    assert in_force([spanish, english], NOW) == [english]
    against = english.with_vote(src("dan", vote=-1)).with_vote(src("eve", vote=-1))
    assert in_force([against], NOW) == [against]
    newer = Norm(LANGUAGE, "French", (src("admin2"),), pinned=True, pinned_at=2.0)
    assert in_force([english, newer, spanish], NOW) == [newer]


def test_one_value_kinds_keep_the_heaviest_value() -> None:
    short = Norm(MAX_LENGTH, "200", (src("ana"), src("ben")))
    shorter = Norm(MAX_LENGTH, "120", (src("cara"),))
    held = in_force([short, shorter, Norm(NO_EMOJI, sources=(src("ana"),))], NOW)
    assert [n.key for n in held] == ["max_length:200", "no_emoji:"]
    assert house_rules(held) == "keep replies under 200 characters; no emoji"


def test_a_norm_keeps_a_bounded_number_of_votes() -> None:
    norm = Norm(NO_EMOJI)
    for i in range(MAX_SOURCES + 10):
        norm = norm.with_vote(src(f"m{i}"))
    assert len(norm.sources) == MAX_SOURCES and norm.sources[-1].member_id == f"m{MAX_SOURCES + 9}"


def n(kind: str, value: str = "") -> Norm:
    return Norm(kind, value, pinned=True)


def test_the_guard_mends_what_can_be_mended() -> None:
    assert obey("@\u200bana try the older kernel <@123>", [n(NO_MENTIONS)]) == "Ana try the older kernel"
    assert obey("Great idea 🎉🎉 let's go :) :tada:", [n(NO_EMOJI)]) == "Great idea let's go"
    assert obey("that's a damn good fucking point", [n(NO_PROFANITY)]) == "That's a good point"
    assert obey("- first\n- second\n**bold** text", [n(NO_LISTS)]) == "First second\nbold text".replace("\n", "\n")
    text = "The election is close. Anyway, the wifi driver needs a reboot."
    assert obey(text, [n(AVOID_TOPIC, "politics")]) == "Anyway, the wifi driver needs a reboot."
    assert obey("Try a reboot. Did that help?", [n(NO_QUESTIONS)]) == "Try a reboot."
    long = "First point here. Second point follows. Third point is longer than the rest of them."
    assert obey(long, [n(MAX_LENGTH, "40")]) == "First point here. Second point follows."


def test_trim_cuts_at_a_word_when_no_sentence_fits() -> None:
    cut = trim("averyveryverylongword " * 10, 50)
    assert len(cut) <= 50 and cut.endswith("…") and " " in cut


def test_the_guard_blocks_what_cannot_be_mended() -> None:
    scene = Scene(bot_name="Mind", norms=(n(LANGUAGE, "Spanish"),))
    verdict = check("Sure, I think that is a good idea for the group", scene)
    assert verdict.reason is Reason.NORM and "Spanish" in verdict.detail
    assert check("Claro, creo que es una buena idea para el grupo", scene).passed
    assert check("ok!", scene).passed  # too short to tell
    assert not breaks("The election results are in.", [n(AVOID_TOPIC, "politics")]).passed
    assert not breaks("Bitcoin is up.", [n(AVOID_TOPIC, "crypto")]).passed
    assert breaks("Bitcoin is up.", [n(TONE, "casual"), n(QUIET)]).passed  # not checkable: never blocked


def test_language_and_emoji_readers() -> None:
    assert language_of("Hola, ¿cómo estás? Yo estoy muy bien, gracias") == "Spanish"
    assert language_of("I think this is the one that we want") == "English"
    assert language_of("ok") is None
    assert has_emoji("nice 👍🏽") and has_emoji("fine :)") and has_emoji(":tada:") and not has_emoji("at 10:30: ok")


def test_every_kind_reads_as_a_house_rule() -> None:
    assert len(KINDS) >= 8
    for kind in KINDS:
        assert house_rules([Norm(kind, "x")])


def test_admins_norm_add_takes_a_kind_or_plain_words_and_explains_bad_input() -> None:
    assert parse("max_length 300") == Vote(MAX_LENGTH, "300")
    assert parse("language español") == Vote(LANGUAGE, "Spanish")
    assert parse("avoid-topic  Crypto ") == Vote(AVOID_TOPIC, "crypto")
    assert parse("no pinging people please") == Vote(NO_MENTIONS, "")
    assert "number of characters" in str(parse("max_length 5"))
    assert "needs" in str(parse("language"))
    assert "takes no value" in str(parse("no_emoji yes"))
    assert "KIND" in str(parse("\x00\x00"))
    norms = [Norm(NO_EMOJI), Norm(AVOID_TOPIC, "crypto")]
    assert pick(norms, "#2") == norms[1] and pick(norms, "no_emoji") == norms[0] and pick(norms, "9") is None


def test_the_listing_says_who_taught_what_and_what_holds() -> None:
    norms = [Norm(NO_EMOJI, sources=(src("ana"),)), Norm(LANGUAGE, "English", (src("boss"),), pinned=True)]
    text = listing(norms, NOW, {"ana": "Ana"})
    assert text.index("reply in English") < text.index("no emoji")  # pinned first
    assert "✓ 1. no emoji" in text and "from Ana" in text and "pinned by an admin" in text


@pytest.mark.parametrize("text", ["no " * 2700, "don't talk about " * 450, "@x " * 2600, "🎉" * 8000, "- a\n" * 2000])
def test_hostile_input_is_read_quickly_and_mended_within_bounds(text: str) -> None:
    started = time.perf_counter()
    assert len(corrections(text)) <= 2
    mended = obey(text, [n(NO_MENTIONS), n(NO_EMOJI), n(NO_LISTS), n(MAX_LENGTH, "200")])
    assert len(mended) <= 200 and "@" not in mended and not has_emoji(mended)
    assert time.perf_counter() - started < 5  # generous: a shared machine; linear, not a backtracking blow-up


def test_a_reaction_is_validated_at_the_edge() -> None:
    with pytest.raises(ValidationError):
        Reaction(platform="local", community="c", channel="x", message_id="m", member_id="a", emoji="x" * 65)
    clean = Reaction(platform="local", community="c", channel="x", message_id="m", member_id="a", emoji=" 👎\x00 ",
                     text=b"\xff" * 3)  # fmt: skip
    assert clean.emoji == "👎" and clean.text == "\ufffd" * 3


async def test_a_vote_against_a_valued_kind_with_nothing_to_lift_keeps_nothing() -> None:
    from groupmind.store.norms import MemoryNorms
    from groupmind.we.norms import NormBook

    class Store:  # the two repositories NormBook reads, as in-memory twins
        norms = MemoryNorms()

    book = NormBook(Store(), "Mind", lambda: NOW)  # type: ignore[arg-type]
    source = src("ana")
    await book.record("local", "c", [Vote(MAX_LENGTH, "", -1), Vote(NO_EMOJI, "", -1)], source)
    assert [n.key for n in await Store.norms.all("local", "c")] == ["no_emoji:"]
    await book.record("local", "c", [Vote(MAX_LENGTH, "200")], src("ben"))
    await book.record("local", "c", [Vote(MAX_LENGTH, "", -1)], src("cara"))
    [length] = [n for n in await Store.norms.all("local", "c") if n.kind == MAX_LENGTH]
    assert {(s.member_id, s.vote) for s in length.sources} == {("ben", 1), ("cara", -1)}
