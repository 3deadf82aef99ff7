"""What care contacts read: an alert, its reminder, the quiet digest.

Care messages leave the core through each adapter's `groupmind.platform.Platform`.
`Courier` and `AdminRoute` are the older names of its private routes, kept only
for the admin layer until every adapter implements `Platform` (its `to_admins`).
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from groupmind.events import CareAlert, ChannelRef, Member


class Courier(Protocol):
    """An adapter's private routes to people."""

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """Say `text` to `member` privately (a DM); `where` is the channel the talk began in.

        False when it cannot reach them (closed DMs, left the community).
        """
        ...

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        """Deliver `alert`, rendered as `text`, privately to one care contact; False if they cannot be reached."""
        ...


@runtime_checkable
class AdminRoute(Protocol):
    """An adapter that knows a community's admins and can reach them privately (the local room's `--admin`).

    Optional beside `Courier`: where the core does not know who the admins are,
    what they must hear is kept where they look instead (audit log, `status`).
    """

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        """Say `text` privately to every admin of `where`'s community; False when none could be reached."""
        ...


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
