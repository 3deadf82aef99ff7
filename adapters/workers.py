"""A work-queue worker's way out: the platforms of every configured platform, without a gateway.

A worker answers messages that any process's adapter queued (`groupmind.work`),
so it posts through its own clients: Slack's Web API client, and a Discord
client logged in over REST only (the gateway shards run wherever
`groupmind run` runs; posting needs no gateway). The same platforms carry
care's private messages and alerts for the messages it handles.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator

import discord

import adapters.slack as slack
from adapters.discord.outbox import NO_PINGS
from adapters.discord.platform import DiscordPlatform
from groupmind.config import Settings
from groupmind.ingress import Directory
from groupmind.platform import Platform


@asynccontextmanager
async def worker_platforms(settings: Settings, directory: Directory) -> AsyncIterator[list[Platform]]:
    """A `Platform` per configured platform, its client open until the block exits."""
    platforms: list[Platform] = []
    async with AsyncExitStack() as stack:
        if slack.configured(settings):
            platforms.append(slack.slack_platform(settings, directory.alerts_for))
        if settings.discord_token is not None:
            client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
            await client.login(settings.discord_token.get_secret_value())
            stack.push_async_callback(client.close)
            platforms.append(DiscordPlatform(client, directory.care_channel))
        yield platforms
