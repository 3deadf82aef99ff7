"""Prompts stay byte-stable across turns, so the model can reuse what it already read."""

from groupmind.prompt import build_prompt
from tests.helpers import msg

WINDOW = 40


def conversation(count: int) -> list:
    return [msg(f"user{i % 5}", f"message number {i} about apt and grub") for i in range(count)]


def transcript(history: list, budget: int = 100_000) -> str:
    prompt = build_prompt("Mind", history, channel="ubuntu", budget_chars=budget, max_turns=WINDOW)
    return prompt.as_text().removesuffix("\nMind:")


def test_a_sliding_window_keeps_the_prompt_prefix_for_most_turns() -> None:
    messages = conversation(200)
    extended = 0
    turns = 0
    for end in range(WINDOW, len(messages)):
        before = transcript(messages[end - WINDOW : end])
        after = transcript(messages[end + 1 - WINDOW : end + 1])
        extended += after.startswith(before)
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
