"""The care layer's private routes on Slack: DMs to members and alerts to care contacts.

Everything goes by DM (`conversations.open`, then `chat.postMessage` in the `D…`
channel it returns); nothing here can post in a channel. An alert first asks
`users.info` whether the contact is still in the workspace: a deactivated or
unknown account answers False at once, so the core falls back to the next
contact or the audit log instead of "delivering" to someone who left. The text
is escaped, so a quoted `<!channel>` or `<@U…>` in an excerpt pings nobody.
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.slack.home import CareHome, slack_commands
from adapters.slack.names import api_error
from adapters.slack.outgoing import SlackSender
from adapters.slack.translate import escape
from groupmind.events import CareAlert, ChannelRef, Member

log = logging.getLogger(__name__)

GONE = frozenset({"user_not_found", "account_inactive", "user_disabled"})
"""users.info errors that mean the person is not (or no longer) in the workspace."""


class SlackCourier:
    """`groupmind.care.courier.Courier` for one Slack workspace.

    Args:
        sender: posts through the bot's Web API client.
        home: the App Home publisher, refreshed after each alert so the contact's tab lists it.
    """

    def __init__(self, sender: SlackSender, home: CareHome) -> None:
        self.sender = sender
        self.home = home

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """DM `member`; False when Slack will not let the bot reach them."""
        return await self._dm(member.id, escape(text))

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        """DM the alert to a care contact who is still here, then refresh their Home tab."""
        if not await self._still_here(contact.id):
            return False
        text = f"{escape(text)}\nOn Slack: {slack_commands(alert.id)}. Your open alerts are on my Home tab."
        if not await self._dm(contact.id, text):
            return False
        await self.home.publish(alert.where.community, contact.id)
        return True

    async def _dm(self, user_id: str, text: str) -> bool:
        delivery = await self.sender.send_private(user_id, text)
        if not delivery.ok:
            # The reason and the id only: care text never reaches the logs.
            log.warning("care DM to %s failed: %s", user_id, delivery.error)
        return delivery.ok

    async def _still_here(self, user_id: str) -> bool:
        """False for a deactivated or unknown account; an unanswered lookup leaves it to the DM."""
        try:
            user = (await self.sender.client.users_info(user=user_id))["user"]
        except (SlackApiError, aiohttp.ClientError) as exc:
            reason = api_error(exc)
            log.warning("users.info %s before a care alert: %s", user_id, reason)
            return reason not in GONE
        if user.get("deleted"):
            log.warning("care contact %s is deactivated; the alert goes elsewhere", user_id)
            return False
        return True
