"""Discord as the core's `Platform`: replies in channels and threads, DMs, the private care channel.

Replies answer the message that made them due, and can never mass-ping
(`outbox`). A care contact gets an alert only while they are still in the
server the alert is about; someone who left gets nothing, and the core moves
on to the next contact or the audit log. A contact whose DMs are closed is
reached through the community's care channel (`care channel CHANNEL`, which
the core looks up), used only while it stays private. An alert posted there
once is not posted again for the next contact: everyone who watches the
channel has it. People of another platform (one pipeline may serve Discord and
Slack) are not Discord's to reach.

It works over any logged-in client: the gateway adapter's, or a queue worker's
REST-only one.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import discord

from adapters.discord.membership import is_member
from adapters.discord.outbox import StreamedReply
from adapters.discord.private import send_private, send_to_care_channel
from adapters.discord.translate import PLATFORM
from groupmind.events import CareAlert, ChannelRef, Member

log = logging.getLogger(__name__)

CareChannel = Callable[[str, str], Awaitable[str | None]]
"""`care_channel(platform, community)`: the core's answer, the community's private care channel id if set."""

_REMEMBERED_POSTS = 1_000
"""Care channel posts remembered so a second contact of the same alert does not repeat it."""


class DiscordPlatform:
    """`groupmind.platform.Platform` over one logged-in Discord client.

    Args:
        client: a logged-in client (gateway or REST only).
        care_channel: the core's lookup of a community's care channel.
    """

    name = PLATFORM

    def __init__(self, client: discord.Client, care_channel: CareChannel) -> None:
        self.client = client
        self.care_channel = care_channel
        self._posted: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    def _channel(self, where: ChannelRef) -> discord.PartialMessageable:
        """The channel (or thread, or DM) a conversation is posted in; a thread is a channel of its own."""
        guild = int(where.community) if where.community.isdigit() else None
        return self.client.get_partial_messageable(int(where.thread or where.channel), guild_id=guild)

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        """Post `text`, split to Discord's length, the first part answering `reply_to`."""
        return await self._post(where, _once(text), reply_to)

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        """Post the first text at once and edit later text in, at most once a second."""
        return await self._post(where, chunks, reply_to)

    async def _post(self, where: ChannelRef, chunks: AsyncIterator[str], reply_to: str | None) -> bool:
        channel = self._channel(where)
        answered = channel.get_partial_message(int(reply_to)) if reply_to and reply_to.isdigit() else None
        reply = StreamedReply(channel, answered)  # type: ignore[arg-type]
        try:
            async for chunk in chunks:
                await reply.feed(chunk)
            await reply.finish()
        except discord.HTTPException as exc:
            # The message is stored before any reply is sent; only the reply is lost.
            log.warning("reply in %s not delivered: Discord answered %s (code %s)", where.conversation, exc.status, exc.code)
            return False
        return bool(reply.messages)

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        """"typing…" while the block runs (discord.py refreshes it); a refused indicator holds up nothing."""
        async with AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self._channel(where).typing())
            except discord.HTTPException as exc:
                log.info("no typing indicator in %s: %s", where.conversation, exc.status)
            yield

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

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        """Discord does not tell the core who a server's admins are: what they must know is kept in the audit log."""
        return False

    async def member(self, community: str, member_id: str) -> Member | None:
        """The member as their server knows them now; None if they left or Discord will not say."""
        if not (community.isdigit() and member_id.isdigit()):
            return None
        guild = await self._guild(int(community))
        if guild is None:
            return None
        try:
            found = guild.get_member(int(member_id)) or await guild.fetch_member(int(member_id))
        except discord.HTTPException:
            return None
        return Member(id=member_id, display_name=found.display_name, is_bot=found.bot)

    async def _guild(self, guild_id: int) -> discord.Guild | None:
        """Asked of Discord when this process has no gateway cache of the server (another shard's, a worker's)."""
        guild = self.client.get_guild(guild_id)
        if guild is None:
            try:
                guild = await self.client.fetch_guild(guild_id)
            except discord.HTTPException as exc:
                log.info("server %s unknown to the bot (%s)", guild_id, exc.status)
                return None
        return guild

    async def _in_server(self, guild_id: int, user_id: int) -> bool:
        guild = await self._guild(guild_id)
        return guild is not None and await is_member(guild, user_id)

    async def _to_care_channel(self, alert: CareAlert, text: str) -> bool:
        channel = await self.care_channel(alert.where.platform, alert.where.community) or ""
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


async def _once(text: str) -> AsyncIterator[str]:
    yield text
