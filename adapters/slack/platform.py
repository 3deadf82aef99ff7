"""Slack as the core's `Platform`: replies in channels and threads, DMs to members and care contacts.

A reply goes where its conversation is: in its thread, or (with
`slack_reply_in_thread`) in a new thread on the message it answers, except in
a DM. Everything private goes by DM (`conversations.open`, then
`chat.postMessage` in the `D…` channel it returns); nothing private is ever
posted in a channel. An alert first asks `users.info` whether the contact is
still in the workspace: a deactivated or unknown account answers False at
once, so the core falls back to the next contact or the audit log instead of
"delivering" to someone who left. Text is escaped, so a quoted `<!channel>`
or `<@U…>` pings nobody. After an alert the contact's App Home tab is
published again, so it lists the alert when they look.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.home import AlertsFor, CareHome, slack_commands
from adapters.slack.names import api_error, display_name
from adapters.slack.outgoing import SlackSender
from adapters.slack.translate import PLATFORM, escape
from groupmind.events import CareAlert, ChannelRef, Member

log = logging.getLogger(__name__)

GONE = frozenset({"user_not_found", "account_inactive", "user_disabled"})
"""users.info errors that mean the person is not (or no longer) in the workspace."""


class SlackPlatform:
    """`groupmind.platform.Platform` for one Slack workspace's Web API client.

    Args:
        client: the Web API client (bot token, rate-limit retries configured).
        alerts_for: the core's answer to which alerts a member may see (`Directory.alerts_for`).
        bot_name: the bot's display name, shown on the Home tab.
        reply_in_thread: answer a channel message in a new thread on it.
    """

    name = PLATFORM

    def __init__(self, client: AsyncWebClient, alerts_for: AlertsFor, bot_name: str, *, reply_in_thread: bool) -> None:
        self.client = client
        self.sender = SlackSender(client)
        self.home = CareHome(client, alerts_for, bot_name)
        self.reply_in_thread = reply_in_thread

    def _thread(self, where: ChannelRef, reply_to: str | None) -> str | None:
        if where.thread or not self.reply_in_thread or where.channel.startswith("D"):
            return where.thread
        return reply_to

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        """Post the bot's plain `text` to show literally, split to Slack's length."""
        try:
            await self.sender.say(where.channel, text, self._thread(where, reply_to))
        except (SlackApiError, aiohttp.ClientError) as exc:
            # The message is stored already; only the reply is lost, and it says why.
            log.warning("reply in %s failed: %s", where.channel, api_error(exc))
            return False
        return True

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        """Post the first text, then edit the rest in (`ReplyStream`)."""
        stream = self.sender.stream(where.channel, self._thread(where, reply_to))
        try:
            async for chunk in chunks:
                await stream.feed(chunk)
            await stream.finish(stream.text)
        except (SlackApiError, aiohttp.ClientError) as exc:
            log.warning("reply in %s failed: %s", where.channel, api_error(exc))
            return False
        return bool(stream.text)

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        """Slack has no typing indicator for bots."""
        yield

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

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        """The core does not know a workspace's admins on Slack: what they must know is kept in the audit log."""
        return False

    async def member(self, community: str, member_id: str) -> Member | None:
        """The member as Slack names them now; None for an unknown or deactivated account."""
        try:
            user = (await self.client.users_info(user=member_id))["user"]
        except (SlackApiError, aiohttp.ClientError):
            return None
        if user.get("deleted"):
            return None
        return Member(id=member_id, display_name=display_name(user), is_bot=bool(user.get("is_bot")))

    async def _dm(self, user_id: str, text: str) -> bool:
        delivery = await self.sender.send_private(user_id, text)
        if not delivery.ok:
            # The reason and the id only: care text never reaches the logs.
            log.warning("care DM to %s failed: %s", user_id, delivery.error)
        return delivery.ok

    async def _still_here(self, user_id: str) -> bool:
        """False for a deactivated or unknown account; an unanswered lookup leaves it to the DM."""
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except (SlackApiError, aiohttp.ClientError) as exc:
            reason = api_error(exc)
            log.warning("users.info %s before a care alert: %s", user_id, reason)
            return reason not in GONE
        if user.get("deleted"):
            log.warning("care contact %s is deactivated; the alert goes elsewhere", user_id)
            return False
        return True
