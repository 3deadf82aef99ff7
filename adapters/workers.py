"""A work-queue worker's way out: posting replies to any channel of each configured platform.

A worker answers messages that any process's adapter queued (`groupmind.work`),
so it posts through its own clients: Slack's Web API client, and a Discord
client logged in over REST only (the gateway shards run wherever
`groupmind run` runs; posting needs no gateway).
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import AsyncIterator, Sequence

import aiohttp
import discord
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import adapters.slack as slack
from adapters.discord.courier import DiscordCourier
from adapters.discord.outbox import NO_PINGS, StreamedReply
from adapters.discord.translate import PLATFORM as DISCORD
from adapters.slack.app import web_client
from adapters.slack.courier import SlackCourier
from adapters.slack.home import CareHome
from adapters.slack.names import api_error
from adapters.slack.outgoing import SlackSender
from adapters.slack.translate import PLATFORM as SLACK
from groupmind.config import Settings
from groupmind.events import Reply
from groupmind.pipeline import Pipeline
from groupmind.work import Deliver, Target, Worker

log = logging.getLogger(__name__)


def slack_delivery(client: AsyncWebClient) -> Deliver:
    """Posts into `target["channel"]`, in `target["thread"]` when the adapter chose one."""
    sender = SlackSender(client)

    async def deliver(replies: Sequence[Reply], target: Target) -> None:
        try:
            for reply in replies:
                await sender.say(target["channel"], reply.text, target.get("thread"))
        except (SlackApiError, aiohttp.ClientError) as exc:
            # The message is stored already; only the reply is lost, and it says why.
            log.warning("queued reply in %s failed: %s", target["channel"], api_error(exc))

    return deliver


def discord_delivery(client: discord.Client) -> Deliver:
    """Posts into `target["channel"]`, as a reply to `target["message"]`."""

    async def deliver(replies: Sequence[Reply], target: Target) -> None:
        channel = client.get_partial_messageable(int(target["channel"]))
        answered = channel.get_partial_message(int(target["message"]))
        try:
            for reply in replies:
                out = StreamedReply(channel, answered)  # type: ignore[arg-type]
                await out.feed(reply.text)
                await out.finish()
        except discord.HTTPException as exc:
            log.warning("queued reply in %s not delivered: Discord answered %s", target["channel"], exc.status)

    return deliver


@asynccontextmanager
async def platform_clients(pipeline: Pipeline, settings: Settings) -> AsyncIterator[dict[str, Deliver]]:
    """A `Deliver` per configured platform, its client open until the block exits.

    The same clients carry care's private messages and alerts for messages this
    worker handles, unless a gateway adapter in this process already does.
    """
    deliver: dict[str, Deliver] = {}
    couriers = pipeline.platforms
    async with AsyncExitStack() as stack:
        if slack.configured(settings):
            web = web_client(settings)
            deliver[SLACK] = slack_delivery(web)
            home = CareHome(web, partial(pipeline.care.alerts_for, SLACK), settings.bot_name)
            couriers.setdefault(SLACK, SlackCourier(SlackSender(web), home))
        if settings.discord_token is not None:
            client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
            await client.login(settings.discord_token.get_secret_value())
            stack.push_async_callback(client.close)
            deliver[DISCORD] = discord_delivery(client)
            couriers.setdefault(DISCORD, DiscordCourier(client, pipeline.store))
        yield deliver


async def serve_work(pipeline: Pipeline, settings: Settings) -> None:
    """Handle queued messages until cancelled, answering through this process's own clients."""
    async with platform_clients(pipeline, settings) as deliver:
        await Worker.for_pipeline(pipeline, deliver).run()
