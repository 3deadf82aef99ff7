"""Export and forget-me name every key of a community from its own indexes, never by SCAN.

A busy community (talk in threads and channels, distress and a private care
talk, a safety plan, a care alert, admin settings, the bot's replies and drift
state) is walked with KEYS here, in the test, and every key found must be one
that the indexes name: a new kind of key that keys.py does not list fails this.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import Member
from groupmind.pipeline import Pipeline
from groupmind.store import Store, keyspace
from groupmind.store.care_alerts import AlertStore
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import WHERE, command
from tests.helpers import SpyPlatform, msg

pytestmark = pytest.mark.all_backends

KEYS = CommunityKeys("local", "test")
_EPHEMERAL = ":seen:"
"""Redelivery markers hold nothing about anyone and expire within the hour; export leaves them out."""


async def busy_community(store: Store, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url="", burst_settle_s=0)  # type: ignore[call-arg]
    pipeline = Pipeline(store, None, settings, platforms=[SpyPlatform()])
    admin = Admin(store, model="test-model")
    said = [
        msg("alice", "morning all, anyone tried the new release?"),
        msg("bob", "I feel so hopeless lately, nothing matters anymore"),
        msg("carol", "bob, I'm here if you want to talk", reply_to="m0"),
        msg("dave", "@Mind what do you think about the release?", thread="t1"),
        msg("erin", "over in random", channel="random"),
    ]
    for message in said:
        await pipeline.handle(message)
    assert (await admin.execute(command("care contacts add carol"))).ok
    assert (await admin.execute(command("mode active"))).ok
    await pipeline.handle_private("local", ["test"], Member(id="frank", display_name="Frank"), "i can't go on like this")
    await store.safety_plans.answer("local", "test", "gina", 0, "walking my dog")
    await store.drift.restart(WHERE, 3, 3600)
    await store.drift.add(WHERE, "a,b", 5, 3600)
    await AlertStore(store.redis).create(member=Member(id="bob", display_name="Bob"), where=WHERE, why="distress")
    assert (await admin.execute(command("optout", "harry", admin=False))).ok
    await pipeline.settle(said[-1].where)


async def test_the_indexes_name_every_key_a_busy_community_holds(store: Store, tmp_path: Path) -> None:
    await busy_community(store, tmp_path)
    present = {key for key in await store.redis.keys(KEYS.pattern) if _EPHEMERAL not in key}
    exported = set(await keyspace.export(store, "local", "test"))
    assert present - exported == set(), "keys the community's indexes do not name (add them to keys.py's lists)"
    assert exported == present
    assert KEYS.care_session("frank") in exported, "a member known only from a private care talk is found"
    assert KEYS.safety_plan("gina") in exported


async def test_forget_me_finds_a_member_known_only_from_care(store: Store, tmp_path: Path) -> None:
    await busy_community(store, tmp_path)
    erased = await keyspace.forget_member(store, "local", "test", "frank")
    assert erased.keys >= 1
    left = [key for key in await store.redis.keys(KEYS.pattern) if "frank" in key]
    assert left == []
    assert "frank" not in await store.redis.smembers(KEYS.care_people)
