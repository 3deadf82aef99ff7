"""`groupmind room --explain`: every decision of a script shows as a `[why]` line."""

from __future__ import annotations

import io

from adapters.local.room import LocalRoom, RoomClock, RoomScreen
from groupmind.config import Settings
from groupmind.ingress import Directory
from groupmind.pipeline import Pipeline
from groupmind.store import Store


async def test_script_shows_why_and_settles_at_the_end(store: Store, settings: Settings) -> None:
    clock = RoomClock()
    out = io.StringIO()
    screen = RoomScreen(out, settings.bot_name, seen=Directory(store).seen)
    room = LocalRoom(Pipeline(store, None, settings, clock, screen.why, platforms=[screen]), clock)
    await room.run_script(["[2026-01-05 10:00] Ana: Mind, any idea for dinner?\n", "Ben: pasta?\n"])
    assert out.getvalue().splitlines() == [
        "Ana: Mind, any idea for dinner?",
        "[why] named by Ana; waiting for the burst to settle",
        "Ben: pasta?",
        "[why] mid-burst: last message 1s ago",
        "[why] the room is still talking; the call waits for a pause",
        "[why] named by Ana; the burst settled",
    ]
