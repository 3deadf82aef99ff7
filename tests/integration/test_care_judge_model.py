"""The second stage with the real default model and a grammar-constrained JSON answer."""

from __future__ import annotations

import pytest

from groupmind.care.judge import JUDGE_LABELS, SCHEMA, judge
from groupmind.care.signals import RANK, Label
from groupmind.llm.engine import GenerationTimeout, Prompt
from groupmind.llm.local import LocalEngine

pytestmark = pytest.mark.model


async def test_judge_returns_one_bounded_label(engine: LocalEngine) -> None:
    raw = await engine.complete_json("Message: hello\nLabel: ", SCHEMA, max_tokens=24, timeout=60)
    assert set(raw) == {"label"} and raw["label"] in {label.value for label in JUDGE_LABELS}

    result = await judge(engine, "i wish i could sleep forever", Label.PASSIVE_IDEATION,
                         context=["lost my job today"], timeout=60)
    assert result.model in JUDGE_LABELS
    assert abs(RANK[result.label] - RANK[Label.PASSIVE_IDEATION]) <= 1 and result.label is not Label.NONE
    print(f"judge latency {result.seconds:.3f}s, model said {result.model}")

    imminent = await judge(engine, "the pills are ready, tonight", Label.PLAN_OR_IMMINENT, timeout=60)
    assert imminent.label is Label.PLAN_OR_IMMINENT


async def test_judge_keeps_stage_one_when_the_model_times_out(engine: LocalEngine) -> None:
    with pytest.raises(GenerationTimeout):
        await engine.complete_json("Label: ", SCHEMA, max_tokens=24, timeout=0.000001)
    result = await judge(engine, "I want to kill myself", Label.ACTIVE_IDEATION, timeout=0.000001)
    assert (result.label, result.reason, result.model) == (Label.ACTIVE_IDEATION, "model_unavailable", None)
    # The abandoned generations stop at their next token, so the worker is free for the room again.
    assert [p async for p in engine.stream(Prompt(system="chat", turns=("a: hi",), speaker="b"), max_tokens=4, timeout=30)]


async def test_curiosity_never_reaches_the_model(engine: LocalEngine) -> None:
    result = await judge(engine, "what's the LD50 of NaCl?", Label.CURIOSITY)
    assert (result.label, result.reason) == (Label.CURIOSITY, "not_a_candidate")
