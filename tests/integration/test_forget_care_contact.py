"""A care contact who asks to be forgotten: out of the alerts they handled and the setting; the admins are told."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from groupmind.admin import Admin
from groupmind.admin.audit import entries
from groupmind.config import Settings
from groupmind.store.care_alerts import FORMER_CONTACT, AlertStore
from groupmind.events import ChannelRef, Member
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.settings import CARE_CONTACTS, care_contact_ids
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import WHERE, command
from tests.helpers import Clock, SpyPlatform, msg
from tests.integration.test_forget_me import mentions

KEYS = CommunityKeys("local", "test")
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
BOB = Member(id="bob", display_name="Bob")


class AdminsRoute(SpyPlatform):
    """A platform that knows the admins (as the local room does): records what they were told."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple[ChannelRef, str]] = []

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        self.told.append((where, text))
        return True


@pytest.fixture
async def community(store: Store) -> Store:
    """alice is an admin; Carol and dave are care contacts; Bob and Carol have spoken."""
    await store.append_many([msg("alice", "hi"), msg("Bob", "rough week"), msg("Carol", "morning"), msg("dave", "yo")])
    return store


async def test_a_care_contact_is_taken_out_of_the_alerts_they_handled(community: Store) -> None:
    store = community
    admin = Admin(store, model="m", clock=Clock(T0))
    for who in ("Carol", "dave"):
        assert (await admin.execute(command(f"care contacts add {who}"))).ok
    alerts = AlertStore(store.redis, Clock(T0))
    offered = await alerts.create(member=BOB, where=WHERE, why="distress", excerpt="Carol knows, she was there",
                                  bot_said="Would it help if I asked Carol, our care contact, to join us?")  # fmt: skip
    other = await alerts.create(member=BOB, where=WHERE, why="gone quiet")
    about_carol = await alerts.create(member=Member(id="carol", display_name="Carol"), where=WHERE, why="distress")
    assert (await admin.execute(command(f"alerts ack {offered.id}", "Carol", admin=False))).ok
    assert (await admin.execute(command(f"alerts resolve {offered.id} called him, he is at his sister's", "Carol",
                                        admin=False))).ok  # fmt: skip
    assert (await admin.execute(command(f"alerts ack {other.id}", "dave", admin=False))).ok
    assert (await admin.execute(command(f"alerts resolve {other.id} Carol and I checked in", "dave",
                                        admin=False))).ok  # fmt: skip
    # A note written before authors were kept: known only by the name in it.
    legacy = await alerts.create(member=BOB, where=WHERE, why="distress")
    old = legacy.model_copy(update={"state": "acknowledged", "notes": ("2026-10-01 10:00 acknowledged by Carol",)})
    await store.redis.hset(KEYS.alerts, legacy.id, old.model_dump_json())

    result = await admin.execute(command("forget-me", "Carol", admin=False))

    assert "took your name and notes out of 3 care alerts you handled" in result.text, result.text
    assert "1 care alerts;" in result.text  # the one about her is deleted
    assert await alerts.get("local", "test", about_carol.id) is None
    handled = await alerts.get("local", "test", offered.id)
    assert handled is not None
    assert handled.notes == (
        f"2026-11-02 12:00 acknowledged by {FORMER_CONTACT}",
        f"2026-11-02 12:00 resolved by {FORMER_CONTACT}",
    )
    assert handled.bot_said == f"Would it help if I asked {FORMER_CONTACT}, our care contact, to join us?"
    assert handled.excerpt == f"{FORMER_CONTACT} knows, she was there"
    assert handled.state == "resolved" and handled.handled_by == ("", "")
    by_dave = await alerts.get("local", "test", other.id)
    assert by_dave is not None and by_dave.handled_by == ("dave", "dave")
    assert by_dave.notes[1] == f"2026-11-02 12:00 resolved by dave: {FORMER_CONTACT} and I checked in"
    before = await alerts.get("local", "test", legacy.id)
    assert before is not None and before.notes == (f"2026-10-01 10:00 acknowledged by {FORMER_CONTACT}",)
    assert care_contact_ids(await store.redis.hget(KEYS.settings, CARE_CONTACTS)) == ["dave"]
    assert await mentions(store.redis, "carol") == []


