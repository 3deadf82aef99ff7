"""Small builders shared by tests."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import count
from typing import Any

from groupmind.events import ChatMessage

_ids = count(1)


def msg(author: str = "alice", text: str = "hello", **fields: Any) -> ChatMessage:
    """A local-room ChatMessage; any field can be overridden."""
    values: dict[str, Any] = {
        "platform": "local",
        "community": "test",
        "channel": "general",
        "message_id": f"m{next(_ids)}",
        "author_id": author.casefold(),
        "author_name": author,
        "text": text,
        "ts": datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc),
    }
    values.update(fields)
    return ChatMessage(**values)


class Clock:
    """A clock a test sets by hand (`clock.now = ...`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def store_message(store: Any, we: Any, message: ChatMessage) -> Any:
    """Store `message` the way the pipeline does: the we model notes it (link, profile), the store appends it."""
    noted = await we.note(message)
    await store.append(message, profile=noted.profile, fields=noted.fields, profile_update=noted.profile_update)
    return noted
