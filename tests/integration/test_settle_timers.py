"""The scheduler owns time: a message that leaves a reply waiting is due work, re-armed by each message."""

from __future__ import annotations

from types import SimpleNamespace

import asyncio
from datetime import datetime, timedelta, timezone

from groupmind.config import Settings
from groupmind.pipeline import REPLY, Pipeline
from groupmind.store import Store
from groupmind.store.due import MemoryDueWork
from groupmind.store.keys import CommunityKeys
from tests.helpers import Clock, SpyPlatform, msg

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
KEYS = CommunityKeys("local", "test")


def addressed(author: str, seconds: float, **fields: object):  # type: ignore[no-untyped-def]
    return msg(author, "Mind, are you around?", ts=T0 + timedelta(seconds=seconds), **fields)


def to_the_room(author: str, seconds: float, **fields: object):  # type: ignore[no-untyped-def]
    return msg(author, "does anyone know a good bike shop?", ts=T0 + timedelta(seconds=seconds), **fields)


async def test_each_message_rearms_its_conversations_item_and_it_comes_due_after_both_waits(
    store: Store, settings: Settings
) -> None:
    clock = Clock(T0)
    rules = settings.model_copy(update={"burst_settle_s": 10, "question_pause_s": 25})
    pipeline = Pipeline(store, None, rules, clock, platforms=[SpyPlatform()], due=MemoryDueWork())
    looked: list[tuple[str, datetime]] = []

    async def look(item, now):  # type: ignore[no-untyped-def]
        looked.append((item.key, now))
        await pipeline._reply_due(item, now)

    pipeline.scheduler.handlers[REPLY] = look
    for channel in ("general", "other"):
        await store.settings.set("local", "test", f"mode:{channel}", "active")
    await pipeline.handle(to_the_room("ana", 0))
    await pipeline.handle(to_the_room("ben", 5))  # re-arms: the wait counts from ben's message
    await pipeline.handle(to_the_room("cy", 1, channel="other"))
    for second in range(0, 60):
        clock.now = T0 + timedelta(seconds=second)
        await pipeline.scheduler.run_due()
    assert [(key, (at - T0).total_seconds()) for key, at in looked] == [
        ("other", 11), ("general", 15), ("other", 26), ("general", 30)
    ]  # once when the burst settles, once after the question pause, as the old per-conversation timer did
    assert not await store.redis.exists(KEYS.speak("general")) and not await store.redis.exists(KEYS.speak("other"))


async def test_a_listen_only_pipeline_answers_nothing_and_a_platform_it_lacks_waits_for_another_process(
    store: Store, settings: Settings
) -> None:
    clock = Clock(T0)
    due = MemoryDueWork()
    talking = Pipeline(store, SimpleNamespace(name="a model"), settings, clock, due=due)  # type: ignore[arg-type]
    await Pipeline(store, None, settings, clock, platforms=[SpyPlatform()], due=due).handle(addressed("ana", 0))
    clock.now = T0 + timedelta(minutes=5)
    assert await talking.scheduler.run_due() == 1
    waiting = await due.waiting(REPLY, "local", "test", "general")
    assert waiting is not None and waiting.at == clock.now + timedelta(seconds=1), "offered again, not lost"


async def test_the_live_job_wakes_due_replies(store: Store, settings: Settings) -> None:
    spy = SpyPlatform()
    pipeline = Pipeline(store, None, settings.model_copy(update={"burst_settle_s": 0.1}), platforms=[spy])
    said = msg("ana", "Mind, hello?", ts=datetime.now(timezone.utc))
    await pipeline.handle(said)
    assert await pipeline.due.waiting(REPLY, "local", "test", "general") is not None
    async with pipeline.scheduler.running():
        for _ in range(50):
            await asyncio.sleep(0.05)
            if not await store.redis.exists(KEYS.speak("general")):
                break
    assert not await store.redis.exists(KEYS.speak("general")), "the listen-only reply was decided"
