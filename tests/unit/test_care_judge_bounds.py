"""The model may refine a stage-one label only within bounds."""

from __future__ import annotations

import pytest

from groupmind.care.judge import bound
from groupmind.care.signals import Label


@pytest.mark.parametrize(
    ("stage1", "model", "final", "reason"),
    [
        (Label.PLAN_OR_IMMINENT, Label.NONE, Label.PLAN_OR_IMMINENT, "imminent"),
        (Label.PLAN_OR_IMMINENT, Label.DISTRESS, Label.PLAN_OR_IMMINENT, "imminent"),
        (Label.PASSIVE_IDEATION, Label.PASSIVE_IDEATION, Label.PASSIVE_IDEATION, "agreed"),
        (Label.PASSIVE_IDEATION, Label.ACTIVE_IDEATION, Label.ACTIVE_IDEATION, "refined"),
        (Label.PASSIVE_IDEATION, Label.DISTRESS, Label.DISTRESS, "refined"),
        (Label.ACTIVE_IDEATION, Label.PLAN_OR_IMMINENT, Label.ACTIVE_IDEATION, "bounded"),
        (Label.DISTRESS, Label.PANIC, Label.PANIC, "refined"),
        (Label.DISTRESS, Label.NONE, Label.DISTRESS, "bounded"),
        (Label.DISTRESS, Label.PLAN_OR_IMMINENT, Label.DISTRESS, "bounded"),
        (Label.ACTIVE_IDEATION, Label.NONE, Label.ACTIVE_IDEATION, "bounded"),
        (Label.ACTIVE_IDEATION, Label.DISTRESS, Label.ACTIVE_IDEATION, "bounded"),
    ],
)
def test_bound(stage1: Label, model: Label, final: Label, reason: str) -> None:
    assert bound(stage1, model) == (final, reason)
