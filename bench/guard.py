"""What the guard costs per reply, against the prompt build measured in the same run.

At each of `--points` places in the #ubuntu dev logs the bot "replies" after
message i, over the 40 messages before it. The guard's work for that reply is
timed whole: reading the conversation's care state from Redis (the embedded
server, two round trips), withholding risk messages, looking for questions
about care or means, and judging a candidate reply (the next human message:
real lengths, real mix). The baseline is building the prompt for the same
point, and, as a second baseline, the read of the recent messages every reply
already makes (`Store.window_entries`, one round trip). Some messages are flagged as risk and one member has an open care
session, so the care checks run on their full path.

    PYTHONPATH=. python bench/guard.py [--points 2000]

The last line printed is the JSON summary (milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from statistics import quantiles

from groupmind.guard import Scene, check
from groupmind.guard.method import asks_for_means
from groupmind.guard.privacy import asks_about_care, withhold
from groupmind.guard.scene import read_care
from groupmind.prompt import build_prompt, identity, speaker_label
from groupmind.replay import read_irc
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.care_signals import RedisCareSignals
from groupmind.store.keys import CommunityKeys
from groupmind.we.threads import Link, Linked

IRC_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu-irc" / "dev"
WINDOW = 40
BOT = "Mind"
FLAG_EVERY = 50


def _pct(values: list[float], q: int) -> float:
    return round(quantiles(values, n=100)[q - 1] * 1000, 3)


async def run(url: str, points: int) -> dict[str, float]:
    redis = client_for(url)
    await redis.flushall()
    store = Store(redis)
    messages = [m for path in sorted(IRC_DEV.glob("*.raw.txt")) for m in read_irc(path)]
    await store.append_many(messages)
    for index, msg in enumerate(messages):  # some risk messages, and one member in a care session
        if index % FLAG_EVERY == 0:
            await RedisCareSignals(redis).flag(msg.platform, msg.community, msg.author_id, msg.message_id, msg.ts)
    first = messages[0]
    await redis.hset(CommunityKeys(first.platform, first.community).care_session(first.author_id),
                     mapping={"started": first.ts.timestamp(), "excerpt": first.text})  # fmt: skip
    step = max(1, (len(messages) - WINDOW - 1) // points)
    guard_s: list[float] = []
    check_s: list[float] = []
    prompt_s: list[float] = []
    read_s: list[float] = []
    for i in range(WINDOW, len(messages) - 1, step):
        window = [Linked(m, Link(m.message_id, m.message_id, m.message_id, "")) for m in messages[i - WINDOW : i]]
        if window[0].msg.channel != window[-1].msg.channel:
            continue
        where, candidate, now = window[-1].msg.where, messages[i].text, window[-1].msg.ts
        started = time.perf_counter()
        prompt = build_prompt(BOT, [item.msg for item in window], channel=where.channel, budget_chars=5000,
                              max_turns=WINDOW)  # fmt: skip
        prompt_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        await store.window_entries(where, 60)
        read_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        asked = [item.msg.text for item in window[-3:]]
        care = await read_care(store, where, window, now)
        kept = withhold(window, care.flagged)
        names = [item.msg.author_name for item in kept]
        asks_about_care(asked, names=names, risk_around=care.risk_around)
        scene = Scene(
            bot_name=BOT, speakers=tuple({speaker_label(item.msg, BOT) for item in kept} | set(names)),
            just_said=tuple(item.msg.text for item in kept[-3:]), instructions=identity(BOT, where.channel), notes=prompt.notes,
            care=care, means_asked=asks_for_means(tuple(asked)),
        )  # fmt: skip
        judged = time.perf_counter()
        check(candidate, scene)
        done = time.perf_counter()
        guard_s.append(done - started)
        check_s.append(done - judged)
        if len(guard_s) >= points:
            break
    await redis.aclose()
    return {
        "replies": len(guard_s),
        "guard_p50_ms": _pct(guard_s, 50),
        "guard_p95_ms": _pct(guard_s, 95),
        "check_p95_ms": _pct(check_s, 95),
        "prompt_p50_ms": _pct(prompt_s, 50),
        "prompt_p95_ms": _pct(prompt_s, 95),
        "window_read_p95_ms": _pct(read_s, 95),
        "ratio_p95": round(_pct(guard_s, 95) / _pct(prompt_s, 95), 2),
        "ratio_to_window_read_p95": round(_pct(guard_s, 95) / _pct(read_s, 95), 2),
        "budget_p95_ms": 5.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()
    if not IRC_DEV.is_dir():
        raise SystemExit(f"needs the #ubuntu dev logs in {IRC_DEV}")
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedServer(Path(tmp))
        server.start()
        try:
            summary = asyncio.run(run(server.url, args.points))
        finally:
            server.stop()
    print(f"guard per reply: p50 {summary['guard_p50_ms']} ms, p95 {summary['guard_p95_ms']} ms "
          f"(prompt build p95 {summary['prompt_p95_ms']} ms, ratio {summary['ratio_p95']}; "
          f"window read p95 {summary['window_read_p95_ms']} ms, ratio {summary['ratio_to_window_read_p95']})")  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
