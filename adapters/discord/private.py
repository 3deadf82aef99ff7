"""Private messages to one member: the transport the care layer uses on Discord.

A member can close their DMs to the server's members (and so to the bot).
Discord then answers 403 with code 50007; the caller gets a clear outcome
instead of an exception, so it can fall back to another private route.
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


class DmOutcome(enum.Enum):
    SENT = "sent"
    DMS_CLOSED = "dms_closed"
    """The member does not accept DMs from the bot: use another private route."""
    NO_SUCH_USER = "no_such_user"
    FAILED = "failed"
    """Anything else Discord refused; `detail` says what."""


@dataclass(frozen=True)
class DmResult:
    """How a private message went; `message_ids` are the Discord messages that carry it."""

    outcome: DmOutcome
    detail: str = ""
    message_ids: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.outcome is DmOutcome.SENT


async def send_private(client: discord.Client, user_id: int, text: str) -> DmResult:
    """Open (or reuse) the DM channel with `user_id` and say `text` there, split if long."""
    if not text.strip():
        return DmResult(DmOutcome.FAILED, "nothing to send: the text is blank")
    try:
        channel = await client.create_dm(discord.Object(user_id))
        reply = StreamedReply(channel)
        reply.text = text
        sent = await reply.finish()
    except discord.Forbidden as exc:
        if exc.code == CANNOT_MESSAGE_USER:
            return DmResult(DmOutcome.DMS_CLOSED, "the member's DMs are closed to the bot")
        return _failed(user_id, exc)
    except discord.NotFound as exc:
        return DmResult(DmOutcome.NO_SUCH_USER, f"Discord knows no user {user_id} ({exc.text or exc.status})")
    except discord.HTTPException as exc:
        return _failed(user_id, exc)
    return DmResult(DmOutcome.SENT, message_ids=tuple(str(m.id) for m in sent))


def _failed(user_id: int, exc: discord.HTTPException) -> DmResult:
    log.warning("DM to %s failed: %s %s", user_id, exc.status, exc.code)
    return DmResult(DmOutcome.FAILED, f"Discord answered {exc.status} (code {exc.code}): {exc.text}")