async def test_the_last_care_contact_forgetting_themselves_tells_the_admins_privately(community: Store) -> None:
    store = community
    route = AdminsRoute()
    admin = Admin(store, model="m", clock=Clock(T0), platforms={"local": route})
    await admin.execute(command("care contacts add Carol"))

    await admin.execute(command("forget-me", "Carol", admin=False))

    ((where, text),) = route.told
    assert where == WHERE and "the last care contact asked to be forgotten" in text
    assert "carol" not in text.casefold()
    assert [e for e in await entries(store.redis, "local", "test") if e["who"] == "groupmind"] == []  # delivered
    status = await admin.execute(command("status"))
    listed = await admin.execute(command("alerts list"))
    assert status.text.splitlines()[-1] == f"care notice: {text}"
    assert listed.text.splitlines() == [f"care notice: {text}", "no open care alerts."]
    # Another care contact ends the notice.
    await admin.execute(command("care contacts add dave"))
    assert "care notice" not in (await admin.execute(command("status"))).text
    assert (await admin.execute(command("alerts list"))).text == "no open care alerts."


async def test_where_the_admins_are_unknown_the_notice_waits_in_status_and_the_audit_log(community: Store) -> None:
    store = community
    unknown_admins = SpyPlatform()  # a platform whose admins the core does not know (Discord, Slack)
    admin = Admin(store, model="m", clock=Clock(T0), platforms={"local": unknown_admins})
    await admin.execute(command("care contacts add Carol"))
    await admin.execute(command("forget-me", "Carol", admin=False))
    notes = [e["what"] for e in await entries(store.redis, "local", "test") if e["who"] == "groupmind"]
    assert len(notes) == 1 and "the last care contact asked to be forgotten" in notes[0]
    assert f"care notice: {notes[0]}" in (await admin.execute(command("status"))).text


async def test_removing_the_last_care_contact_tells_the_admins_and_one_of_two_does_not(community: Store) -> None:
    route = AdminsRoute()
    admin = Admin(community, model="m", clock=Clock(T0), platforms={"local": route})
    await admin.execute(command("care contacts add Carol"))
    await admin.execute(command("care contacts add dave"))
    await admin.execute(command("forget-me", "Carol", admin=False))
    assert route.told == []  # dave is still there
    assert (await admin.execute(command("care contacts remove dave"))).ok
    ((_, text),) = route.told
    assert "the last care contact was removed by an admin" in text


@pytest.mark.parametrize("value", ["not json", '{"carol": 1}', "7", ""])
async def test_a_hand_edited_contacts_setting_means_no_contacts_everywhere(community: Store, value: str) -> None:
    store = community
    await store.redis.hset(KEYS.settings, CARE_CONTACTS, value)
    admin = Admin(store, model="m")
    assert (await admin.execute(command("care contacts list"))).text == "care contacts: none yet"
    assert not (await admin.execute(command("alerts list", "Carol", admin=False))).ok
    assert (await admin.execute(command("forget-me", "Carol", admin=False))).ok
    assert await store.redis.hget(KEYS.settings, CARE_CONTACTS) == value  # not hers to rewrite
    assert (await admin.execute(command("care contacts add dave"))).ok
    assert care_contact_ids(await store.redis.hget(KEYS.settings, CARE_CONTACTS)) == ["dave"]


def test_the_contacts_setting_is_read_one_way() -> None:
    assert care_contact_ids(None) == [] and care_contact_ids("[]") == []
    assert care_contact_ids('["a", 2]') == ["a", "2"]
    assert care_contact_ids('{"a": 1}') == care_contact_ids("oops") == []


async def test_the_room_tells_its_admins_after_the_invokers_own_answer(community: Store, settings: Settings) -> None:
    from adapters.local.room import LocalRoom, RoomClock, RoomLine, RoomScreen
    from groupmind.ingress import Directory

    out = io.StringIO()
    screen = RoomScreen(out, settings.bot_name, admins=["alice", "Zed"], seen=Directory(community).seen)
    clock = RoomClock()
    room = LocalRoom(Pipeline(community, None, settings, clock, platforms=[screen]), clock, community="test", channel="general")
    await room.say(RoomLine("alice", "/gm care contacts add Carol"), echo=False)
    await room.say(RoomLine("Carol", "/gm forget-me"), echo=False)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("[private to Carol] forgotten:")
    assert [line.split("] ", 1)[0] for line in lines[2:]] == ["[private to alice", "[private to Zed"]
    assert all("the last care contact asked to be forgotten" in line for line in lines[2:])
    # Outside a command, the admins read it at once.
    assert await room.screen.to_admins(WHERE, "first line\nsecond line")
    assert out.getvalue().splitlines()[-2:] == ["[private to Zed] first line", "[private to Zed] second line"]
