"""What care contacts read: an alert, its reminder, the quiet digest.

Care messages leave the core through each adapter's `groupmind.platform.Platform`;
these are the texts they carry.
"""

from __future__ import annotations

from typing import Sequence

from groupmind.events import CareAlert


def render_alert(alert: CareAlert, *, reminder: bool = False) -> str:
    """The alert as a care contact reads it: who, where, why, excerpt, urgency, what the bot said, how to close it."""
    head = "Reminder, still open" if reminder else "Care alert"
    lines = [
        f"{head} #{alert.id} ({alert.urgency}): {alert.member.display_name} in #{alert.where.conversation}",
        f"why: {alert.why}",
    ]
    if alert.excerpt:
        lines.append(f'they said: "{alert.excerpt}"')
    if alert.link:
        lines.append(f"link: {alert.link}")
    if alert.bot_said:
        lines.append(f"I said: {alert.bot_said}")
    lines.append(f"acknowledge with `alerts ack {alert.id}`, close with `alerts resolve {alert.id}`")
    return "\n".join(lines)


def render_digest(alerts: Sequence[CareAlert]) -> str:
    """The quiet sweep's one message to the care contacts: who went quiet, and who got a private hello."""
    head = f"Care digest: {len(alerts)} regular{'s' if len(alerts) > 1 else ''} gone quiet"
    lines = [f"#{a.id} {a.member.display_name} (last in #{a.where.conversation}): {a.why}" for a in alerts]
    checked = [a.member.display_name for a in alerts if a.bot_said]
    if checked:
        lines.append("I sent a low-key private hello to " + ", ".join(checked) + ".")
    lines.append("acknowledge with `alerts ack ID`, close with `alerts resolve ID`")
    return "\n".join([head, *lines])
