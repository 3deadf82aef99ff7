"""forget-me deletes everything stored about a member: every key, set entry, stream entry, alert."""

from __future__ import annotations

import re

import pytest
from redis.asyncio import Redis

from groupmind.admin import Admin
from groupmind.admin.audit import word
from groupmind.store.care_alerts import AlertStore
from groupmind.events import ChannelRef, Member
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import WHERE, command
from tests.helpers import msg, store_message

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

KEYS = CommunityKeys("local", "test")
THREAD = ChannelRef(platform="local", community="test", channel="general", thread="t1")
RANDOM = ChannelRef(platform="local", community="test", channel="random")


async def mentions(redis: Redis, member_id: str) -> list[str]:
    """Every place in the community's keys where `member_id` appears as a word."""
    pattern = word(member_id)
    found = []
    for key in sorted(await redis.keys(KEYS.pattern)):
        if pattern.search(key):
            found.append(f"key {key}")
        kind = await redis.type(key)
        if kind == "string":
            values = [await redis.get(key)]
        elif kind == "hash":
            values = [f"{f}={v}" for f, v in (await redis.hgetall(key)).items()]
        elif kind in ("set", "zset"):
            values = list(await redis.smembers(key) if kind == "set" else await redis.zrange(key, 0, -1))
        elif kind == "stream":
            values = [repr(fields) for _, fields in await redis.xrange(key)]
        else:
            values = [repr(await redis.lrange(key, 0, -1))]
        found += [f"{kind} {key}: {v[:60]}" for v in values if pattern.search(v)]
    return found


async def populate(store: Store, admin: Admin) -> None:
    """A community where bob has left traces everywhere, beside alice and carol."""
    await store.append_many(
        [
            msg("alice", "morning all", message_id="a1"),
            msg("Bob", "I had a rough week", message_id="b1"),
            msg("carol", "same here honestly", message_id="c1"),
            msg("Bob", "thread reply", message_id="b2", thread="t1"),
            msg("carol", "thread answer", message_id="c2", thread="t1"),
            msg("Bob", "over in random", message_id="b3", channel="random"),
        ]
    )
    await store.edit(WHERE, "b1", "I had a rough week (edited)")
    await store.edit(WHERE, "c1", "same here")
    await store.edit(THREAD, "b2", "thread reply (edited)")
    alerts = AlertStore(store.redis)
    bob = Member(id="bob", display_name="Bob")
    await alerts.create(member=bob, where=WHERE, why="hopelessness", excerpt="rough week")
    await alerts.create(member=bob, where=RANDOM, why="gone quiet")
    await alerts.create(member=Member(id="carol", display_name="carol"), where=WHERE, why="distress")
    assert (await admin.execute(command("care contacts add bob"))).ok
    assert (await admin.execute(command("care contacts add carol"))).ok
    assert (await admin.execute(command("mode quiet", "Bob"))).ok  # bob is an admin too
    # State other parts of groupmind keep, of every type, under the names keys.py lists.
    await store.redis.hset(KEYS.member_talks_to("bob"), mapping={"alice": "2"})
    await store.redis.sadd(KEYS.care_people, "bob", "carol")
    await store.redis.hset(KEYS.care_quiet, mapping={"bob": "1", "carol": "2"})
    await store.redis.lpush(KEYS.voice("general"), "alice", "bob")
    await store.redis.zadd(KEYS.member_topics("alice"), {"bob": 3, "chess": 5})  # alice spoke of bob


@pytest.mark.parametrize("opted_out", [False, True], ids=["member", "opted-out member"])
async def test_forget_me_leaves_nothing_about_the_member(store: Store, opted_out: bool) -> None:
    admin = Admin(store, model="test-model")
    await populate(store, admin)
    if opted_out:
        await admin.execute(command("optout", "Bob", admin=False))
    before = await mentions(store.redis, "bob")
    kinds = {entry.split()[0] for entry in before}
    assert {"key", "hash", "set", "zset", "stream"} <= kinds, before
    carol_before = await mentions(store.redis, "carol")

    result = await admin.execute(command("forget-me", "Bob", admin=False))

    assert result.ok and result.private
    assert re.search(
        r"deleted 3 messages, 2 edits, 3 records about you \(activity, profile\), "
        r"6 index entries and 2 care alerts; removed your id from 3 audit entries", result.text
    ), result.text
    after = await mentions(store.redis, "bob")
    if opted_out:
        assert after == [f"set {KEYS.optout}: bob"]
        assert "opt-out is kept" in result.text
    else:
        assert after == []
        assert "opt-out" not in result.text
    # Everyone else keeps what is theirs (values shared with bob lose only bob).
    assert len(await mentions(store.redis, "carol")) == len(carol_before)
    assert [m.text for m in await store.window(WHERE, 10)] == ["morning all", "same here"]
    assert [m.text for m in await store.window(THREAD, 10)] == ["thread answer"]
    assert await store.window(RANDOM, 10) == []
    assert [a.member.id for a in await AlertStore(store.redis).list("local", "test")] == ["carol"]
    assert (await store.activity("local", "test", "alice")) is not None
    assert await store.redis.zrange(KEYS.member_topics("alice"), 0, -1) == ["chess"]
    assert await store.redis.lrange(KEYS.voice("general"), 0, -1) == ["alice"]


async def test_forget_me_for_a_stranger_deletes_nothing(store: Store) -> None:
    admin = Admin(store, model="test-model")
    await populate(store, admin)
    everything = sorted(await store.redis.keys(KEYS.pattern))
    result = await admin.execute(command("forget-me", "dave", admin=False))
    assert "deleted 0 messages, 0 edits, 0 records" in result.text and "0 care alerts" in result.text
    assert sorted(await store.redis.keys(KEYS.pattern)) == everything


async def test_forget_me_covers_the_we_model_and_care_state(store: Store) -> None:
    """The profiles, links, risk and rhythm the real code paths keep are all forgotten."""
    from groupmind.care.monitor import observe as care_observe
    from groupmind.store.care_signals import RedisCareSignals
    from groupmind.we.room import We

    we = We(store, "Mind")
    for i, text in enumerate(["lost my job today", "alice: thanks for asking", "everyone would be better off without me"]):
        said = msg("Bob", text, message_id=f"x{i}")
        await store_message(store, we, said)
        await care_observe(RedisCareSignals(store.redis), said)
    await store_message(store, we, msg("alice", "hang in there, I'm here for you", message_id="a9"))
    assert any(KEYS.care_risk("bob") in m for m in await mentions(store.redis, "bob"))
    assert any(KEYS.care_rhythm("bob") in m for m in await mentions(store.redis, "bob"))

    result = await Admin(store, model="test-model").execute(command("forget-me", "Bob", admin=False))

    assert result.ok
    assert await mentions(store.redis, "bob") == []
    assert [m.text for m in await store.window(WHERE, 10)] == ["hang in there, I'm here for you"]
