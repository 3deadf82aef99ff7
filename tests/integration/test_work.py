"""The work queue on a real Redis: hand-off, take-over without duplicates, dead letters, a Redis restart."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from groupmind.config import Settings
from groupmind.events import ChatMessage, Reply
from groupmind.ingress import ingress
from groupmind.llm.remote import RemoteEngine
from groupmind.pipeline import Pipeline
from groupmind.platform import Platform
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.work_queue import DEAD, GROUP, STREAM, WorkQueue, marker_key
from groupmind.work import Worker
from tests.helpers import SpyPlatform, msg

pytestmark = pytest.mark.all_backends  # the work queue on standalone, cluster and Sentinel (the restart test: standalone)


def work_settings(tmp_path: Path, url: str, **fields: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "redis_url": url,
        "work_queue": True,
        "worker_name": "w1",
        "work_claim_idle_ms": 300,
        "burst_settle_s": 0,
    }
    return Settings(_env_file=None, **{**values, **fields})  # type: ignore[call-arg]


@pytest.fixture
def pipeline(store: Store, tmp_path: Path, redis_url: str) -> Pipeline:
    """Listen-only: it stores what it handles and answers nothing."""
    return Pipeline(store, None, work_settings(tmp_path, redis_url), platforms=[SpyPlatform()])


async def offer(pipeline: Pipeline, said: ChatMessage) -> bool:
    """What an adapter's ingress does with the work queue on (True) or off (False: handled inline)."""
    before = await pipeline.store.redis.xlen(STREAM)
    await ingress(pipeline, said)
    return await pipeline.store.redis.xlen(STREAM) > before


@asynccontextmanager
async def serving(worker: Worker) -> AsyncIterator[Worker]:
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def drained(redis: Redis) -> bool:
    """Nothing left in the stream and nothing pending in the group (once a worker made it)."""
    try:
        pending = await redis.xpending(STREAM, GROUP)
    except ResponseError:
        return False
    return pending["pending"] == 0 and await redis.xlen(STREAM) == 0


def posted(platform: SpyPlatform) -> list[tuple[str, str]]:
    return [(text, where.conversation) for where, text, _ in platform.sent]


def local_worker(pipeline: Pipeline, *platforms: Platform) -> Worker:
    """A worker answering through `platforms` (none: the pipeline's own)."""
    if platforms:
        pipeline = Pipeline(pipeline.store, pipeline.engine, pipeline.settings, platforms=platforms)
    return Worker.for_pipeline(pipeline)


async def test_offer_hands_off_only_when_the_queue_is_on(pipeline: Pipeline, redis: Redis, tmp_path: Path) -> None:
    inline = Pipeline(pipeline.store, None, work_settings(tmp_path, "", work_queue=False))
    assert await offer(inline, msg()) is False
    assert await redis.exists(STREAM) == 0
    assert await offer(pipeline, msg()) is True
    assert await redis.xlen(STREAM) == 1


async def test_a_queued_message_is_stored_once_and_marked_done(pipeline: Pipeline, redis: Redis) -> None:
    said = msg("ana", "hello all")
    await offer(pipeline, said)
    async with serving(local_worker(pipeline)):
        await until(lambda: drained(redis))
    assert [m.text for m in await pipeline.store.window(said.where, 5)] == ["hello all"]
    assert await redis.get(marker_key(said)) == "done"


async def test_the_same_message_queued_twice_is_handled_once(pipeline: Pipeline, redis: Redis) -> None:
    said = msg("ana", "twice delivered by the platform")
    queue = WorkQueue(redis)
    await queue.submit(said)
    await queue.submit(said)
    async with serving(local_worker(pipeline)):
        await until(lambda: drained(redis))
    assert await pipeline.store.stored_count(said.where) == 1


