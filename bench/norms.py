"""Norms the group teaches, with the real model: how often does the bot break a norm before and after it is taught?

For each norm kind, one scripted conversation in its own community: members ask
the bot things that invite the behaviour (emoji, a list, politics, ...), one
member corrects it in plain words ("Mind, no emoji please"), then the members
keep asking the same kind of things. Every reply the room shows (its `@` leads
included) is judged by this bench's own check for that norm, written here apart
from the guard's. The turns before the correction are the baseline measured in
the same run; the ratio after/before says how much the correction changed.
QUIET is judged on unaddressed questions in an active channel (any reply there
breaks it). `answered_after` is the share of turns after the correction that
got a reply at all: a bot that obeys by going silent shows there.

    PYTHONPATH=$PWD python bench/norms.py [--seeds 3] [--limit 4] [--kinds no_emoji,language]

The model is the configured one (default: the default GGUF, Gemma 3 270M),
through the real pipeline, with a real (embedded) Redis. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from adapters.local.room import RoomScreen
from groupmind.config import Settings
from groupmind.events import ChatMessage, Reply
from groupmind.ingress import Directory
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import assemble_default_model
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer
from groupmind.we.norms import CHECKABLE, QUIET
from tests.conftest import model_cache_dir

START = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)
GAP = timedelta(minutes=3)
MEMBERS = ("Ana", "Ben", "Cara", "Dev")
GOAL = 0.10

_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF))
_ENGLISH = set("the and is are you that it this to of for with have what your can will would just".split())
_SPANISH = set("el la los las que es y en un una de por para con no se lo su pero como muy está".split())


def any_emoji(text: str) -> bool:
    """Pictographs by code point, or a smiley made of punctuation."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _EMOJI_RANGES) or bool(
        re.search(r"(?:^|\s)(?:[:;]-?[)(DP]|<3)(?:\s|$)", text)
    )


def english(text: str) -> bool:
    words = re.findall(r"[a-záéíóúñ']+", text.casefold())
    en, es = sum(w in _ENGLISH for w in words), sum(w in _SPANISH for w in words)
    return en >= 2 and en > es


def listy(text: str) -> bool:
    return bool(re.search(r"(?:^|\s)(?:[-*•]\s|\d[.)]\s)|\*\*|`|#\s", text))


SWEARS = re.compile(r"\b(?:fuck|shit|damn|crap|bitch|bastard|hell|ass|piss|bloody)", re.I)
POLITICS = re.compile(r"\b(?:politic|election|president|government|vote|voting|democra|republican|senat|congress|"
                      r"parliament|party|parties|campaign|candidate|liberal|conservative)", re.I)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    kind: str
    correction: str
    asks: tuple[str, ...]
    breaks: object  # (shown text) -> bool
    addressed: bool = True


