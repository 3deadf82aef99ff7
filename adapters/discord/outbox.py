"""What the bot says on Discord: a streamed reply that can never mass-ping."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import discord

from adapters.discord.split import DISCORD_LIMIT, split_message

NO_PINGS = discord.AllowedMentions.none()
"""Model output may contain @everyone, role or user mentions: none of them notifies anyone."""

REPLY_PING = discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=True)
"""The first message of a reply may notify the one person who addressed the bot, nobody else."""

EDIT_INTERVAL_S = 1.0
"""Discord allows about five edits per five seconds per channel; one a second leaves room."""


class StreamedReply:
    """One bot turn: the first text is sent at once, later text edits it in, throttled.

    Text longer than one Discord message continues in further messages, split
    on line or sentence boundaries. `feed` takes each piece of the reply;
    `finish` makes Discord show exactly the whole text.

    Args:
        channel: where to speak (text channel, thread or DM).
        reference: the message answered; the first chunk replies to it.
        min_interval: least seconds between two updates while streaming.
        clock: monotonic seconds, passed in so tests can check the throttle.
        limit: characters per message.
    """

    def __init__(
        self,
        channel: discord.abc.Messageable,
        reference: discord.Message | None = None,
        *,
        min_interval: float = EDIT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        limit: int = DISCORD_LIMIT,
    ) -> None:
        self.channel = channel
        self.reference = reference
        self.min_interval = min_interval
        self.clock = clock
        self.limit = limit
        self.text = ""
        self.messages: list[discord.Message] = []
        self._synced_at = float("-inf")

    async def feed(self, piece: str) -> None:
        """Add streamed text; Discord is updated now only if the throttle allows."""
        self.text += piece
        if self.clock() - self._synced_at >= self.min_interval:
            await self._sync()

    async def finish(self) -> list[discord.Message]:
        """Bring Discord up to the full text (still at most one update per interval)."""
        if self._pending():
            await asyncio.sleep(max(0.0, self._synced_at + self.min_interval - self.clock()))
            await self._sync()
        return self.messages

    def _pending(self) -> bool:
        return split_message(self.text, self.limit) != [m.content for m in self.messages]

    async def _sync(self) -> None:
        """Send or edit what differs; the throttle counts only rounds that reached Discord."""
        updated = False
        for index, chunk in enumerate(split_message(self.text, self.limit)):
            if index == len(self.messages):
                self.messages.append(await self._send(chunk, first=index == 0))
            elif self.messages[index].content != chunk:
                # A later piece can move a split point, so any earlier chunk may change.
                self.messages[index] = await self.messages[index].edit(content=chunk, allowed_mentions=NO_PINGS)
            else:
                continue
            updated = True
        if updated:
            self._synced_at = self.clock()

    async def _send(self, chunk: str, *, first: bool) -> discord.Message:
        if first and self.reference is not None:
            return await self.channel.send(
                chunk,
                reference=self.reference.to_reference(fail_if_not_exists=False),
                allowed_mentions=REPLY_PING,
            )
        return await self.channel.send(chunk, allowed_mentions=NO_PINGS)
