"""Discord objects to groupmind's models: where a message lives, and what it says."""

from __future__ import annotations

import discord

from groupmind.events import MAX_EMOJI_CHARS, ChannelRef, ChatMessage, Reaction, utcnow

PLATFORM = "discord"
DM_COMMUNITY = "@me"
"""Direct messages belong to no guild; Discord's own API calls that place `@me`."""


def channel_ref(guild_id: int | None, channel: discord.abc.Snowflake) -> ChannelRef:
    """The conversation of a channel: a thread is `parent/thread`, anything else its own id."""
    community = str(guild_id) if guild_id is not None else DM_COMMUNITY
    if isinstance(channel, discord.Thread):
        return ChannelRef(platform=PLATFORM, community=community, channel=str(channel.parent_id), thread=str(channel.id))
    return ChannelRef(platform=PLATFORM, community=community, channel=str(channel.id))


def reply_to_bot(message: discord.Message, me: discord.abc.User) -> bool:
    """True if `message` replies to one of the bot's messages (resolved or cached)."""
    ref = message.reference
    if ref is None or ref.message_id is None:
        return False
    target = ref.resolved or ref.cached_message
    return isinstance(target, discord.Message) and target.author.id == me.id


def to_chat_message(message: discord.Message, where: ChannelRef, me: discord.abc.User) -> ChatMessage:
    """Translate a gateway message said in `where`. `clean_content` shows mentions as `@Name`, not `<@id>`."""
    is_dm = message.guild is None
    return ChatMessage(
        platform=where.platform,
        community=where.community,
        channel=where.channel,
        thread=where.thread,
        message_id=str(message.id),
        author_id=str(message.author.id),
        author_name=message.author.display_name,
        author_is_bot=message.author.bot,
        text=message.clean_content,
        mentions=tuple(str(user_id) for user_id in message.raw_mentions),
        # A DM is addressed to the bot by its nature. @everyone is not a mention of the bot.
        mentions_bot=is_dm or any(user.id == me.id for user in message.mentions),
        reply_to=str(message.reference.message_id) if message.reference and message.reference.message_id else None,
        reply_to_bot=reply_to_bot(message, me),
        ts=message.created_at,
    )


def to_reaction(payload: discord.RawReactionActionEvent, where: ChannelRef, text: str) -> Reaction:
    """A reaction on one of the bot's messages (`text`, as it reads). A custom emoji is known by its name."""
    member = payload.member
    return Reaction(
        platform=where.platform,
        community=where.community,
        channel=where.channel,
        thread=where.thread,
        message_id=str(payload.message_id),
        member_id=str(payload.user_id),
        member_is_bot=bool(member and member.bot),
        emoji=(payload.emoji.name or "?")[:MAX_EMOJI_CHARS],
        on_bot=True,
        text=text,
        ts=utcnow(),
    )
