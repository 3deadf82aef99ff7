"""Prompts stay byte-stable across turns, so the model can reuse what it already read."""

from groupmind.llm import Prompt
from groupmind.prompt import build_prompt
from tests.helpers import msg

WINDOW = 40


def conversation(count: int) -> list:
    return [msg(f"user{i % 5}", f"message number {i} about apt and grub") for i in range(count)]


def room(turn: int) -> str:
    """A we-model rendering that changes every turn, as the real one does."""
    return f"In the room: user{turn % 5}, user{(turn + 1) % 5}.\n- user{turn % 5} has not been answered (turn {turn})."


def window_prompt(messages: list, end: int) -> Prompt:
    """The prompt after message `end` (exclusive), with room notes that change every turn."""
    window = messages[max(0, end - WINDOW) : end]
    return build_prompt("Mind", window, channel="ubuntu", budget_chars=100_000, max_turns=WINDOW, group=room(end))


def test_a_sliding_window_keeps_the_prompt_prefix_for_most_turns() -> None:
    messages = conversation(200)
    extended = 0
    turns = 0
    for end in range(WINDOW, len(messages)):
        before = window_prompt(messages, end).stable_text()
        extended += window_prompt(messages, end + 1).as_text().startswith(before)
        turns += 1
    # Trimming one line per message would never extend; anchors make most turns pure appends.
    assert extended / turns > 0.7


def test_trimmed_prompts_keep_at_least_half_the_window_and_the_newest_line() -> None:
    messages = conversation(120)
    for end in range(WINDOW, len(messages)):
        window = messages[end - WINDOW : end]
        prompt = build_prompt("Mind", window, channel="ubuntu", budget_chars=100_000, max_turns=WINDOW)
        assert WINDOW // 2 <= len(prompt.turns) <= WINDOW
        assert prompt.turns[-1].endswith(window[-1].text)


def test_a_young_channel_is_shown_whole() -> None:
    messages = conversation(12)
    prompt = build_prompt("Mind", messages, channel="ubuntu", budget_chars=100_000, max_turns=WINDOW)
    assert len(prompt.turns) == 12


def test_the_char_budget_still_binds() -> None:
    messages = conversation(WINDOW)
    budget = 1200
    prompt = build_prompt("Mind", messages, channel="ubuntu", budget_chars=budget, max_turns=WINDOW)
    assert len(prompt.system) + sum(len(t) + 1 for t in prompt.turns) <= budget
    assert prompt.turns[-1].endswith(messages[-1].text)


def test_changing_room_notes_leave_the_whole_previous_transcript_reusable() -> None:
    messages = conversation(WINDOW - 1)
    for end in range(1, len(messages)):
        before = build_prompt("Mind", messages[:end], channel="ubuntu", budget_chars=100_000, group=room(end))
        after = build_prompt("Mind", messages[: end + 1], channel="ubuntu", budget_chars=100_000, group=room(end + 1))
        assert before.notes != after.notes
        shared = before.stable_text()
        assert after.as_text().startswith(shared)
        assert shared.endswith("\n".join(before.turns) + "\n") and len(before.turns) == end
        # Only the notes and the bot's label are read again.
        assert len(after.as_text()) - len(shared) == len(after.turns[-1]) + 1 + len(after.notes) + 1 + len("Mind:")
