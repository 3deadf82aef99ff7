"""The we model and the speak policy on a real Redis server (and the real model where it speaks)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from groupmind.config import Settings
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from groupmind.we.room import We
from groupmind.we.threads import link_message
from tests.helpers import SpyPlatform, msg, store_message

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
KEYS = CommunityKeys("local", "test")


def at(author: str, text: str, second: int, **fields: object):
    return msg(author, text, ts=T0 + timedelta(seconds=second), **fields)


async def test_profiles_update_per_message_and_links_are_stored(store: Store) -> None:
    we = We(store, "Mind")
    first = at("ana", "my sourdough starter died again", 0)
    await store_message(store, we, first)
    seen = await store_message(store, we, at("ben", "ana: feed your sourdough twice a day", 1))
    assert seen.link.parent == first.message_id and [i.msg for i in seen.before] == [first]
    recent = await we.recent(first.where)
    assert recent[1].link.parent == first.message_id and recent[1].link.thread == first.message_id
    redis = store.redis
    assert await redis.lrange(KEYS.voice("general"), 0, -1) == ["ben", "ana"]
    assert "sourdough" in await redis.zrange(KEYS.member_topics("ana"), 0, -1)
    assert await redis.hgetall(KEYS.member_talks_to("ben")) == {"ana": "1"}
    group = await we.group(first.where, recent, T0 + timedelta(seconds=2))
    assert group.profiles["ana"].share == 0.5 and "sourdough" in group.profiles["ben"].topics


async def test_opted_out_members_are_stored_but_not_profiled(store: Store) -> None:
    await store.redis.sadd(KEYS.optout, "cleo")
    we = We(store, "Mind")
    await store_message(store, we, at("cleo", "private thoughts about gardening", 0))
    assert await store.stored_count(at("cleo", "x", 0).where) == 1
    assert not await store.redis.exists(KEYS.voice("general"), KEYS.member_topics("cleo"))


async def test_listen_only_pipeline_explains_each_decision(store: Store, settings: Settings) -> None:
    reasons: list[str] = []
    pipeline = Pipeline(store, None, settings, explain=reasons.append)
    await pipeline.handle(at("ana", "Mind, what should we cook?", 0))
    await pipeline.handle(at("ben", "something with rice", 1))
    await pipeline.handle(at("ana", "lunch later", 60))
    assert reasons == [
        "named by ana; waiting for the burst to settle",
        "mid-burst: last message 1s ago",
        "the room is still talking; the call waits for a pause",
        "named by ana; the burst settled",
        "mention mode: not addressed",
    ]
    assert not await store.redis.exists(KEYS.speak("general"))  # decided, not pending forever


async def test_quiet_mode_from_the_settings_hash(store: Store, settings: Settings) -> None:
    await store.settings.set("local", "test", "mode:general", "quiet")
    reasons: list[str] = []
    pipeline = Pipeline(store, None, settings, explain=reasons.append)
    assert await pipeline.handle(at("ana", "Mind, hello?", 0)) == []
    assert await pipeline.tick(at("ana", "x", 0).where, T0 + timedelta(minutes=5)) == []
    assert reasons == ["quiet mode: the bot says nothing here"]


@pytest.mark.model
async def test_answers_a_burst_once_after_it_settles(store: Store, settings: Settings, engine: LocalEngine) -> None:
    spy = SpyPlatform()
    pipeline = Pipeline(store, engine, settings, platforms=[spy])
    assert await pipeline.handle(at("ana", "Mind, can you help with my bike?", 0)) == []
    assert await pipeline.handle(at("ben", "ana: is it the chain?", 1)) == []
    assert await pipeline.tick(at("ana", "x", 0).where, T0 + timedelta(seconds=3)) == []
    replies = await pipeline.tick(at("ana", "x", 0).where, T0 + timedelta(seconds=30))
    assert len(replies) == 1 and replies[0].text.startswith("@ana @ben ")
    assert "".join(spy.texts) == replies[0].text
    assert await pipeline.tick(at("ana", "x", 0).where, T0 + timedelta(seconds=60)) == []
    addressed = await store.redis.hget(KEYS.member("ben"), "addressed_by_bot")
    assert float(addressed) == (T0 + timedelta(seconds=30)).timestamp()


async def test_the_room_resumes_its_linking_window_until_a_stored_message_changes(store: Store) -> None:
    """Each note resumes the conversation's window; an edit or delete in the store makes the next one rebuild it,
    and the links stay those of a window rebuilt from the store."""
    we = We(store, "Mind")
    lines = [("ana", "my wifi drops every few minutes"), ("ben", "ana: which driver?"),
             ("ana", "ben: iwlwifi on an intel ax200"), ("cleo", "anyone tried the new gnome?"),
             ("ben", "ana: try disabling power saving for iwlwifi")]
    said = [at(author, text, second) for second, (author, text) in enumerate(lines)]
    for m in said:
        await store_message(store, we, m)
    assert we.threaders.rebuilds == 1
    where = said[0].where
    assert await store.edit(where, said[3].message_id, "ana: did you update the firmware?")
    reply = at("ana", "no, i will try that", 10)
    noted = await store_message(store, we, reply)
    assert noted.before[3].msg.text == "ana: did you update the firmware?" and we.threaders.rebuilds == 2
    assert noted.link == link_message(reply, noted.before)
    assert await store.delete(where, said[1].message_id)
    last = at("ben", "ana: then try the firmware from linux-firmware git", 11)
    noted = await store_message(store, we, last)
    assert said[1].message_id not in [i.msg.message_id for i in noted.before] and we.threaders.rebuilds == 3
    assert noted.link == link_message(last, noted.before)
    await store_message(store, we, at("cleo", "ok", 12))
    assert we.threaders.rebuilds == 3
