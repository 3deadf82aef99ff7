"""Scale-out figures: Redis cost per message on the live and batched paths, memory per message and member.

All against one embedded server in one run, over the ten #ubuntu IRC dev logs:

- `ingest`: `bench.ingest` (batched `replay` with care running, and live `Pipeline.handle`, each against
  raw single-command XADD of the same payloads). Goals: `ratio` >= 1.0, `handle_ratio` >= 0.3.
- `live`: `Pipeline.handle` listen-only (a message that gets no reply; care and the we model run):
  Redis commands per message (INFO commandstats, commands run inside scripts included), round trips per
  message (requests written to a Redis connection, counted by wrapping the connection), messages/s.
  Goals: <= 10 commands and <= 4 round trips a message.
- `batched`: the same for `Pipeline.ingest` in batches of 1,000 (replays, backfills).
- `memory`: after the live pass, MEMORY USAGE of every key, split into messages (conversation streams and
  their id sets), members (everything under a member's key, and the member set) and the rest; projected
  to 1M members and 50 messages/s for a 30-day month.
- `--cluster`: the live pass again on a three-master cluster (`EmbeddedCluster`), when this checkout has it.

    .venv/bin/python -m bench.scale [--messages 11612] [--rounds 1] [--cluster]

Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from bench import ingest
from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline
from groupmind.replay import read_irc
from groupmind.runtime import open_pipeline

WARM = 200
"""Messages handled before counting, so the counts are of a running conversation, not a cold one."""
BATCH = 1000
MONTH_S = 30 * 24 * 3600


@contextmanager
def round_trips() -> Iterator[Counter[str]]:
    """Count requests written to any Redis connection (a pipeline is one, however many commands it holds)."""
    sent: Counter[str] = Counter()
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent["requests"] += 1
        await original(self, command, check_health)

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


async def commands_run(redis: Redis) -> int | None:
    """Commands the server has run since its stats were reset, this bench's own INFO/CONFIG left out."""
    try:
        stats = await redis.info("commandstats")
    except Exception:  # a cluster client answers per node; the count is then not taken
        return None
    if not isinstance(stats, dict) or not all(isinstance(v, dict) for v in stats.values()):
        return None
    return sum(v["calls"] for k, v in stats.items() if not k.startswith(("cmdstat_info", "cmdstat_config")))


async def cost(pipeline: Pipeline, messages: list[ChatMessage], *, batched: bool) -> dict[str, float | None]:
    """Commands and round trips per message, and messages/s, for `messages` after `WARM` uncounted ones."""
    redis = pipeline.store.redis
    await redis.flushall()
    warm, counted = messages[:WARM], messages[WARM:]
    await _run(pipeline, warm, batched)
    try:
        await redis.config_resetstat()
    except Exception:
        pass
    with round_trips() as sent:
        start = time.perf_counter()
        await _run(pipeline, counted, batched)
        seconds = time.perf_counter() - start
    ran = await commands_run(redis)
    n = len(counted)
    return {
        "messages": n,
        "msgs_per_s": round(n / seconds),
        "commands_per_msg": None if ran is None else round(ran / n, 2),
        "round_trips_per_msg": round(sent["requests"] / n, 2),
    }


async def _run(pipeline: Pipeline, messages: list[ChatMessage], batched: bool) -> None:
    if batched:
        for start in range(0, len(messages), BATCH):
            await pipeline.ingest(messages[start : start + BATCH])
    else:
        for msg in messages:
            await pipeline.handle(msg)


async def memory(redis: Redis, messages: int) -> dict[str, float]:
    """Bytes per stored message and per member from MEMORY USAGE of every key, and the month's projection."""
    used: Counter[str] = Counter()
    members = 0
    async for key in redis.scan_iter(match="gm:*", count=1000):
        size = await redis.memory_usage(key, samples=0) or 0
        if key.endswith((":log", ":ids")):
            used["messages"] += size
        elif ":member:" in key or key.endswith(":members"):
            used["members"] += size
            if key.endswith(":members"):
                members += await redis.scard(key)
        else:
            used["other"] += size
    per_message = used["messages"] / max(messages, 1)
    per_member = used["members"] / max(members, 1)
    month = 50 * MONTH_S
    return {
        "stored_messages": messages,
        "members": members,
        "bytes_per_message": round(per_message),
        "bytes_per_member": round(per_member),
        "other_bytes": used["other"],
        "projected_1m_members_gb": round(per_member * 1_000_000 / 1e9, 2),
        "projected_month_50_per_s_messages": month,
        "projected_month_messages_gb": round(per_message * month / 1e9, 1),
    }


async def standalone(messages: list[ChatMessage], data_dir: Path) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=data_dir, redis_url="")  # type: ignore[call-arg]
    async with open_pipeline(settings, with_model=False) as pipeline:
        batched = await cost(pipeline, messages, batched=True)
        live = await cost(pipeline, messages, batched=False)  # last: the memory pass reads what it left
        kept = sum([await pipeline.store.redis.xlen(k) async for k in pipeline.store.redis.scan_iter(match="*:log")])
        return {"live": live, "batched": batched, "memory": await memory(pipeline.store.redis, kept)}


async def on_cluster(messages: list[ChatMessage], data_dir: Path) -> dict[str, Any]:
    """The live pass on a three-master cluster; a note instead when this checkout has no `EmbeddedCluster`."""
    try:
        from groupmind.store.embedded import EmbeddedCluster  # type: ignore[attr-defined]
    except ImportError:
        return {"skipped": "groupmind.store.embedded has no EmbeddedCluster in this checkout"}
    cluster = EmbeddedCluster(data_dir / "cluster", masters=3)
    cluster.start()
    try:
        settings = Settings(_env_file=None, data_dir=data_dir, redis_url=cluster.url)  # type: ignore[call-arg]
        async with open_pipeline(settings, with_model=False) as pipeline:
            return {"live": await cost(pipeline, messages, batched=False)}
    finally:
        cluster.stop()


async def main(limit: int, rounds: int, cluster: bool) -> dict[str, Any]:
    logs = sorted(ingest.IRC_DEV.glob("*.raw.txt"))
    messages = [m for log in logs for m in read_irc(log)][:limit]
    with tempfile.TemporaryDirectory() as tmp:
        figures: dict[str, Any] = {"ingest": await ingest.main(rounds)}
        figures.update(await standalone(messages, Path(tmp) / "standalone"))
        if cluster:
            figures["cluster"] = await on_cluster(messages, Path(tmp))
            if "live" in figures["cluster"]:
                figures["cluster_over_standalone"] = round(
                    figures["cluster"]["live"]["msgs_per_s"] / figures["live"]["msgs_per_s"], 2
                )
    live = figures["live"]
    figures["goals"] = {
        "ingest_ratio_ge_1": figures["ingest"]["ratio"] >= 1.0,
        "handle_ratio_ge_0.3": figures["ingest"]["handle_ratio"] >= 0.3,
        "live_round_trips_le_4": live["round_trips_per_msg"] <= 4,
        "live_commands_le_10": live["commands_per_msg"] is not None and live["commands_per_msg"] <= 10,
    }
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=11_612, help="how many of the logs' messages to use")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of bench.ingest (best of)")
    parser.add_argument("--cluster", action="store_true", help="also run the live pass on a 3-master cluster")
    args = parser.parse_args()
    result = asyncio.run(main(args.messages, args.rounds, args.cluster))
    for name, value in result.items():
        print(f"{name}: {value}")
    print(json.dumps(result))
