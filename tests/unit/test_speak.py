"""Every rule of when to speak, with a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


from groupmind.speak import Rules, answers_bot, on_message, when_due
from groupmind.store.pending import PendingReply
from groupmind.we.group import build_group
from groupmind.we.threads import Linked, link_message
from tests.helpers import msg

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
RULES = Rules(timedelta(seconds=6), timedelta(seconds=60), max_replies=2, rate_window=timedelta(seconds=60))


def room(*lines: tuple[str, str, int]):
    recent: list[Linked] = []
    for index, (author, text, second) in enumerate(lines):
        m = msg(author, text, message_id=f"r{index}", ts=T0 + timedelta(seconds=second))
        recent.append(Linked(m, link_message(m, recent)))
    return build_group(recent, {}, T0 + timedelta(seconds=lines[-1][2]), "Mind")


def pending(addressed: str = "", second: int = 0) -> PendingReply:
    return PendingReply("r0", T0 + timedelta(seconds=second), addressed)


def test_on_message_rules() -> None:
    assert on_message(msg(text="Mind, hi"), "Mind", "quiet").reason.startswith("quiet mode")
    assert on_message(msg(text="hi", author_is_bot=True), "Mind", "active").reason == "a bot wrote it"
    assert on_message(msg(text="  "), "Mind", "active").reason == "empty message"
    named = on_message(msg("Ana", "Mind, hi"), "Mind", "mention")
    assert named.wait and not named.speak and named.reason.startswith("named by Ana")
    assert on_message(msg("Ana", "hi", mentions_bot=True), "Mind", "mention").reason.startswith("mentioned by Ana")
    assert on_message(msg("Ana", "ok", reply_to_bot=True), "Mind", "mention").wait
    assert not on_message(msg("Ana", "mindful"), "Mind", "mention").wait
    assert on_message(msg("Ana", "hi all"), "Mind", "active").wait


def test_never_mid_burst_then_answers_when_addressed() -> None:
    group = room(("ana", "Mind, help", 0))
    early = when_due(pending("named by Ana", 0), group, "mention", T0 + timedelta(seconds=3), 0, RULES)
    assert early.wait and not early.speak and early.reason.startswith("mid-burst")
    due = when_due(pending("named by Ana", 0), group, "mention", T0 + timedelta(seconds=6), 0, RULES)
    assert due.speak and due.reason == "named by Ana; the burst settled"


def test_rate_limit_and_quiet_win_over_being_addressed() -> None:
    group = room(("ana", "Mind, help", 0))
    later = T0 + timedelta(seconds=10)
    limited = when_due(pending("named by Ana"), group, "mention", later, 2, RULES)
    assert not limited.speak and not limited.wait and limited.reason == "rate limit: 2 replies in the last 60s"
    assert not when_due(pending("named by Ana"), group, "quiet", later, 0, RULES).speak


def test_question_to_the_room_waits_for_a_pause_in_active_mode_only() -> None:
    group = room(("ana", "does anyone know a good dentist?", 0))
    assert group.open_questions[0].author == "ana"
    soon = when_due(pending(), group, "active", T0 + timedelta(seconds=30), 0, RULES)
    assert soon.wait and "giving people time" in soon.reason
    late = when_due(pending(), group, "active", T0 + timedelta(seconds=90), 0, RULES)
    assert late.speak and "unanswered after 90s" in late.reason
    assert not when_due(pending(), group, "mention", T0 + timedelta(seconds=90), 0, RULES).speak


def test_answered_or_addressed_questions_are_not_open() -> None:
    assert not room(("ana", "what time is it?", 0), ("ben", "ana: noon", 5)).open_questions
    assert not room(("ana", "Ben, are you coming?", 0)).open_questions
    assert not room(("ana", "Mind, are you there?", 0)).open_questions
    assert not room(("ana", "@ben are you coming?", 0)).open_questions, "an @name addresses, comma or not"
    assert not room(("ana", "are you coming @Dan?", 0)).open_questions, "even a name not seen yet"
    assert room(("ana", "@everyone is anyone coming?", 0)).open_questions, "@everyone is the room"
    assert room(("ana", "never mind the bus, does anyone have a car?", 0)).open_questions, "the word is no call"


def test_draws_in_a_member_the_room_talked_past() -> None:
    group = room(
        ("cleo", "I just got back from Norway", 0), ("ana", "ben: that goal", 1), ("ben", "ana: unreal", 2),
        ("ana", "ben: replay it", 3),
    )
    assert group.left_out == ("cleo",)
    due = when_due(pending(second=3), group, "active", T0 + timedelta(seconds=20), 0, RULES)
    assert due.speak and due.reason == "drawing in cleo, whom the room talked past"


def test_active_mode_stays_silent_when_the_room_needs_nothing() -> None:
    group = room(("ana", "ben: meeting at three", 0), ("ben", "ana: noted", 1))
    decision = when_due(pending(second=1), group, "active", T0 + timedelta(seconds=20), 0, RULES)
    assert not decision.speak and not decision.wait and "nothing the room needs" in decision.reason


def test_group_rendering_names_threads_questions_and_stances() -> None:
    group = room(
        ("ana", "pizza or sushi for friday", 0), ("ben", "ana: agree, pizza it is", 1),
        ("cleo", "ana: no, sushi please", 2), ("dan", "is anyone driving to the lake on sunday?", 3),
    )
    text = group.render()
    assert text.startswith("In the room: ana, ben, cleo, dan.")
    assert "Open question to everyone from dan" in text
    assert "ben agrees with ana" in text and "cleo differs from ana" in text
    assert build_group([], {}, T0, "Mind").render() == ""


def test_in_mention_mode_the_messages_after_a_call_extend_the_wait() -> None:
    more = on_message(msg("Ana", "the chain keeps slipping"), "Mind", "mention", callers=["ana"])
    assert more.wait and not more.speak and more.reason == "Ana is still talking; waiting for them to pause"
    assert on_message(msg("Ben", "lol"), "Mind", "mention", callers=["ana"]).wait
    assert not on_message(msg("Ana", "the chain keeps slipping"), "Mind", "mention").wait
    assert not on_message(msg("Ana", "more"), "Mind", "quiet", callers=["ana"]).wait


def test_a_reply_the_platform_did_not_mark_is_read_from_what_the_bot_wrote() -> None:
    own = msg("Mind", "try the lake trail", author_is_bot=True, author_id="bot:Mind", message_id="b1", reply_to="a1")
    ana = msg("Ana", "and in winter?", message_id="a2", reply_to="b1")
    assert answers_bot(ana, [own], [], "Mind"), "its reply_to is the bot's message"
    assert not answers_bot(msg("Ana", "ok", reply_to="a1"), [own], [], "Mind"), "a reply to a member's message"
    other_bot = own.model_copy(update={"author_name": "Echo"})
    assert not answers_bot(ana, [other_bot], [], "Mind"), "another bot's message is not the bot's"
    in_thread = msg("Ana", "and in winter?", thread="a1", reply_to="a1")
    assert answers_bot(in_thread, [], [own], "Mind"), "the first word in the thread the bot's answer opened"
    assert answers_bot(in_thread, [own.model_copy(update={"thread": "a1"})], [], "Mind"), "right after the bot's"
    assert not answers_bot(in_thread, [own.model_copy(update={"thread": "a1"}), msg("Ben", "nice")], [], "Mind")
    assert not answers_bot(msg("Ana", "hm", thread="z9", reply_to="z9"), [], [own], "Mind"), "a thread on another message"
    assert not answers_bot(msg("Ana", "hm"), [own], [own], "Mind"), "in a channel, coming after the bot is no reply"


def test_the_caller_can_take_a_call_back_before_it_is_answered() -> None:
    back = on_message(msg("Ana", "never mind, found it"), "Mind", "mention", callers=["ana"])
    assert back.withdrawn and not back.wait and back.reason == "Ana took the call back"
    assert on_message(msg("Ana", "nvm it works"), "Mind", "active", callers=["ana"]).withdrawn
    assert not on_message(msg("Ben", "never mind me"), "Mind", "mention", callers=["ana"]).withdrawn
    assert not on_message(msg("Ana", "never mind"), "Mind", "mention", callers=["ana", "ben"]).withdrawn, "Ben still asks"
    assert not on_message(msg("Ana", "never mind, Mind, one more?"), "Mind", "mention", callers=["ana"]).withdrawn
    assert not on_message(msg("Ana", "nm, you?"), "Mind", "mention", callers=["ana"]).withdrawn, "'nm' is 'not much'"
