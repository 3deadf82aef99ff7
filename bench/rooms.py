"""Scripted group rooms played through the real pipeline: what the bot said, as shown and in its own words.

Shared by bench/we.py and bench/quality.py. Run as a script it plays the rooms
with whatever groupmind is first on PYTHONPATH and writes the outcomes as JSON,
which is how bench/quality.py measures the code of another commit in the same
run: this file imports only what every version of groupmind has (the pipeline,
the store's window, the local room's script parser), and scores nothing itself.

    PYTHONPATH=<tree> python bench/rooms.py --out outcomes.json [--limit N] [--max-tokens 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.local.room import RoomClock, parse_line
from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline
from groupmind.runtime import open_pipeline

DATA = Path(__file__).resolve().parent / "data"
FILES = (DATA / "quality_scenarios.txt", DATA / "we_scenarios.txt")
_HEADER = re.compile(r"^=== (?P<name>.+?)(?: \[(?P<mode>mention|active|quiet)\])?$")


@dataclass
class Scenario:
    name: str
    mode: str
    messages: list[ChatMessage] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    """One per message: should the bot speak in the pause after it."""


@dataclass
class Said:
    """One reply: after which message, in the bot's own words (as stored), and as shown (with `@` leads)."""

    index: int
    own: str
    shown: str


@dataclass
class Outcome:
    spoke: list[bool]
    replies: list[Said] = field(default_factory=list)


def load_scenarios(path: Path, first: int = 0) -> list[Scenario]:
    """The scenarios of one file; `first` numbers their communities on from earlier files."""
    scenarios: list[Scenario] = []
    clock = RoomClock()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if header := _HEADER.match(raw):
            scenarios.append(Scenario(header["name"], header["mode"] or "mention"))
            continue
        current = scenarios[-1]
        if raw.strip() == ">> speak":
            current.labels[-1] = True
            continue
        line = parse_line(raw)
        if line is None:
            raise ValueError(f"{path}:{number}: expected 'name: text'")
        clock.advance(line.ts)
        room = f"s{first + len(scenarios)}"
        current.messages.append(
            ChatMessage(
                platform="bench", community=room, channel="room", message_id=f"{room}-{len(current.messages)}",
                author_id=line.name.casefold(), author_name=line.name, text=line.text, ts=clock(),
            )
        )  # fmt: skip
        current.labels.append(False)
    return scenarios


def all_scenarios(limit: int | None = None) -> list[Scenario]:
    """Every scenario of `FILES`, in order, the first `limit` of them."""
    scenarios: list[Scenario] = []
    for path in FILES:
        scenarios += load_scenarios(path, first=len(scenarios))
    return scenarios[:limit]


async def play(pipeline: Pipeline, scenario: Scenario) -> Outcome:
    """Play one room through the pipeline; each reply is read back from the store for the bot's own words."""
    first = scenario.messages[0]
    await pipeline.store.settings.set(first.platform, first.community, "mode:room", scenario.mode)
    out = Outcome([False] * len(scenario.messages))

    async def note(index: int, replies: list) -> None:  # type: ignore[type-arg]
        if not replies:
            return
        stored = [m for m in await pipeline.store.window(first.where, 50) if m.author_is_bot]
        for reply, own in zip(replies, stored[-len(replies) :]):
            out.spoke[index] = True
            out.replies.append(Said(index, own.text, reply.text))

    for index, msg in enumerate(scenario.messages):
        await note(index - 1, await pipeline.handle(msg))
    last = scenario.messages[-1]
    quiet = last.ts + max(pipeline.rules.settle, pipeline.rules.question_pause) + timedelta(seconds=1)
    await note(len(scenario.messages) - 1, await pipeline.tick(last.where, quiet))
    return out


def bench_settings(data: Path, max_tokens: int) -> Settings:
    """The configured model and settings, made repeatable: greedy first tries, a fixed seed, a fresh data
    dir, and time enough that a busy machine slows the run rather than silencing the bot."""
    return Settings(data_dir=data, temperature=0.0, seed=7, max_reply_tokens=max_tokens, reply_timeout_s=600)  # type: ignore[call-arg]


async def main(out: Path, limit: int | None, max_tokens: int) -> None:
    scenarios = all_scenarios(limit)
    with tempfile.TemporaryDirectory() as data:
        settings = bench_settings(Path(data), max_tokens)
        async with open_pipeline(settings, clock=lambda: scenarios[0].messages[0].ts) as pipeline:
            model = pipeline.engine.name if pipeline.engine else "none"
            played = [await play(pipeline, s) for s in scenarios]
    rooms = [{"name": s.name, **asdict(o)} for s, o in zip(scenarios, played)]
    out.write_text(json.dumps({"model": model, "rooms": rooms}), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where the outcomes go, as JSON")
    parser.add_argument("--limit", type=int, default=None, help="play only the first N scenarios")
    parser.add_argument("--max-tokens", type=int, default=48, help="tokens per generated reply")
    args = parser.parse_args()
    asyncio.run(main(args.out, args.limit, args.max_tokens))
