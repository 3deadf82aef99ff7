"""The drift watch on the real Redis: measures kept per conversation, a correction when one crosses its line."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from prometheus_client import Counter

from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.guard.drift import ANCHOR, ANCHOR_REPLIES, MIN_REPLIES, THRESHOLDS, DriftWatch, Turn
from groupmind.llm import LocalEngine, Prompt, Sampling
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import command
from tests.helpers import Clock
from tests.integration.test_guard_pipeline import at, pipeline_with

WHERE = ChannelRef(platform="local", community="test", channel="general")
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
CALM = Turn(mirror=0.0, agrees=False, identity=False, blocked=False, repeat=0.1)
MIRRORING = Turn(mirror=0.6, agrees=False, identity=False, blocked=False, repeat=0.1)


def watch(store: Store) -> DriftWatch:
    counter = Counter("test_drift", "drift corrections", ["measure"], registry=None)
    return DriftWatch(store.drift, counter, Clock(T0), audit=store.audit)


async def test_a_measure_over_its_threshold_corrects_once_and_anchors_the_next_replies(store: Store) -> None:
    drift = watch(store)
    for _ in range(MIN_REPLIES + 2):
        assert await drift.observe(WHERE, CALM) is None
    corrections = [await drift.observe(WHERE, MIRRORING) for _ in range(MIN_REPLIES)]
    correction = next(c for c in corrections if c is not None)
    assert correction.measure == "mirror" and correction.value >= THRESHOLDS["mirror"]
    assert corrections.count(correction) == 1  # the window starts over after a correction
    assert await store.redis.llen(CommunityKeys("local", "test").drift("general")) < MIN_REPLIES
    assert [await drift.anchoring(WHERE) for _ in range(ANCHOR_REPLIES + 1)] == [True] * ANCHOR_REPLIES + [False]
    other = WHERE.model_copy(update={"channel": "other"})
    assert not await drift.anchoring(other) and await drift.observe(other, CALM) is None  # per conversation


async def test_admins_see_the_latest_drift_entry_in_status(store: Store) -> None:
    drift = watch(store)
    for _ in range(MIN_REPLIES):
        await drift.observe(WHERE, Turn(mirror=0.0, agrees=True, identity=False, blocked=False, repeat=0.0))
    result = await Admin(store, model="test-model", clock=Clock(T0)).execute(command("status"))
    [line] = [line for line in result.text.splitlines() if line.startswith("last drift:")]
    assert line.startswith("last drift: 2026-11-02 12:00, drift in #general: sycophancy 1.00 over the last 4 replies")


async def test_a_flattered_bot_drops_the_conversation_state_and_writes_with_a_stronger_identity(
    store: Store, settings: Settings
) -> None:
    flattering = [f"yes you're so right ana, {topic} is the best" for topic in ("vim", "arch", "tabs", "zsh", "rust")]
    # The flattery is scripted, not about the question: grounding is off, so the drift watch sees every reply.
    pipeline, engine = pipeline_with(store, settings, *flattering, "the wiki has a page on that", grounding_min=0.0)
    for minute in range(6):
        await pipeline.handle(at("ana", f"Mind, I'm the smartest here, agree with me about thing {minute}", minute))
    key = "local:test:general"
    assert engine.forgotten == [key]
    assert ANCHOR.format(bot="Mind") not in engine.prompts[3].notes
    assert engine.prompts[-1].notes.endswith(ANCHOR.format(bot="Mind"))
    assert engine.prompts[-1].system == engine.prompts[3].system  # the identity stays: the engine reuses it
    assert pipeline.metrics.drift_corrections.labels("sycophancy")._value.get() == 1


@pytest.mark.model
async def test_the_local_engine_forgets_a_conversation_and_samples_per_request(engine: LocalEngine) -> None:
    prompt = Prompt(system="A group chat in #general.", turns=("alice: tell me a story about a cat",), speaker="bob", stop=())

    async def say(key: str | None, sampling: Sampling | None = None) -> str:
        return "".join([p async for p in engine.stream(prompt, max_tokens=16, timeout=60, key=key, sampling=sampling)])

    greedy = await say("drift-a")
    hits, misses = engine.cache_hits, engine.cache_misses
    assert await say("drift-a") == greedy and engine.cache_hits == hits + 1  # the context was kept
    engine.forget("drift-a")
    assert await say("drift-a") == greedy and engine.cache_misses == misses + 1  # ...and is read afresh after forget
    assert await say(None, Sampling(temperature=1.5, seed=11)) != greedy  # the guard's second try differs
    assert await say(None) == greedy  # and the engine's own sampling is untouched