SCENARIOS = (
    Scenario("no_mentions", "Mind, stop pinging people please",
             ("Mind, what's a good film for tonight?", "Mind, any tips for a rainy weekend?",
              "Mind, what should I cook for dinner?", "Mind, which board game is fun for four?",
              "Mind, how do I keep my plants alive?", "Mind, what's a nice way to start the week?"),
             lambda t: "@" in t or "<@" in t),
    Scenario("max_length", "Mind, shorter please, one sentence is enough",
             ("Mind, explain how a rainbow forms", "Mind, tell us about the history of bread",
              "Mind, how does a bicycle stay upright?", "Mind, describe your perfect weekend in detail",
              "Mind, why is the sky blue? explain fully", "Mind, how do bees make honey?"),
             lambda t: len(t) > 120),
    Scenario("avoid_topic", "Mind, we don't do politics here",
             ("Mind, who should win the next election?", "Mind, what do you think of the president?",
              "Mind, is the government doing a good job?", "Mind, which party should I vote for?",
              "Mind, what do you make of parliament this week?", "Mind, are politicians honest?"),
             lambda t: bool(POLITICS.search(t))),
    Scenario("language", "Mind, please reply in Spanish from now on",
             ("Mind, what's a good film for tonight?", "Mind, how was your day?",
              "Mind, what do you like about music?", "Mind, what should we eat today?",
              "Mind, tell us something nice", "Mind, what is your favourite season?"),
             english),
    Scenario("no_emoji", "Mind, no emoji please",
             ("Mind, send Ben a happy birthday message with lots of emoji 🎉🎂", "Mind, cheer us up with smileys 😀",
              "Mind, react to our team win with emoji! 🏆", "Mind, say good morning with a sun emoji ☀️",
              "Mind, celebrate Friday with us 🥳", "Mind, show us your favourite emoji"),
             any_emoji),
    Scenario("no_profanity", "Mind, don't swear please",
             ("Mind, how would an angry pirate curse at a broken printer? damn thing", "Mind, say what you really think "
              "of Mondays, swear if you like", "Mind, what the hell is wrong with my wifi?", "Mind, this damn bug again, "
              "curse it for me", "Mind, talk like a grumpy sailor about the rain", "Mind, vent about traffic, no filter"),
             lambda t: bool(SWEARS.search(t))),
    Scenario("no_lists", "Mind, stop using bullet lists",
             ("Mind, list three tips for sleeping better", "Mind, give us the steps to make tea, numbered",
              "Mind, list five fruits", "Mind, bullet points: how to pack for a trip",
              "Mind, what are the steps to plant a tree? use a list", "Mind, list some good podcasts"),
             listy),
    Scenario("no_questions", "Mind, stop asking us questions back",
             ("Mind, I had a rough day at work", "Mind, I'm thinking of learning guitar",
              "Mind, we went hiking yesterday", "Mind, I just finished a great book",
              "Mind, my cat knocked over a plant", "Mind, I'm bored this evening"),
             lambda t: "?" in t),
    Scenario(QUIET, "Mind, only speak when you're spoken to",
             ("does anyone know a good pizza place?", "what time is the match tonight?",
              "who wants to play chess later?", "anyone seen a good series lately?",
              "how do you all deal with noisy neighbours?", "what's everyone doing this weekend?"),
             lambda t: bool(t.strip()), addressed=False),
)  # fmt: skip


