"""Admin command logic against the store's in-memory twins: no server needed."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Iterable

from groupmind.admin.commands import Admin
from groupmind.store.audit import MemoryAuditLog
from groupmind.store.settings import CARE_CONTACTS, MemorySettings, mode_field
from tests.admin_helpers import command

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
NAMES = {"alice": "Alice", "dana": "Dana"}


class _Members:
    async def member_ids(self, platform: str, community: str) -> list[str]:
        return sorted(NAMES)

    async def member_names(self, platform: str, community: str, ids: Iterable[str]) -> dict[str, str]:
        return {i: NAMES.get(i, i) for i in ids}


def admin() -> tuple[Admin, SimpleNamespace]:
    members = _Members()
    store = SimpleNamespace(
        settings=MemorySettings(), audit=MemoryAuditLog(), redis=None,
        member_ids=members.member_ids, member_names=members.member_names,
    )  # fmt: skip
    return Admin(store, model="test", clock=lambda: NOW), store  # type: ignore[arg-type]


async def test_mode_is_set_audited_and_read_back() -> None:
    gm, store = admin()
    result = await gm.execute(command("mode active"))
    assert result.ok and result.text == "mode in #general: active (was mention)"
    assert (await store.settings.read("local", "test")).fields == {mode_field("general"): "active"}
    [entry] = await store.audit.latest("local", "test")
    assert (entry["who"], entry["what"], entry["old"], entry["new"]) == ("alice", "mode active", "", "active")


async def test_a_non_admin_changes_nothing() -> None:
    gm, store = admin()
    result = await gm.execute(command("mode quiet", "bo", admin=False))
    assert not result.ok and "nothing was changed" in result.text
    assert (await store.settings.read("local", "test")).fields == {} and await store.audit.latest("local", "test") == []


async def test_persona_reset_falls_back_to_the_community_persona() -> None:
    gm, store = admin()
    await gm.execute(command("persona community set You are kind."))
    await gm.execute(command("persona set You love puns."))
    assert (await gm.execute(command("persona show"))).text == "persona in #general: You love puns."
    await gm.execute(command("persona reset"))
    assert (await gm.execute(command("persona show"))).text == "persona (the community's): You are kind."


async def test_care_contacts_add_and_remove_keep_one_list_and_a_notice() -> None:
    gm, store = admin()
    assert (await gm.execute(command("care contacts add Dana"))).ok
    assert (await store.settings.read("local", "test")).care_contacts == ("dana",)
    assert (await gm.execute(command("care contacts list"))).text == "care contacts: Dana"
    assert (await gm.execute(command("care contacts remove dana"))).ok
    read = await store.settings.read("local", "test")
    assert read.fields[CARE_CONTACTS] == json.dumps([]) and read.care_notice and "reach no care contact" in read.care_notice


async def test_opt_out_and_in_are_the_members_own() -> None:
    gm, store = admin()
    assert "opted out" in (await gm.execute(command("optout", "bo", admin=False))).text
    assert (await gm.execute(command("optout", "bo", admin=False))).text == "you were already opted out."
    assert await store.settings.is_opted_out("local", "test", "bo")
    assert "welcome back" in (await gm.execute(command("optin", "bo", admin=False))).text
    assert not await store.settings.is_opted_out("local", "test", "bo")
