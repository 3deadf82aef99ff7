"""Every admin command against the admin layer, on the real Redis server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.admin import SLOW_COMMANDS, Admin
from groupmind.admin.audit import entries
from groupmind.admin.grammar import SPECS
from groupmind.store.care_alerts import AlertStore
from groupmind.events import ChannelRef, Member
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import VALID_ARGS, WHERE, command, snapshot
from tests.helpers import Clock, msg

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def admin(store: Store) -> Admin:
    await store.append_many([msg("alice", "hi all"), msg("Bob", "hey"), msg("carol", "morning")])
    return Admin(store, model="test-model", clock=Clock(T0))


async def settings_of(store: Store) -> dict[str, str]:
    return dict((await store.settings.read("local", "test")).fields)




@pytest.mark.parametrize("spec", [s for s in SPECS if s.admin], ids=lambda s: s.name)
async def test_admin_commands_refuse_non_admins_and_change_nothing(admin: Admin, store: Store, spec) -> None:
    await AlertStore(store.redis).create(member=Member(id="bob", display_name="Bob"), where=WHERE, why="distress")
    await admin.execute(command("care contacts add bob"))
    before = await snapshot(store)
    result = await admin.execute(command(f"{spec.name} {VALID_ARGS.get(spec.name, '')}", "carol", admin=False))
    assert not result.ok and result.private
    assert "only; nothing was changed" in result.text and "for community admins" in result.text
    assert result.file is None
    assert await snapshot(store) == before


@pytest.mark.parametrize(
    "line, usage",
    [
        ("frobnicate", "usage: /gm status|mode|"),
        ("/gm care region", "usage: /gm care region CODE"),
        ("care", "usage: /gm care contacts add MEMBER | "),
        ("persona", "usage: /gm persona show | "),
        ("mode", "usage: /gm mode mention|active|quiet"),
        ("mode loud", "usage: /gm mode mention|active|quiet"),
        ("mode quiet now", "usage: /gm mode mention|active|quiet"),
        ("status please", "usage: /gm status"),
        ("persona set", "usage: /gm persona set TEXT"),
        ("persona set " + "x" * 501, "usage: /gm persona set TEXT (at most 500 characters)"),
        ("care contacts add", "usage: /gm care contacts add MEMBER"),
        ("care region", "usage: /gm care region CODE"),
        ("care region USA", "usage: /gm care region CODE (a two-letter"),
        ("care region 12", "usage: /gm care region CODE (a two-letter"),
        ("care checkins maybe", "usage: /gm care checkins on|off"),
        ("care sensitivity extreme", "usage: /gm care sensitivity low|normal|high"),
        ("care channel", "usage: /gm care channel CHANNEL|off"),
        ("care channel #care team", "usage: /gm care channel CHANNEL|off"),
        ("care channel <@123>", "usage: /gm care channel CHANNEL|off (a channel such as #care-team, or off)"),
        ("alerts list open", "usage: /gm alerts list [all]"),
        ("alerts ack", "usage: /gm alerts ack ID"),
        ("alerts ack one", "usage: /gm alerts ack ID"),
        ("alerts resolve", "usage: /gm alerts resolve ID [NOTE]"),
        ("export now", "usage: /gm export"),
        ("mode " + " ".join(["quiet"] * 40), "usage: /gm mode mention|active|quiet"),
        ("x" * 100 + " y z w", "usage: /gm status|mode|"),
        ("optout me", "usage: /gm optout"),
        ("forget-me now", "usage: /gm forget-me"),
    ],
)
async def test_bad_arguments_get_one_usage_line_and_change_nothing(
    admin: Admin, store: Store, line: str, usage: str
) -> None:
    before = await snapshot(store)
    result = await admin.execute(command(line))
    assert not result.ok and result.private
    assert result.text.startswith(usage) and "\n" not in result.text
    assert await snapshot(store) == before


async def test_mode_is_stored_per_channel_read_by_channel_mode_and_audited(admin: Admin, store: Store) -> None:
    other = ChannelRef(platform="local", community="test", channel="random")
    assert (await store.settings.view(WHERE, "")).mode == "mention"
    result = await admin.execute(command("mode QUIET"))
    assert result.ok and "quiet (was mention)" in result.text
    assert (await settings_of(store))["mode:general"] == "quiet"
    assert (await store.settings.view(WHERE, "")).mode == "quiet"
    assert (await store.settings.view(other, "")).mode == "mention"
    await admin.execute(command("mode active"))
    assert (await store.settings.view(WHERE, "")).mode == "active"
    [newest, oldest] = await entries(store.redis, "local", "test")
    assert oldest == {
        "who": "alice", "who_name": "alice", "what": "mode QUIET", "where": "general",
        "when": T0.isoformat(), "old": "", "new": "quiet",
    }  # fmt: skip
    assert (newest["old"], newest["new"]) == ("quiet", "active")


async def test_a_garbled_stored_mode_reads_as_mention(store: Store) -> None:
    await store.settings.set("local", "test", "mode:general", "shouting")
    assert (await store.settings.view(WHERE, "")).mode == "mention"


async def test_persona_falls_back_from_channel_to_community(admin: Admin, store: Store) -> None:
    assert "no persona set" in (await admin.execute(command("persona show"))).text
    await admin.execute(command("persona community set You are the group's librarian."))
    assert (await admin.execute(command("persona show"))).text == "persona (the community's): You are the group's librarian."
    await admin.execute(command("persona set You   love\tpuns."))
    assert (await admin.execute(command("persona show"))).text == "persona in #general: You love puns."
    assert (await store.settings.view(WHERE, "alice")).persona == "You love puns."
    assert (await settings_of(store))["persona"] == "You are the group's librarian."
    await admin.execute(command("persona reset"))
    assert (await store.settings.view(WHERE, "alice")).persona == "You are the group's librarian."
    await admin.execute(command("persona community reset"))
    assert (await store.settings.view(WHERE, "alice")).persona is None
    audit = await entries(store.redis, "local", "test")
    assert (audit[0]["old"], audit[0]["new"]) == ("You are the group's librarian.", "")
    assert (audit[1]["old"], audit[1]["new"]) == ("You love puns.", "")


async def test_care_contacts_by_id_or_name(admin: Admin, store: Store) -> None:
    assert (await admin.execute(command("care contacts list"))).text == "care contacts: none yet"
    assert (await admin.execute(command("care contacts add BOB"))).ok
    assert (await admin.execute(command("care contacts add carol"))).ok
    assert "already" in (await admin.execute(command("care contacts add bob"))).text
    assert json.loads((await settings_of(store))["care.contacts"]) == ["bob", "carol"]
    assert (await admin.execute(command("care contacts list"))).text == "care contacts: Bob, carol"
    before = await snapshot(store)
    unknown = await admin.execute(command("care contacts add mallory"))
    assert not unknown.ok and "no single member called 'mallory'" in unknown.text
    assert not (await admin.execute(command("care contacts remove alice"))).ok
    assert await snapshot(store) == before
    assert (await admin.execute(command("care contacts remove bob"))).ok
    assert json.loads((await settings_of(store))["care.contacts"]) == ["carol"]
    last = (await entries(store.redis, "local", "test"))[0]
    assert (last["what"], last["old"], last["new"]) == ("care contacts remove bob", '["bob", "carol"]', '["carol"]')


async def test_care_contacts_are_capped(admin: Admin, store: Store) -> None:
    await store.append_many([msg(f"m{i}", "hi") for i in range(21)])
    for i in range(20):
        assert (await admin.execute(command(f"care contacts add m{i}"))).ok
    before = await snapshot(store)
    refused = await admin.execute(command("care contacts add m20"))
    assert not refused.ok and "at most 20" in refused.text
    assert await snapshot(store) == before


async def test_care_settings_use_the_shared_field_names(admin: Admin, store: Store) -> None:
    assert "(was US)" in (await admin.execute(command("care region gb"))).text
    assert "(was on)" in (await admin.execute(command("care checkins OFF"))).text
    assert "(was normal)" in (await admin.execute(command("care sensitivity low"))).text
    assert await settings_of(store) == {"care.region": "GB", "care.checkins": "off", "care.sensitivity": "low"}
    assert [e["new"] for e in await entries(store.redis, "local", "test")] == ["low", "off", "GB"]


@pytest.mark.parametrize(
    "typed, stored",
    [("#care-team", "care-team"), ("<#100000000000000300>", "100000000000000300"), ("<#C0CARE|care>", "C0CARE"), ("C0CARE", "C0CARE")],
)
async def test_care_channel_is_set_from_how_members_type_a_channel(admin: Admin, store: Store, typed: str, stored: str) -> None:
    result = await admin.execute(command(f"care channel {typed}"))
    assert result.ok and f"care channel: {stored} (was off)" in result.text
    assert (await settings_of(store))["care.channel"] == stored


async def test_care_channel_off_removes_it_and_both_changes_are_audited(admin: Admin, store: Store) -> None:
    await admin.execute(command("care channel #care-team"))
    off = await admin.execute(command("care channel OFF"))
    assert off.ok and "off (was care-team)" in off.text and "by DM only" in off.text
    assert "care.channel" not in await settings_of(store)
    assert "(was off)" in (await admin.execute(command("care channel off"))).text
    changes = [(e["what"], e["old"], e["new"]) for e in await entries(store.redis, "local", "test")]
    assert changes == [
        ("care channel off", "", ""), ("care channel OFF", "care-team", ""), ("care channel #care-team", "", "care-team"),
    ]  # fmt: skip


async def test_alerts_list_ack_resolve(admin: Admin, store: Store) -> None:
    alerts = AlertStore(store.redis)
    bob = Member(id="bob", display_name="Bob")
    first = await alerts.create(
        member=bob, where=WHERE, why="hopelessness", excerpt="no point anymore", urgency="high",
        bot_said="I'm here. Are you safe right now?", link="https://chat.example/general/42",
    )  # fmt: skip
    second = await alerts.create(member=Member(id="carol", display_name="carol"), where=WHERE, why="gone quiet")
    assert (first.id, second.id) == ("1", "2")
    listed = await admin.execute(command("alerts list"))
    assert listed.ok and listed.private
    assert listed.text.splitlines()[0].startswith("#1 [open, high] Bob in #general")
    assert '"no point anymore"' in listed.text and "Are you safe right now?" in listed.text
    assert (await admin.execute(command("alerts ack 1"))).text == "alert #1: acknowledged."
    assert "already acknowledged" in (await admin.execute(command("alerts ack #1"))).text
    resolved = await admin.execute(command("alerts resolve 1 talked with Bob, he is with family"))
    assert resolved.ok and resolved.private
    assert "already resolved" in (await admin.execute(command("alerts ack 1"))).text
    stored = await alerts.get("local", "test", "1")
    assert stored is not None and stored.state == "resolved"
    assert stored.notes[-1].endswith("resolved by alice: talked with Bob, he is with family")
    assert [a.id for a in await alerts.list("local", "test")] == ["2"]
    assert "#1 [resolved" in (await admin.execute(command("alerts list all"))).text
    before = await snapshot(store)
    missing = await admin.execute(command("alerts resolve 9"))
    assert not missing.ok and "no care alert #9" in missing.text
    assert await snapshot(store) == before
    changes = [(e["what"], e["old"], e["new"]) for e in await entries(store.redis, "local", "test") if e["new"]]
    assert changes == [
        ("alerts resolve 1 talked with Bob, he is with family", "acknowledged", "resolved"),
        ("alerts ack 1", "open", "acknowledged"),
    ]


async def test_export_is_private_json_of_everything_stored(admin: Admin, store: Store) -> None:
    await admin.execute(command("mode quiet"))
    await AlertStore(store.redis).create(member=Member(id="bob", display_name="Bob"), where=WHERE, why="distress")
    result = await admin.execute(command("export"))
    assert result.ok and result.private and result.file is not None
    data = json.loads(result.file.content)
    keys = CommunityKeys("local", "test")
    assert set(data["keys"]) == set(await store.redis.keys(keys.pattern))
    assert [e["author"] for e in data["keys"][keys.log("general")]] == ["alice", "bob", "carol"]
    assert data["keys"][keys.settings] == {"mode:general": "quiet"}
    assert "Bob" in data["keys"][keys.alerts]["1"]
    assert result.file.name.startswith("groupmind-local-test-") and result.file.name.endswith(".json")
    assert (await entries(store.redis, "local", "test"))[0]["new"] == result.file.name


async def test_status_counts(admin: Admin, store: Store) -> None:
    thread = ChannelRef(platform="local", community="test", channel="general", thread="t1")
    await store.append(msg("alice", "in a thread", thread="t1"))
    await AlertStore(store.redis).create(member=Member(id="bob", display_name="Bob"), where=thread, why="distress")
    admin.clock.now = T0 + timedelta(hours=26, minutes=3, seconds=4)  # type: ignore[attr-defined]
    result = await admin.execute(command("status", where=thread))
    assert result.ok
    assert result.text.splitlines() == [
        "model: test-model",
        "uptime: 1d 2h 3m 4s",
        "conversations seen: 2",
        "messages stored: general 3, general/t1 1",
        "open care alerts: 1",
        "mode here: mention",
        "last drift: none",  # the drift watch's newest correction (issue 15); tested in tests/integration/test_drift.py
    ]


async def test_optout_stops_profiling_and_optin_resumes(admin: Admin, store: Store) -> None:
    from groupmind.config import Settings
    from groupmind.pipeline import Pipeline

    pipeline = Pipeline(store, None, Settings(_env_file=None))  # type: ignore[call-arg]
    result = await admin.execute(command("optout", "Bob", admin=False))
    assert result.ok and result.private and "opted out" in result.text
    assert "already" in (await admin.execute(command("optout", "Bob", admin=False))).text
    assert await store.redis.smembers(CommunityKeys("local", "test").optout) == {"bob"}
    await pipeline.handle(msg("Bob", "still talking"))
    await pipeline.ingest([msg("Bob", "replayed")])
    activity = await store.activity("local", "test", "bob")
    assert activity is not None and activity.messages == 1
    assert await store.stored_count(WHERE) == 5
    assert (await admin.execute(command("optin", "Bob", admin=False))).text.startswith("welcome back")
    assert "not opted out" in (await admin.execute(command("optin", "Bob", admin=False))).text
    await pipeline.handle(msg("Bob", "profiled again"))
    assert (await store.activity("local", "test", "bob")).messages == 2  # type: ignore[union-attr]
    assert await entries(store.redis, "local", "test") == []


async def test_help_says_what_is_stored_and_who_the_care_contacts_are(admin: Admin) -> None:
    await admin.execute(command("care contacts add bob"))
    result = await admin.execute(command("help", "carol", admin=False))
    assert result.ok and not result.private
    assert "What I store here" in result.text and "Care contacts: Bob" in result.text
    assert all(spec.name in result.text for spec in SPECS)


def test_free_text_is_one_argument_however_many_words() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    assert command(f"persona set {words}").args == (words,)
    assert command(f"/gm alerts resolve 3 {words}").args == ("3", words)
    assert command("alerts resolve 3").args == ("3",)


def test_a_bare_prefix_is_help() -> None:
    assert command("/gm").name == "help"
    assert command("/groupmind").name == "help"


def test_slow_commands_are_the_ones_adapters_must_defer() -> None:
    assert SLOW_COMMANDS == {"export", "forget-me"}


async def test_care_contacts_handle_alerts_without_being_admins(admin: Admin, store: Store) -> None:
    await AlertStore(store.redis).create(member=Member(id="bob", display_name="Bob"), where=WHERE, why="distress")
    await store.settings.set("local", "test", "care.contacts", json.dumps(["dana"]))
    assert (await admin.execute(command("alerts ack 1", "Dana", admin=False))).text == "alert #1: acknowledged."
    assert (await admin.execute(command("alerts list all", "Dana", admin=False))).ok
    refused = await admin.execute(command("alerts resolve 1", "Eve", admin=False))
    assert not refused.ok and "for community admins and care contacts only" in refused.text
    assert not (await admin.execute(command("care region GB", "Dana", admin=False))).ok  # still not an admin
    await store.settings.set("local", "test", "care.contacts", "not json")
    assert not (await admin.execute(command("alerts resolve 1", "Dana", admin=False))).ok


async def test_my_plan_shows_a_member_their_own_plan_privately_and_forget_me_deletes_it(admin: Admin, store: Store) -> None:
    none = await admin.execute(command("my-plan", "Bob", admin=False))
    assert none.private and "haven't made a safety plan" in none.text
    await store.safety_plans.answer("local", WHERE.community, "bob", 0, "when i stop   answering my phone")
    await store.safety_plans.answer("local", WHERE.community, "bob", 3, "my brother")
    shown = await admin.execute(command("my-plan", "Bob", admin=False))
    assert shown.private and "1. Warning signs: when i stop answering my phone" in shown.text
    assert "4. People to ask for help: my brother" in shown.text
    assert "my brother" not in (await admin.execute(command("my-plan", "carol", admin=False))).text  # only their own
    await admin.execute(command("forget-me", "Bob", admin=False))
    assert "haven't made a safety plan" in (await admin.execute(command("my-plan", "Bob", admin=False))).text
