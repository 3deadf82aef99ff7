"""What one message teaches the lasting group model, and how the model is read back (pure, no server)."""

from __future__ import annotations

import pytest

from groupmind.store.group_memory import GroupRecord
from groupmind.we.memory import is_question, observe, style_of
from groupmind.we.recall import helpers, notes_for, running_jokes, stem, who_knows
from tests.helpers import msg

NAMES = ["ana", "bob", "cleo", "Mind"]


def record(**parts: object) -> GroupRecord:
    empty: dict[str, object] = {"topics": [], "phrases": [], "jokes": [], "events": [], "expertise": [],
                                "answerers": [], "askers": [],
                                "rhythm": {}, "style": {}, "decisions": [], "summary": None}  # fmt: skip
    return GroupRecord(**(empty | parts))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, question",
    [("how do i mount my usb stick?", True), ("anyone know a good ssh client", True), ("why is grub black", True),
     ("is there a way to resize partitions", True), ("thanks, that worked.", False), ("install ndiswrapper", False),
     ("how nice.", False), ("", False)],
)  # fmt: skip
def test_questions_are_told_from_statements(text: str, question: bool) -> None:
    assert is_question(text) is question


def test_answering_a_question_earns_expertise_and_asking_does_not() -> None:
    asked = msg("ana", "how do i get my wifi driver working on the thinkpad?")
    answer = observe(msg("bob", "ana: install the broadcom wifi driver with ndiswrapper"), asked, NAMES, asked)
    assert {"wifi", "driver"} <= set(answer.expertise) and answer.answered == "ana"
    assert "ndiswrapper" in answer.expertise  # what the answer brought counts too
    assert observe(asked, None, NAMES).expertise == () and observe(asked, None, NAMES).asks
    assert not observe(msg("bob", "ana: which model is it?"), asked, NAMES, asked).asks  # a helper's question back
    # The asker answering the helper's question back, in their own conversation, shows no expertise.
    clarifying = msg("bob", "ana: which thinkpad model is it?")
    back = observe(msg("ana", "bob: a t60 with broadcom wifi"), clarifying, NAMES, asked)
    assert back.expertise == ()
    # Speaking to someone else (or the bot) is no answer; an opening "Yes," names nobody.
    assert observe(msg("cleo", "Mind, my wifi driver died too"), asked, NAMES, asked).expertise == ()
    assert observe(msg("cleo", "bob: does ndiswrapper need the windows driver"), asked, NAMES, asked).expertise == ()
    assert "wifi" in observe(msg("cleo", "Yes, reload the wifi module"), asked, NAMES, asked).expertise
    # A question answered with a question is no answer.
    assert observe(msg("cleo", "ana: did you try the driver manager?"), asked, NAMES, asked).expertise == ()


def test_laughter_at_someone_marks_their_phrase_as_a_joke() -> None:
    joke = msg("bob", "ana: the live cd again, the eternal fix")
    assert observe(msg("cleo", "lol"), joke, NAMES).joke == ("the live cd again the eternal fix", "bob")
    assert observe(msg("cleo", "😂😂"), joke, NAMES).joke is not None
    assert observe(msg("cleo", "lol but did it work for your wifi card"), joke, NAMES).joke is None  # laughs, then talks
    assert observe(msg("bob", "haha"), joke, NAMES).joke is None  # laughing at oneself


@pytest.mark.parametrize(
    "text, event",
    [("we have the release party every friday at 18:00", "every friday at 18:00"),
     ("the weekly standup is moved", "weekly standup is moved"),
     ("game night is on thursday, bring snacks", "game night is on thursday"),
     ("i update daily not weekly", None), ("every time i boot it hangs", None)],
)  # fmt: skip
def test_recurring_events_are_noticed(text: str, event: str | None) -> None:
    assert observe(msg("ana", text), None, NAMES).event == event


