"""Every route out of the local room is terminal-safe, the bot's own streamed text included.

The subprocess battery (tests/hostile/test_input.py) cannot make the model emit
escape sequences; here the room's sinks get them directly, as the pipeline,
the care courier and the admin commands would hand them over.
"""

from __future__ import annotations

import io

from typing import AsyncIterator

from adapters.local.room import PLATFORM, LocalRoom, RoomClock, RoomScreen
from groupmind.config import Settings
from groupmind.events import CareAlert, CommandResult, Member
from groupmind.ingress import Directory
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.helpers import msg

HOSTILE = "a\x1b[2J\x1b]0;title\x07b\rc\x08d\u202ee\x9b1m\x00"


async def test_every_line_the_room_prints_is_cleaned(store: Store, settings: Settings) -> None:
    clock = RoomClock()
    out = io.StringIO()
    screen = RoomScreen(out, settings.bot_name, seen=Directory(store).seen)
    room = LocalRoom(Pipeline(store, None, settings, clock, screen.why, platforms=[screen]), clock)
    await store.append(msg(author="dana", platform=PLATFORM, community=room.community, channel=room.channel))

    async def pieces() -> AsyncIterator[str]:  # the bot's reply, as a platform is handed it
        yield HOSTILE
        yield "\x1b"  # an escape split across two pieces never joins up
        yield "[2J"

    await screen.stream(room.where, pieces())
    await screen.to_member(room.where, Member(id="bob", display_name="bob"), HOSTILE + "\nMind: second line")
    assert room.pipeline.explain is not None
    room.pipeline.explain(HOSTILE)
    alert = CareAlert(id="1", member=Member(id="bob", display_name="bob"), where=room.where, why="test")
    assert await screen.to_contact(alert, Member(id="dana", display_name="dana"), HOSTILE)
    room._print_result(CommandResult(ok=True, text=f"{HOSTILE}\n{HOSTILE}", private=True), "bob")
    # A carriage return in a prefixed text is a line break, and the new line carries the prefix too.
    assert out.getvalue().splitlines() == [
        "Mind: abcde[2J",
        "[private to bob] ab", "[private to bob] cde", "[private to bob] Mind: second line",
        "[why] ab", "[why] cde",
        "[care-alert] to dana: ab", "[care-alert] to dana: cde",
        "[private to bob] ab", "[private to bob] cde", "[private to bob] ab", "[private to bob] cde",
    ]  # fmt: skip
