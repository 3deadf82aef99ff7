"""Faults under the store: a killed embedded server comes back, and a retried write is stored once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from datetime import datetime, timezone
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import TimeoutError as RedisTimeoutError

from groupmind.admin import Admin
from groupmind.store import Store, open_redis
from groupmind.store.embedded import EmbeddedServer, EmbeddedServerError
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import command
from tests.helpers import msg

KEYS = CommunityKeys("local", "test")
WHERE = msg().where

SLOW_ONCE = """
if redis.call('GETDEL', KEYS[1]) then
  local t = redis.call('TIME')
  local until_us = t[1] * 1000000 + t[2] + tonumber(ARGV[1])
  repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_us
end
return 1
"""
"""Busy the server for ARGV[1] microseconds the first time only: the client's read times out after the append landed."""


async def server_pid(redis: Redis) -> int:
    return int((await redis.info("server"))["process_id"])


async def stored_ids(store: Store) -> list[str]:
    return [m.message_id for m in await store.window(WHERE, 10_000)]


async def test_the_same_message_appended_twice_is_stored_and_counted_once(store: Store) -> None:
    first, second = msg("alice", "hi", message_id="p1"), msg("bob", "yo", message_id="p2")
    assert await store.append(first)
    assert not await store.append(first)
    assert await store.append_many([second, first, second, msg("bob", "yo again", message_id="p2")]) == 1
    assert await store.append_many([first, second]) == 0
    assert await stored_ids(store) == ["p1", "p2"]
    for who in ("alice", "bob"):
        activity = await store.activity("local", "test", who)
        assert activity is not None and activity.messages == 1
    # The same id in another conversation is another message.
    assert await store.append(msg("alice", "hi", message_id="p1", channel="random"))


async def test_a_retried_pipeline_whose_first_attempt_landed_stores_once(redis: Redis) -> None:
    """The real redis-py retry: the append lands, the reply is late, the client resends the whole pipeline."""
    url = "unix://" + redis.connection_pool.connection_kwargs["path"]
    impatient = Redis.from_url(
        url, decode_responses=True, socket_timeout=0.2,
        retry=Retry(ConstantBackoff(0.3), retries=5), retry_on_error=[RedisTimeoutError],
    )  # fmt: skip
    await redis.set("slow-once", "1")
    store = Store(impatient)
    message = msg("alice", "said once", message_id="r1")
    try:
        await store.append(message, also=lambda pipe: pipe.eval(SLOW_ONCE, 1, "slow-once", 500_000))
    finally:
        await impatient.aclose()
    assert not await redis.exists("slow-once")  # the first attempt ran to its end
    assert await stored_ids(Store(redis)) == ["r1"]
    activity = await Store(redis).activity("local", "test", "alice")
    assert activity is not None and activity.messages == 1


async def test_activity_keeps_the_earliest_first_and_the_latest_last_seen_whatever_the_order(store: Store) -> None:
    early, late = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc)
    await store.append(msg("alice", "later", ts=late, author_name="Alice B."))
    await store.append(msg("alice", "replayed, earlier", ts=early, author_name="alice (old name)"))
    activity = await store.activity("local", "test", "alice")
    assert activity is not None
    assert (activity.first_seen, activity.last_seen, activity.display_name) == (early, late, "Alice B.")


async def test_the_ids_are_trimmed_with_the_stream(redis: Redis) -> None:
    store = Store(redis, maxlen=100)
    await store.append_many(msg("a", str(i)) for i in range(2000))
    in_stream = {fields["id"] for _, fields in await redis.xrange(KEYS.log("general"))}
    indexed = set(await redis.zrange(KEYS.ids("general"), 0, -1))
    assert in_stream <= indexed
    assert len(indexed) < 2 * len(in_stream)


async def test_delete_forgets_the_id_so_the_message_may_come_back(store: Store) -> None:
    message = msg("alice", "oops", message_id="d1")
    await store.append(message)
    assert await store.delete(WHERE, "d1")
    assert await store.redis.zscore(KEYS.ids("general"), "d1") is None
    assert await store.append(message)


async def test_export_and_forget_me_see_a_twice_sent_message_once(store: Store) -> None:
    admin = Admin(store, model="m")
    bob = msg("Bob", "sent during a restart", message_id="b1")
    await store.append(bob)
    await store.append_many([bob, msg("carol", "hi bob", message_id="c1")])
    export = await admin.execute(command("export"))
    assert export.file is not None
    entries = json.loads(export.file.content)["keys"][KEYS.log("general")]
    assert [e["id"] for e in entries] == ["b1", "c1"]
    forgotten = await admin.execute(command("forget-me", "Bob", admin=False))
    assert "deleted 1 messages" in forgotten.text
    assert await stored_ids(store) == ["c1"]
    assert await store.redis.zrange(KEYS.ids("general"), 0, -1) == ["c1"]


async def test_a_killed_embedded_server_is_restarted_and_every_write_lands_once(tmp_path: Path) -> None:
    messages = [msg("alice", f"line {i}", message_id=f"k{i}") for i in range(60)]
    async with open_redis("", tmp_path) as redis:
        # Acknowledged means written: with `everysec` a busy disk lets a killed server lose acknowledged writes.
        assert await redis.config_get("appendfsync") == {"appendfsync": "no"}
        store = Store(redis)
        await store.append_many(messages[:10])
        first = await server_pid(redis)
        os.kill(first, signal.SIGKILL)
        await asyncio.gather(*(store.append(m) for m in messages[10:40]))  # concurrent, mid-outage
        second = await server_pid(redis)
        os.kill(second, signal.SIGKILL)
        await asyncio.gather(*(store.append(m) for m in messages))  # again, every one of them
        assert len({first, second, await server_pid(redis)}) == 3
        assert sorted(await stored_ids(store)) == sorted(m.message_id for m in messages)  # each once
    async with open_redis("", tmp_path) as redis:  # and all of it is on disk
        assert sorted(await stored_ids(Store(redis))) == sorted(m.message_id for m in messages)


async def test_a_process_sharing_the_server_brings_it_back_when_it_dies(tmp_path: Path) -> None:
    owner = EmbeddedServer(tmp_path)
    owner.start()
    try:
        async with open_redis(owner.url, tmp_path) as shared_url_client:
            await Store(shared_url_client).append(msg("alice", "before"))
        async with open_redis("", tmp_path) as redis:  # a second groupmind on the same data dir
            owner.stop()  # the first one exits, and its server with it
            await Store(redis).append(msg("alice", "after"))
            assert [m.text for m in await Store(redis).window(WHERE, 5)] == ["before", "after"]
    finally:
        owner.stop()


async def test_a_live_but_silent_server_is_never_doubled(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    server.start()
    assert server._proc is not None
    pid = server._proc.pid
    other = EmbeddedServer(tmp_path)
    os.kill(pid, signal.SIGSTOP)  # alive, holding its lock, answering nothing
    try:
        await other.revive()  # leaves it to the client's retry
        with pytest.raises(EmbeddedServerError, match="holds its lock"):
            other.start(timeout=1.0)  # a new process waits for it, then says why it gave up
        assert not other.owned and other.restarts == 0
    finally:
        os.kill(pid, signal.SIGCONT)
    other.start()  # it answers again: joined
    assert not other.owned
    server.stop()
