"""Admin settings reach the next message, and status survives an embedded server restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from groupmind.admin import Admin
from groupmind.store.care_alerts import AlertStore
from groupmind.config import Settings
from groupmind.events import Member
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.prompt import build_prompt
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from tests.admin_helpers import WHERE, command
from tests.helpers import msg


def _counts(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("uptime:")]


async def test_status_counts_the_same_after_the_embedded_server_restarts(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    server.start()
    try:
        redis = client_for(server.url)
        store = Store(redis)
        await store.append_many([msg("alice", f"line {i}") for i in range(7)])
        await store.append_many([msg("bob", f"thread {i}", thread="t1") for i in range(3)])
        await AlertStore(redis).create(member=Member(id="bob", display_name="Bob"), where=WHERE, why="distress")
        before = await Admin(store, model="m").execute(command("status"))
        await redis.aclose()
        server.stop()
        server.start()
        redis = client_for(server.url)
        after = await Admin(Store(redis), model="m").execute(command("status"))
        await redis.aclose()
    finally:
        server.stop()
    assert "messages stored: general 7, general/t1 3" in before.text
    assert "open care alerts: 1" in before.text
    assert _counts(after.text) == _counts(before.text)


def test_persona_joins_the_prompt_identity_without_replacing_it() -> None:
    plain = build_prompt("Mind", [msg()], channel="general", budget_chars=4000)
    styled = build_prompt("Mind", [msg()], channel="general", budget_chars=4000, persona="You speak like a pirate.")
    assert "pirate" not in plain.system
    assert "Mind's persona here: You speak like a pirate." in styled.system
    assert "is an AI member" in styled.system and styled.turns == plain.turns


@pytest.mark.model
async def test_mode_changes_apply_to_the_next_message(store: Store, engine: LocalEngine, settings: Settings) -> None:
    pipeline = Pipeline(store, engine, settings)
    admin = pipeline.admin
    assert (await admin.execute(command("mode quiet"))).ok
    assert await pipeline.handle(msg("bob", "Mind, are you there?")) == []
    assert await pipeline.settle(WHERE) == []
    assert await store.stored_count(WHERE) == 1
    await admin.execute(command("persona set You answer in short sentences."))
    await admin.execute(command("mode mention"))
    replies = await pipeline.handle(msg("bob", "Mind, are you there?")) + await pipeline.settle(WHERE)
    assert len(replies) == 1 and replies[0].text
    status = await admin.execute(command("status"))
    assert f"model: {engine.name}" in status.text


async def test_resolved_alerts_are_pruned_but_open_ones_are_kept(store: Store) -> None:
    alerts = AlertStore(store.redis, max_alerts=3)
    bob = Member(id="bob", display_name="Bob")
    admin = Member(id="alice", display_name="alice")
    created = [await alerts.create(member=bob, where=WHERE, why="distress") for _ in range(4)]
    for alert in created[1:]:
        await alerts.resolve("local", "test", alert.id, admin, "talked")
    assert [a.id for a in await alerts.list("local", "test", include_closed=True)] == ["1", "3", "4"]
