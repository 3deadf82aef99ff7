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
- `workers`: 1, 2 and 4 `Worker` processes (listen-only) on the partitioned work queue, one server: messages/s
  from the moment all have their shares until the streams are empty, against one worker; then 2 workers
  again with one killed (SIGKILL) halfway, whose partitions and jobs the other takes over. In every run
  each conversation must be stored in order and each message once. Goal: 2 workers >= 1.8x one.
- `--cluster`: the live pass again on a three-master cluster (`EmbeddedCluster`), when this checkout has it.

    .venv/bin/python -m bench.scale [--messages 11612] [--rounds 1] [--work 2000] [--cluster]

Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from bench import ingest
from bench.work_queue import Silent
from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline
from groupmind.replay import read_irc
from groupmind.runtime import open_core, open_pipeline
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.work_queue import PARTITIONS, inbox, lease_key, partition_of
from groupmind.work import Worker

WARM = 200
"""Messages handled before counting, so the counts are of a running conversation, not a cold one."""
BATCH = 1000
MONTH_S = 30 * 24 * 3600
CLAIM_IDLE_MS = 1000
"""The worker processes' lease and take-over time: short, so a killed worker's share moves within the run."""


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


def worker_settings(url: str, name: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None, data_dir=data_dir, redis_url=url, work_queue=True, worker_name=name,
        work_claim_idle_ms=CLAIM_IDLE_MS, work_concurrency=8,
    )  # type: ignore[call-arg]  # fmt: skip


async def serve(url: str, name: str, data_dir: Path) -> None:
    """One worker process of the `workers` pass: listen-only, until killed."""
    async with open_core(worker_settings(url, name, data_dir), with_model=False) as core:
        await Worker.for_pipeline(core.pipeline([Silent()])).run()


def interleaved(logs: list[list[ChatMessage]], count: int) -> list[ChatMessage]:
    """`count` messages taken from every log in turn, so every conversation is busy at once."""
    out: list[ChatMessage] = []
    for row in range(max(map(len, logs))):
        out += [log[row] for log in logs if row < len(log)]
    return out[:count]


async def work_pass(url: str, messages: list[ChatMessage], workers: int, kill: bool, data_dir: Path) -> dict[str, Any]:
    """Queue `messages`, let `workers` processes drain them (killing one halfway with `kill`), check the result."""
    redis = client_for(url)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        await redis.flushall()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                        os.environ.get("PYTHONPATH")]))}  # fmt: skip
        for n in range(workers):
            name = f"w{n}"
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "bench.scale", "--serve", name, "--url", url, "--data-dir", str(data_dir)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        async with asyncio.timeout(120):
            while len(set(await redis.mget([lease_key(k) for k in range(PARTITIONS)])) - {None}) < workers:
                await asyncio.sleep(0.1)  # every worker holds its share
        pipe = redis.pipeline(transaction=False)  # what `WorkQueue.submit` does, in one round trip
        for msg in messages:
            pipe.xadd(inbox(partition_of(msg, PARTITIONS)), {"j": msg.model_dump_json()})
        start = time.perf_counter()
        await pipe.execute()
        killed = ""
        async with asyncio.timeout(600):
            while not await _drained(redis):
                if kill and not killed and await _stored(redis, messages) >= len(messages) // 2:
                    killed = sorted(procs)[-1]
                    procs[killed].send_signal(signal.SIGKILL)
                await asyncio.sleep(0.02)
        seconds = time.perf_counter() - start
        return {"workers": workers, "msgs_per_s": round(len(messages) / seconds), "killed": killed or None,
                **await _check(Store(redis), messages)}  # fmt: skip
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=30)
        await redis.aclose()


async def _drained(redis: Redis) -> bool:
    for k in range(PARTITIONS):
        if await redis.xlen(inbox(k)):
            return False
    return True


async def _stored(redis: Redis, messages: list[ChatMessage]) -> int:
    store = Store(redis)
    return sum([await store.stored_count(where) for where in {m.where for m in messages}])


async def _check(store: Store, messages: list[ChatMessage]) -> dict[str, int]:
    """Messages lost, stored twice, and conversations stored out of order."""
    lost = twice = disordered = 0
    for where in {m.where for m in messages}:
        sent = [m.message_id for m in messages if m.where == where]
        kept = [m.message_id for m in await store.window(where, len(sent) + 10)]
        lost += len(set(sent) - set(kept))
        twice += len(kept) - len(set(kept))
        disordered += [i for i in kept if i in set(sent)] != [i for i in sent if i in set(kept)]
    return {"lost": lost, "stored_twice": twice, "conversations_out_of_order": disordered}


async def scaling(messages: list[ChatMessage], data_dir: Path) -> dict[str, Any]:
    server = EmbeddedServer(data_dir / "work")
    server.start()
    try:
        runs = [await work_pass(server.url, messages, n, kill=False, data_dir=data_dir) for n in (1, 2, 4)]
        killed = await work_pass(server.url, messages, 2, kill=True, data_dir=data_dir)
    finally:
        server.stop()
    one = runs[0]["msgs_per_s"]
    return {"runs": [*runs, killed], "two_over_one": round(runs[1]["msgs_per_s"] / one, 2),
            "four_over_one": round(runs[2]["msgs_per_s"] / one, 2)}  # fmt: skip


async def main(limit: int, rounds: int, work: int, cluster: bool) -> dict[str, Any]:
    logs = [list(read_irc(log)) for log in sorted(ingest.IRC_DEV.glob("*.raw.txt"))]
    messages = [m for log in logs for m in log][:limit]
    with tempfile.TemporaryDirectory() as tmp:
        figures: dict[str, Any] = {"ingest": await ingest.main(rounds)}
        figures.update(await standalone(messages, Path(tmp) / "standalone"))
        if work:
            figures["workers"] = await scaling(interleaved(logs, work), Path(tmp))
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
    if work:
        runs = figures["workers"]["runs"]
        figures["goals"]["two_workers_ge_1.8x"] = figures["workers"]["two_over_one"] >= 1.8
        figures["goals"]["work_in_order_none_lost_or_twice"] = not any(
            r["lost"] or r["stored_twice"] or r["conversations_out_of_order"] for r in runs
        )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=11_612, help="how many of the logs' messages to use")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of bench.ingest (best of)")
    parser.add_argument("--work", type=int, default=2000, help="messages for the workers pass (0: skip it)")
    parser.add_argument("--cluster", action="store_true", help="also run the live pass on a 3-master cluster")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # a worker process of the workers pass
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.url, args.serve, args.data_dir))
        sys.exit(0)
    result = asyncio.run(main(args.messages, args.rounds, args.work, args.cluster))
    for name, value in result.items():
        print(f"{name}: {value}")
    print(json.dumps(result))
