"""Benchmark: when to speak, on labelled rooms: the bot's name as a word or a call, bursts, replies, modes.

Each scenario of bench/data/speak_scenarios.txt is played line by line through
the local room (its clock, its `^` reply syntax) into the real pipeline on a
real Redis (the embedded server), with the bot's name the scenario gives. The
model is a scripted stand-in that answers every turn with a short line on what
was said last, so what is measured is the policy, not a model's wording.

A pause is "spoken" when a bot line reached the room in it. Accuracy is the
share of pauses where the bot spoke exactly when the labels say, per mode
(mention, active); "scenarios" is the share of scenarios with every pause right.
The baseline, measured on the same labels in the same run, is the naive rule:
speak after a burst whose messages use the bot's name as a word (a `^Name`
reply included), whatever the mode.

    PYTHONPATH=. python bench/speak.py [--scenarios FILE]

The failures are listed; the last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

from adapters.local.room import LocalRoom, RoomClock, RoomScreen, parse_line, reply_marker
from bench.scores import agreement
from groupmind.config import Settings
from groupmind.llm.engine import Prompt, Sampling
from groupmind.names import names_in
from groupmind.pipeline import Pipeline
from groupmind.runtime import Core, open_core
from tests.helpers import FakeEngine

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "bench" / "data" / "speak_scenarios.txt"
MODES = ("mention", "active")
_HEADER = re.compile(r"^=== (?P<name>.+?)(?: \(bot: (?P<bot>[^)]+)\))?(?: \[(?P<mode>mention|active|quiet)\])?$")


@dataclass
class Scenario:
    name: str
    mode: str
    bot: str
    lines: list[str] = field(default_factory=list)
    """Room lines, as the room reads them."""
    labels: list[bool] = field(default_factory=list)
    """One per line: should the bot speak in the pause after it."""


def load_scenarios(path: Path = SCENARIOS) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if header := _HEADER.match(raw):
            scenarios.append(Scenario(header["name"], header["mode"] or "mention", header["bot"] or "Mind"))
        elif raw.strip() == ">> speak":
            scenarios[-1].labels[-1] = True
        elif parse_line(raw) is None:
            raise ValueError(f"{path}:{number}: expected 'name: text'")
        else:
            scenarios[-1].lines.append(raw)
            scenarios[-1].labels.append(False)
    return scenarios


class Answers(FakeEngine):
    """A scripted model: one short line on the words of the last turn, different for every turn."""

    async def stream(
        self, prompt: Prompt, *, max_tokens: int, timeout: float, key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:  # fmt: skip
        last = prompt.turns[-1].partition(": ")[2] if prompt.turns else ""
        words = re.findall(r"[a-zA-Z]{4,}", last)[-4:] or ["that"]
        yield f"On {' '.join(words)}: here is one thought, and I am happy to say more."


async def play(core: Core, scenario: Scenario, community: str) -> list[bool]:
    """Whether the bot spoke in each pause of `scenario`, played through the local room."""
    settings = core.settings.model_copy(update={"bot_name": scenario.bot})
    out = io.StringIO()
    screen = RoomScreen(out, scenario.bot, seen=core.directory.seen)
    pipeline = Pipeline(core.store, core.engine, settings, core.clock, platforms=[screen])
    room = LocalRoom(pipeline, core.clock, community=community)  # type: ignore[arg-type]
    await core.store.settings.set("local", community, "mode:room", scenario.mode)

    def said() -> int:
        return sum(line.startswith(f"{scenario.bot}: ") for line in out.getvalue().splitlines())

    spoke = [False] * len(scenario.lines)
    for index, raw in enumerate(scenario.lines):
        before = said()
        line = parse_line(raw)
        assert line is not None
        await room.say(line, echo=False)
        if said() > before and index:
            spoke[index - 1] = True
    before = said()
    await room.fall_silent()
    spoke[-1] = spoke[-1] or said() > before
    return spoke


def baseline(scenario: Scenario) -> list[bool]:
    """The first rule: speak after a burst (lines under 6 s apart) that uses the bot's name as a word
    (a `^Name` reply included), in any mode but quiet."""
    lines = [parse_line(raw) for raw in scenario.lines]
    spoke, calling = [False] * len(lines), False
    clock = RoomClock()
    times = []
    for line in lines:
        assert line is not None
        clock.advance(line.ts)
        times.append(clock())
    for index, line in enumerate(lines):
        assert line is not None
        target, text = reply_marker(line.text)
        calling = calling or names_in(text, scenario.bot) or names_in(target or "", scenario.bot)
        gap_ends = index + 1 == len(lines) or (times[index + 1] - times[index]).total_seconds() >= 6
        if gap_ends:
            spoke[index], calling = calling and scenario.mode != "quiet", False
    return spoke


def measure(scenarios: list[Scenario], spoken: list[list[bool]]) -> dict[str, dict[str, float | int]]:
    """Per mode: pause accuracy, the share of scenarios with every pause right, and the counts."""
    summary: dict[str, dict[str, float | int]] = {}
    for mode in (*MODES, "quiet"):
        pairs = [(s, o) for s, o in zip(scenarios, spoken) if s.mode == mode]
        if not pairs:
            continue
        decided = [d for _, o in pairs for d in o]
        labelled = [label for s, _ in pairs for label in s.labels]
        summary[mode] = {
            "accuracy": round(agreement(decided, labelled), 4),
            "scenarios": round(sum(s.labels == o for s, o in pairs) / len(pairs), 4),
            "pauses": len(labelled),
            "count": len(pairs),
        }
    return summary


def failures(scenarios: list[Scenario], spoken: list[list[bool]]) -> list[str]:
    """Each wrong pause: the scenario, the line before it, and what the bot did."""
    wrong = []
    for scenario, outcome in zip(scenarios, spoken):
        for line, label, did in zip(scenario.lines, scenario.labels, outcome):
            if label != did:
                did_what = "spoke" if did else "stayed silent"
                wrong.append(f"[{scenario.mode}] {scenario.name}: after {line!r} it {did_what}")
    return wrong


async def run_all(core: Core, scenarios: list[Scenario], run: str = "") -> list[list[bool]]:
    return [await play(core, s, f"speak{run}-{n}") for n, s in enumerate(scenarios)]


async def main(path: Path) -> None:
    scenarios = load_scenarios(path)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(_env_file=None, data_dir=Path(data))  # type: ignore[call-arg]
        clock = RoomClock()
        async with open_core(settings, with_model=False, clock=clock) as opened:
            core = Core(opened.store, Answers(), settings, clock)
            spoken = await run_all(core, scenarios)
    base = [baseline(s) for s in scenarios]
    for line in failures(scenarios, spoken):
        print(line)
    ours, theirs = measure(scenarios, spoken), measure(scenarios, base)
    summary = {
        "groupmind": ours,
        "baseline": theirs,
        "ratio": {m: round(ours[m]["accuracy"] / max(theirs[m]["accuracy"], 1e-9), 4) for m in MODES},
        "failures": len(failures(scenarios, spoken)),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS, help="a file of labelled rooms in this format")
    asyncio.run(main(parser.parse_args().scenarios))
