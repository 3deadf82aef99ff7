"""groupmind on a real three-master Valkey cluster: replay, and the per-message path in one slot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from groupmind.config import Settings
from groupmind.pipeline import Pipeline
from groupmind.store import Store, StoreUnavailable, open_redis
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedCluster
from groupmind.store.keys import CommunityKeys
from tests.helpers import SpyPlatform, msg
from tests.slots import cross_slot_pipelines

ROOT = Path(__file__).resolve().parents[2]
COMMUNITIES = ("ubuntu", "debian", "suse", "fedora", "arch")
"""Enough communities that their slots land on every master of a three-node cluster."""
START = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def _conversation(count: int) -> list[str]:
    """JSON lines of `count` messages spread over the communities and two channels each, a minute apart."""
    lines = []
    for i in range(count):
        said = msg(
            f"member{i % 7}", f"message {i}, does anyone know how to fix the wifi?" if i % 5 == 0 else f"message {i}",
            community=COMMUNITIES[i % len(COMMUNITIES)], channel=f"chan{i % 2}", message_id=f"id{i}",
            ts=START + timedelta(minutes=i),
        )  # fmt: skip
        lines.append(said.model_dump_json())
    return lines


async def test_replay_on_a_cluster_stores_every_community(
    tmp_path: Path, redis_cluster: EmbeddedCluster
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(_conversation(300)) + "\n", encoding="utf-8")
    redis = client_for(redis_cluster.url)
    await redis.flushall()
    env = {**os.environ, "GROUPMIND_REDIS_URL": redis_cluster.url, "GROUPMIND_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}  # fmt: skip

    done = subprocess.run(
        [sys.executable, "-m", "groupmind", "replay", "--no-reply", "--json", str(log)],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["messages"] == 300
    store = Store(redis)
    for community in COMMUNITIES:
        for channel in ("chan0", "chan1"):
            window = await store.window(msg(community=community, channel=channel).where, 100)
            assert len(window) == 30, (community, channel)
            numbers = [int(m.text.split(",")[0].split()[1]) for m in window]
            assert numbers == sorted(numbers), "each conversation is stored in order"
    nodes_holding = {redis.keyslot(CommunityKeys("local", c).channels) * 3 // 16384 for c in COMMUNITIES}
    assert nodes_holding == {0, 1, 2}, "the communities are spread over all three masters"
    await redis.aclose()


@pytest.mark.parametrize("redis_backend", ["cluster"])
async def test_the_per_message_path_stays_in_one_slot(
    redis: Redis, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=redis_url, burst_settle_s=0)  # type: ignore[call-arg]
    pipeline = Pipeline(Store(redis), None, settings, platforms=[SpyPlatform()])
    messages = [
        msg("alice", "hi all, anyone around?", community="ubuntu"),
        msg("bob", "I feel so hopeless lately, nothing matters", community="debian"),
        msg("carol", "@Mind what do you think?", community="suse"),
        msg("dave", "good morning", community="fedora", channel="random"),
    ]
    with cross_slot_pipelines(monkeypatch) as crossed:
        for said in messages:
            await pipeline.handle(said)
        stored = await pipeline.ingest(msg(f"m{i}", f"backfill {i}", community=COMMUNITIES[i % 5]) for i in range(20))
    assert stored == 20
    assert crossed == [], "a pipeline on the per-message or ingest path spans hash slots"
    for said in messages:
        assert said.text in [m.text for m in await pipeline.store.window(said.where, 50)]


async def test_a_plain_url_of_one_node_with_the_cluster_flag_reaches_every_slot(
    tmp_path: Path, redis_cluster: EmbeddedCluster
) -> None:
    one_node = f"redis://127.0.0.1:{redis_cluster.nodes[1].port}"
    async with open_redis(one_node, tmp_path, cluster=True) as redis:
        store = Store(redis)
        assert await store.append_many(msg("ana", f"hello {c}", community=c) for c in COMMUNITIES) == len(COMMUNITIES)
        for community in COMMUNITIES:
            assert [m.text for m in await store.window(msg(community=community).where, 5)][-1] == f"hello {community}"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+cluster://127.0.0.1", "HOST:PORT,HOST:PORT"),
        ("redis+cluster://127.0.0.1:1,,127.0.0.1:2", "HOST:PORT,HOST:PORT"),
        ("redis+sentinel://127.0.0.1:26379", "names the monitored primary"),
        ("redis+sentinel://127.0.0.1:26379/", "names the monitored primary"),
    ],
)
def test_a_malformed_cluster_or_sentinel_url_is_refused_with_the_reason(url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as settings_error:
        Settings(_env_file=None, redis_url=url)  # type: ignore[call-arg]
    assert problem in str(settings_error.value)


async def test_nothing_answering_at_a_cluster_or_sentinel_url_names_it_without_the_password(tmp_path: Path) -> None:
    for url in ("redis+cluster://:hunter2@127.0.0.1:9,127.0.0.1:10", "redis+sentinel://:hunter2@127.0.0.1:9/gm"):
        with pytest.raises(StoreUnavailable) as unavailable:
            async with open_redis(url, tmp_path):
                pass
        assert "127.0.0.1:9" in str(unavailable.value) and "hunter2" not in str(unavailable.value)
