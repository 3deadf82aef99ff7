"""Benchmark: the lasting group memory on the ten #ubuntu IRC dev logs, replayed as one community over weeks.

Each log is moved to its own week (same weekday and time of day), so the ten
make one community's ten weeks. Every message goes through the real pipeline
(real Redis, listen-only: no replies) with the group memory on; the first three
logs also go through a pipeline with it off (the baseline, same run), so the
per-message cost is a ratio over the same messages.
Then the questions of bench/data/memory_questions.jsonl, whose answers were
written from reading the logs, are asked two ways:

- lookup: through the group model (`groupmind.we.recall`): "who knows about X"
  is right when its first answer is one of the expected members;
- /gm we: the admin command's summary answers when the expected member (or
  topic, or style) appears in the line that speaks to it.

Memory growth is MEMORY USAGE of the group model's keys and the members' model
keys, per 10,000 messages, measured after each log.

    PYTHONPATH=. python bench/memory.py [--model]

With --model the default local model consolidates the memory at the end (its
summary heads /gm we). The last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import AdminCommand, ChatMessage, Member
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import assemble_default_model
from groupmind.pipeline import Pipeline
from groupmind.replay import read_irc
from groupmind.runtime import open_pipeline
from groupmind.store.keys import CommunityKeys
from groupmind.we.consolidate import Consolidator
from groupmind.we.lexicon import content_words
from groupmind.we.recall import _matches, helpers, stem, style, top_topics, who_knows

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "data" / "memory_questions.jsonl"
IRC_DEV = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "dev"
FIRST_WEEK = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday
PLATFORM, COMMUNITY = "irc", "ubuntu-dev"
CHANNEL_BOTS = frozenset({"ubottu", "ubotu"})
"""#ubuntu's factoid bots: on Discord and Slack a bot is marked as one; IRC does not say, so the bench does."""
TIMED_LOGS = 3
"""The per-message cost is timed on the first logs, with the memory off and on (the same messages)."""
CHUNK = 100


def weeks_of_logs(community: str) -> list[list[ChatMessage]]:
    """The ten logs, log i moved to week i (same weekday and time of day), all in one community and channel."""
    logs = []
    for week, path in enumerate(sorted(IRC_DEV.glob("*.raw.txt"))):
        messages = list(read_irc(path))
        start = messages[0].ts
        day = FIRST_WEEK + timedelta(weeks=week, days=start.weekday())
        moved = day + timedelta(hours=start.hour, minutes=start.minute) - start
        logs.append([
            m.model_copy(update={"ts": m.ts + moved, "community": community, "channel": "ubuntu",
                                 "author_is_bot": m.author_id.casefold() in CHANNEL_BOTS})
            for m in messages
        ])  # fmt: skip
    return logs


async def replay(pipeline: Pipeline, logs: list[list[ChatMessage]]) -> list[dict[str, int]]:
    """Handle every message; returns the memory after each log."""
    growth = []
    count = 0
    for log in logs:
        for msg in log:
            await pipeline.handle(msg)
        count += len(log)
        growth.append(await sizes(pipeline, log[0].community, count))
    return growth


async def sizes(pipeline: Pipeline, community: str, messages: int) -> dict[str, int]:
    group = await pipeline.store.group_memory.size_bytes(PLATFORM, community)
    return {"messages": messages, "bytes": await memory_bytes(pipeline, community), "group_bytes": group}


async def memory_bytes(pipeline: Pipeline, community: str) -> int:
    """MEMORY USAGE of the group model's keys and of every member's model keys."""
    redis = pipeline.store.redis
    total = await pipeline.store.group_memory.size_bytes(PLATFORM, community)
    keys = CommunityKeys(PLATFORM, community)
    async for key in redis.scan_iter(match=keys.pattern.removesuffix(":*") + ":member:*:model:*", count=1000):
        total += await redis.memory_usage(key) or 0
    return total


def _in(answer: str, expected: list[str]) -> bool:
    return answer.casefold() in {e.casefold() for e in expected}


def _we_names_helper(text: str, question: str, expected: list[str]) -> bool:
    """Whether /gm we's "who helps with what" names an expected member with a topic of the question."""
    wanted = {stem(w) for w in content_words(question)}
    shown = _line(text, "Who helps with what:").removeprefix("Who helps with what: ").rstrip(".")
    for entry in re.findall(r"([^;(]+?) \(([^)]*)\)", shown):
        name, topics = entry[0].strip(), entry[1].split(", ")
        if _in(name, expected) and any(_matches(t, wanted) for t in topics):
            return True
    return False


def _line(text: str, start: str) -> str:
    return next((line for line in text.splitlines() if line.startswith(start)), "")


