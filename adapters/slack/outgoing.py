"""Replies back to Slack: split to Slack's length, streamed by editing, private DMs.

Slack refuses (or truncates) message text past 4,000 characters, so a long reply
becomes several messages in the same place. A streamed reply is posted once and
then edited with chat.update at most once per `min_interval_s`, which keeps well
inside Slack's per-channel rate limits.

Slack pings on markup (`<!everyone>`, `<!here>`, `<!channel>`, `<!subteam^ID>`,
`<@U…>`), and on plain `@channel` or a user group's `@handle` when `link_names`
is on. A reply's text is escaped (`&`, `<`, `>`, as Slack documents), so it shows
literally, and every post and edit goes out with `link_names` off: nothing the
bot says, whatever a member's name or the model wrote, can ping a room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.names import api_error
from adapters.slack.translate import escape

log = logging.getLogger(__name__)

SLACK_TEXT_LIMIT = 4000


def split_text(text: str, limit: int = SLACK_TEXT_LIMIT) -> list[str]:
    """Cut `text` into pieces of at most `limit` characters that join back to `text`.

    A cut falls after the last newline, else the last space, in the piece; a run
    with neither (a long URL) is cut hard.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = window.rfind("\n") + 1 or window.rfind(" ") + 1 or limit
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


@dataclass(frozen=True)
class Delivery:
    """What happened to a message sent on the bot's own initiative (a care DM)."""

    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None


class SlackSender:
    """Posts replies through one Web API client.

    Args:
        client: the Web API client (bot token, rate-limit retries configured).
        min_interval_s: shortest time between two edits of a streaming reply.
        clock: monotonic seconds; sleep: awaits seconds (both passed in for tests).
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        min_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.sleep = sleep

    async def say(self, channel: str, text: str, thread_ts: str | None = None) -> list[str]:
        """Post the bot's plain `text` to show literally (escaped); returns the `ts` of each message."""
        return [ts for piece in _shown_literally(text) for ts in await self.post(channel, piece, thread_ts)]

    async def post(self, channel: str, text: str, thread_ts: str | None = None) -> list[str]:
        """Post Slack markup `text` (split as needed); returns the `ts` of each message posted."""
        posted = []
        for piece in split_text(text):
            response = await self.client.chat_postMessage(
                channel=channel, text=piece, thread_ts=thread_ts, link_names=False
            )
            posted.append(response["ts"])
        return posted

    def stream(self, channel: str, thread_ts: str | None = None) -> ReplyStream:
        return ReplyStream(self, channel, thread_ts)

    async def send_private(self, user_id: str, text: str) -> Delivery:
        """DM one member: open (or find) the direct conversation, then post in it.

        Never posts anywhere but a direct-message channel; any failure is a
        Delivery with ok=False and the reason, for the caller to escalate otherwise.
        """
        try:
            opened = await self.client.conversations_open(users=user_id)
            channel = opened["channel"]["id"]
            if not channel.startswith("D"):
                return Delivery(False, channel, error=f"conversations.open gave {channel}, not a DM channel")
            posted = await self.post(channel, text)
        except (SlackApiError, aiohttp.ClientError) as exc:
            return Delivery(False, error=api_error(exc))
        return Delivery(True, channel, posted[0] if posted else None)


class ReplyStream:
    """One reply shown while it is generated: posted on the first text, then edited.

    It is fed the pipeline's plain text and shows it literally (escaped).
    """

    def __init__(self, sender: SlackSender, channel: str, thread_ts: str | None) -> None:
        self.sender = sender
        self.channel = channel
        self.thread_ts = thread_ts
        self.text = ""
        self.ts: str | None = None
        self._shown = ""
        self._shown_at = 0.0

    async def feed(self, piece: str) -> None:
        """Add streamed text; edit the posted message if the last edit is old enough."""
        self.text += piece
        first = _shown_literally(self.text)[0]
        if self.ts is None:
            (self.ts,) = await self.sender.post(self.channel, first, self.thread_ts)
            self._mark(first)
        elif self.sender.clock() - self._shown_at >= self.sender.min_interval_s and first != self._shown:
            await self._update(first)

    async def finish(self, final: str) -> None:
        """Show the final text: one last (rate-kept) edit, then any further pieces."""
        if not final:
            return
        if self.ts is None:
            await self.sender.say(self.channel, final, self.thread_ts)
            return
        first, *rest = _shown_literally(final)
        if first != self._shown:
            wait = self.sender.min_interval_s - (self.sender.clock() - self._shown_at)
            if wait > 0:
                await self.sender.sleep(wait)
            await self._update(first)
        for piece in rest:
            await self.sender.post(self.channel, piece, self.thread_ts)

    async def _update(self, text: str) -> None:
        await self.sender.client.chat_update(channel=self.channel, ts=self.ts, text=text, link_names=False)
        self._mark(text)

    def _mark(self, text: str) -> None:
        self._shown, self._shown_at = text, self.sender.clock()


def _shown_literally(text: str) -> list[str]:
    """Plain `text` as the Slack messages that show it literally: split, then each piece escaped."""
    return [escape(piece) for piece in split_text(text)]