async def test_undecodable_entries_move_to_dead_letters_and_work_goes_on(
    pipeline: Pipeline, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.xadd(STREAM, {"j": "{not json"})
    await redis.xadd(STREAM, {"to": "{}"})  # no message at all
    await redis.xadd(STREAM, {"j": msg().model_dump_json().replace('"platform":"local"', '"platform":""')})
    good = msg("ana", "after the bad ones")
    await offer(pipeline, good)
    with caplog.at_level(logging.WARNING, logger="groupmind.work"):
        async with serving(local_worker(pipeline)):
            await until(lambda: drained(redis))
    dead = await redis.xrange(DEAD)
    assert len(dead) == 3
    assert [fields["j"] for _, fields in dead[:1]] == ["{not json"]  # kept as it came, for an operator
    assert all(fields["error"].startswith("undecodable entry") for _, fields in dead)
    assert sum("moved to" in r.getMessage() for r in caplog.records) == 3
    assert [m.text for m in await pipeline.store.window(good.where, 5)] == ["after the bad ones"]


async def test_a_message_no_worker_client_can_answer_goes_to_dead_letters(
    store: Store, redis: Redis, tmp_path: Path, redis_url: str
) -> None:
    settings = work_settings(tmp_path, redis_url, engine_url="http://127.0.0.1:9")
    answering = Pipeline(store, RemoteEngine(settings), settings)  # never reached: the job fails first
    await WorkQueue(redis).submit(msg(platform="discord"))
    async with serving(local_worker(answering, SpyPlatform("slack"))):
        await until(lambda: drained(redis))
    ((_, fields),) = await redis.xrange(DEAD)
    assert fields["error"] == "NoDelivery: no discord client on this worker to answer with"


async def test_work_taken_over_after_a_crash_is_not_stored_twice(pipeline: Pipeline, redis: Redis) -> None:
    said = msg("ana", "the crashed worker stored me")
    crashed = WorkQueue(redis, "crashed")
    await crashed.ensure_group()
    await crashed.submit(said)
    assert len(await crashed.read(1, 0)) == 1
    await pipeline.handle(said)  # ... and died before acking
    async with serving(local_worker(pipeline)):
        await until(lambda: drained(redis))
    assert await pipeline.store.stored_count(said.where) == 1
    assert await redis.get(marker_key(said)) == "done"


async def test_saved_replies_are_delivered_once_not_generated_again(pipeline: Pipeline, redis: Redis) -> None:
    crashed = WorkQueue(redis, "crashed")
    await crashed.ensure_group()
    said = msg("ana", "Mind, hi")
    entry = await crashed.submit(said)
    await crashed.read(1, 0)
    saved = Reply(where=said.where, text="hi ana", reply_to=said.message_id)
    await crashed.record(entry, "r:handle", f"[{saved.model_dump_json()}]")  # generated, then the crash
    recorder = SpyPlatform()
    async with serving(local_worker(pipeline, recorder)):
        await until(lambda: drained(redis))
    assert posted(recorder) == [("hi ana", "general")]

    delivered = msg("ana", "Mind, again")
    entry = await crashed.submit(delivered)
    await crashed.read(1, 0)
    await crashed.record(entry, "r:handle", f"[{saved.model_dump_json()}]")
    await crashed.record(entry, "d:handle", "1")  # delivered, then the crash before the ack
    async with serving(local_worker(pipeline, recorder)):
        await until(lambda: drained(redis))
    assert len(recorder.sent) == 1


async def test_a_worker_rides_out_a_redis_restart(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "redis")
    server.start()
    client = client_for(server.url)
    pipeline = Pipeline(Store(client), None, work_settings(tmp_path, server.url))
    try:
        async with serving(local_worker(pipeline)):
            before = msg("ana", "before the restart")
            await offer(pipeline, before)
            await until(lambda: drained(client))
            server.stop()
            await asyncio.sleep(0.5)  # the worker loop meets the outage
            server.start()
            after = msg("ana", "after the restart")
            await offer(pipeline, after)
            await until(lambda: drained(client), timeout=20)
        texts = [m.text for m in await pipeline.store.window(before.where, 5)]
        assert texts == ["before the restart", "after the restart"]
    finally:
        await client.aclose()
        server.stop()
