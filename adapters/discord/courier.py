"""The care layer's courier on Discord: DMs first, the private care channel when a DM cannot land.

A care contact gets an alert only while they are still in the server the alert
is about; someone who left gets nothing, and the core moves on to the next
contact or the audit log. A contact whose DMs are closed is reached through
the community's care channel (`care channel CHANNEL`), which is used only
while it stays private. An alert posted there once is not posted again for the
next contact: everyone who watches the channel has it. People of another
platform (one pipeline may serve Discord and Slack) are not Discord's to reach.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import discord

from adapters.discord.membership import is_member
from adapters.discord.private import send_private, send_to_care_channel
from adapters.discord.translate import PLATFORM
from groupmind.events import CareAlert, ChannelRef, Member
from groupmind.store import Store
from groupmind.store.community import CARE_CHANNEL

log = logging.getLogger(__name__)

_REMEMBERED_POSTS = 1_000
"""Care channel posts remembered so a second contact of the same alert does not repeat it."""


class DiscordCourier:
    """`groupmind.care.courier.Courier` over one logged-in Discord client.

    Args:
        client: the adapter's client, logged in.
        store: where the community's settings (its care channel) are read.
    """

    def __init__(self, client: discord.Client, store: Store) -> None:
        self.client = client
        self.store = store
        self._posted: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """A DM to `member`; False when their DMs are closed or Discord knows no such user."""
        if where.platform != PLATFORM or not member.id.isdigit():
            return False
        delivery = await send_private(self.client, int(member.id), text)
        if not delivery.delivered:
            log.info("private message to member %s not delivered: %s", member.id, delivery.outcome.value)
        return delivery.delivered

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        """A DM to `contact` if they are still in the server, else (DM refused) the private care channel."""
        community = alert.where.community
        if alert.where.platform != PLATFORM or not contact.id.isdigit():
            return False
        if community.isdigit() and not await self._in_server(int(community), int(contact.id)):
            log.info("care alert #%s not sent to %s: not in server %s", alert.id, contact.id, community)
            return False
        dm = await send_private(self.client, int(contact.id), text)
        if dm.delivered:
            return True
        log.info("care alert #%s: DM to %s not delivered (%s)", alert.id, contact.id, dm.outcome.value)
        return await self._to_care_channel(alert, text)

    async def _in_server(self, guild_id: int, user_id: int) -> bool:
        """Asked of Discord when this process has no gateway cache of the server (another shard's, a worker's)."""
        guild = self.client.get_guild(guild_id)
        if guild is None:
            try:
                guild = await self.client.fetch_guild(guild_id)
            except discord.HTTPException as exc:
                log.info("server %s unknown to the bot (%s)", guild_id, exc.status)
                return False
        return await is_member(guild, user_id)

    async def _to_care_channel(self, alert: CareAlert, text: str) -> bool:
        settings = await self.store.get_settings(alert.where.platform, alert.where.community)
        channel = settings.get(CARE_CHANNEL, "")
        if not channel.isdigit():
            return False
        key = (alert.where.community, alert.id, text)
        if key in self._posted:
            return True
        post = await send_to_care_channel(self.client, int(channel), text)
        if not post.delivered:
            log.warning("care alert #%s not posted in care channel %s: %s", alert.id, channel, post.outcome.value)
            return False
        self._posted[key] = None
        while len(self._posted) > _REMEMBERED_POSTS:
            self._posted.popitem(last=False)
        return True
