"""When the bot speaks, and why: every decision carries its reason.

The rules, in order:

- quiet mode: never; a bot's own message or an empty one: never;
- addressed (mention, reply to the bot, its name): always, once the burst settles,
  unless the one who called takes it back first ("never mind, found it");
- mention mode: nothing else;
- active mode: an open question to the room that nobody took up after a pause,
  or a member the room talked past;
- never mid-burst: a reply is pending until no one has spoken for `settle`
  seconds, then one message answers the whole burst; in mention mode, where
  only a call makes a reply pending, the messages after the call extend it;
- a per-conversation rate limit caps replies in a sliding window.

Chat is event-driven, so a pending reply is checked when the next message
arrives (was it due before this one?) and on `Pipeline.tick(now)`. The model
may still decline by saying nothing.

Pure policy: the pending reply and the reply times live in the store
(`groupmind.store.pending`); the pipeline reads them and asks here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Collection, Protocol, Sequence

from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.names import is_own, names_in
from groupmind.vocative import calls
from groupmind.we.group import Group


@dataclass(frozen=True)
class Decision:
    """Whether to speak, and why. `wait` means: not now, look again later."""

    speak: bool
    reason: str
    wait: bool = False
    withdrawn: bool = False
    """The one who called took it back ("never mind"): the waiting reply is dropped."""


@dataclass(frozen=True)
class Rules:
    """The timing rules, from Settings."""

    settle: timedelta
    question_pause: timedelta
    max_replies: int
    rate_window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            settle=timedelta(seconds=settings.burst_settle_s),
            question_pause=timedelta(seconds=settings.question_pause_s),
            max_replies=settings.rate_limit_replies,
            rate_window=timedelta(seconds=settings.rate_limit_window_s),
        )


class Pending(Protocol):
    """A reply the bot is waiting to give: the burst so far (kept by the store's `PendingRepo`)."""

    @property
    def last_ts(self) -> datetime: ...

    @property
    def addressed(self) -> str:
        """Why it was addressed ("mentioned by Ana"), or "" when it only watches the room."""
        ...


def names_bot(text: str, bot_name: str) -> bool:
    """True if `text` uses the bot's name as a word, in any form that reads as it ("Mind," and
    "𝐌𝐢𝐧𝐝," yes; "mindful" no), called or not ("never mind" too): see `addressed` for a call."""
    return names_in(text, bot_name)


def addressed(msg: ChatMessage, bot_name: str) -> str:
    """How `msg` addresses the bot, or "" if it does not: a mention, a reply to its message, or its
    name used to call it (`groupmind.vocative`: "Mind, ..." does, "never mind" does not)."""
    if msg.mentions_bot:
        return f"mentioned by {msg.author_name}"
    if msg.reply_to_bot:
        return f"{msg.author_name} replied to the bot"
    if calls(msg.text, bot_name):
        return f"named by {msg.author_name}"
    return ""


def answers_bot(msg: ChatMessage, before: Sequence[ChatMessage], parent: Sequence[ChatMessage], bot_name: str) -> bool:
    """True when `msg` replies to the bot though its platform did not say so.

    It does when its `reply_to` is a message the bot wrote, or when it is the next word in a
    thread after the bot's: `before` is its conversation so far; for the first message of a
    thread, `parent` is the channel's, where the bot's answer that opened the thread is kept
    (Slack answers a channel message in a new thread on it, so a member's answer there
    names no parent of the bot's).
    """
    if msg.reply_to and any(m.message_id == msg.reply_to and is_own(m, bot_name) for m in before):
        return True
    if msg.thread is None:
        return False
    if before:
        return is_own(before[-1], bot_name)
    return any(is_own(m, bot_name) and m.reply_to == msg.thread for m in parent)


_WITHDRAW = re.compile(
    r"^\W*(?:oh\W+|ok\W+|ah\W+)?(?:never\s*mind|nvm|forget (?:it|that)|scratch that|ignore (?:me|that))\b", re.I
)


def withdraws(text: str) -> bool:
    """True when `text` takes back what its author asked ("never mind, found it", "nvm", "forget it")."""
    return _WITHDRAW.match(text) is not None


def on_message(msg: ChatMessage, bot_name: str, mode: str, callers: Collection[str] = ()) -> Decision:
    """What a new message means for the bot: nothing, or a reply to give once the burst settles.

    `callers` are the members whose call the pending reply answers. In mention mode, while a
    call waits, every message extends the wait as in active mode, so a member's burst (and
    the room's talk around it) is answered once, after a pause.
    """
    if msg.author_is_bot:
        return Decision(False, "a bot wrote it")
    if msg.is_blank:
        return Decision(False, "empty message")
    if mode == "quiet":
        return Decision(False, "quiet mode: the bot says nothing here")
    if why := addressed(msg, bot_name):
        return Decision(False, f"{why}; waiting for the burst to settle", wait=True)
    if set(callers) == {msg.author_id} and withdraws(msg.text):
        return Decision(False, f"{msg.author_name} took the call back", withdrawn=True)
    if mode == "active":
        return Decision(False, "active mode: listening until the burst settles", wait=True)
    if msg.author_id in callers:
        return Decision(False, f"{msg.author_name} is still talking; waiting for them to pause", wait=True)
    if callers:
        return Decision(False, "the room is still talking; the call waits for a pause", wait=True)
    return Decision(False, "mention mode: not addressed")


def when_due(
    pending: Pending, group: Group, mode: str, now: datetime, recent_replies: int, rules: Rules
) -> Decision:
    """Whether the pending reply is due at `now`; `wait` keeps it pending."""
    quiet_for = now - pending.last_ts
    if quiet_for < rules.settle:
        return Decision(False, f"mid-burst: last message {quiet_for.total_seconds():.0f}s ago", wait=True)
    if mode == "quiet":
        return Decision(False, "quiet mode: the bot says nothing here")
    if recent_replies >= rules.max_replies:
        window = rules.rate_window.total_seconds()
        return Decision(False, f"rate limit: {recent_replies} replies in the last {window:.0f}s")
    if pending.addressed:
        return Decision(True, f"{pending.addressed}; the burst settled")
    if mode != "active":
        return Decision(False, "mention mode: not addressed")
    if group.open_questions:
        question = group.open_questions[0]
        waited = now - question.ts
        if waited >= rules.question_pause:
            return Decision(True, f"{question.author}'s question to the room is unanswered after {waited.total_seconds():.0f}s")
        return Decision(False, f"{question.author} asked the room; giving people time to answer", wait=True)
    if group.left_out:
        return Decision(True, f"drawing in {group.members[group.left_out[0]]}, whom the room talked past")
    return Decision(False, "active mode: nothing the room needs from the bot")
