"""/healthz and /metrics against a real Redis and the real model: values follow what happens."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from groupmind.store.care_alerts import AlertStore
from groupmind.config import Settings
from groupmind.events import ChannelRef, Member
from groupmind.llm.engine import Prompt
from groupmind.llm.local import LocalEngine
from groupmind.observe.health import HealthServerError, health_app, serve_health
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.connect import client_for
from tests.helpers import msg

WHERE = ChannelRef(platform="local", community="test", channel="general")
BOB = Member(id="bob", display_name="Bob")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, by name and labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def get(pipeline: Pipeline, path: str) -> tuple[int, str]:
    async with TestClient(TestServer(health_app(pipeline))) as client:
        resp = await client.get(path)
        return resp.status, await resp.text()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_healthz_says_which_part_is_not_ready(store: Store, settings: Settings, model_path: Path) -> None:
    unloaded = LocalEngine(model_path, settings)
    status, body = await get(Pipeline(store, unloaded, settings), "/healthz")
    assert status == 503 and '"redis": true' in body and '"model": false' in body
    status, body = await get(Pipeline(store, None, settings), "/healthz")
    assert status == 503 and '"model": false' in body

    gone = client_for(f"redis://127.0.0.1:{closed_port()}/0", retries=0)
    try:
        pipeline = Pipeline(Store(gone), None, settings)
        status, body = await get(pipeline, "/healthz")
        assert status == 503 and '"redis": false' in body
        status, page = await get(pipeline, "/metrics")
    finally:
        await gone.aclose()
    assert status == 200 and "groupmind_messages_handled_total 0.0" in page
    assert "groupmind_care_alerts" not in page, "no alert counts is better than wrong ones"


async def test_care_alerts_are_counted_by_state_across_communities(store: Store, settings: Settings) -> None:
    pipeline = Pipeline(store, None, settings)
    alerts = AlertStore(store.redis)
    _, page = await get(pipeline, "/metrics")
    assert {state: samples(page)[("groupmind_care_alerts", (("state", state),))] for state in ("open", "acknowledged", "resolved")} == {
        "open": 0, "acknowledged": 0, "resolved": 0
    }  # fmt: skip
    elsewhere = ChannelRef(platform="discord", community="g{1}", channel="c")
    first = await alerts.create(member=BOB, where=WHERE, why="distress")
    second = await alerts.create(member=BOB, where=WHERE, why="quiet")
    await alerts.create(member=BOB, where=elsewhere, why="distress")
    await alerts.ack("local", "test", first.id, BOB)
    await alerts.resolve("local", "test", second.id, BOB, "talked")
    _, page = await get(pipeline, "/metrics")
    got = samples(page)
    assert [got[("groupmind_care_alerts", (("state", s),))] for s in ("open", "acknowledged", "resolved")] == [1, 1, 1]


async def test_health_port_in_use_is_one_clear_error(store: Store, settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = settings.model_copy(update={"health_port": port})
        with pytest.raises(HealthServerError, match=f"127.0.0.1:{port}.*GROUPMIND_HEALTH_PORT"):
            async with serve_health(Pipeline(store, None, busy), busy):
                pass


@pytest.mark.model
async def test_metrics_follow_messages_replies_and_the_engine(
    store: Store, engine: LocalEngine, settings: Settings
) -> None:
    said = msg("bob", "Mind, what is a good name for a cat?")
    pipeline = Pipeline(store, engine, settings, clock=lambda: said.ts + timedelta(seconds=7))
    status, body = await get(pipeline, "/healthz")
    assert status == 200 and body.startswith('{"ready": true')
    _, page = await get(pipeline, "/metrics")
    before = samples(page)
    assert before[("groupmind_messages_handled_total", ())] == 0 and before[("groupmind_replies_total", ())] == 0

    await pipeline.handle(msg("alice", "   "))  # blank: not handled
    replies = await pipeline.handle(said) + await pipeline.settle(WHERE)
    assert len(replies) == 1
    _, page = await get(pipeline, "/metrics")
    after = samples(page)
    assert after[("groupmind_messages_handled_total", ())] == 1
    assert after[("groupmind_replies_total", ())] == 1
    assert after[("groupmind_reply_latency_seconds_count", ())] == 1
    assert after[("groupmind_reply_latency_seconds_sum", ())] == 7.0
    assert after[("groupmind_reply_latency_seconds_bucket", (("le", "6.0"),))] == 0
    assert after[("groupmind_reply_latency_seconds_bucket", (("le", "8.0"),))] == 1
    looked_up = sum(after[(f"groupmind_prefix_cache_{kind}_total", ())] for kind in ("hits", "misses"))
    assert looked_up == engine.cache_hits + engine.cache_misses
    assert looked_up > sum(before[(f"groupmind_prefix_cache_{kind}_total", ())] for kind in ("hits", "misses"))
    assert after[("groupmind_engine_queue_depth", ())] == 0

    pieces = engine.stream(Prompt("A chat.", ("bob: hi",), "Mind"), max_tokens=4, timeout=60, key="observe")
    await anext(pieces)  # the request is running now
    _, page = await get(pipeline, "/metrics")
    await pieces.aclose()  # type: ignore[attr-defined]
    assert samples(page)[("groupmind_engine_queue_depth", ())] == 1
