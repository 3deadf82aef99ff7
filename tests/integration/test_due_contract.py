"""The due set: the Redis implementation and its in-memory twin keep the same contract."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from groupmind.store.due import Due, DueWork, MemoryDueWork, RedisDueWork

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["redis", "memory"])
def due(request: pytest.FixtureRequest) -> DueWork:
    if request.param == "memory":
        return MemoryDueWork()
    return RedisDueWork(request.getfixturevalue("redis"))


def reply(conversation: str, at: datetime, **data: str) -> Due:
    return Due("reply", "local", "room", conversation, at, data)


async def test_items_come_due_in_time_order_and_only_once(due: DueWork) -> None:
    await due.schedule(reply("b", T0 + timedelta(seconds=2)))
    await due.schedule(reply("a", T0 + timedelta(seconds=1), last="m1"))
    await due.schedule(reply("c", T0 + timedelta(seconds=9)))
    assert await due.take(T0) == []
    taken = await due.take(T0 + timedelta(seconds=5))
    assert [(i.key, i.at, dict(i.data)) for i in taken] == [
        ("a", T0 + timedelta(seconds=1), {"last": "m1"}),
        ("b", T0 + timedelta(seconds=2), {}),
    ]
    assert await due.take(T0 + timedelta(seconds=5)) == []
    assert await due.next_at() == T0 + timedelta(seconds=9)


async def test_scheduling_again_moves_the_item_and_replaces_its_data(due: DueWork) -> None:
    await due.schedule(reply("a", T0 + timedelta(seconds=1), last="m1"))
    await due.schedule(reply("a", T0 + timedelta(seconds=30), last="m2"))
    assert await due.take(T0 + timedelta(seconds=10)) == []
    waiting = await due.waiting("reply", "local", "room", "a")
    assert waiting is not None and waiting.at == T0 + timedelta(seconds=30) and dict(waiting.data) == {"last": "m2"}


async def test_kinds_and_communities_are_apart_and_cancel_drops_one(due: DueWork) -> None:
    await due.schedule(reply("a", T0))
    await due.schedule(Due("care-followup", "local", "room", "a", T0))
    await due.schedule(Due("reply", "local", "other", "a", T0))
    await due.cancel("reply", "local", "room", "a")
    await due.cancel("reply", "local", "room", "never-scheduled")
    taken = await due.take(T0)
    assert sorted((i.kind, i.community) for i in taken) == [("care-followup", "room"), ("reply", "other")]
    assert await due.next_at() is None


async def test_a_limit_leaves_the_rest_waiting(due: DueWork) -> None:
    for n in range(5):
        await due.schedule(reply(f"c{n}", T0 + timedelta(seconds=n)))
    assert [i.key for i in await due.take(T0 + timedelta(minutes=1), limit=2)] == ["c0", "c1"]
    assert [i.key for i in await due.take(T0 + timedelta(minutes=1))] == ["c2", "c3", "c4"]


async def test_keys_with_separators_and_unicode_survive(due: DueWork) -> None:
    await due.schedule(Due("reply", "slack", "T1:x", "C1/1700.1 é", T0, {"who": "Zoë"}))
    (item,) = await due.take(T0)
    assert (item.community, item.key, dict(item.data)) == ("T1:x", "C1/1700.1 é", {"who": "Zoë"})


async def test_two_workers_taking_at_once_never_both_get_an_item(redis: Redis) -> None:
    first, second = RedisDueWork(redis), RedisDueWork(redis)
    for n in range(50):
        await first.schedule(reply(f"c{n}", T0))
    a, b = await asyncio.gather(first.take(T0, limit=30), second.take(T0, limit=30))
    keys = [i.key for i in a + b]
    assert len(keys) == 50 and len(set(keys)) == 50


async def test_kinds_take_only_those_and_leave_the_rest_waiting(due: DueWork) -> None:
    await due.schedule(reply("a", T0))
    await due.schedule(Due("care-rounds", "*", "*", "rounds", T0 + timedelta(seconds=1)))
    await due.schedule(Due("care-roundsx", "*", "*", "rounds", T0))
    assert [i.kind for i in await due.take(T0 + timedelta(minutes=1), kinds={"care-rounds"})] == ["care-rounds"]
    assert await due.waiting("reply", "local", "room", "a") is not None
    assert sorted(i.kind for i in await due.take(T0 + timedelta(minutes=1))) == ["care-roundsx", "reply"]
