"""What care contacts read: an alert, its reminder, the quiet digest.

Care messages leave the core through each adapter's `groupmind.platform.Platform`;
these are the texts they carry.
"""

from __future__ import annotations

from typing import Sequence

from groupmind.events import CareAlert


def render_alert(alert: CareAlert, *, reminder: bool = False, last: bool = False) -> str:
    """The alert as a care contact reads it: who, where, why, excerpt, urgency, what the bot said, how to close it.

    The `last` reminder says that the admins hear of it next, so the contact knows why they will.
    """
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
    if last:
        lines.append("This is the last reminder: if nobody acknowledges it, I'll tell the admins.")
    return "\n".join(lines)


def render_unanswered(alert: CareAlert) -> str:
    """What the admins read when nobody answered an alert's reminders.

    It names no member (it may land in the audit log, which outlives a forget-me):
    `alerts list` shows the rest to those allowed to see it.
    """
    return (
        f"Care alert #{alert.id} ({alert.urgency}) has had no answer: the care contacts were reminded "
        f"{alert.reminders} times and nobody acknowledged it. Please see that someone picks it up "
        f"(`alerts list`, `alerts ack {alert.id}`), or add a care contact (`care contacts add MEMBER`). "
        "I won't remind anyone about it again."
    )


def render_digest(alerts: Sequence[CareAlert]) -> str:
    """The quiet sweep's one message to the care contacts: who went quiet, and who got a private hello."""
    head = f"Care digest: {len(alerts)} regular{'s' if len(alerts) > 1 else ''} gone quiet"
    lines = [f"#{a.id} {a.member.display_name} (last in #{a.where.conversation}): {a.why}" for a in alerts]
    checked = [a.member.display_name for a in alerts if a.bot_said]
    if checked:
        lines.append("I sent a low-key private hello to " + ", ".join(checked) + ".")
    lines.append("acknowledge with `alerts ack ID`, close with `alerts resolve ID`")
    return "\n".join([head, *lines])
