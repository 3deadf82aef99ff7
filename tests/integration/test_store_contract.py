"""Each store repository and its in-memory twin keep the same contract: the same assertions run on both."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.events import ChannelRef
from groupmind.store.audit import AuditLog, MemoryAuditLog, RedisAuditLog
from groupmind.store.drift import DriftState, MemoryDriftState, RedisDriftState
from groupmind.store.profiles import TOPICS_KEPT, MemoryProfiles, ProfilesRepo, ProfileUpdate, RedisProfiles
from groupmind.store.pending import MemoryPending, PendingReply, PendingRepo, RedisPending
from groupmind.store.settings import (
    CARE_CHANNEL, CARE_CONTACTS, CARE_REGION, MemorySettings, RedisSettings, SettingsRepo, mode_field, persona_field,
)  # fmt: skip

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

WHERE = ChannelRef(platform="local", community="test", channel="general")
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def _twins(request: pytest.FixtureRequest, memory, real):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        return memory()
    return real(request.getfixturevalue("redis"))


@pytest.fixture(params=["redis", "memory"])
def settings(request: pytest.FixtureRequest) -> SettingsRepo:
    return _twins(request, MemorySettings, RedisSettings)


@pytest.fixture(params=["redis", "memory"])
def pending(request: pytest.FixtureRequest) -> PendingRepo:
    return _twins(request, MemoryPending, RedisPending)


@pytest.fixture(params=["redis", "memory"])
def audit(request: pytest.FixtureRequest) -> AuditLog:
    return _twins(request, MemoryAuditLog, RedisAuditLog)


@pytest.fixture(params=["redis", "memory"])
def drift(request: pytest.FixtureRequest) -> DriftState:
    return _twins(request, MemoryDriftState, RedisDriftState)


@pytest.fixture(params=["redis", "memory"])
def profiles(request: pytest.FixtureRequest) -> ProfilesRepo:
    return _twins(request, MemoryProfiles, RedisProfiles)


# --- community settings ------------------------------------------------------------------------


async def test_unset_settings_read_as_the_defaults(settings: SettingsRepo) -> None:
    read = await settings.read("local", "test")
    assert read.mode("general") == "mention" and read.persona("general") is None
    assert read.care_contacts == () and read.care_region == "US" and read.care_checkins
    assert read.care_sensitivity == "normal" and read.care_channel is None and read.care_notice is None
    view = await settings.view(WHERE, "alice")
    assert (view.mode, view.persona, view.opted_out) == ("mention", None, False)


async def test_set_returns_the_old_value_and_none_removes(settings: SettingsRepo) -> None:
    assert await settings.set("local", "test", mode_field("general"), "active") is None
    assert await settings.set("local", "test", mode_field("general"), "quiet") == "active"
    assert (await settings.read("local", "test")).mode("general") == "quiet"
    assert await settings.set("local", "test", mode_field("general"), None) == "quiet"
    assert await settings.set("local", "test", mode_field("general"), None) is None
    assert (await settings.read("local", "test")).fields == {}


async def test_a_channel_persona_wins_over_the_community_persona(settings: SettingsRepo) -> None:
    await settings.set("local", "test", "persona", "kind")
    assert (await settings.view(WHERE, "a")).persona == "kind"
    await settings.set("local", "test", persona_field("general"), "terse")
    assert (await settings.view(WHERE, "a")).persona == "terse"
    other = ChannelRef(platform="local", community="test", channel="random")
    assert (await settings.view(other, "a")).persona == "kind"
    read = await settings.read("local", "test")
    assert (read.channel_persona("general"), read.community_persona) == ("terse", "kind")


async def test_an_unknown_mode_reads_as_mention(settings: SettingsRepo) -> None:
    await settings.set("local", "test", mode_field("general"), "shouting")
    assert (await settings.view(WHERE, "a")).mode == "mention"
    assert (await settings.read("local", "test")).mode("general") == "mention"


@pytest.mark.parametrize(("stored", "contacts"), [
    (json.dumps(["dana", "eli"]), ("dana", "eli")),
    ('["a", 2]', ("a", "2")),
    ("not json", ()),
    ('{"a": 1}', ()),
    ("dana, eli", ()),
])  # fmt: skip
async def test_care_settings_parse_once_and_tolerate_hand_edits(
    settings: SettingsRepo, stored: str, contacts: tuple[str, ...]
) -> None:
    await settings.set("local", "test", CARE_CONTACTS, stored)
    await settings.set("local", "test", CARE_REGION, "GB")
    await settings.set("local", "test", CARE_CHANNEL, "C9")
    read = await settings.read("local", "test")
    assert read.care_contacts == contacts and read.care_region == "GB" and read.care_channel == "C9"
    assert read.fields[CARE_CONTACTS] == stored


async def test_the_care_notice_is_kept_until_cleared(settings: SettingsRepo) -> None:
    await settings.set_notice("local", "test", "the last care contact went")
    assert (await settings.read("local", "test")).care_notice == "the last care contact went"
    await settings.set_notice("local", "test", None)
    assert (await settings.read("local", "test")).care_notice is None


async def test_opt_outs_one_way_to_ask_and_one_batch_form(settings: SettingsRepo) -> None:
    assert await settings.opt_out("local", "test", "alice")
    assert not await settings.opt_out("local", "test", "alice")
    await settings.opt_out("local", "other", "bob")
    assert await settings.is_opted_out("local", "test", "alice")
    assert not await settings.is_opted_out("local", "other", "alice")
    assert (await settings.view(WHERE, "alice")).opted_out and not (await settings.view(WHERE, "bob")).opted_out
    both = await settings.opted_out([("local", "test"), ("local", "other"), ("local", "test"), ("slack", "T")])
    assert both == {("local", "test"): {"alice"}, ("local", "other"): {"bob"}, ("slack", "T"): set()}
    assert await settings.opt_in("local", "test", "alice")
    assert not await settings.opt_in("local", "test", "alice")
    assert not await settings.is_opted_out("local", "test", "alice")


async def test_communities_are_apart(settings: SettingsRepo) -> None:
    await settings.set("local", "test", mode_field("general"), "active")
    assert (await settings.read("local", "other")).mode("general") == "mention"
    assert (await settings.read("slack", "test")).fields == {}


# --- pending replies ------------------------------------------------------------------------------


async def test_nothing_is_pending_at_first(pending: PendingRepo) -> None:
    assert await pending.read(WHERE, T0, MINUTE) == (None, 0)
    assert not await pending.has(WHERE)


async def test_a_burst_extends_the_pending_reply_and_remembers_being_addressed(pending: PendingRepo) -> None:
    await pending.keep(WHERE, "m1", T0, "mentioned by Ana")
    await pending.keep(WHERE, "m2", T0 + timedelta(seconds=3), "")
    assert await pending.has(WHERE)
    assert await pending.read(WHERE, T0, MINUTE) == (PendingReply("m2", T0 + timedelta(seconds=3), "mentioned by Ana"), 0)
    await pending.keep(WHERE, "m3", T0 + timedelta(seconds=4), "named by Bo")
    assert (await pending.read(WHERE, T0, MINUTE))[0] == PendingReply("m3", T0 + timedelta(seconds=4), "named by Bo")
    other = ChannelRef(platform="local", community="test", channel="random")
    assert not await pending.has(other)
    await pending.clear(WHERE)
    assert await pending.read(WHERE, T0, MINUTE) == (None, 0)


async def test_a_reply_is_counted_in_its_window_and_ends_the_burst(pending: PendingRepo) -> None:
    await pending.keep(WHERE, "m1", T0, "")
    await pending.replied(WHERE, T0, MINUTE)
    assert not await pending.has(WHERE)
    await pending.replied(WHERE, T0 + timedelta(seconds=30), MINUTE)
    await pending.replied(WHERE, T0 + timedelta(seconds=30), MINUTE)  # the same moment counts once
    assert await pending.read(WHERE, T0 + timedelta(seconds=40), MINUTE) == (None, 2)
    assert await pending.read(WHERE, T0 + timedelta(seconds=80), MINUTE) == (None, 1)
    await pending.replied(WHERE, T0 + timedelta(minutes=5), MINUTE)  # the old ones are dropped
    assert await pending.read(WHERE, T0, timedelta(hours=1)) == (None, 1)


# --- audit trail ------------------------------------------------------------------------------------


async def test_audit_entries_read_newest_first_per_community(audit: AuditLog) -> None:
    for n in range(3):
        await audit.add("local", "test", {"what": f"e{n}", "who": "ana"})
    await audit.add("local", "other", {"what": "elsewhere"})
    assert [e["what"] for e in await audit.latest("local", "test")] == ["e2", "e1", "e0"]
    assert [e["what"] for e in await audit.latest("local", "test", count=2)] == ["e2", "e1"]
    assert await audit.latest("slack", "test") == []


async def test_a_rewritten_entry_moves_to_the_end(audit: AuditLog) -> None:
    for n in range(3):
        await audit.add("local", "test", {"what": f"e{n}", "who": "ana" if n == 0 else "bo"})
    fixed = await audit.rewrite("local", "test", lambda e: {**e, "who": "x"} if e["who"] == "ana" else None)
    assert fixed == 1
    assert [(e["what"], e["who"]) for e in await audit.latest("local", "test")] == [("e0", "x"), ("e2", "bo"), ("e1", "bo")]
    assert await audit.rewrite("local", "test", lambda e: None) == 0


# --- drift state ------------------------------------------------------------------------------------


async def test_the_drift_window_keeps_the_newest_measures(drift: DriftState) -> None:
    for n in range(5):
        window = await drift.add(WHERE, f"t{n}", 3, 60)
    assert window == ["t4", "t3", "t2"]
    other = ChannelRef(platform="local", community="test", channel="random")
    assert await drift.add(other, "o", 3, 60) == ["o"]


async def test_a_restart_empties_the_window_and_anchors_a_few_replies(drift: DriftState) -> None:
    assert not await drift.anchoring(WHERE)
    await drift.add(WHERE, "t0", 3, 60)
    await drift.restart(WHERE, 2, 60)
    assert await drift.add(WHERE, "t1", 3, 60) == ["t1"]
    assert [await drift.anchoring(WHERE) for _ in range(3)] == [True, True, False]


# --- member profiles --------------------------------------------------------------------------------


async def test_profiles_count_voice_topics_and_whom_members_answer(profiles: ProfilesRepo) -> None:
    await profiles.update(WHERE, ProfileUpdate("ana", T0, ("sourdough", "starter")))
    await profiles.update(WHERE, ProfileUpdate("ben", T0 + MINUTE, ("sourdough",), answered="ana"))
    await profiles.update(WHERE, ProfileUpdate("ben", T0 + 2 * MINUTE, (), answered="ben"))  # himself: not counted
    read = await profiles.read(WHERE, ["ana", "ben", "ana", "cleo"])
    assert list(read) == ["ana", "ben", "cleo"]
    assert (read["ana"].share, read["ben"].share, read["cleo"].share) == (1 / 3, 2 / 3, 0.0)
    assert read["ana"].topics == ("starter", "sourdough") and read["ben"].topics == ("sourdough",)
    assert read["ben"].talks_to == {"ana": 1} and read["ana"].talks_to == {}
    assert read["ana"].last_addressed_by_bot is None
    other = ChannelRef(platform="local", community="test", channel="random")
    assert (await profiles.read(other, ["ana"]))["ana"].share == 0.0


async def test_topics_keep_the_latest_and_the_bot_addressing_is_noted(profiles: ProfilesRepo) -> None:
    for n in range(TOPICS_KEPT + 3):
        await profiles.update(WHERE, ProfileUpdate("ana", T0 + n * MINUTE, (f"w{n:02d}",)))
    topics = (await profiles.read(WHERE, ["ana"]))["ana"].topics
    assert topics == tuple(f"w{n:02d}" for n in range(TOPICS_KEPT + 2, 2, -1))
    await profiles.addressed_by_bot(WHERE, ["ana"], T0)
    assert (await profiles.read(WHERE, ["ana"]))["ana"].last_addressed_by_bot == T0
