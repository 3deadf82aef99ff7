"""When to speak, on the labelled rooms of bench/data/speak_scenarios.txt, through the real room and pipeline.

Each scenario is played through the local room (its clock, its `^` replies) into the
pipeline on the real Redis; the model is the bench's scripted stand-in (`bench.speak.Answers`),
since what is judged is when a line reaches the room, not its wording.
"""

from __future__ import annotations

import io

from adapters.local.room import LocalRoom, RoomClock, RoomScreen, parse_line
from bench.speak import MODES, Answers, failures, load_scenarios, measure, run_all
from groupmind.config import Settings
from groupmind.pipeline import Pipeline
from groupmind.runtime import Core
from groupmind.store import Store

BAR = 0.9


async def test_at_least_nine_in_ten_pauses_right_in_each_mode(store: Store, settings: Settings) -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 60
    for mode in MODES:
        labels = [label for s in scenarios if s.mode == mode for label in s.labels]
        assert any(labels) and not all(labels), f"{mode}: both speak and silent pauses are labelled"
    assert len({s.bot for s in scenarios}) >= 4, "several bot names, most of them English words"
    clock = RoomClock()
    spoken = await run_all(Core(store, Answers(), settings, clock), scenarios)
    summary = measure(scenarios, spoken)
    wrong = "\n".join(failures(scenarios, spoken))
    for mode in MODES:
        assert summary[mode]["accuracy"] >= BAR, f"{mode}: {summary[mode]}\n{wrong}"


async def test_a_reply_line_in_the_room_reaches_the_core_as_a_reply(store: Store, settings: Settings) -> None:
    clock = RoomClock()
    out = io.StringIO()
    screen = RoomScreen(out, "Sage", seen=Core(store, None, settings, clock).directory.seen)
    sage = settings.model_copy(update={"bot_name": "Sage", "burst_settle_s": 6})
    room = LocalRoom(Pipeline(store, Answers(), sage, clock, platforms=[screen]), clock)
    for raw in (
        "[2026-05-01 10:00] ana: Sage, a herb for pork?",
        "[2026-05-01 10:05] ana: ^ and for fish",  # the bot's answer came due first: it is the line above
        "[2026-05-01 10:06] ben: ^ana dill",
        "[2026-05-01 10:07] cleo: ^Sage and for squash?",
        "[2026-05-01 10:08] dan: ^nobody hello",
    ):
        line = parse_line(raw)
        assert line is not None
        await room.say(line, echo=True)
    stored = [m for m in await store.window(room.where, 20) if not m.author_is_bot]
    by_author = {m.author_id: m for m in stored}
    assert [m.text for m in stored] == ["Sage, a herb for pork?", "and for fish", "dill", "and for squash?", "hello"]
    pork, fish = stored[0], stored[1]
    assert not pork.reply_to_bot and pork.reply_to is None
    assert fish.reply_to_bot, "the line above was the bot's"
    assert by_author["ben"].reply_to == fish.message_id and not by_author["ben"].reply_to_bot
    assert by_author["cleo"].reply_to_bot
    assert by_author["dan"].reply_to is None and not by_author["dan"].reply_to_bot
    printed = out.getvalue().splitlines()
    assert printed.index("ana: and for fish") == printed.index(next(p for p in printed if p.startswith("Sage: "))) + 1
