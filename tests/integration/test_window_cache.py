"""Kept conversation windows (`store.window_cache`) on a real Redis, with two processes' stores on one server.

Whatever one process writes (a message, an edit, a delete, a forget-me, a setting)
the other must see on its next read, although it re-reads the window only when
the newest stream id or the community's revision tells it to.
"""

from __future__ import annotations

from redis.asyncio import Redis

from groupmind.store import Store
from groupmind.store.keyspace import forget_member
from groupmind.we.room import We
from tests.helpers import msg, store_message


def texts(window: list) -> list[str]:
    return [m.text for m, _ in window]


async def test_own_appends_extend_the_kept_window_without_a_reread(redis: Redis) -> None:
    store = Store(redis)
    we = We(store, "Mind")
    first = msg("ana", "one")
    await store_message(store, we, first)
    await store.window_entries(first.where, 60)
    misses = store.windows.misses
    for text in ("two", "three"):
        await store_message(store, we, msg("ben", text))
    assert texts(await store.window_entries(first.where, 60)) == ["one", "two", "three"]
    assert store.windows.misses == misses  # served from the kept window, checked by stream id
    assert texts(await store.window_entries(first.where, 2)) == ["two", "three"]


async def test_another_process_writes_are_seen(redis: Redis) -> None:
    mine, theirs = Store(redis), Store(Redis(connection_pool=redis.connection_pool))
    we_mine, we_theirs = We(mine, "Mind"), We(theirs, "Mind")
    said = [msg("ana", "hi all"), msg("ben", "teh plan"), msg("cy", "secret")]
    for m in said:
        await store_message(mine, we_mine, m)
    assert texts(await mine.window_entries(said[0].where, 60)) == ["hi all", "teh plan", "secret"]

    await store_message(theirs, we_theirs, msg("dee", "from the other worker"))
    assert texts(await mine.window_entries(said[0].where, 60))[-1] == "from the other worker"

    await store_message(mine, we_mine, msg("ana", "mine again"))  # lands after theirs: kept window still right
    assert await theirs.edit(said[1].where, said[1].message_id, "the plan")
    assert texts(await mine.window_entries(said[0].where, 60)) == [
        "hi all", "the plan", "secret", "from the other worker", "mine again"]  # fmt: skip

    assert await theirs.delete(said[2].where, said[2].message_id)
    assert "secret" not in texts(await mine.window_entries(said[0].where, 60))

    await forget_member(theirs, "local", "test", "ana")
    assert [m.author_id for m, _ in await mine.window_entries(said[0].where, 60)] == ["ben", "dee"]


async def test_a_setting_or_opt_out_changed_elsewhere_applies_to_the_next_message(redis: Redis) -> None:
    mine, theirs = Store(redis), Store(Redis(connection_pool=redis.connection_pool))
    we = We(mine, "Mind")
    first = await we.note(msg("ana", "hello"))
    assert first.view.mode == "mention" and not first.view.opted_out
    await theirs.settings.set("local", "test", "mode:general", "active")
    await theirs.settings.opt_out("local", "test", "ana")
    later = await we.note(msg("ana", "hello again"))
    assert later.view.mode == "active" and later.view.opted_out and later.profile_update is None
    assert later.settings.mode("general") == "active"
