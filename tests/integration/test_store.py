"""The store against a real Valkey server process."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis.asyncio import Redis

from groupmind.store import Store, StoreUnavailable, open_redis
from groupmind.store.connect import client_for, redact_url
from groupmind.store.embedded import EmbeddedServer
from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys
from tests.helpers import msg

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel


async def test_window_returns_the_newest_messages_oldest_first(store: Store) -> None:
    for i in range(10):
        await store.append(msg("alice", f"m{i}"))
    window = await store.window(msg().where, 3)
    assert [m.text for m in window] == ["m7", "m8", "m9"]


async def test_streams_are_trimmed(redis: Redis) -> None:
    store = Store(redis, maxlen=100)
    await store.append_many(msg("a", str(i)) for i in range(2000))
    assert 100 <= await store.stored_count(msg().where) < 400


async def test_edit_and_delete_by_platform_id(store: Store) -> None:
    first, second = msg("alice", "helo"), msg("bob", "secret")
    await store.append_many([first, second, msg("carol", "after")])
    assert await store.edit(first.where, first.message_id, "hello\x00!")
    assert await store.delete(second.where, second.message_id)
    texts = [m.text for m in await store.window(first.where, 10)]
    assert texts == ["hello!", "after"]


async def test_edit_or_delete_of_unknown_message_changes_nothing(store: Store) -> None:
    await store.append(msg("alice", "hi"))
    assert not await store.edit(msg().where, "nope", "x")
    assert not await store.delete(msg().where, "nope")
    assert [m.text for m in await store.window(msg().where, 5)] == ["hi"]


async def test_delete_finds_old_messages_beyond_one_page(store: Store) -> None:
    target = msg("alice", "old one")
    await store.append(target)
    await store.append_many(msg("bob", str(i)) for i in range(900))
    assert await store.delete(target.where, target.message_id)
    assert await store.stored_count(target.where) == 900


async def test_stale_edits_are_pruned(redis: Redis) -> None:
    store = Store(redis, maxlen=100)
    edits_key = "gm:{local:test}:chan:general:edits"
    for i in range(30):
        m = msg("a", f"v{i}")
        await store.append(m)
        await store.edit(m.where, m.message_id, f"edited {i}")
    await store.append_many(msg("a", "filler") for _ in range(500))  # trims the edited ones away
    last = msg("a", "last")
    await store.append(last)
    await store.edit(last.where, last.message_id, "last edited")
    assert await redis.hlen(edits_key) <= 11


async def test_member_activity(store: Store) -> None:
    day = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    for offset in (timedelta(0), timedelta(hours=2), timedelta(days=1), timedelta(days=5)):
        await store.append(msg("alice", "hi", ts=day + offset))
    await store.append(msg("Mind", "bot talk", author_id="bot:Mind", author_is_bot=True))
    activity = await store.activity("local", "test", "alice")
    assert activity is not None
    assert (activity.messages, activity.active_days) == (4, 3)
    assert activity.first_seen == day and activity.last_seen == day + timedelta(days=5)
    assert await store.activity("local", "test", "bot:Mind") is None


async def test_settings_hash_returns_the_old_value(store: Store) -> None:
    assert await store.settings.set("local", "test", "persona", "kind") is None
    assert await store.settings.set("local", "test", "persona", "terse") == "kind"
    assert dict((await store.settings.read("local", "test")).fields) == {"persona": "terse"}


async def test_keys_are_namespaced_per_community(store: Store, redis: Redis) -> None:
    await store.append(msg("alice", "hi", community="c{1}"))
    keys = [k async for k in redis.scan_iter("*")]
    assert keys and all(k.startswith("gm:{local:c%7B1%7D}:") for k in keys)
    assert await store.conversations("local", "c{1}") == ["general"]


async def test_huge_message_is_stored_truncated(store: Store) -> None:
    await store.append(msg("alice", "y" * 100_000))
    (stored,) = await store.window(msg().where, 1)
    assert "[…truncated" in stored.text and len(stored.text) < 9000


async def test_store_rides_out_a_redis_restart(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    server.start()
    client = client_for(server.url)
    store = Store(client)
    try:
        await store.append(msg("alice", "before"))
        server.stop()
        server.start()
        await store.append(msg("alice", "after"))  # retried over the new connection
        assert [m.text for m in await store.window(msg().where, 5)] == ["before", "after"]
    finally:
        await client.aclose()
        server.stop()


async def test_unreachable_redis_url_names_the_url(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match=r"redis://:\*\*\*@127\.0\.0\.1:1/0"):
        async with open_redis("redis://:hunter2@127.0.0.1:1/0", tmp_path):
            pass


def test_redacted_urls_hide_passwords() -> None:
    assert redact_url("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"
    assert "hunter2" not in redact_url("rediss://:hunter2@h")
    assert redact_url("unix:///tmp/r.sock") == "unix:///tmp/r.sock"


async def _age(redis: Redis, store: Store, where: ChannelRef, days: float) -> None:
    """Move every entry of a conversation's stream `days` back in time (its ids are server times), as if stored then."""
    keys = CommunityKeys(where.platform, where.community)
    log, ids = keys.log(where.conversation), keys.ids(where.conversation)
    entries = [entry async for entry in store.entries(log)]
    shift_ms = int(days * 86_400_000)
    await redis.delete(log)
    for entry_id, fields in entries:
        ms, seq = entry_id.split("-")
        await redis.xadd(log, fields, id=f"{int(ms) - shift_ms}-{seq}")
        await redis.zadd(ids, {fields["id"]: int(ms) - shift_ms})


async def test_streams_are_trimmed_by_age_as_new_messages_arrive(redis: Redis) -> None:
    before = Store(redis, maxlen=1000)  # stored before retention was set
    where = msg().where
    await before.append_many([msg("a", "fifty days ago"), msg("b", "also fifty days ago")])
    await _age(redis, before, where, 40)
    await before.append(msg("c", "ten days ago"))
    await _age(redis, before, where, 10)
    assert await before.stored_count(where) == 3

    store = Store(redis, maxlen=1000, retention=timedelta(days=30))
    await store.append(msg("d", "today"))

    assert [m.text for m in await store.window(where, 10)] == ["ten days ago", "today"]
    log_ids = await redis.zrange(CommunityKeys(where.platform, where.community).ids(where.conversation), 0, -1)
    assert len(log_ids) == 2, "the dedupe ids age out with their messages"


async def test_without_retention_streams_keep_old_messages(redis: Redis) -> None:
    store = Store(redis, maxlen=1000)
    where = msg().where
    await store.append(msg("a", "a year and a half ago"))
    await _age(redis, store, where, 550)
    await store.append(msg("b", "today"))
    assert [m.text for m in await store.window(where, 10)] == ["a year and a half ago", "today"]
