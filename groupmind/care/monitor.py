"""The care step the pipeline runs on every stored message: detect, build risk, track rhythm.

Bots, blank messages and members who opted out are never profiled: nothing is
read from or written about them.
"""

from __future__ import annotations

from groupmind.care.quiet import record_activity
from groupmind.care.risk import Assessment, observe_risk
from groupmind.care.signals import Label, detect
from groupmind.events import ChatMessage
from groupmind.store.care_signals import CareSignals


async def observe(signals: CareSignals, msg: ChatMessage, sensitivity: str = "normal") -> Assessment | None:
    """Assess one message in the light of its author's recent messages; None when care does not apply.

    `sensitivity` (low|normal|high, the community's `care.sensitivity`) sets stage one's thresholds.
    """
    if msg.author_is_bot or msg.is_blank:
        return None
    if await signals.opted_out(msg.platform, msg.community, msg.author_id):
        return None
    await record_activity(signals, msg.platform, msg.community, msg.author_id, msg.ts, msg.where.conversation)
    detection = detect(msg.text, sensitivity)
    if detection.label is Label.NONE and not detection.signals:
        return QUIET  # adds nothing to their risk (it decays the same stored or not): skip the round trips
    return await observe_risk(signals, msg.platform, msg.community, msg.author_id, detection, msg.ts)


QUIET = Assessment(Label.NONE, Label.NONE, 0.0, False)
"""The assessment of a message with no care signal at all."""
