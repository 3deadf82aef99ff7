"""The Slack adapter: a slack-bolt AsyncApp that turns events into pipeline calls.

Bolt acks every event before our listener runs, so Slack's 3-second deadline is
met however long the model takes. Slack redelivers an event it thinks was lost
(`x-slack-retry-num` over HTTP, `retry_attempt` in a Socket Mode envelope), and
a mention arrives twice, as `app_mention` and as `message.channels`: both cases
carry the same channel and `ts`, so one atomic claim in Redis lets exactly one
delivery through.

A direct message goes to the care layer first (`Pipeline.handle_private`); only
talk that is not care reaches the ordinary reply path. The adapter gives the care
layer its private routes (`SlackCourier`: DMs and alert DMs) and publishes the
App Home tab (`CareHome`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Awaitable, Callable, Mapping

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.commands import SlashCommands
from adapters.slack.courier import SlackCourier
from adapters.slack.home import CareHome
from adapters.slack.names import DisplayNames, api_error
from adapters.slack.outgoing import SlackSender
from adapters.slack.translate import (
    PLATFORM,
    is_from_bot,
    is_talk,
    mentioned_ids,
    render_text,
    slack_time,
    thread_of,
    to_chat_message,
)
from adapters.settle import SettleTimers
from groupmind import work
from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import ChannelRef, Member, Reply
from groupmind.pipeline import Pipeline, TextSink

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
DELIVERY_TTL_S = 3600
"""How long a handled message is remembered; Slack stops retrying after minutes."""


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


class SlackAdapter:
    """One Slack workspace connection feeding the pipeline.

    Args:
        pipeline: where messages go (listen-only pipelines store without answering).
        settings: the `slack_*` settings; the bot token is read from here.
        client: the Web API client; built from `settings` when not given.
        run_command: handles `/groupmind`; by default the admin layer (`SlashCommands`).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        settings: Settings,
        client: AsyncWebClient | None = None,
        run_command: CommandRunner | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.client = client or web_client(settings)
        self.names = DisplayNames(self.client)
        self.sender = SlackSender(self.client)
        self.home = CareHome(self.client, partial(pipeline.care.alerts_for, PLATFORM), settings.bot_name)
        self.courier = SlackCourier(self.sender, self.home)
        pipeline.platforms["slack"] = self.courier  # the care layer's private routes: DMs, alerts
        self.timers: SettleTimers[tuple[str, str | None]] = SettleTimers(pipeline, self._tick)
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
        self.run_command = run_command or SlashCommands(
            Admin.for_pipeline(pipeline), self.client, frozenset(settings.slack_admins), settings.data_dir
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
            if event.get("channel_type") == "im" and await self._private(team, event, context.bot_user_id):
                return
            await self._said(team, event, context.bot_user_id)

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        """The member opened the Home tab (not the Messages tab): show them their view."""
        team = body.get("team_id") or context.team_id
        if event.get("tab") == "home" and team and event.get("user"):
            await self.home.publish(team, str(event["user"]))

    async def _private(self, team: str, event: Mapping[str, Any], bot_user_id: str | None) -> bool:
        """A DM to the bot goes to the care layer first; True when care answered it (or it was seen before).

        Care answers through the courier, by DM; talk that is not care is left to
        the ordinary reply path (False).
        """
        claim = f"private:{event['channel']}:{event['ts']}"
        if not await self.pipeline.store.first_delivery(PLATFORM, team, claim, DELIVERY_TTL_S):
            return True
        names = await self._names(event, bot_user_id)
        user = str(event["user"])
        member = Member(id=user, display_name=names.get(user, user))
        text = render_text(event.get("text") or "", names)
        return await self.pipeline.handle_private(PLATFORM, [team], member, text, slack_time(str(event["ts"])))

    async def _said(self, team: str, event: Mapping[str, Any], bot_user_id: str | None) -> None:
        claim = f"{event['channel']}:{event['ts']}"
        if not await self.pipeline.store.first_delivery(PLATFORM, team, claim, DELIVERY_TTL_S):
            log.debug("already handled %s", claim)
            return
        names = await self._names(event, bot_user_id)
        msg = to_chat_message(event, team, names, bot_user_id)
        target = (str(event["channel"]), self._reply_thread(event))
        if await work.offer(self.pipeline, msg, {"channel": target[0], **({"thread": target[1]} if target[1] else {})}):
            return  # a worker (maybe another process) answers it
        await self._reply(target, lambda on_text: self.pipeline.handle(msg, on_text=on_text))
        self.timers.touch(msg.where, target)

    async def _tick(self, where: ChannelRef, target: tuple[str, str | None]) -> None:
        """The conversation settled: give the reply that came due, in the last message's thread."""
        await self._reply(target, lambda on_text: self.pipeline.tick(where, on_text=on_text))

    async def _reply(
        self, target: tuple[str, str | None], produce: Callable[[TextSink], Awaitable[list[Reply]]]
    ) -> None:
        """Stream whatever reply `produce` gives into `target` (channel, thread)."""
        channel, thread = target
        stream = self.sender.stream(channel, thread)
        try:
            replies = await produce(stream.feed)
            await stream.finish(replies[0].text if replies else "")
        except (SlackApiError, aiohttp.ClientError) as exc:
            # The message is stored already; only the reply is lost, and it says why.
            log.warning("reply in %s failed: %s", channel, api_error(exc))

    def _reply_thread(self, event: Mapping[str, Any]) -> str | None:
        """The thread to answer in: the message's own thread, or (per setting) a new one on it."""
        if thread := thread_of(event):
            return thread
        if self.settings.slack_reply_in_thread and event.get("channel_type") != "im":
            return str(event["ts"])
        return None

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
