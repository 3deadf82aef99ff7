"""The Discord adapter end to end: the real discord.py client against the fake Discord on loopback.

Redis is the real test server; replies come from the real default model where
a reply is the point, and from a listen-only pipeline where only storage is.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, suppress
from typing import Any, AsyncIterator

import discord
import pytest
import yarl

from adapters.discord.client import DiscordAdapter, DiscordStartError, gateway_intents, run_discord
from adapters.discord.outbox import StreamedReply
from adapters.discord.private import DmOutcome, send_private
from adapters.discord.split import split_message
from adapters.discord.translate import DM_COMMUNITY, PLATFORM
from groupmind.config import Settings
from groupmind.events import ChannelRef, ChatMessage
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.e2e.fake_discord import API, BOT, BOT_ID, CHANNEL_ID, GUILD_ID, THREAD_ID, TOKEN, FakeDiscord, user

ALICE = user(1, "alice")
OTHER_BOT = user(2, "otherbot", bot=True)
CHANNEL = ChannelRef(platform=PLATFORM, community=str(GUILD_ID), channel=str(CHANNEL_ID))
THREAD = CHANNEL.model_copy(update={"thread": str(THREAD_ID)})


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    # Discord cannot be reached from tests and discord.py has no base-URL option, so its two
    # URL constants (REST base, gateway) are pointed at the fake: the only mocking here.
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.stop()


@asynccontextmanager
async def online(pipeline: Pipeline) -> AsyncIterator[DiscordAdapter]:
    """The adapter logged in and READY (guild_ready_timeout: the fake sends its one guild at once)."""
    client = DiscordAdapter(pipeline, guild_ready_timeout=0.05)
    running = asyncio.create_task(client.start(TOKEN))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 15)
        yield client
    finally:
        await client.close()
        with suppress(asyncio.CancelledError):
            await running


@pytest.fixture
def listening(store: Store, settings: Settings) -> Pipeline:
    return Pipeline(store, None, settings)


@pytest.fixture
def talking(store: Store, settings: Settings, engine: LocalEngine) -> Pipeline:
    return Pipeline(store, engine, settings)


async def stored(store: Store, where: ChannelRef) -> list[ChatMessage]:
    return await store.window(where, 50)


async def until_stored(fake: FakeDiscord, store: Store, where: ChannelRef, count: int) -> list[ChatMessage]:
    window: list[ChatMessage] = []

    async def enough() -> bool:
        nonlocal window
        window = await stored(store, where)
        return len(window) >= count

    deadline = asyncio.get_running_loop().time() + 10
    while not await enough():
        assert asyncio.get_running_loop().time() < deadline, f"{where.conversation}: {window}"
        await asyncio.sleep(0.02)
    return window


async def test_login_identifies_with_explicit_intents(fake: FakeDiscord, listening: Pipeline) -> None:
    async with online(listening) as client:
        assert client.user is not None and client.user.id == BOT_ID
        assert client.get_guild(GUILD_ID) is not None
    assert fake.identify is not None and fake.identify["token"] == TOKEN
    assert fake.identify["intents"] == gateway_intents().value
    assert gateway_intents().message_content and not gateway_intents().members


async def test_a_wrong_token_is_a_clear_start_error_without_the_token(fake: FakeDiscord, listening: Pipeline) -> None:
    settings = Settings(_env_file=None, discord_token="not-the-token")  # type: ignore[call-arg]
    with pytest.raises(DiscordStartError, match="refused the token") as failure:
        await run_discord(listening, settings)
    assert "not-the-token" not in str(failure.value)
