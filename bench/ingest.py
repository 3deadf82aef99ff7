"""Ingest throughput: the ten #ubuntu IRC dev logs through the pipeline, no replies.

Baseline, in the same run against the same embedded server: raw redis-py
single-command XADD of the same payloads, one awaited command at a time.
Last line: {"msgs_per_s", "raw_xadd_per_s", "ratio", ...}. Goal: ratio >= 0.7.
`handle_ratio` is the same for the unbatched path live messages take
(`Pipeline.handle`, one round trip per message, listen-only).

    .venv/bin/python -m bench.ingest [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.replay import read_irc, replay
from groupmind.pipeline import Pipeline
from groupmind.runtime import open_pipeline

IRC_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ubuntu-irc" / "dev"


async def raw_xadd_per_s(redis: Redis, messages: list[ChatMessage]) -> float:
    payloads = [{"id": m.message_id, "author": m.author_id, "j": m.model_dump_json()} for m in messages]
    start = time.perf_counter()
    for fields in payloads:
        await redis.xadd("bench:raw", fields, maxlen=10_000, approximate=True)
    return len(payloads) / (time.perf_counter() - start)


async def handle_per_s(pipeline: Pipeline, messages: list[ChatMessage]) -> float:
    start = time.perf_counter()
    for msg in messages:
        await pipeline.handle(msg)
    return len(messages) / (time.perf_counter() - start)


async def main(rounds: int) -> dict[str, float | int]:
    logs = sorted(IRC_DEV.glob("*.raw.txt"))
    if not logs:
        sys.exit(f"no IRC logs found in {IRC_DEV}")
    messages = [m for log in logs for m in read_irc(log)]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir), redis_url="")  # type: ignore[call-arg]
        async with open_pipeline(settings, with_model=False) as pipeline:
            ours, raw, single = [], [], []
            for _ in range(rounds):  # interleaved, so drift on a noisy machine hits all
                await pipeline.store.redis.flushall()
                ours.append((await replay(pipeline, logs, reply=False)).msgs_per_s)
                raw.append(await raw_xadd_per_s(pipeline.store.redis, messages))
                single.append(await handle_per_s(pipeline, messages))
    best_ours, best_raw, best_single = max(ours), max(raw), max(single)
    return {
        "messages": len(messages),
        "rounds": rounds,
        "msgs_per_s": round(best_ours),
        "raw_xadd_per_s": round(best_raw),
        "ratio": round(best_ours / best_raw, 2),
        "handle_msgs_per_s": round(best_single),
        "handle_ratio": round(best_single / best_raw, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(asyncio.run(main(parser.parse_args().rounds))))
