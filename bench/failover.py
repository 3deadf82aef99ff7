"""Messages stored through a Sentinel failover: what is acknowledged and lost, what is answered twice.

A primary, a replica and a Sentinel run on loopback (`EmbeddedSentinel`). Writers
store messages through the store (one conversation each, several at once) while
the primary is killed halfway through; the Sentinel promotes the replica and the
client follows it, and the killed server is started again (it becomes the new
primary's replica). A message counts as answered when `Store.append` says it was
new (the dedupe a worker relies on), and as acknowledged when the append
returned at all; a writer retries a failed append, as a redelivered job would.
Run once trusting the primary alone (`replicas=0`, the baseline) and once with
WAIT 1 in the same round trip (`replicas=1`); the ratio is the throughput with
WAIT against without.

    PYTHONPATH=. python bench/failover.py [messages]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from groupmind.events import ChatMessage
from groupmind.store import Store, StoreError
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedSentinel
from groupmind.store.keys import CommunityKeys

WRITERS = 8
ATTEMPTS = 5
_START = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


@dataclass
class FailoverRun:
    """What one run through a failover stored, acknowledged and answered."""

    sent: int
    seconds: float = 0.0
    failover_s: float = 0.0
    acknowledged: set[str] = field(default_factory=set)
    answered: Counter[str] = field(default_factory=Counter)
    stored: Counter[str] = field(default_factory=Counter)
    out_of_order: int = 0
    gave_up: int = 0

    @property
    def lost(self) -> set[str]:
        """Acknowledged, yet not on the new primary."""
        return self.acknowledged - set(self.stored)

    @property
    def answered_twice(self) -> list[str]:
        return [message_id for message_id, times in self.answered.items() if times > 1]

    def as_dict(self) -> dict[str, object]:
        return {
            "sent": self.sent, "acknowledged": len(self.acknowledged), "lost_acknowledged": len(self.lost),
            "stored_twice": sum(1 for n in self.stored.values() if n > 1), "answered_twice": len(self.answered_twice),
            "unanswered_but_stored": len(set(self.stored) - set(self.answered)), "gave_up": self.gave_up,
            "out_of_order": self.out_of_order, "msgs_per_s": round(self.sent / self.seconds, 1),
            "failover_s": round(self.failover_s, 2),
        }  # fmt: skip


def _message(writer: int, n: int) -> ChatMessage:
    return ChatMessage(
        platform="local", community="failover", channel=f"c{writer}", message_id=f"w{writer}-{n}",
        author_id=f"member{writer}", author_name=f"Member {writer}", text=f"message {n} from writer {writer}",
        ts=_START + timedelta(seconds=n),
    )  # fmt: skip


async def run_through_failover(directory: Path, messages: int, replicas: int) -> FailoverRun:
    """Store `messages` through a fresh primary that is killed when half of them are acknowledged."""
    sentinel = EmbeddedSentinel(directory)
    sentinel.start()
    redis = client_for(sentinel.url)
    try:
        store = Store(redis, replicas=replicas)
        run = FailoverRun(sent=messages)
        half = asyncio.Event()

        async def write(writer: int) -> None:
            for n in range(writer, messages, WRITERS):
                said = _message(writer, n)
                for _ in range(ATTEMPTS):
                    try:
                        new = await store.append(said)
                    except (StoreError, OSError):
                        continue
                    run.acknowledged.add(said.message_id)
                    if new:
                        run.answered[said.message_id] += 1
                    break
                else:
                    run.gave_up += 1
                if len(run.acknowledged) >= messages // 2:
                    half.set()

        async def fail_over() -> None:
            await half.wait()
            started = time.perf_counter()
            await asyncio.to_thread(sentinel.kill_primary)
            run.failover_s = time.perf_counter() - started
            sentinel.restart_killed()  # on this thread, which outlives it
            await asyncio.to_thread(sentinel.wait_replicated)  # until then WAIT 1 waits its full second

        start = time.perf_counter()
        await asyncio.gather(fail_over(), *(write(w) for w in range(WRITERS)))
        run.seconds = time.perf_counter() - start
        for writer in range(WRITERS):
            numbers = []
            async for _, fields in store.entries(store_log(writer)):
                run.stored[fields["id"]] += 1
                numbers.append(int(fields["id"].split("-")[1]))
            run.out_of_order += sum(1 for a, b in zip(numbers, numbers[1:]) if b < a)
        return run
    finally:
        await redis.aclose()
        sentinel.stop()


def store_log(writer: int) -> str:
    where = _message(writer, 0).where
    return CommunityKeys(where.platform, where.community).log(where.conversation)


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = await run_through_failover(Path(tmp) / "plain", messages, replicas=0)
        waited = await run_through_failover(Path(tmp) / "wait", messages, replicas=1)
    for name, run in (("primary only", plain), ("WAIT 1", waited)):
        print(f"{name:>12}: " + ", ".join(f"{k} {v}" for k, v in run.as_dict().items()))
    ratio = waited.sent / waited.seconds / (plain.sent / plain.seconds)
    print(json.dumps({"bench": "failover", "ratio": round(ratio, 3), "primary_only": plain.as_dict(),
                      "wait_1": waited.as_dict()}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000))