@pytest.mark.parametrize(
    "text, parent, decided",
    [("ok let's go with postgres for the backend", None, "ok let's go with postgres for the backend"),
     ("we decided to meet at the pub", None, "we decided to meet at the pub"),
     ("agreed", "how about we meet at 7 on friday?", "how about we meet at 7 on friday?"),
     ("let's try reloading the module", None, None), ("i decided to reinstall", None, None),
     ("agreed", "the weather is nice", None), ("should we go with postgres?", None, None)],
)  # fmt: skip
def test_decisions_are_said_outright_or_agreed_to(text: str, parent: str | None, decided: str | None) -> None:
    proposal = msg("cleo", parent) if parent else None
    got = observe(msg("dan", text), proposal, NAMES).decision
    assert (got[0] if got else None) == decided
    if got and proposal:
        assert got[1] == ("cleo", "dan")


def test_style_counts_length_emoji_tone_and_language() -> None:
    assert style_of("thanks, that is great 🎉 :)").emoji == 2
    assert style_of("thanks, that is great").positive and style_of("this sucks").negative
    assert style_of("the driver and the kernel is what you have").language == "en"
    assert style_of("der Treiber ist nicht das Problem und ich weiß es").language == "de"
    assert style_of("ok").language is None


def test_call_me_is_how_a_member_likes_to_be_addressed() -> None:
    assert observe(msg("robert", "hi all, call me Bob"), None, NAMES).call_me == "Bob"
    assert observe(msg("robert", "i go by 'rob' here"), None, NAMES).call_me == "rob"
    assert observe(msg("robert", "call me later"), None, NAMES).call_me == "later"  # taken at their word; /gm me fixes it


def test_names_are_never_topics() -> None:
    assert "cleo" not in observe(msg("ana", "cleo: cleo cleo grub grub"), None, NAMES).topics


def test_who_knows_matches_stems_and_compounds_and_respects_deleted_items() -> None:
    rec = record(expertise=[("drivers\x1fbob", 3.0), ("python-dev\x1fcleo", 2.0), ("wifi\x1fana", 1.0), ("wifi\x1fbob", 2.0)])
    assert [m for m, _ in who_knows(rec, "who helps with wifi driver?")] == ["bob", "ana"]
    assert [m for m, _ in who_knows(rec, "anyone good with python")] == ["cleo"]
    assert who_knows(rec, "?!") == [] and who_knows(rec, "knitting") == []
    muted = {"bob": {"expertise:wifi", "expertise:drivers"}}
    assert [m for m, _ in who_knows(rec, "wifi drivers", muted=muted)] == ["ana"]
    assert stem("drivers") == stem("driver") and stem("wireless") == "wireless"


def test_who_mostly_asks_weighs_less_than_who_mostly_answers() -> None:
    rec = record(expertise=[("partition\x1fasker", 3.0), ("partition\x1fhelper", 2.0)],
                 answerers=[("helper", 10.0), ("asker", 1.0)], askers=[("asker", 12.0), ("helper", 1.0)])  # fmt: skip
    assert [m for m, _ in who_knows(rec, "partition")] == ["helper", "asker"]


def test_helpers_show_what_each_answers_more_than_others() -> None:
    rec = record(expertise=[("grub\x1fbob", 5.0), ("boot\x1fbob", 4.0), ("boot\x1fana", 4.5), ("sound\x1fana", 3.0)])
    assert helpers(rec) == [("bob", ["grub", "boot"]), ("ana", ["sound", "boot"])]


def test_running_jokes_need_more_than_one_laugh() -> None:
    rec = record(jokes=[("the live cd\x1fbob", 1.5), ("the live cd\x1fana", 1.0), ("once\x1fcleo", 1.0)],
                 phrases=[("please see my message\x1fana", 2.0), ("please see my message\x1fbob", 2.0),
                          ("hello there\x1fana", 1.0)])  # fmt: skip
    assert running_jokes(rec) == ["the live cd", "please see my message"]


def test_prompt_notes_only_bear_on_the_conversation_at_hand() -> None:
    rec = record(expertise=[("wifi\x1fbob", 3.0), ("grub\x1fcleo", 2.0)],
                 decisions=[{"text": "let's go with postgres for the backend", "by": ["ana"]}])  # fmt: skip
    names = {"bob": "Bob", "cleo": "Cleo", "ana": "Ana"}
    assert notes_for(rec, ["my wifi keeps dropping"], names) == ["In this group Bob often helps with wifi."]
    assert notes_for(rec, ["which database for the backend?"], names) == [
        'The group decided: "let\'s go with postgres for the backend".'
    ]
    assert notes_for(rec, ["nice weather today"], names) == []
