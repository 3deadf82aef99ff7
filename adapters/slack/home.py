"""The App Home tab: a care contact's open alerts; for everyone else, what groupmind is.

Slack shows the Home tab only to the person who opens it, so it is a private
place for a care contact to see what still needs a human. Whether someone is a
care contact is asked of the core each time the view is built: a member who is
not one sees no alert, not even a count. The view is published when the tab is
opened and again after every alert DM, so it is current when the contact looks.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.names import api_error
from adapters.slack.translate import escape
from groupmind.events import CareAlert

log = logging.getLogger(__name__)

AlertsFor = Callable[[str, str], Awaitable[Sequence[CareAlert] | None]]
"""`alerts_for(team, user_id)`: the open alerts that member may see; None when they are not a care contact."""

MAX_SHOWN = 30
"""Alerts listed in full; three blocks each keeps the view under Slack's 100 blocks."""
SECTION_LIMIT = 3000
"""Slack's limit on a section block's text."""
_BOT_SAID_CHARS = 300
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")


def home_view(alerts: Sequence[CareAlert] | None, bot_name: str) -> dict[str, Any]:
    """The Home tab for one member: their open alerts if they are a care contact (None: they are not)."""
    if alerts is None:
        return {"type": "home", "blocks": [_about(bot_name), _context(NOT_A_CONTACT)]}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Care alerts"}},
        _context("Only the community's care contacts see this. Alerts about you are never shown to you."),
    ]
    if not alerts:
        blocks.append(_section("No open care alerts. When I am worried about someone, I will DM you and list it here."))
    for alert in alerts[:MAX_SHOWN]:
        blocks += [{"type": "divider"}, _section(alert_summary(alert)), _context(_how_to_close(alert.id))]
    if len(alerts) > MAX_SHOWN:
        blocks.append(_context(f"and {len(alerts) - MAX_SHOWN} more: `/groupmind alerts list` shows them all."))
    return {"type": "home", "blocks": [*blocks, {"type": "divider"}, _about(bot_name)]}


def alert_summary(alert: CareAlert) -> str:
    """One alert as Slack mrkdwn: who, where, why, what they said, how urgent, when, what I said."""
    where = f"<#{alert.where.channel}>" if _CHANNEL_ID.fullmatch(alert.where.channel) else escape(alert.where.channel)
    if alert.where.thread:
        where += " (in a thread)"
    if alert.link:
        where += f" · <{escape(alert.link)}|open the conversation>"
    stamp = int(alert.created_at.timestamp())
    when = f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{alert.created_at:%Y-%m-%d %H:%M} UTC>"
    fields = (
        ("Who", f"{escape(alert.member.display_name)} · *Where:* {where}"),
        ("Why", escape(alert.why)),
        ("They said", alert.excerpt and f"“{escape(alert.excerpt)}”"),
        ("I said", escape(_clip(alert.bot_said, _BOT_SAID_CHARS))),
    )
    lines = [f"*#{alert.id} · {alert.urgency}* ({alert.state}) · {when}"]
    lines += [f"*{label}:* {value}" for label, value in fields if value]
    return _fit("\n".join(lines))


def slack_commands(alert_id: str) -> str:
    """How a care contact closes an alert on Slack."""
    return f"`/groupmind alerts ack {alert_id}` to acknowledge, `/groupmind alerts resolve {alert_id} NOTE` to close"


def _how_to_close(alert_id: str) -> str:
    return "On Slack: " + slack_commands(alert_id) + "."


def _about(bot_name: str) -> dict[str, Any]:
    return _section(
        f"*{escape(bot_name)}* is groupmind, an AI member of this workspace's conversations: it remembers what "
        "was said in the channels it is in and joins in when asked. It is an AI, not a counsellor, and it looks "
        "out for people: if someone seems to be in trouble, it stays with them and tells the community's care "
        "contacts, privately."
    )


NOT_A_CONTACT = (
    "You are not a care contact here, so no care alerts are shown. Your controls: `/groupmind optout` stops "
    "monitoring and profiling of you, `/groupmind forget-me` deletes what is stored about you, "
    "`/groupmind help` says who the care contacts are."
)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(text: str) -> str:
    """Cut mrkdwn to a section's limit without leaving half an `&amp;` at the end."""
    if len(text) <= SECTION_LIMIT:
        return text
    cut = text[: SECTION_LIMIT - 1]
    amp = cut.rfind("&", len(cut) - 5)
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


class CareHome:
    """Publishes the Home tab through the Web API.

    Args:
        client: the Web API client (bot token).
        alerts_for: asks the core which alerts a member may see (None: not a care contact).
        bot_name: the bot's display name, shown in the view.
    """

    def __init__(self, client: AsyncWebClient, alerts_for: AlertsFor, bot_name: str) -> None:
        self.client = client
        self.alerts_for = alerts_for
        self.bot_name = bot_name

    async def publish(self, team: str, user_id: str) -> bool:
        """Show `user_id` their Home tab as it is now; False (logged) if Slack refused it."""
        view = home_view(await self.alerts_for(team, user_id), self.bot_name)
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except (SlackApiError, aiohttp.ClientError) as exc:
            log.warning("views.publish for %s failed: %s", user_id, api_error(exc))
            return False
        return True
