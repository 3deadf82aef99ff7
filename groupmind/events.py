"""Plain data that crosses a boundary: adapters build these, the core consumes them.

Validation happens here, once, so the core can trust what it receives: text is
sanitised (control characters, invalid UTF-8) and oversized text is truncated
with a visible marker instead of being refused, so nothing a member said is lost
silently.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_TEXT_CHARS = 8_000
"""Longest text stored for one message; the rest is replaced by a marker."""

# Control characters (Unicode category Cc) but newline and tab, and the bidirectional
# overrides, which can make a stored line read differently from what it is.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# Terminal escape sequences, dropped whole so no fragment acts: CSI (cursor moves, clearing),
# OSC (window titles, links) up to BEL or ST, DCS/SOS/PM/APC strings, the other
# two-character escapes, and their one-byte C1 forms.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\)"
    r"|\x1b[ -/]*[0-~]"
)


def terminal_safe(text: str) -> str:
    """`text` as a terminal may show it: escape sequences and every control character but
    newline and tab removed (so no carriage return or backspace overwrites), and the bidi
    controls that would reorder what a reader sees."""
    return _UNWANTED.sub("", _ESCAPE.sub("", text))


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


EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
"""The span a timestamp from outside (a script line, a chat log) may fall in.

Before 1970 epoch seconds go negative, and activity counters assume they do
not; near datetime's limits (years 1 and 9999) the date arithmetic the core
does from a message's time (a follow-up a day later, a week of quiet) overflows.
"""


def ts_problem(ts: datetime) -> str | None:
    """Why `ts` cannot be the time of a message from outside, or None when it can."""
    if EARLIEST <= ts < LATEST:
        return None
    return f"{ts.isoformat(sep=' ')} is outside {EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d}"


MAX_ID_CHARS = 128
MAX_DISPLAY_NAME = 128
# Characters that show as nothing (zero width, fillers that render blank, invisible
# operators); zero-width joiners, non-joiners and variation selectors stay, since
# emoji and several scripts need them. Bidi controls go with the control characters.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u2060-\u2064\u2800\u3164\ufeff\uffa0]"
)


def clean_name(raw: str | bytes) -> str:
    """A display name as one visible line: controls and invisible characters dropped,
    whitespace folded, long names cut with a visible "…"; "?" when nothing visible is left.

    Never refuses: a message is never lost because of who sent it.
    """
    name = " ".join(_INVISIBLE.sub("", sanitize_text(raw)).split())
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in name):
        return "?"
    return name if len(name) <= MAX_DISPLAY_NAME else name[: MAX_DISPLAY_NAME - 1] + "…"


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

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    display_name: str = Field(min_length=1, max_length=MAX_DISPLAY_NAME)
    is_bot: bool = False

    @field_validator("display_name", mode="before")
    @classmethod
    def _clean_name(cls, value: Any) -> Any:
        return clean_name(value) if isinstance(value, (str, bytes)) else value


class ChatMessage(_Frozen):
    """One message said in a channel, as every adapter reports it."""

    platform: str = Field(min_length=1, max_length=32)
    community: str = Field(min_length=1, max_length=128)
    channel: str = Field(min_length=1, max_length=128)
    thread: str | None = Field(None, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    author_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    author_name: str = Field(min_length=1, max_length=MAX_DISPLAY_NAME)
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


MAX_EMOJI_CHARS = 64


class Reaction(_Frozen):
    """A member's reaction on a message, as every adapter reports it (Discord reactions, Slack `reaction_added`).

    `on_bot` says the message reacted to is the bot's own, and `text` is that message's text as the
    adapter has it: the core reads feedback about the bot from the two together.
    """

    platform: str = Field(min_length=1, max_length=32)
    community: str = Field(min_length=1, max_length=128)
    channel: str = Field(min_length=1, max_length=128)
    thread: str | None = Field(None, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    """The message reacted to."""
    member_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    member_is_bot: bool = False
    emoji: str = Field(min_length=1, max_length=MAX_EMOJI_CHARS)
    """A unicode emoji, or a name as Slack gives it (`thumbsdown`, `-1`)."""
    on_bot: bool = False
    text: str = ""
    ts: datetime = Field(default_factory=utcnow)

    @field_validator("text", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return ChatMessage._clean_text(value)

    @field_validator("emoji", mode="before")
    @classmethod
    def _clean_emoji(cls, value: Any) -> Any:
        return sanitize_text(value).strip() if isinstance(value, (str, bytes)) else value

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return ChatMessage._aware(value)


class Reply(_Frozen):
    """Something the bot says, for an adapter to deliver."""

    where: ChannelRef
    text: str = Field(min_length=1)
    reply_to: str | None = None


MAX_ARGS = 32
MAX_ARG_CHARS = 2_000
MAX_NAME_CHARS = 64


class AdminCommand(_Frozen):
    """A slash command, translated by an adapter: who asked, where, and what.

    `invoker_is_admin` comes from the platform's own permission model (Discord's
    Manage Server, Slack's workspace admins, the local room's `--admin`), so the
    core never guesses who may change settings.
    """

    where: ChannelRef
    invoker: Member
    invoker_is_admin: bool = False
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    args: tuple[str, ...] = Field((), max_length=MAX_ARGS)

    @field_validator("args", mode="before")
    @classmethod
    def _clean_args(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(
                truncate_text(sanitize_text(arg), MAX_ARG_CHARS) if isinstance(arg, (str, bytes)) else arg
                for arg in value
            )
        return value

    @property
    def platform(self) -> str:
        return self.where.platform

    @property
    def community(self) -> str:
        return self.where.community


class CommandFile(_Frozen):
    """A file a command hands back (an export), for the adapter to upload."""

    name: str = Field(min_length=1, max_length=128)
    content: str | bytes

    @property
    def data(self) -> bytes:
        """The content as bytes, for writing or uploading."""
        return self.content.encode("utf-8") if isinstance(self.content, str) else self.content


class CommandResult(_Frozen):
    """What a command answers; `private` means only the invoker may see it."""

    ok: bool
    text: str
    file: CommandFile | None = None
    private: bool = False


_ALERT_QUOTE_CHARS = {"excerpt": 400, "bot_said": 1_500}
AlertState = Literal["open", "acknowledged", "resolved"]
Urgency = Literal["low", "medium", "high", "imminent"]


class CareAlert(_Frozen):
    """A private alert for the community's care contacts about one member.

    It says who, where, why (the signal and a short excerpt), how urgent, and
    what the bot already said; admins acknowledge and resolve it.
    """

    id: str = Field(min_length=1, max_length=32)
    member: Member
    where: ChannelRef
    link: str | None = Field(None, max_length=512)
    why: str = Field(min_length=1, max_length=128)
    excerpt: str = ""
    urgency: Urgency = "medium"
    bot_said: str = ""
    state: AlertState = "open"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    notes: tuple[str, ...] = ()
    handled_by: tuple[str, ...] = ()
    """The member id behind each of `notes`, line for line: forget-me finds their lines whatever their name now."""
    reminders: int = Field(0, ge=0)
    """Reminders the care contacts got while it stayed open; kept with the alert, so a restart does not reset it."""
    admins_told_at: datetime | None = None
    """When the admins were told that the last reminder went unanswered too (once; reminders stop then)."""

    @field_validator("excerpt", "bot_said", mode="before")
    @classmethod
    def _clean_quote(cls, value: Any, info: ValidationInfo) -> Any:
        # An alert quotes, it does not archive: keep it short enough to read at a glance.
        if isinstance(value, (str, bytes)):
            return truncate_text(sanitize_text(value), _ALERT_QUOTE_CHARS[info.field_name])
        return value
