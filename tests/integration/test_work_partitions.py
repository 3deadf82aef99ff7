"""The partitioned work queue on a real Redis: order per conversation with two workers, shares that
rebalance as workers join and leave, and a crashed worker's partitions and jobs taken over, answered once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis.asyncio import Redis

from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.work_queue import PARTITIONS, WorkQueue, marker_key, partition_of
from groupmind.work import Job, Worker
from tests.helpers import SpyPlatform, msg
from tests.integration.test_work import drained, serving, until, work_settings

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def worker(store: Store, tmp_path: Path, url: str, name: str) -> Worker:
    pipeline = Pipeline(store, None, work_settings(tmp_path, url, worker_name=name), platforms=[SpyPlatform()])
    return Worker.for_pipeline(pipeline)


def chatter(conversations: int, each: int) -> list[ChatMessage]:
    """Messages of several conversations, interleaved as they would arrive."""
    return [
        msg(f"m{n % 7}", f"{channel}-{n}", channel=channel, ts=T0 + timedelta(seconds=n))
        for n in range(each) for channel in (f"c{c}" for c in range(conversations))
    ]  # fmt: skip


async def test_two_workers_store_every_conversation_in_order_once(
    store: Store, redis: Redis, tmp_path: Path, redis_server: EmbeddedServer
) -> None:
    said = chatter(conversations=12, each=25)
    queue = WorkQueue(redis, partitions=PARTITIONS)
    a, b = (worker(store, tmp_path, redis_server.url, name) for name in ("a", "b"))
    async with serving(a), serving(b):
        await until(lambda: _split(a, b), timeout=10)
        for m in said:
            await queue.submit(m)
        await until(lambda: drained(redis), timeout=60)
        assert a.owned and b.owned and not a.owned & b.owned
    for channel in {m.channel for m in said}:
        stored = [m.text for m in await store.window(said[0].where.model_copy(update={"channel": channel}), 100)]
        assert stored == [m.text for m in said if m.channel == channel]  # in order, each once
    assert all([await redis.get(marker_key(m)) == "done" for m in said])


async def _split(*workers: Worker) -> bool:
    return sum(len(w.owned) for w in workers) == PARTITIONS and all(w.owned for w in workers)


async def test_shares_rebalance_when_a_worker_joins_and_leaves(
    store: Store, tmp_path: Path, redis_server: EmbeddedServer
) -> None:
    a, b = (worker(store, tmp_path, redis_server.url, name) for name in ("a", "b"))
    async with serving(a):
        await until(lambda: _all(a))
        async with serving(b):
            await until(lambda: _even(a, b))
            assert not a.owned & b.owned
        await until(lambda: _all(a))  # b left and gave its leases back


async def _all(w: Worker) -> bool:
    return len(w.owned) == PARTITIONS


async def _even(a: Worker, b: Worker) -> bool:
    return len(a.owned) == len(b.owned) == PARTITIONS // 2


async def test_a_crashed_workers_partition_and_job_are_taken_over_and_answered_once(
    store: Store, redis: Redis, tmp_path: Path, redis_server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = asyncio.Event()

    async def hang(job: Job) -> None:
        stuck.set()
        await asyncio.Event().wait()  # the worker dies in the middle of this job

    queue = WorkQueue(redis, "crashed", PARTITIONS)
    crashed = Worker(queue, hang, claim_idle_ms=300, concurrency=4)
    monkeypatch.setattr(crashed, "_leave", _nothing)  # a crash gives nothing back: its leases must run out
    said = msg("ana", "the crashed worker had me")
    await queue.submit(said)
    task = asyncio.create_task(crashed.run())
    await asyncio.wait_for(stuck.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert partition_of(said, PARTITIONS) in crashed.owned

    survivor = worker(store, tmp_path, redis_server.url, "survivor")
    async with serving(survivor):
        await until(lambda: drained(redis), timeout=20)
        await asyncio.sleep(1)  # room for a second answer, if there were one
        assert len(survivor.owned) == PARTITIONS
    assert [m.text for m in await store.window(said.where, 5)] == ["the crashed worker had me"]
    assert await redis.get(marker_key(said)) == "done"


async def _nothing() -> None:
    return None
