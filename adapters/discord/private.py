"""Private routes to people: the transport the care layer uses on Discord.

Two routes: a DM to one member, or a post in the community's private care
channel. Each returns a clear `Delivery` instead of raising, so the caller can
fall back to the other route. A member can close their DMs to the bot (Discord
answers 403, code 50007). A care channel that everyone can read is refused
before anything is posted: care alerts never go to a public channel.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import discord

from adapters.discord.outbox import StreamedReply

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007
"""Discord's JSON error code for a user whose DMs are closed to the bot."""


class Outcome(enum.Enum):
    SENT = "sent"
    DMS_CLOSED = "dms_closed"
    """The member does not accept DMs from the bot: use another private route."""
    NOT_PRIVATE = "not_private"
    """The channel is readable by everyone (or is no server text channel): nothing was posted."""
    NOT_FOUND = "not_found"
    """No such user or channel, or the bot cannot see it."""
    FAILED = "failed"
    """Anything else Discord refused; `detail` says what."""


@dataclass(frozen=True)
class Delivery:
    """How a private message went; `message_ids` are the Discord messages that carry it."""

    outcome: Outcome
    detail: str = ""
    message_ids: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.SENT


async def send_private(client: discord.Client, user_id: int, text: str) -> Delivery:
    """Open (or reuse) the DM channel with `user_id` and say `text` there, split if long."""
    if not text.strip():
        return _blank()
    try:
        channel = await client.create_dm(discord.Object(user_id))
        return await _say(channel, text)
    except discord.Forbidden as exc:
        if exc.code == CANNOT_MESSAGE_USER:
            return Delivery(Outcome.DMS_CLOSED, "the member's DMs are closed to the bot")
        return _failed(f"DM to {user_id}", exc)
    except discord.NotFound as exc:
        return Delivery(Outcome.NOT_FOUND, f"Discord knows no user {user_id} ({exc.text or exc.status})")
    except discord.HTTPException as exc:
        return _failed(f"DM to {user_id}", exc)


def is_private(channel: object) -> bool:
    """True for a server text channel or thread that @everyone cannot read (a private thread is private)."""
    if isinstance(channel, discord.Thread):
        if channel.is_private():
            return True
        channel = channel.parent
    if not isinstance(channel, discord.TextChannel):
        return False
    return not channel.permissions_for(channel.guild.default_role).view_channel


async def send_to_care_channel(client: discord.Client, channel_id: int, text: str) -> Delivery:
    """Post `text` in the care channel `channel_id`, only if that channel is private."""
    if not text.strip():
        return _blank()
    try:
        channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
    except discord.HTTPException as exc:
        return Delivery(Outcome.NOT_FOUND, f"channel {channel_id} is unknown or hidden from the bot ({exc.status})")
    if not is_private(channel):
        return Delivery(Outcome.NOT_PRIVATE, f"channel {channel_id} is readable by everyone; nothing was posted")
    try:
        return await _say(channel, text)  # type: ignore[arg-type]
    except discord.HTTPException as exc:
        return _failed(f"care channel {channel_id}", exc)


async def _say(channel: discord.abc.Messageable, text: str) -> Delivery:
    reply = StreamedReply(channel)
    reply.text = text
    sent = await reply.finish()
    return Delivery(Outcome.SENT, message_ids=tuple(str(m.id) for m in sent))


def _blank() -> Delivery:
    return Delivery(Outcome.FAILED, "nothing to send: the text is blank")


def _failed(route: str, exc: discord.HTTPException) -> Delivery:
    log.warning("%s failed: %s %s", route, exc.status, exc.code)
    return Delivery(Outcome.FAILED, f"Discord answered {exc.status} (code {exc.code}): {exc.text}")
