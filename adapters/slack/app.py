"""The Slack adapter: a slack-bolt AsyncApp that turns events into `ChatMessage` for the core's ingress.

Bolt acks every event before our listener runs, so Slack's 3-second deadline is
met however long the model takes. Slack redelivers an event it thinks was lost
(`x-slack-retry-num` over HTTP, `retry_attempt` in a Socket Mode envelope), and
a mention arrives twice, as `app_mention` and as `message.channels`: both cases
carry the same channel and `ts`, so the ingress lets exactly one delivery
through.

A direct message goes to the care layer first (the ingress's `private_in`);
only talk that is not care reaches the ordinary reply path. Replies and care's
private messages leave through `SlackPlatform`, which the pipeline is built
with; the adapter also publishes the App Home tab when a member opens it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Awaitable, Callable, Mapping, Sequence

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import SlashCommands
from adapters.slack.names import DisplayNames
from adapters.slack.platform import SlackPlatform
from adapters.slack.translate import (
    PLATFORM, is_from_bot, is_talk, mentioned_ids, render_text, thread_of, to_chat_message, to_reaction,
)  # fmt: skip
from groupmind.config import Settings
from groupmind.events import CareAlert, ChannelRef
from groupmind.ingress import ingress, reaction_ingress
from groupmind.pipeline import Pipeline

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3


CommandRunner = Callable[[str, dict[str, Any], AsyncRespond], Awaitable[None]]
"""`run_command(text, body, respond)`: the seam where `/groupmind` meets the admin layer.

It receives the command's text and Slack's body (user_id, team_id, channel_id)
and answers with `respond(...)`; the adapter has already acked.
"""


class SlackConfigError(ValueError):
    """A Slack setting needed for the chosen mode is missing."""


def check_settings(settings: Settings) -> None:
    """Raise SlackConfigError naming the first missing setting for `slack_mode`."""
    needed = {"GROUPMIND_SLACK_BOT_TOKEN": settings.slack_bot_token}
    if settings.slack_mode == "socket":
        needed["GROUPMIND_SLACK_APP_TOKEN"] = settings.slack_app_token
    else:
        needed["GROUPMIND_SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    for name, value in needed.items():
        if not value.get_secret_value():
            raise SlackConfigError(f"{name} is not set (needed for slack_mode={settings.slack_mode})")


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that waits out 429 responses (Retry-After) instead of losing the call."""
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )


CareAlertsFor = Callable[[str, str, str], Awaitable[Sequence[CareAlert] | None]]
"""`alerts_for(platform, community, member_id)`: the core's lookup (`Directory.alerts_for`)."""


def slack_platform(settings: Settings, alerts_for: CareAlertsFor) -> SlackPlatform:
    """The bot's way out on Slack, over a Web API client made from `settings`."""
    return SlackPlatform(
        web_client(settings), partial(alerts_for, PLATFORM), settings.bot_name,
        reply_in_thread=settings.slack_reply_in_thread,
    )  # fmt: skip


class SlackAdapter:
    """One Slack workspace connection feeding the pipeline.

    Args:
        pipeline: where messages go (listen-only pipelines store without answering); it was
            built with a `SlackPlatform`, whose client this connection uses.
        settings: the `slack_*` settings.
        run_command: handles `/groupmind`; by default the admin layer (`SlashCommands`).
    """

    def __init__(self, pipeline: Pipeline, settings: Settings, run_command: CommandRunner | None = None) -> None:
        platform = pipeline.platforms.get(PLATFORM)
        assert isinstance(platform, SlackPlatform), "build the pipeline with a SlackPlatform"
        self.pipeline = pipeline
        self.settings = settings
        self.platform = platform
        self.client = platform.client
        self.names = DisplayNames(self.client)
        self.http_url: str | None = None
        """Where Slack should send events, once serving in HTTP mode."""
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            request_verification_enabled=settings.slack_mode == "http",
            name="groupmind",
        )
        self.app.event("message")(self.on_message)
        self.app.event("app_mention")(self.on_message)
        self.app.event("app_home_opened")(self.on_home_opened)
        self.app.event("reaction_added")(self.on_reaction)
        self.run_command = run_command or SlashCommands(
            pipeline.admin, self.client, frozenset(settings.slack_admins), settings.data_dir
        )
        self.app.command("/groupmind")(self.on_command)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        """Ack first (Slack allows 3 s), then let the command take as long as it needs."""
        await ack()
        await self.run_command(command.get("text") or "", command, respond)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        """Every message event and every app_mention comes through here."""
        team = body.get("team_id") or event.get("team") or context.team_id
        if not team or "channel" not in event:
            return
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await self._edited(team, event, context.bot_user_id)
        elif subtype == "message_deleted":
            await self._deleted(team, event)
        elif is_talk(event) and event.get("ts"):
            await self._said(team, event, context.bot_user_id)

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        """The member opened the Home tab (not the Messages tab): show them their view."""
        team = body.get("team_id") or context.team_id
        if event.get("tab") == "home" and team and event.get("user"):
            await self.platform.home.publish(team, str(event["user"]))

    async def on_reaction(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        """A reaction on the bot's own message is feedback about it (the core reads it into norms)."""
        team = body.get("team_id") or context.team_id
        bot = context.bot_user_id
        if not team or not bot or event.get("item_user") != bot or event.get("user") == bot:
            return
        item = event.get("item") or {}
        reaction = to_reaction(event, team, await self._text_of(item.get("channel"), item.get("ts")), bot)
        if reaction is not None:
            await reaction_ingress(self.pipeline, reaction)

    async def _text_of(self, channel: str | None, ts: str | None) -> str:
        """The text of the bot's message at `ts` in `channel` ("" when Slack does not give it back)."""
        if not channel or not ts:
            return ""
        try:
            found = await self.client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        except SlackApiError as exc:
            log.warning("could not read the reacted message in %s: %s", channel, exc.response.get("error"))
            return ""
        messages = [m for m in found.get("messages") or [] if m.get("ts") == ts]
        return messages[0].get("text") or "" if messages else ""

    async def _said(self, team: str, event: Mapping[str, Any], bot_user_id: str | None) -> None:
        names = await self._names(event, bot_user_id)
        msg = to_chat_message(event, team, names, bot_user_id)
        await ingress(self.pipeline, msg, private_in=[team] if event.get("channel_type") == "im" else None)

    async def _names(self, message: Mapping[str, Any], bot_user_id: str | None) -> dict[str, str]:
        """Display names of a message's author and everyone it mentions; the bot is `bot_name`."""
        author = [message["user"]] if "user" in message else []
        people = [u for u in (*author, *mentioned_ids(message.get("text") or "")) if u != bot_user_id]
        names = await self.names.names(people)
        if bot_user_id:
            names[bot_user_id] = self.settings.bot_name
        return names

    async def _edited(self, team: str, event: Mapping[str, Any], bot_user_id: str | None) -> None:
        message = event.get("message") or {}
        if is_from_bot(message) or "ts" not in message:
            return
        text = render_text(message.get("text") or "", await self._names(message, bot_user_id))
        await self.pipeline.edit(_where(team, event["channel"], message), message["ts"], text)

    async def _deleted(self, team: str, event: Mapping[str, Any]) -> None:
        previous = event.get("previous_message") or {}
        ts = event.get("deleted_ts") or previous.get("ts")
        if ts:
            await self.pipeline.delete(_where(team, event["channel"], {**previous, "ts": ts}), ts)


def _where(team: str, channel: str, message: Mapping[str, Any]) -> ChannelRef:
    return ChannelRef(platform=PLATFORM, community=team, channel=channel, thread=thread_of(message))