async def ask(pipeline: Pipeline, now: datetime) -> list[dict[str, Any]]:
    """Every question, answered by the lookup and by /gm we, each judged against the expected answer."""
    record = await pipeline.store.group_memory.read(PLATFORM, COMMUNITY, now)
    admin = Admin(pipeline.store, model="bench", clock=lambda: now)
    where = {"platform": PLATFORM, "community": COMMUNITY, "channel": "ubuntu"}
    we = await admin.execute(AdminCommand.model_validate(
        {"where": where, "invoker": Member(id="admin", display_name="admin"), "invoker_is_admin": True, "name": "we", "args": ()}
    ))  # fmt: skip
    names = [m for m, _ in helpers(record, limit=50)]
    results = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        expected, kind = question["expected"], question["kind"]
        if kind == "who":
            found = [m for m, _ in who_knows(record, question["q"], limit=3)]
            lookup, top3 = bool(found) and _in(found[0], expected), any(_in(m, expected) for m in found)
            summary = _we_names_helper(we.text, question["q"], expected)
            answer = ", ".join(found)
        elif kind == "helper":
            found = names[:1]
            lookup = top3 = bool(found) and _in(found[0], expected)
            summary = any(_line(we.text, "Who helps with what:").removeprefix("Who helps with what: ").startswith(e + " (")
                          for e in expected)  # fmt: skip
            answer = ", ".join(found)
        elif kind == "topics":
            found = top_topics(record, 5, drop=names)
            lookup = top3 = sum(t in expected for t in found) >= 3
            shown = _line(we.text, "We keep coming back to:").removeprefix("We keep coming back to: ").rstrip(".")
            summary = sum(t in expected for t in shown.split(", ")[:5]) >= 3
            answer = ", ".join(found)
        else:
            answer = style(record)
            lookup = top3 = all(e in answer for e in expected)
            summary = all(e in _line(we.text, "How we talk:") for e in expected)
        results.append({"q": question["q"], "answer": answer, "lookup": lookup, "top3": top3, "we": summary})
    print("\n/gm we as an admin sees it:\n" + we.text + "\n")
    return results


async def timed_pair(baseline: Pipeline, pipeline: Pipeline, logs: list[list[ChatMessage]],
                     baseline_logs: list[list[ChatMessage]]) -> tuple[float, float]:  # fmt: skip
    """The same messages through the memory-off and memory-on pipelines, alternating chunk by chunk so a
    shared machine's load falls on both alike; returns (seconds off, seconds on)."""
    off = on = 0.0
    for log, twin in zip(logs, baseline_logs):
        for start in range(0, len(log), CHUNK):
            for pipe, chunk, is_on in ((baseline, twin, False), (pipeline, log, True)):
                started = time.perf_counter()
                for msg in chunk[start : start + CHUNK]:
                    await pipe.handle(msg)
                spent = time.perf_counter() - started
                off, on = (off, on + spent) if is_on else (off + spent, on)
    return off, on


async def consolidate_with_model(pipeline: Pipeline, now: datetime) -> str:
    """The default local model sums the memory up (the replay itself ran listen-only, as a quiet spell would find it)."""
    cache = Path(tempfile.gettempdir()) / "groupmind-bench-model"
    settings = Settings(_env_file=None, temperature=0.0, seed=7)  # type: ignore[call-arg]
    engine = LocalEngine(assemble_default_model(cache, print), settings)
    await engine.start()
    try:
        started = time.perf_counter()
        consolidator = Consolidator(pipeline.store, engine, pipeline.due, bot_name=settings.bot_name,
                                    quiet_s=settings.memory_quiet_s, timeout_s=300)  # fmt: skip
        kept = await consolidator.consolidate(PLATFORM, COMMUNITY, now)
        return f"consolidated by {kept['by']} in {time.perf_counter() - started:.1f}s: {kept['summary']} {kept['topics']}"
    finally:
        await engine.close()


async def main(with_model: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as off_dir, tempfile.TemporaryDirectory() as on_dir:
        base = {"_env_file": None, "seed": 7, "temperature": 0.0}
        off = Settings(**base, data_dir=Path(off_dir), group_memory=False)  # type: ignore[arg-type]
        on = Settings(**base, data_dir=Path(on_dir), group_memory=True)  # type: ignore[arg-type]
        async with open_pipeline(off, with_model=False) as baseline, open_pipeline(on, with_model=False) as pipeline:
            logs = weeks_of_logs(COMMUNITY)
            timed = logs[:TIMED_LOGS]
            off_s, on_s = await timed_pair(baseline, pipeline, timed, weeks_of_logs(COMMUNITY + "-baseline")[:TIMED_LOGS])
            growth = [await sizes(pipeline, COMMUNITY, sum(len(log) for log in timed))]
            more = await replay(pipeline, logs[TIMED_LOGS:])
            growth += [{**point, "messages": point["messages"] + growth[0]["messages"]} for point in more]
            end = logs[-1][-1].ts + timedelta(hours=1)
            if with_model:
                print(await consolidate_with_model(pipeline, end))
            results = await ask(pipeline, end)
    messages = sum(len(log) for log in logs)
    timed_messages = sum(len(log) for log in timed)
    for r in results:
        print(f"{'ok ' if r['lookup'] else 'MISS'} lookup / {'ok ' if r['we'] else 'MISS'} we  {r['q']}  -> {r['answer']}")
    for point in growth:
        print(f"after {point['messages']:>6} messages: {point['bytes']:>8} bytes ({point['group_bytes']} of them the group's)")
    n = len(results)
    return {
        "questions": n,
        "lookup_accuracy": round(sum(r["lookup"] for r in results) / n, 3),
        "lookup_top3_accuracy": round(sum(r["top3"] for r in results) / n, 3),
        "we_accuracy": round(sum(r["we"] for r in results) / n, 3),
        "messages": messages,
        "memory_bytes": growth[-1]["bytes"],
        "bytes_per_10k_messages": round(growth[-1]["bytes"] / messages * 10_000),
        "bytes_first_logs": growth[0]["bytes"],
        "group_model_bytes": growth[-1]["group_bytes"],
        "members_model_bytes": growth[-1]["bytes"] - growth[-1]["group_bytes"],
        "msgs_per_s_without_memory": round(timed_messages / off_s, 1),
        "msgs_per_s_with_memory": round(timed_messages / on_s, 1),
        "throughput_ratio_with_vs_without": round(off_s / on_s, 3),
        "consolidated_by_model": with_model,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="store_true", help="consolidate with the default local model at the end")
    print(json.dumps(asyncio.run(main(parser.parse_args().model))))
