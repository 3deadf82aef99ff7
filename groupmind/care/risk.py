"""Per-member risk that builds over recent messages instead of one line at a time.

"I lost my job" on Monday and "what's the tallest bridge around here" on
Tuesday are each harmless alone; together they are an indirect means question.
Each message adds a weight to the member's score, which halves every
`HALF_LIFE`; a means question asked while the score is above `CONTEXT_FLOOR` is
risk, not trivia, and repeated distress that piles up reads as passive ideation.

`assess` is the pure core (a state, a detection and a clock in, a new state out);
`observe_risk` keeps the state in Redis under the member's community prefix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis

from groupmind.care.records import update_hash
from groupmind.care.signals import ALERT_LABELS, RANK, Detection, Kind, Label
from groupmind.store.keys import CommunityKeys

HALF_LIFE = timedelta(days=3)
WINDOW = timedelta(days=14)
"""Older risk is forgotten: the Redis state expires and the score is dropped."""
CONTEXT_FLOOR = 0.25
"""A score this high means distress is 'around' a lethality question."""
ACCUMULATED = 2.5
"""Distress adding up to this much reads as passive ideation."""
IDEATION_FLOOR = 1.5
"""A score this high means recent suicidal thoughts: a stated intent and timeframe is then a plan."""

WEIGHT = {
    Label.NONE: 0.0, Label.CURIOSITY: 0.0, Label.DISTRESS: 1.0, Label.PANIC: 1.0,
    Label.PASSIVE_IDEATION: 2.0, Label.MEANS_QUESTION: 3.0, Label.ACTIVE_IDEATION: 3.0,
    Label.PLAN_OR_IMMINENT: 5.0,
}
_CONTEXT_WEIGHT = 0.5
"""What a signal too weak to flag (a stressor such as a lost job) still adds."""
_CONTEXT_KINDS = {Kind.STRESSOR, Kind.DISTRESS, Kind.HOPELESSNESS, Kind.BURDEN, Kind.PROJECTED}


@dataclass(frozen=True)
class RiskState:
    score: float = 0.0
    updated: float = 0.0
    """Epoch seconds of the last update."""
    last_risk: float = 0.0
    """Epoch seconds of the last risk-labelled message; 0 when none."""

    def decayed(self, now: float) -> float:
        """The score as it stands at `now`."""
        age = max(0.0, now - self.updated)
        if age > WINDOW.total_seconds():
            return 0.0
        return self.score * math.pow(0.5, age / HALF_LIFE.total_seconds())


@dataclass(frozen=True)
class Assessment:
    """A message's label in the light of the member's recent messages."""

    label: Label
    detected: Label
    """What stage one saw in this message alone."""
    score: float
    imminent: bool
    escalated: str | None = None
    """Why context changed the label ("indirect", "accumulated"), if it did."""
    state: RiskState = RiskState()

    @property
    def alert(self) -> bool:
        """Whether a care contact should hear about it."""
        return self.label in ALERT_LABELS


def assess(state: RiskState, detection: Detection, now: datetime) -> Assessment:
    """Fold one message's detection into a member's risk; pure, so tests drive the clock."""
    stamp = now.timestamp()
    before = state.decayed(stamp)
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
    last_risk = stamp if RANK[label] > 0 else state.last_risk
    new = replace(state, score=round(score, 4), updated=stamp, last_risk=last_risk) if score else state
    return Assessment(label, detection.label, round(score, 4), label is Label.PLAN_OR_IMMINENT, why, new)


def _load(fields: dict[str, str]) -> RiskState:
    try:
        return RiskState(float(fields.get("score", 0)), float(fields.get("updated", 0)), float(fields.get("last_risk", 0)))
    except ValueError:  # a hand-edited or corrupt hash: start over rather than fail the message
        return RiskState()


async def load_risk(redis: Redis, keys: CommunityKeys, member_id: str) -> RiskState:
    return _load(await redis.hgetall(keys.care_risk(member_id)))


async def observe_risk(
    redis: Redis, keys: CommunityKeys, member_id: str, detection: Detection, now: datetime
) -> Assessment:
    """Assess one message against the member's stored risk and store the new state."""
    results: list[Assessment] = []

    def change(fields: dict[str, str]) -> dict[str, float] | None:
        results[:] = [assess(_load(fields), detection, now)]
        state = results[0].state
        if state.updated != now.timestamp():  # nothing new to record
            return None
        return {"score": state.score, "updated": state.updated, "last_risk": state.last_risk}

    await update_hash(redis, keys.care_risk(member_id), change, ttl_s=int(WINDOW.total_seconds()))
    return results[0]
