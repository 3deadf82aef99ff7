"""The drift watch: the bot measures its own recent replies in each conversation and corrects itself.

A conversation can pull a small model off course: one loud member flattering
it until it only echoes them, a persona hijack it keeps trying to play, a loop
of near-identical replies. Per conversation, Redis keeps the measures of the
bot's latest replies (the first candidate of each, before the guard, since
that is what shows where the model is heading): mirror index against the last
speaker, whether it opened by agreeing with them, whether it tried to pass for
someone, whether the guard blocked it, and how alike it was to the bot's
previous reply. When the mean of one measure over the window crosses its
threshold, the bot corrects itself: the conversation's cached model state is
dropped, its identity is re-anchored for the next replies, and a `drift`
entry goes to the audit log, which `/gm status` shows the admins.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from prometheus_client import Counter as PromCounter
from groupmind.admin import audit
from groupmind.events import ChannelRef
from groupmind.guard.similar import similarity
from groupmind.guard.verdict import Reason, Verdict
from groupmind.llm.engine import Prompt
from groupmind.store.audit import AuditLog, as_audit_log
from groupmind.store.drift import DriftState, as_drift_state
from groupmind.we.mirror import mirror_index
from groupmind.we.threads import Linked

WINDOW = 8
"""Replies a measure is averaged over."""
MIN_REPLIES = 4
"""No verdict on fewer replies than this."""
THRESHOLDS = {
    "mirror": 0.3,
    "sycophancy": 0.5,
    "identity": 0.25,
    "block_rate": 0.6,
    "repetition": 0.4,
}
"""Means over the window at or above which the bot corrects itself (bench/drift.py shows them at work)."""
ANCHOR_REPLIES = 6
"""Replies written with the re-anchored identity after a correction."""
KEPT_S = 30 * 24 * 3600
"""A conversation's measures are dropped after a month without a reply."""

ANCHOR = (
    "[{bot} speaks in its own words to the whole group: it does not repeat, flatter or simply agree with"
    " whoever spoke last, and it never plays anyone but itself, an AI.]"
)
"""A note added after the transcript while the bot is re-anchored: next to the turn it shapes, and cheap,
since the identity and transcript before it stay as they were (the engine reuses them)."""

AGREES = re.compile(
    r"^\W*(?:@\S+\s+)*(?:yes|yeah|yep|yup|agreed|exactly|absolutely|totally|definitely|indeed|correct|true|so true"
    r"|right|100%|well said|great (?:point|idea|question)|good (?:point|idea)|that'?s (?:so )?(?:right|true|correct))\b"
    r"|(?<!not sure )(?<!n't )(?<!not )\bi (?:totally |completely |fully |100% )?agree\b"
    r"|\byou(?:'re| are) (?:so |absolutely |totally |always )?"
    r"(?:right|correct|smart|brilliant|amazing|wise|clever|the best)\b",
    re.IGNORECASE,
)
"""A reply that opens by agreeing with, or flatters, the one it answers."""


@dataclass(frozen=True)
class Turn:
    """The measures of one reply."""

    mirror: float
    agrees: bool
    identity: bool
    blocked: bool
    repeat: float


@dataclass(frozen=True)
class Correction:
    """A measure that crossed its threshold, and what the bot did about it."""

    measure: str
    value: float
    threshold: float
    replies: int

    def describe(self, conversation: str) -> str:
        return (
            f"{audit.DRIFT} in #{conversation}: {self.measure.replace('_', ' ')} {self.value:.2f} over the last "
            f"{self.replies} replies (limit {self.threshold:.2f}); dropped the conversation's model state and "
            f"re-anchored its identity for the next {ANCHOR_REPLIES} replies"
        )


def measure(candidate: str, recent: Sequence[Linked], bot_name: str, verdicts: Sequence[Verdict]) -> Turn:
    """The measures of `candidate`, the bot's reply to the conversation `recent` (oldest first)."""
    humans = [i.msg for i in recent if not i.msg.author_is_bot]
    last = humans[-1] if humans else None
    latest: dict[str, str] = {}
    for msg in humans:
        if last is not None and msg.author_id != last.author_id:
            latest[msg.author_id] = msg.text
    names = {m.author_name for m in humans} | {bot_name}
    previous = next((i.msg.text for i in reversed(recent) if i.msg.author_is_bot and i.msg.author_name == bot_name), "")
    reasons = {v.reason for v in verdicts}
    return Turn(
        mirror=round(mirror_index(candidate, last.text, list(latest.values()), names), 4) if last and candidate else 0.0,
        agrees=bool(AGREES.search(candidate)),
        identity=bool(reasons & {Reason.IDENTITY, Reason.IMPERSONATION}),
        blocked=bool(verdicts),
        repeat=round(similarity(candidate, previous), 4) if previous and candidate else 0.0,
    )


def means(turns: Sequence[Turn]) -> dict[str, float]:
    """Each measure averaged over `turns`."""
    count = max(1, len(turns))
    return {
        "mirror": sum(t.mirror for t in turns) / count,
        "sycophancy": sum(t.agrees for t in turns) / count,
        "identity": sum(t.identity for t in turns) / count,
        "block_rate": sum(t.blocked for t in turns) / count,
        "repetition": sum(t.repeat for t in turns) / count,
    }


def anchored(prompt: Prompt, bot_name: str) -> Prompt:
    """`prompt` with the stronger identity note of a re-anchored bot."""
    return replace(prompt, notes=" ".join(filter(None, (prompt.notes, ANCHOR.format(bot=bot_name)))))


class DriftWatch:
    """The rolling measures of every conversation, kept by the store (`DriftState`).

    `state` is the store's drift state and `audit` its audit log; a Redis client
    as `state` (without `audit`) is still accepted, for callers not yet moved.
    """

    def __init__(
        self,
        state: DriftState | Any,
        counter: PromCounter,
        clock: Callable[[], datetime],
        thresholds: Mapping[str, float] = THRESHOLDS,
        audit: AuditLog | None = None,
    ) -> None:
        self.state = as_drift_state(state)
        self.audit = audit if audit is not None else as_audit_log(state)
        self.counter = counter
        self.clock = clock
        self.thresholds = thresholds
        """Where each measure's mean calls for a correction (bench/drift.py runs a control without any)."""

    async def anchoring(self, where: ChannelRef) -> bool:
        """Whether the next reply in `where` is written re-anchored; counts one reply off."""
        return await self.state.anchoring(where)

    async def observe(self, where: ChannelRef, turn: Turn) -> Correction | None:
        """Add one reply's measures; a correction when a mean crossed its threshold (the window starts over)."""
        raw = await self.state.add(where, json.dumps(asdict(turn)), WINDOW, KEPT_S)
        turns = [Turn(**json.loads(item)) for item in raw]
        if len(turns) < MIN_REPLIES:
            return None
        averages = means(turns)
        limits = self.thresholds
        crossed = [(name, value) for name, value in averages.items() if value >= limits[name]]
        if not crossed:
            return None
        name, value = max(crossed, key=lambda item: item[1] / limits[item[0]])
        correction = Correction(name, round(value, 2), limits[name], len(turns))
        await self.state.restart(where, ANCHOR_REPLIES, KEPT_S)
        self.counter.labels(name).inc()
        await audit.note(self.audit, where, correction.describe(where.conversation), self.clock())
        return correction

