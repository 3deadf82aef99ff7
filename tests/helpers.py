"""Small builders shared by tests."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone
from itertools import count
from typing import Iterable, Any, AsyncIterator

from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member
from groupmind.llm.engine import Engine, GenerationTimeout, Prompt, Sampling

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


class SpyPlatform:
    """A `groupmind.platform.Platform` that remembers what the core asked it to deliver.

    Members listed in `unreachable` cannot be reached privately (closed DMs, left).
    With `knows_admins` it reaches the admins, as the local room does; without, it cannot, as Discord and Slack.
    """

    def __init__(self, name: str = "local", *, unreachable: Iterable[str] = (), knows_admins: bool = False) -> None:
        self.name = name
        self.unreachable = set(unreachable)
        self.knows_admins = knows_admins
        self.to_admin: list[str] = []
        """Every text delivered to the admins."""
        self.sent: list[tuple[ChannelRef, str, str | None]] = []
        """Posts in conversations: where, text, the message answered."""
        self.private: list[tuple[str, str]] = []
        self.called: dict[str, str] = {}
        """The display name each member was last reached privately by."""
        """(member id, text) of every private message delivered."""
        self.alerts: list[tuple[str, CareAlert, str]] = []
        """(contact id, alert, text) of every alert delivered."""

    @property
    def texts(self) -> list[str]:
        return [text for _, text, _ in self.sent]

    def said_to(self, member_id: str) -> list[str]:
        return [text for who, text in self.private if who == member_id]

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        self.sent.append((where, text, reply_to))
        return True

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        return await self.send(where, "".join([chunk async for chunk in chunks]), reply_to=reply_to)

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        yield

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        if member.id in self.unreachable:
            return False
        self.private.append((member.id, text))
        self.called[member.id] = member.display_name
        return True

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        if contact.id in self.unreachable:
            return False
        self.alerts.append((contact.id, alert, text))
        return True

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        if self.knows_admins:
            self.to_admin.append(text)
        return self.knows_admins

    async def member(self, community: str, member_id: str) -> Member | None:
        return None


class FakeEngine(Engine):
    """What every scripted stand-in for the model shares: always ready, nothing to start or close."""

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class Scripted(FakeEngine):
    """A fake model that always streams `reply`, word by word (or times out with None): for tests that vary
    what the model says, not whether it can say it."""

    def __init__(self, reply: str | None) -> None:
        self.reply = reply

    async def stream(
        self, prompt: Prompt, *, max_tokens: int, timeout: float, key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:  # fmt: skip
        if self.reply is None:
            raise GenerationTimeout("no reply within 1s")
        for word in self.reply.split(" "):
            yield word + " "
