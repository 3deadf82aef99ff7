"""The Discord client: gateway events in as `ChatMessage` (and reactions on the bot's messages as
`Reaction`), through the core's ingress.

Which messages are answered is the pipeline's decision. The adapter only
refuses to feed the bot its own messages: the pipeline already stored each
reply when it made it, so Discord's echo would be a duplicate. Other bots'
messages are stored like anyone's (they are part of the conversation); the
speak policy never answers a bot, so two bots cannot talk in a loop.

The client also carries the bot's way out (`DiscordPlatform`), so it is built
first, the pipeline is built with its platform, and `serve` then starts it.
Replies, "typing…" and care's private messages all leave through that platform.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import discord
from discord import app_commands

from adapters.discord.commands import GroupmindCommands
from adapters.discord.membership import shared_guilds
from adapters.discord.outbox import NO_PINGS
from adapters.discord.platform import CareChannel, DiscordPlatform
from adapters.discord.translate import channel_ref, to_chat_message, to_reaction
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.ingress import ingress, reaction_ingress
from groupmind.pipeline import Pipeline

log = logging.getLogger(__name__)

_CONVERSATION_TYPES = (discord.MessageType.default, discord.MessageType.reply)
"""Members' messages; joins, pins and other system notices are not conversation."""


class DiscordStartError(RuntimeError):
    """The bot cannot join Discord; the message says what to change."""


def gateway_intents() -> discord.Intents:
    """Only what the bot reads. `message_content` is privileged: switch it on in the Developer Portal.
    `guild_reactions` brings members' reactions, feedback on the bot's own messages."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.guild_reactions = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


class DiscordAdapter(discord.Client):
    """Translates Discord to `ChatMessage` for the core; its `platform` carries the core's replies back.

    Args:
        care_channel: the core's lookup of a community's private care channel (`Directory.care_channel`).
        dev_guilds: guilds that get the slash commands at once; none syncs them globally.
        options: passed to `discord.Client` (the intents are fixed).
    """

    def __init__(self, care_channel: CareChannel, *, dev_guilds: Sequence[int] = (), **options: Any) -> None:
        super().__init__(intents=gateway_intents(), allowed_mentions=NO_PINGS, **options)
        self.platform = DiscordPlatform(self, care_channel)
        self.dev_guilds = tuple(dev_guilds)
        self.tree = app_commands.CommandTree(self)
        self._pipeline: Pipeline | None = None

    async def serve(self, pipeline: Pipeline, token: str) -> None:
        """Log in and hand every event to `pipeline` (built with `self.platform`) until the client closes."""
        assert pipeline.platforms.get(self.platform.name) is self.platform, "build the pipeline with this platform"
        self._pipeline = pipeline
        self.tree.add_command(GroupmindCommands(pipeline.admin))
        await self.start(token)

    @property
    def pipeline(self) -> Pipeline:
        assert self._pipeline is not None, "events come only once serving"
        return self._pipeline

    async def setup_hook(self) -> None:
        """Register `/groupmind` with Discord: per dev guild (instant) or globally (Discord takes a while)."""
        if not self.dev_guilds:
            await self.tree.sync()
        for guild_id in self.dev_guilds:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    @property
    def me(self) -> discord.ClientUser:
        assert self.user is not None, "only called after login"
        return self.user

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id == self.me.id or message.type not in _CONVERSATION_TYPES:
            return
        guild_id = message.guild.id if message.guild else None
        if isinstance(message.channel, discord.PartialMessageable):
            where = await self.where(guild_id, message.channel.id)  # a thread the cache missed
        else:
            where = channel_ref(guild_id, message.channel)
        if where is None:
            return
        shared = None
        if message.guild is None and not message.author.bot:  # a DM: care looks in the servers they share
            shared = [str(g.id) for g in await shared_guilds(self, message.author.id)]
        await ingress(self.pipeline, to_chat_message(message, where, self.me), private_in=shared)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if "content" not in payload.data or payload.message.author.id == self.me.id:
            return  # embed unfurls carry no text; the bot's own streamed edits are not member text
        where = await self.where(payload.guild_id, payload.channel_id)
        if where is not None:
            await self.pipeline.edit(where, str(payload.message_id), payload.message.clean_content)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        where = await self.where(payload.guild_id, payload.channel_id)
        if where is not None:
            await self.pipeline.delete(where, str(payload.message_id))

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        where = await self.where(payload.guild_id, payload.channel_id)
        if where is not None:
            for message_id in payload.message_ids:
                await self.pipeline.delete(where, str(message_id))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A member's reaction on the bot's own message is feedback about it (the core reads it into norms)."""
        if payload.message_author_id != self.me.id or payload.user_id == self.me.id or payload.guild_id is None:
            return
        where = await self.where(payload.guild_id, payload.channel_id)
        if where is not None:
            text = await self.text_of(payload.channel_id, payload.message_id)
            await reaction_ingress(self.pipeline, to_reaction(payload, where, text))

    async def text_of(self, channel_id: int, message_id: int) -> str:
        """The text of one of the bot's messages: from the client's cache, else fetched ("" when it is gone)."""
        cached = discord.utils.get(self.cached_messages, id=message_id)
        if cached is not None:
            return cached.content
        try:
            return (await self.get_partial_messageable(channel_id).fetch_message(message_id)).content
        except discord.HTTPException as exc:
            log.warning("reacted message %s not readable (%s); read without its text", message_id, exc.status)
            return ""

    async def where(self, guild_id: int | None, channel_id: int) -> ChannelRef | None:
        """The conversation of a channel id; an uncached channel (an old thread) is fetched."""
        if guild_id is None:
            return channel_ref(None, discord.Object(channel_id))  # DMs have no threads
        channel = self.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.fetch_channel(channel_id)
            except discord.HTTPException as exc:
                log.warning("channel %s unknown to Discord (%s); event dropped", channel_id, exc.status)
                return None
        return channel_ref(guild_id, channel)


def discord_adapter(settings: Settings, care_channel: CareChannel) -> DiscordAdapter:
    """The gateway client `groupmind run` uses: this process's shard, the configured dev guilds."""
    shards = {"shard_id": settings.discord_shard_id, "shard_count": settings.discord_shard_count}
    return DiscordAdapter(care_channel, dev_guilds=settings.discord_dev_guilds, **shards)


async def run_discord(client: DiscordAdapter, pipeline: Pipeline, settings: Settings) -> None:
    """Log in with the configured token and serve until the process is stopped."""
    if settings.discord_token is None:
        raise DiscordStartError("no Discord token: set GROUPMIND_DISCORD_TOKEN")
    async with client:
        try:
            await client.serve(pipeline, settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise DiscordStartError(
                "Discord refused the token in GROUPMIND_DISCORD_TOKEN; copy it again from the Developer Portal (Bot → Reset Token)"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(
                "Discord refused the Message Content intent; switch it on in the Developer Portal (Bot → Privileged Gateway Intents)"
            ) from None
