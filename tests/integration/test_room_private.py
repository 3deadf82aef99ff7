"""A member who writes to the bot privately first, in the local room: answered privately, never sent to the room.

The model is a fake that streams a fixed reply (`tests.helpers.Scripted`): these
tests judge where the bot's words go, not what a real model would write.
"""

from __future__ import annotations

import io

from adapters.local.room import LocalRoom, RoomClock, RoomScreen
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.ingress import Directory
from groupmind.llm.engine import Engine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.helpers import Scripted

REPLY = "Saturday at noon, by the lake."


async def _room(store: Store, settings: Settings, engine: Engine | None, script: str) -> list[str]:
    """Run `script` through a fresh room; its printed lines."""
    clock = RoomClock()
    out = io.StringIO()
    screen = RoomScreen(out, settings.bot_name, seen=Directory(store).seen)
    room = LocalRoom(Pipeline(store, engine, settings, clock, platforms=[screen]), clock)
    await room.run_script(script.splitlines())
    return out.getvalue().splitlines()


async def test_an_ordinary_private_message_first_is_answered_privately(store: Store, settings: Settings) -> None:
    lines = await _room(store, settings, Scripted(REPLY), "[2026-11-02 12:00] Sam (private): Mind, what's the plan for saturday?")
    said, answer = lines
    assert said == "Sam (private): Mind, what's the plan for saturday?"
    assert answer.startswith("[private to Sam] ") and answer.endswith(REPLY), answer
    room = ChannelRef(platform="local", community="local", channel="room")
    assert await store.stored_count(room) == 0, "nothing of it is in the room's conversation"


async def test_a_private_message_with_a_risk_signal_first_starts_care_in_private(store: Store, settings: Settings) -> None:
    lines = await _room(store, settings, None, "[2026-11-02 12:00] Jo (private): i just want to sleep forever")
    said, *answers = lines
    assert said == "Jo (private): i just want to sleep forever"
    assert answers and all(a.startswith("[private to Jo] ") for a in answers), answers
    assert any("?" in a for a in answers), "care asks directly, privately"
    assert not any("say it in the room" in a for a in lines)


async def test_without_a_model_a_private_message_is_not_pushed_to_the_room(store: Store, settings: Settings) -> None:
    lines = await _room(store, settings, None, "[2026-11-02 12:00] Sam (private): what's the plan for saturday?")
    assert lines == ["Sam (private): what's the plan for saturday?"], "like the room itself, a bot without a model keeps quiet"
