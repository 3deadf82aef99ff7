"""Small builders shared by tests."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone
from itertools import count
from typing import Any, AsyncIterator

from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member

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


class SpyPlatform:
    """A `groupmind.platform.Platform` that remembers what the core asked it to deliver."""

    def __init__(self, name: str = "local") -> None:
        self.name = name
        self.sent: list[tuple[ChannelRef, str, str | None]] = []
        """Posts in conversations: where, text, the message answered."""
        self.private: list[tuple[str, str]] = []
        """Private messages and alerts: to whom (member id), text."""

    @property
    def texts(self) -> list[str]:
        return [text for _, text, _ in self.sent]

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        self.sent.append((where, text, reply_to))
        return True

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        return await self.send(where, "".join([chunk async for chunk in chunks]), reply_to=reply_to)

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        yield

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        self.private.append((member.id, text))
        return True

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        self.private.append((contact.id, text))
        return True

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        return False

    async def member(self, community: str, member_id: str) -> Member | None:
        return None
