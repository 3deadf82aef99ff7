"""Slack: Socket Mode by default (no public URL needed), HTTP mode with signed requests.

`slack_platform(settings, alerts_for)` is the bot's way out, for the pipeline to
be built with; `run(settings, pipeline)` is what `groupmind run` then calls, and
`connected()` is the same connection as a context manager, for tests and for a
process that runs several adapters side by side.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.slack.app import CommandRunner, SlackAdapter, SlackConfigError, check_settings, slack_platform
from adapters.slack.platform import SlackPlatform
from groupmind.config import Settings
from groupmind.pipeline import Pipeline

__all__ = [
    "CommandRunner", "SlackAdapter", "SlackConfigError", "SlackPlatform",
    "check_settings", "configured", "connected", "run", "slack_platform",
]  # fmt: skip

EVENTS_PATH = "/slack/events"


def configured(settings: Settings) -> bool:
    """True when a bot token is set, i.e. the operator meant to run on Slack."""
    return bool(settings.slack_bot_token.get_secret_value())


@asynccontextmanager
async def connected(
    settings: Settings, pipeline: Pipeline, run_command: CommandRunner | None = None
) -> AsyncIterator[SlackAdapter]:
    """Connect to Slack (socket) or listen for it (HTTP) until the block exits."""
    check_settings(settings)
    adapter = SlackAdapter(pipeline, settings, run_command=run_command)
    if settings.slack_mode == "socket":
        handler = AsyncSocketModeHandler(adapter.app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        try:
            yield adapter
        finally:
            await handler.close_async()
        return
    runner = web.AppRunner(adapter.app.web_app(path=EVENTS_PATH))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.slack_http_host, settings.slack_http_port).start()
        host, port = runner.addresses[0][:2]
        adapter.http_url = f"http://{host}:{port}{EVENTS_PATH}"
        yield adapter
    finally:
        await runner.cleanup()


async def run(settings: Settings, pipeline: Pipeline, run_command: CommandRunner | None = None) -> None:
    """Serve Slack until cancelled; `/groupmind` runs the admin layer unless `run_command` replaces it."""
    async with connected(settings, pipeline, run_command):
        await asyncio.Event().wait()
