"""Per-member risk that builds over recent messages instead of one line at a time.

"I lost my job" on Monday and "what's the tallest bridge around here" on
Tuesday are each harmless alone; together they are an indirect means question.
Likewise means in hand ("there's a gun at home") with a time ("tonight") or a
preparation (a goodbye, things given away), in separate messages within the
window and with distress around, is imminent.
Each message adds a weight to the member's score, which halves every
`HALF_LIFE`; a means question asked while the score is above `CONTEXT_FLOOR` is
risk, not trivia, and repeated distress that piles up reads as passive ideation.

`assess` is the pure core (a state, a detection and a clock in, a new state out);
`observe_risk` keeps the state through the store's `CareSignals`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from groupmind.care.signals import ALERT_LABELS, RANK, Detection, Kind, Label
from groupmind.store.care_signals import RISK_WINDOW, CareSignals, RiskState

HALF_LIFE = timedelta(days=3)
WINDOW = RISK_WINDOW
"""Older risk is forgotten: the stored state expires and the score is dropped."""
CONTEXT_FLOOR = 0.25
"""A score this high means distress is 'around' a lethality question."""
ACCUMULATED = 2.5
"""Distress adding up to this much reads as passive ideation."""
IDEATION_FLOOR = 1.5
"""A score this high means recent suicidal thoughts: a stated intent and timeframe is then a plan."""

WEIGHT = {
    Label.NONE: 0.0, Label.CURIOSITY: 0.0, Label.CONCERN: 0.0, Label.DISTRESS: 1.0, Label.PANIC: 1.0,
    Label.PASSIVE_IDEATION: 2.0, Label.MEANS_QUESTION: 3.0, Label.ACTIVE_IDEATION: 3.0,
    Label.PLAN_OR_IMMINENT: 5.0,
}
_CONTEXT_WEIGHT = 0.5
"""What a signal too weak to flag (a stressor such as a lost job) still adds."""
_CONTEXT_KINDS = {Kind.STRESSOR, Kind.DISTRESS, Kind.HOPELESSNESS, Kind.BURDEN, Kind.PROJECTED}


def decayed(state: RiskState, now: float) -> float:
    """The score of `state` as it stands at `now` (epoch seconds)."""
    age = max(0.0, now - state.updated)
    if age > WINDOW.total_seconds():
        return 0.0
    return state.score * math.pow(0.5, age / HALF_LIFE.total_seconds())


@dataclass(frozen=True)
class Assessment:
    """A message's label in the light of the member's recent messages."""

    label: Label
    detected: Label
    """What stage one saw in this message alone."""
    score: float
    imminent: bool
    escalated: str | None = None
    """Why context changed the label ("indirect", "accumulated", "means+time", "means+preparation"), if it did."""
    state: RiskState = RiskState()

    @property
    def alert(self) -> bool:
        """Whether a care contact should hear about it."""
        return self.label in ALERT_LABELS


def _cues(state: RiskState, detection: Detection, stamp: float, distress: bool, means_asked: bool) -> RiskState:
    """`state` with the means, time and preparation this message shows stamped at `stamp`.

    A time counts only with distress around: "tonight" in ordinary talk is everywhere. A question about
    means asked in distress ("how many of my pills would it take") counts as means: they have them in mind.
    """
    live = [s for s in detection.signals if s.strength >= 1]
    means = means_asked or any(s.kind is Kind.MEANS and s.label is Label.NONE for s in live)
    time = distress and any(s.kind is Kind.TIMEFRAME for s in live)
    prep = any(s.kind in (Kind.PREPARATION, Kind.FAREWELL, Kind.PLAN) for s in live)
    return replace(state, means_at=stamp if means else state.means_at, time_at=stamp if time else state.time_at,
                   prep_at=stamp if prep else state.prep_at)


def _means_with(state: RiskState, stamp: float) -> str | None:
    """"means+time" or "means+preparation" when both lie within the window before `stamp`."""
    def recent(at: float) -> bool:
        return at > 0 and stamp - at <= WINDOW.total_seconds()

    if not recent(state.means_at):
        return None
    if recent(state.time_at):
        return "means+time"
    return "means+preparation" if recent(state.prep_at) else None


def assess(state: RiskState, detection: Detection, now: datetime) -> Assessment:
    """Fold one message's detection into a member's risk; pure, so tests drive the clock."""
    stamp = now.timestamp()
    before = decayed(state, stamp)
    label, why = detection.label, None
    if label is Label.CURIOSITY and before >= CONTEXT_FLOOR:
        label, why = Label.MEANS_QUESTION, "indirect"
    elif before >= IDEATION_FLOOR and any(s.kind is Kind.TIMEFRAME and s.strength >= 2 for s in detection.signals):
        label, why = Label.PLAN_OR_IMMINENT, "indirect"  # "I'm going to do it tonight" after ideation
    added = WEIGHT[label]
    if not added and any(s.kind in _CONTEXT_KINDS and s.strength >= 1 for s in detection.signals):
        added = _CONTEXT_WEIGHT
    score = before + added
    if label is Label.DISTRESS and score >= ACCUMULATED:
        label, why = Label.PASSIVE_IDEATION, "accumulated"
    recent_risk = state.last_risk > 0 and stamp - state.last_risk <= WINDOW.total_seconds()
    distress = RANK[label] > 0 or before >= CONTEXT_FLOOR or recent_risk
    asked = label is Label.MEANS_QUESTION or (distress and any(s.kind is Kind.MEANS for s in detection.signals))
    cued = _cues(state, detection, stamp, distress, asked)
    if label is not Label.PLAN_OR_IMMINENT and distress and cued != state and (combo := _means_with(cued, stamp)):
        label, why = Label.PLAN_OR_IMMINENT, combo
        score += WEIGHT[label] - added
    last_risk = stamp if RANK[label] > 0 else state.last_risk
    if score or cued != state:
        new = replace(cued, score=round(score, 4), updated=stamp, last_risk=last_risk)
    else:
        new = state
    return Assessment(label, detection.label, round(score, 4), label is Label.PLAN_OR_IMMINENT, why, new)


async def observe_risk(
    signals: CareSignals, platform: str, community: str, member_id: str, detection: Detection, now: datetime
) -> Assessment:
    """Assess one message against the member's stored risk and store the new state."""
    results: list[Assessment] = []

    def change(state: RiskState) -> RiskState | None:
        results[:] = [assess(state, detection, now)]
        new = results[0].state
        return new if new.updated == now.timestamp() else None  # None: nothing new to record

    await signals.update_risk(platform, community, member_id, change)
    return results[0]
