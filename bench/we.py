"""Benchmark: groupmind's we model against a naive bot, on scripted multi-party rooms.

Each scenario of bench/data/we_scenarios.txt is played through the real pipeline
(real Redis, the real default model) and through a naive baseline: the same model
given only the last message, answering whenever it is named, at once. Both are
measured in the same run: mean mirror index, attention balance (mean Gini of whom
the replies address, per scenario over the members who had spoken by each reply;
a reply addresses the members it names in its own words, else the author of the
last message: the `@` leads the pipeline adds are not the model's choice and are
not counted) and when-to-speak accuracy
against the labels. Reply-to F1 on the #ubuntu annotation comes last.

    PYTHONPATH=. python bench/we.py [--max-tokens 24]

The last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from pathlib import Path
from statistics import mean

from groupmind.config import Settings
from groupmind.prompt import build_prompt, clean_reply, speaker_label
from groupmind.runtime import open_pipeline
from groupmind.pipeline import Pipeline
from groupmind.speak import names_bot
from bench.annotation import score_logs
from bench.rooms import Outcome, Said, Scenario, load_scenarios, play
from bench.scores import agreement, gini
from groupmind.we.mirror import mirror_index

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "bench" / "data" / "we_scenarios.txt"
IRC_DEV = ROOT.parent / "shared" / "data" / "ubuntu-irc" / "dev"


async def run_baseline(pipeline: Pipeline, scenario: Scenario) -> Outcome:
    """A naive bot: named → answers at once, seeing only that message."""
    assert pipeline.engine is not None
    bot = pipeline.settings.bot_name
    out = Outcome([False] * len(scenario.messages))
    for index, msg in enumerate(scenario.messages):
        if not names_bot(msg.text, bot):
            continue
        prompt = build_prompt(bot, [msg], channel=msg.channel, budget_chars=4000)
        pieces = [
            piece
            async for piece in pipeline.engine.stream(
                prompt, max_tokens=pipeline.settings.max_reply_tokens, timeout=pipeline.settings.reply_timeout_s
            )
        ]
        text = clean_reply("".join(pieces), {speaker_label(msg, bot)}, bot, pipeline.settings.max_reply_chars)
        out.spoke[index] = True
        if text:
            out.replies.append(Said(index, text, text))
    return out


def measure(scenarios: list[Scenario], outcomes: list[Outcome], bot: str) -> dict[str, float]:
    mirrors, ginis, decided, labelled = [], [], [], []
    for scenario, outcome in zip(scenarios, outcomes):
        decided += outcome.spoke
        labelled += scenario.labels
        names = {m.author_name for m in scenario.messages} | {bot}
        counts: dict[str, int] = {}
        active: set[str] = set()
        for said in outcome.replies:
            index, text = said.index, said.own
            seen = scenario.messages[: index + 1]
            active |= {m.author_id for m in seen}
            last = seen[-1]
            others = {m.author_id: m.text for m in seen if m.author_id != last.author_id}
            mirrors.append(mirror_index(text, last.text, list(others.values()), names))
            named = [m.author_id for m in seen if re.search(rf"(?<!\w){re.escape(m.author_name)}(?!\w)", text, re.I)]
            for member in set(named) or {last.author_id}:
                counts[member] = counts.get(member, 0) + 1
        if outcome.replies:
            ginis.append(gini(counts, active))
    return {
        "mirror": round(mean(mirrors), 4) if mirrors else 0.0,
        "gini": round(mean(ginis), 4) if ginis else 0.0,
        "speak_accuracy": round(agreement(decided, labelled), 4),
    }


async def main(max_tokens: int) -> None:
    scenarios = load_scenarios(SCENARIOS)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            _env_file=None, data_dir=Path(data), temperature=0.0, seed=7, max_reply_tokens=max_tokens,  # type: ignore[call-arg]
        )
        async with open_pipeline(settings, clock=lambda: scenarios[0].messages[0].ts) as pipeline:
            ours = [await play(pipeline, s) for s in scenarios]
            base = [await run_baseline(pipeline, s) for s in scenarios]
    for scenario, o, b in zip(scenarios, ours, base):
        print(f"{scenario.name}: labels {_marks(scenario.labels)} groupmind {_marks(o.spoke)} baseline {_marks(b.spoke)}")
        for said in o.replies:
            print(f"   groupmind after {scenario.messages[said.index].author_name}: {said.shown}")
        for said in b.replies:
            print(f"   baseline  after {scenario.messages[said.index].author_name}: {said.shown}")
    summary: dict[str, object] = {
        "groupmind": measure(scenarios, ours, settings.bot_name),
        "baseline": measure(scenarios, base, settings.bot_name),
    }
    raws = sorted(IRC_DEV.glob("*.raw.txt"))
    if raws:
        linked, previous = score_logs(raws)
        print(f"reply-to on {len(raws)} #ubuntu logs: groupmind {linked.as_dict()} baseline {previous.as_dict()}")
        summary |= {"reply_to_f1": round(linked.f1, 4), "reply_to_baseline_f1": round(previous.f1, 4)}
    else:
        print(f"reply-to skipped: {IRC_DEV} is absent", file=sys.stderr)
        summary |= {"reply_to_f1": None, "reply_to_baseline_f1": None}
    print(json.dumps(summary))


def _marks(flags: list[bool]) -> str:
    return "".join("S" if flag else "." for flag in flags)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=24, help="tokens per generated reply")
    asyncio.run(main(parser.parse_args().max_tokens))
