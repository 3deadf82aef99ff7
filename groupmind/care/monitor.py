"""The care step the pipeline runs on every stored message: detect, build risk, track rhythm.

Bots, blank messages and members who opted out are never profiled: nothing is
read from or written about them.
"""

from __future__ import annotations

from functools import reduce
from typing import Callable, Sequence

from groupmind.care.quiet import add, record_activity
from groupmind.care.risk import Assessment, observe_risk
from groupmind.care.signals import Label, detect
from groupmind.events import ChatMessage
from groupmind.store.care_signals import CareSignals, Rhythm


async def observe(
    signals: CareSignals, msg: ChatMessage, sensitivity: str = "normal", opted_out: bool | None = None
) -> Assessment | None:
    """Assess one message in the light of its author's recent messages; None when care does not apply.

    `sensitivity` (low|normal|high, the community's `care.sensitivity`) sets stage one's thresholds;
    `opted_out` is whether the author opted out, when it was read with the message (None: read it here).
    """
    if msg.author_is_bot or msg.is_blank:
        return None
    if opted_out is None:
        opted_out = await signals.opted_out(msg.platform, msg.community, msg.author_id)
    if opted_out:
        return None
    await record_activity(signals, msg.platform, msg.community, msg.author_id, msg.ts, msg.where.conversation)
    detection = detect(msg.text, sensitivity)
    if detection.label is Label.NONE and not detection.signals:
        return QUIET  # adds nothing to their risk (it decays the same stored or not): skip the round trips
    return await observe_risk(signals, msg.platform, msg.community, msg.author_id, detection, msg.ts)


async def observe_batch(
    signals: CareSignals, messages: Sequence[ChatMessage], optouts: set[str], sensitivity: str = "normal"
) -> list[tuple[ChatMessage, Assessment]]:
    """`observe` for a batch of one community's stored messages (replays, backfills), in their order.

    Detection costs microseconds a message and Redis round trips cost far more, so
    the batch's rhythms and pulse are written together, and only the rare message
    with a care signal reads and writes its author's risk. `optouts` are the
    community's opted-out members. Returns the messages care applies to, with
    their assessments; ordinary ones are left out.
    """
    people = [m for m in messages if not m.author_is_bot and not m.is_blank and m.author_id not in optouts]
    if not people:
        return []
    stamps: dict[str, list[float]] = {}
    last_where: dict[str, str] = {}
    for msg in people:
        stamps.setdefault(msg.author_id, []).append(msg.ts.timestamp())
        last_where[msg.author_id] = msg.where.conversation
    first = people[0]
    await signals.record_rhythms(
        first.platform, first.community,
        {member: (_folding(times), last_where[member]) for member, times in stamps.items()},
        max(msg.ts for msg in people),
    )  # fmt: skip
    found = []
    for msg in people:
        detection = detect(msg.text, sensitivity)
        if detection.label is Label.NONE and not detection.signals:
            continue
        found.append((msg, await observe_risk(signals, msg.platform, msg.community, msg.author_id, detection, msg.ts)))
    return found


def _folding(stamps: Sequence[float]) -> Callable[[Rhythm], Rhythm]:
    """A member's rhythm after their messages at `stamps`, in order, as `record_activity` folds them one by one."""
    return lambda rhythm: reduce(add, stamps, rhythm)


QUIET = Assessment(Label.NONE, Label.NONE, 0.0, False)
"""The assessment of a message with no care signal at all."""
