"""Few-shot turns for base models: in the transcript a base model continues, never in a chat model's messages."""

from __future__ import annotations

from groupmind.guard import Reason, Scene, check
from groupmind.prompt import build_prompt, examples
from tests.helpers import msg


def test_examples_go_between_the_identity_and_the_transcript_of_a_base_model_only() -> None:
    history = [msg("ana", "Mind, what is 2+2?")]
    shots = examples("Mind")
    prompt = build_prompt("Mind", history, channel="general", budget_chars=4000, shots=shots)
    text = prompt.as_text()
    assert text.index(prompt.system) < text.index(shots) < text.index("ana: Mind, what is 2+2?")
    assert text.endswith("Mind:") and prompt.stable_text().startswith(f"{prompt.system}\n\n{shots}\n\n")
    assert all(shots not in m["content"] and "Quill" not in m["content"] for m in prompt.as_messages())
    plain = build_prompt("Mind", history, channel="general", budget_chars=4000)
    assert "Quill" not in plain.as_text()  # off unless asked for


def test_the_examples_count_against_the_transcript_budget() -> None:
    history = [msg("ana", f"message number {i} about the weekend plans", message_id=f"w{i}") for i in range(60)]
    shots = examples("Mind")
    without = build_prompt("Mind", history, channel="general", budget_chars=1500)
    with_shots = build_prompt("Mind", history, channel="general", budget_chars=1500, shots=shots)
    assert len(with_shots.turns) < len(without.turns)
    assert len(with_shots.as_text()) <= 1500 + len("Mind:") + 1


def test_a_reply_copying_the_examples_is_blocked_as_a_leak() -> None:
    scene = Scene(bot_name="Mind", instructions=f"A group chat.\n{examples('Mind')}")
    assert check("Noon by the lake: Quill brings a blanket, Zephyr brings lemonade.", scene).reason is Reason.PROMPT_LEAK
