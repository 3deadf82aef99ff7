"""The pipeline streams replies and names the conversation, so the engine keeps its context."""

from __future__ import annotations

import pytest

from groupmind.config import Settings
from groupmind.llm import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.helpers import SpyPlatform, msg

pytestmark = pytest.mark.model


async def test_a_second_reply_in_a_channel_reuses_its_context(
    store: Store, settings: Settings, engine: LocalEngine
) -> None:
    spy = SpyPlatform()
    pipeline = Pipeline(store, engine, settings.model_copy(update={"max_reply_tokens": 8, "burst_settle_s": 0}), platforms=[spy])
    await pipeline.handle(msg("ana", "Mind, is grub fixed yet?", channel="fast-a"))
    hits, misses = engine.cache_hits, engine.cache_misses
    spy.sent.clear()
    replies = await pipeline.handle(msg("ben", "Mind, and the wifi?", channel="fast-a"))
    shown = spy.texts
    # every try (the guard may ask for a second one) continued the channel's context, none started cold
    assert engine.cache_hits > hits and engine.cache_misses == misses
    # What streamed to the adapter is exactly the reply (nothing streams when it stays silent).
    assert "".join(shown) == (replies[0].text if replies else "")
