"""Work-queue throughput: messages one worker serves per second in an active-mode channel, against mention mode.

In an active-mode channel every message leaves a reply waiting for the burst to
settle. A job must not hold a worker slot through that wait: it handles the
message, schedules the due reply and ends, and the scheduler brings the reply
back later. Baseline, in the same run against the same embedded server: the
same worker on the same number of messages in a mention-mode channel, where no
reply waits. Listen-only (no model), so only the queue and the pipeline are
measured. Last line: {"active_msgs_per_s", "mention_msgs_per_s", "ratio", ...};
the ratio should be near 1.

    .venv/bin/python -m bench.work_queue [--messages 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from groupmind.config import Settings
from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member, utcnow
from groupmind.pipeline import Pipeline
from groupmind.runtime import open_core
from groupmind.store.work_queue import inbox
from groupmind.work import Worker

COMMUNITY = "bench"


class Silent:
    """A local platform that accepts whatever it is given (a listen-only pipeline gives nothing)."""

    name = "local"

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        return True

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        return True

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        yield

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        return True

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        return True

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        return False

    async def member(self, community: str, member_id: str) -> Member | None:
        return None


def messages(channel: str, count: int, run: int) -> list[ChatMessage]:
    return [
        ChatMessage(
            platform="local", community=COMMUNITY, channel=channel, message_id=f"{run}-{channel}-{n}",
            author_id=f"m{n % 7}", author_name=f"member{n % 7}", text=f"news of the day, part {n}", ts=utcnow(),
        )  # fmt: skip
        for n in range(count)
    ]


async def queued(pipeline: Pipeline) -> int:
    """Entries left in all the work streams."""
    redis = pipeline.store.redis
    return sum([await redis.xlen(inbox(k)) for k in range(pipeline.settings.work_partitions)])


async def served_per_s(pipeline: Pipeline, batch: list[ChatMessage]) -> float:
    """Queue `batch`, then time one worker until the stream holds nothing."""
    queue = pipeline.work_queue()
    for msg in batch:
        await queue.submit(msg)
    start = time.perf_counter()
    worker = asyncio.create_task(Worker.for_pipeline(pipeline).run())
    while await queued(pipeline):
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    return len(batch) / elapsed


async def main(count: int, rounds: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            _env_file=None, data_dir=Path(data_dir), redis_url="", work_queue=True, worker_name="bench",
            burst_settle_s=1.0, question_pause_s=2.0,
        )  # type: ignore[call-arg]  # fmt: skip
        async with open_core(settings, with_model=False) as core:
            pipeline = core.pipeline([Silent()])
            active, mention = [], []
            async with pipeline.scheduler.running():
                for run in range(rounds):  # interleaved, so drift on a noisy machine hits both
                    await core.store.redis.flushall()
                    await core.store.settings.set("local", COMMUNITY, "mode:active", "active")
                    active.append(await served_per_s(pipeline, messages("active", count, run)))
                    mention.append(await served_per_s(pipeline, messages("mention", count, run)))
    return {
        "messages": count,
        "rounds": rounds,
        "active_msgs_per_s": round(max(active)),
        "mention_msgs_per_s": round(max(mention)),
        "ratio": round(max(active) / max(mention), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.messages, args.rounds))))