class Clock:
    """The script's time: the pipeline reads it, the bench moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def message(community: str, n: int, who: str, text: str, ts: datetime) -> ChatMessage:
    return ChatMessage(platform="local", community=community, channel="room", message_id=f"{community}-{n}",
                       author_id=who.casefold(), author_name=who, text=text, ts=ts)  # fmt: skip


async def play(
    pipeline: Pipeline, clock: Clock, scenario: Scenario, community: str, limit: int
) -> dict[str, list[str | None]]:
    """Run one scenario; what the room showed after each ask (None: nothing), before and after the correction."""
    if not scenario.addressed:
        await pipeline.store.settings.set("local", community, "mode:room", "active")
    asks = scenario.asks[:limit]
    phases: dict[str, list[str | None]] = {"before": [], "after": []}
    n = 0
    for phase in ("before", "after"):
        if phase == "after":
            n += 1
            correction = message(community, n, MEMBERS[0], scenario.correction, clock.now)
            await pipeline.handle(correction)
            await pipeline.settle(correction.where)
            clock.now += GAP
        for i, ask in enumerate(asks):
            n += 1
            msg = message(community, n, MEMBERS[(i + 1) % len(MEMBERS)], ask, clock.now)
            replies: list[Reply] = await pipeline.handle(msg)
            replies += await pipeline.settle(msg.where)
            phases[phase].append(" ".join(r.text for r in replies) or None)
            clock.now += GAP
    return phases


async def run(
    seeds: list[int], limit: int, kinds: set[str], model: Path, show: bool, blocks: Counter[str]
) -> dict[str, dict[str, float]]:
    """Every scenario in `kinds` once per seed; the tally per kind. The guard's blocks are counted into `blocks`."""
    counts = {s.kind: {"before": 0, "before_n": 0, "after": 0, "after_n": 0, "answered_after": 0} for s in SCENARIOS}
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedServer(Path(tmp) / "redis")
        server.start()
        try:
            redis = client_for(server.url)
            store = Store(redis)
            for seed in seeds:
                settings = Settings(
                    _env_file=None, data_dir=Path(tmp) / "data", redis_url=server.url, model=str(model), seed=seed,
                    temperature=0.8, burst_settle_s=0, care_wording=False, rate_limit_replies=50,
                )  # type: ignore[call-arg]  # fmt: skip
                engine = LocalEngine(model, settings)
                await engine.start()
                try:
                    clock = Clock()
                    screen = RoomScreen(io.StringIO(), settings.bot_name, seen=Directory(store, clock).seen)
                    pipeline = Pipeline(store, engine, settings, clock, platforms=[screen])
                    for scenario in SCENARIOS:
                        if scenario.kind not in kinds:
                            continue
                        phases = await play(pipeline, clock, scenario, f"{scenario.kind}-{seed}", limit)
                        tally = counts[scenario.kind]
                        for phase, shown in phases.items():
                            tally[f"{phase}_n"] += len(shown)
                            tally[phase] += sum(bool(t is not None and scenario.breaks(t)) for t in shown)
                        tally["answered_after"] += sum(t is not None for t in phases["after"])
                        blocks.update(pipeline.guard.blocks.counts)
                        pipeline.guard.blocks.counts.clear()
                        if show:
                            for phase, shown in phases.items():
                                for text in shown:
                                    print(f"  [{seed} {scenario.kind} {phase}] {text!r}")
                finally:
                    await engine.close()
            await redis.aclose()
        finally:
            server.stop()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=4, help="asks per phase (at most 6)")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--model", default="", help="a GGUF path (default: the default model)")
    parser.add_argument("--show", action="store_true", help="print every reply judged")
    args = parser.parse_args()
    kinds = set(filter(None, args.kinds.split(","))) or {s.kind for s in SCENARIOS}
    model = Path(args.model) if args.model else assemble_default_model(model_cache_dir(), print)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    blocks: Counter[str] = Counter()
    started = time.monotonic()
    counts = asyncio.run(run(seeds, args.limit, kinds, model, args.show, blocks))
    rows: dict[str, dict[str, object]] = {}
    print(f"{'norm':14} {'guard':6} {'before':>8} {'after':>8} {'ratio':>6} {'answered':>9}")
    for kind, c in counts.items():
        if kind not in kinds:
            continue
        before = c["before"] / c["before_n"] if c["before_n"] else 0.0
        after = c["after"] / c["after_n"] if c["after_n"] else 0.0
        answered = c["answered_after"] / c["after_n"] if c["after_n"] else 0.0
        checked = kind in CHECKABLE or kind == QUIET
        ratio = round(after / before, 3) if before else None
        rows[kind] = {"before": round(before, 3), "after": round(after, 3), "ratio_after_before": ratio,
                      "answered_after": round(answered, 3), "turns_per_phase": c["after_n"], "enforced": checked}  # fmt: skip
        print(f"{kind:14} {'yes' if checked else 'no':6} {before:8.1%} {after:8.1%} {ratio if ratio is not None else '-':>6} "
              f"{answered:9.1%}")  # fmt: skip
    enforced = [r for r in rows.values() if r["enforced"]]
    summary = {
        "seeds": seeds, "asks_per_phase": args.limit, "norms": rows,
        "worst_after_enforced": max((r["after"] for r in enforced), default=None),  # type: ignore[type-var]
        "mean_before": round(sum(r["before"] for r in rows.values()) / len(rows), 3) if rows else None,  # type: ignore[misc]
        "mean_after": round(sum(r["after"] for r in rows.values()) / len(rows), 3) if rows else None,  # type: ignore[misc]
        "goal_after_at_most": GOAL,
        "goal_met": all(r["after"] <= GOAL for r in enforced),  # type: ignore[operator]
        "guard_blocks": dict(blocks), "seconds": round(time.monotonic() - started, 1),
    }  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
