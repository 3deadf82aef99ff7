"""Second stage: the local model judges a stage-one candidate, within bounds.

Only messages stage one already labelled as risk reach the model. Its output is
constrained by a JSON-schema grammar to one label, so it cannot ramble or
invent a label. The model is never the only gate: it may move the label one
step up or down the severity ladder, never clear a risk label to none, never
make one imminent (that alerts without consent, so it needs stage one's evidence
of a plan, means or a time; the default 270M model says "plan" far too often),
and an imminent stage-one signal stays imminent whatever it says. If the model fails
or times out, the stage-one label stands.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from groupmind.care.signals import RANK, RISK_LABELS, Label
from groupmind.llm.engine import EngineError

log = logging.getLogger(__name__)

JUDGE_LABELS = (
    Label.NONE, Label.DISTRESS, Label.PANIC, Label.PASSIVE_IDEATION, Label.ACTIVE_IDEATION,
    Label.PLAN_OR_IMMINENT, Label.MEANS_QUESTION,
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"label": {"type": "string", "enum": [label.value for label in JUDGE_LABELS]}},
    "required": ["label"],
    "additionalProperties": False,
}
MAX_STEP = 1
"""How many rungs of the severity ladder the model may move a label."""

_INSTRUCTIONS = (
    "A chat safety monitor labels the last message of a group-chat member.\n"
    "Labels: none, distress, panic, passive_ideation (wishes to be dead), active_ideation "
    "(thoughts of killing oneself, self-harm), plan_or_imminent (plan, means, timeframe), "
    "means_question (asks about lethal means after distress).\n\n"
    "Message: what a great game last night\nLabel: {\"label\": \"none\"}\n"
    "Message: I feel like such a burden to everyone\nLabel: {\"label\": \"distress\"}\n"
    "Message: i wish i could just sleep forever\nLabel: {\"label\": \"passive_ideation\"}\n"
    "Message: I've been thinking about killing myself\nLabel: {\"label\": \"active_ideation\"}\n"
)


class JsonEngine(Protocol):
    async def complete_json(self, text: str, schema: dict[str, Any], *, max_tokens: int, timeout: float) -> Any: ...


@dataclass(frozen=True)
class Judgement:
    label: Label
    stage1: Label
    model: Label | None
    """What the model said; None when it was not asked or failed."""
    reason: str
    """agreed, refined, bounded, imminent, not_a_candidate or model_unavailable."""
    seconds: float = 0.0


def bound(stage1: Label, model: Label) -> tuple[Label, str]:
    """The final label when stage one says `stage1` and the model says `model` (pure)."""
    if stage1 is Label.PLAN_OR_IMMINENT:
        return stage1, "agreed" if model is stage1 else "imminent"
    if model is stage1:
        return stage1, "agreed"
    if model is Label.PLAN_OR_IMMINENT:  # alerting without consent needs stage one's evidence of a plan
        return stage1, "bounded"
    if model not in RISK_LABELS or abs(RANK[model] - RANK[stage1]) > MAX_STEP:
        return stage1, "bounded"
    return model, "refined"


def _prompt(text: str, context: Sequence[str]) -> str:
    # One line per message, so member text cannot forge a "Label:" line of its own.
    flat = [" ".join(line.split())[:300] for line in (*context[-3:], text)]
    earlier = "".join(f"Earlier: {line}\n" for line in flat[:-1])
    return f"{_INSTRUCTIONS}{earlier}Message: {flat[-1]}\nLabel: "


async def judge(
    engine: JsonEngine, text: str, stage1: Label, *, context: Sequence[str] = (), timeout: float = 15.0
) -> Judgement:
    """Ask the model about one candidate message; `context` is the member's recent messages."""
    if stage1 not in RISK_LABELS:
        return Judgement(stage1, stage1, None, "not_a_candidate")
    started = time.perf_counter()
    try:
        answer = await engine.complete_json(_prompt(text, context), SCHEMA, max_tokens=24, timeout=timeout)
        model = Label(answer["label"])
    except (EngineError, KeyError, TypeError, ValueError) as exc:
        log.warning("care judge unavailable, keeping stage one's %s: %s", stage1.value, exc)
        return Judgement(stage1, stage1, None, "model_unavailable", time.perf_counter() - started)
    label, reason = bound(stage1, model)
    return Judgement(label, stage1, model, reason, time.perf_counter() - started)
