"""The Discord client: gateway events in, the pipeline in the middle, replies out.

Which messages are answered is the pipeline's decision. The adapter only
refuses to feed the bot its own messages: the pipeline already stored each
reply when it made it, so Discord's echo would be a duplicate. Other bots'
messages are stored like anyone's (they are part of the conversation); the
speak policy never answers a bot, so two bots cannot talk in a loop.

The pipeline answers a burst once it settles, so every message re-arms a
settle timer for its conversation; when it fires, the reply that came due is
streamed (with "typing…" while one is pending) to the last message's channel.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

import discord
from discord import app_commands

from adapters.discord.commands import GroupmindCommands
from adapters.discord.courier import DiscordCourier
from adapters.discord.membership import shared_guilds
from adapters.discord.outbox import NO_PINGS, StreamedReply
from adapters.discord.translate import PLATFORM, channel_ref, to_chat_message
from adapters.settle import SettleTimers
from groupmind import work
from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import ChannelRef, Member, Reply
from groupmind.pipeline import Pipeline, TextSink

log = logging.getLogger(__name__)

TYPING_REFRESH_S = 8.0
"""Discord shows "typing…" for about ten seconds after each typing call."""

_CONVERSATION_TYPES = (discord.MessageType.default, discord.MessageType.reply)
"""Members' messages; joins, pins and other system notices are not conversation."""


class DiscordStartError(RuntimeError):
    """The bot cannot join Discord; the message says what to change."""


def gateway_intents() -> discord.Intents:
    """Only what the bot reads. `message_content` is privileged: switch it on in the Developer Portal."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


class DiscordAdapter(discord.Client):
    """Translates Discord to `ChatMessage` for the pipeline, and the pipeline's replies back.

    Args:
        pipeline: stores every message and decides and makes the replies.
        dev_guilds: guilds that get the slash commands at once; none syncs them globally.
        options: passed to `discord.Client` (the intents are fixed).
    """

    def __init__(self, pipeline: Pipeline, *, dev_guilds: Sequence[int] = (), **options: Any) -> None:
        super().__init__(intents=gateway_intents(), allowed_mentions=NO_PINGS, **options)
        self.pipeline = pipeline
        self.timers: SettleTimers[discord.Message] = SettleTimers(pipeline, self._tick)
        self.dev_guilds = tuple(dev_guilds)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(GroupmindCommands(Admin.for_pipeline(pipeline)))
        pipeline.platforms[PLATFORM] = DiscordCourier(self, pipeline.store)  # care's private routes on Discord

    async def setup_hook(self) -> None:
        """Register `/groupmind` with Discord: per dev guild (instant) or globally (Discord takes a while)."""
        if not self.dev_guilds:
            await self.tree.sync()
        for guild_id in self.dev_guilds:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def close(self) -> None:
        """Stop waiting replies first, then disconnect."""
        await self.timers.close()
        await super().close()

    @property
    def me(self) -> discord.ClientUser:
        assert self.user is not None, "only called after login"
        return self.user

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id == self.me.id or message.type not in _CONVERSATION_TYPES:
            return
        if message.guild is None and not message.author.bot and await self._care_in_private(message):
            return  # care answered it privately; private care talk is kept out of every log
        guild_id = message.guild.id if message.guild else None
        if isinstance(message.channel, discord.PartialMessageable):
            where = await self.where(guild_id, message.channel.id)  # a thread the cache missed
        else:
            where = channel_ref(guild_id, message.channel)
        if where is None:
            return
        msg = to_chat_message(message, where, self.me)
        if await work.offer(self.pipeline, msg, {"channel": str(message.channel.id), "message": str(message.id)}):
            return  # a worker (maybe another process) answers it
        await self._reply(where, message, lambda on_text: self.pipeline.handle(msg, on_text=on_text), typing=False)
        self.timers.touch(where, message)

    async def _care_in_private(self, message: discord.Message) -> bool:
        """Hand a member's DM to care, for the servers they share with the bot; True when care answered it."""
        author = message.author
        guilds = await shared_guilds(self, author.id)
        member = Member(id=str(author.id), display_name=author.display_name)
        return await self.pipeline.handle_private(
            PLATFORM, [str(g.id) for g in guilds], member, message.clean_content, message.created_at
        )

    async def _tick(self, where: ChannelRef, message: discord.Message) -> None:
        """The conversation settled: stream the reply that came due, answering its last message."""
        typing = self.pipeline.engine is not None and await self.pipeline.awaiting_reply(where)
        await self._reply(where, message, lambda on_text: self.pipeline.tick(where, on_text=on_text), typing=typing)

    async def _reply(
        self,
        where: ChannelRef,
        message: discord.Message,
        produce: Callable[[TextSink], Awaitable[list[Reply]]],
        *,
        typing: bool,
    ) -> None:
        reply = StreamedReply(message.channel, message)
        try:
            async with _typing(message.channel, typing):
                if await produce(reply.feed):
                    await reply.finish()
        except discord.HTTPException as exc:
            # The message is stored before any reply is sent; only the reply is lost.
            log.warning("reply in %s not delivered: Discord answered %s (code %s)", where.conversation, exc.status, exc.code)

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


@asynccontextmanager
async def _typing(channel: discord.abc.Messageable, show: bool) -> AsyncIterator[None]:
    """Show "typing…" in the background; a refused typing call never holds up or loses a reply."""
    task = asyncio.create_task(_keep_typing(channel)) if show else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()


async def _keep_typing(channel: discord.abc.Messageable) -> None:
    while True:
        try:
            await channel.typing()
        except discord.HTTPException as exc:
            log.info("no typing indicator in %s: %s", getattr(channel, "id", "?"), exc.status)
            return
        await asyncio.sleep(TYPING_REFRESH_S)


async def run_discord(pipeline: Pipeline, settings: Settings) -> None:
    """Log in with the configured token and serve until the process is stopped."""
    if settings.discord_token is None:
        raise DiscordStartError("no Discord token: set GROUPMIND_DISCORD_TOKEN")
    shards = {"shard_id": settings.discord_shard_id, "shard_count": settings.discord_shard_count}
    async with DiscordAdapter(pipeline, dev_guilds=settings.discord_dev_guilds, **shards) as client:
        try:
            await client.start(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise DiscordStartError(
                "Discord refused the token in GROUPMIND_DISCORD_TOKEN; copy it again from the Developer Portal (Bot → Reset Token)"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(
                "Discord refused the Message Content intent; switch it on in the Developer Portal (Bot → Privileged Gateway Intents)"
            ) from None
