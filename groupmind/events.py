"""Plain data that crosses a boundary: adapters build these, the core consumes them.

Validation happens here, once, so the core can trust what it receives: text is
sanitised (control characters, invalid UTF-8) and oversized text is truncated
with a visible marker instead of being refused, so nothing a member said is lost
silently.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT_CHARS = 8_000
"""Longest text stored for one message; the rest is replaced by a marker."""

# Control characters (Unicode category Cc) but newline and tab, and the bidirectional
# overrides, which can make a stored line read differently from what it is.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize_text(raw: str | bytes) -> str:
    """Return printable text: invalid UTF-8 replaced, control characters dropped."""
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="replace")
    else:
        # Lone surrogates (from surrogateescape decoding) cannot be encoded again.
        text = raw.encode("utf-8", errors="replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", text)


def truncate_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Cut `text` to `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    marker = f" […truncated {len(text) - limit:,} characters]"
    return text[:limit] + marker


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChannelRef(_Frozen):
    """Where a message lives. A thread is its own conversation."""

    platform: str = Field(min_length=1, max_length=32)
    community: str = Field(min_length=1, max_length=128)
    channel: str = Field(min_length=1, max_length=128)
    thread: str | None = Field(None, max_length=128)

    @property
    def conversation(self) -> str:
        """The channel, or channel/thread: the unit that has one transcript."""
        return f"{self.channel}/{self.thread}" if self.thread else self.channel


class Member(_Frozen):
    """A person (or bot) in a community."""

    id: str = Field(min_length=1, max_length=128)
    display_name: str = Field(min_length=1, max_length=128)
    is_bot: bool = False

    @field_validator("display_name", mode="before")
    @classmethod
    def _clean_name(cls, value: Any) -> Any:
        if isinstance(value, (str, bytes)):
            return " ".join(sanitize_text(value).split())[:128] or "?"
        return value


class ChatMessage(_Frozen):
    """One message said in a channel, as every adapter reports it."""

    platform: str = Field(min_length=1, max_length=32)
    community: str = Field(min_length=1, max_length=128)
    channel: str = Field(min_length=1, max_length=128)
    thread: str | None = Field(None, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    author_id: str = Field(min_length=1, max_length=128)
    author_name: str = Field(min_length=1, max_length=128)
    author_is_bot: bool = False
    text: str = ""
    mentions: tuple[str, ...] = ()
    mentions_bot: bool = False
    reply_to: str | None = Field(None, max_length=128)
    reply_to_bot: bool = False
    ts: datetime = Field(default_factory=utcnow)

    @field_validator("text", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        if isinstance(value, (str, bytes)):
            return truncate_text(sanitize_text(value))
        return value

    @field_validator("author_name", mode="before")
    @classmethod
    def _clean_author(cls, value: Any) -> Any:
        return Member._clean_name(value)

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @property
    def where(self) -> ChannelRef:
        return ChannelRef(
            platform=self.platform, community=self.community, channel=self.channel, thread=self.thread
        )

    @property
    def author(self) -> Member:
        return Member(id=self.author_id, display_name=self.author_name, is_bot=self.author_is_bot)

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


class Reply(_Frozen):
    """Something the bot says, for an adapter to deliver."""

    where: ChannelRef
    text: str = Field(min_length=1)
    reply_to: str | None = None
