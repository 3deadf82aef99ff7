"""Which earlier message a new one answers, and the conversations running side by side.

A chat room holds several conversations at once. Each message gets one link:
the message it answers, or itself when it starts a conversation. An explicit
platform reply (`reply_to`) is taken as said; otherwise the learned linker
(`groupmind.we.linker`, trained on the annotated `#ubuntu` logs) weighs the
cues: who was named, who named whom, speaker alternation, time, distance and
shared words. On the `#ubuntu` dev logs it beats the rule precedence it
replaced (kept in `bench/rules_linker.py` as the baseline; see `bench/linker.py`).

The thread of a message is the first message of its chain of links.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

from groupmind.events import ChatMessage
from groupmind.we.linker import WINDOW, Choice, Linker, replay

LEADING = re.compile(r"^\s*@?(?P<nick>[^\s:,@]{1,64})\s*[:,]")
_AT = re.compile(r"(?<![\w@])@(?=\w)")
"""Where an `@nick` starts: "@" opening a word, not inside an address like `me@example.org`."""


@dataclass(frozen=True)
class Link:
    """What one message answers and which conversation it belongs to."""

    message_id: str
    parent: str
    """The id of the message it answers; its own id when it starts a conversation."""
    thread: str
    reason: str

    @property
    def starts_thread(self) -> bool:
        return self.parent == self.message_id


@dataclass(frozen=True)
class Linked:
    """A message together with its link."""

    msg: ChatMessage
    link: Link


def addressees(msg: ChatMessage, names: dict[str, str]) -> list[str]:
    """Author ids a message is addressed to: mentions, then a leading `nick:`, then each `@nick`.

    `names` maps casefolded display names (and ids) of known members to their ids.
    """
    found = [m for m in msg.mentions if m != msg.author_id]
    lead = LEADING.match(msg.text)
    for target in (names.get(lead["nick"].casefold()) if lead else None, *at_names(msg.text, names)):
        if target and target != msg.author_id and target not in found:
            found.append(target)
    return found


def at_names(text: str, names: dict[str, str]) -> list[str]:
    """Ids of the known members `text` names as `@nick`, punctuation after it or not ("@ben what",
    "@Ana Maria?"): the longest known name that the "@" starts and a word boundary ends."""
    folded = text.casefold()
    found = []
    for at in _AT.finditer(folded):
        rest = folded[at.end() :]
        fits = [n for n in names if rest.startswith(n) and not rest[len(n) : len(n) + 1].isalnum()]
        if fits:
            found.append(names[max(fits, key=len)])
    return found


def known_names(recent: Sequence[Linked]) -> dict[str, str]:
    """Casefolded names and ids of the authors in `recent` -> their ids."""
    names: dict[str, str] = {}
    for item in recent:
        names[item.msg.author_name.casefold()] = item.msg.author_id
        names[item.msg.author_id.casefold()] = item.msg.author_id
    return names


def link_message(msg: ChatMessage, recent: Sequence[Linked]) -> Link:
    """Link `msg` to the message it answers among `recent` (oldest first)."""
    window = list(recent)[-WINDOW:]
    if (replied := _replied(msg, window)) is not None:
        return _link(msg, Choice(replied, "explicit reply"), window)
    return _link(msg, replay(item.msg for item in window).choose(msg), window)


def _replied(msg: ChatMessage, window: Sequence[Linked]) -> int | None:
    """Where in `window` the message `msg` explicitly replies to is, if it is there."""
    if msg.reply_to:
        for index in range(len(window) - 1, -1, -1):
            if window[index].msg.message_id == msg.reply_to:
                return index
    return None


def _link(msg: ChatMessage, choice: Choice, window: Sequence[Linked]) -> Link:
    if choice.parent is None:
        return Link(msg.message_id, msg.message_id, msg.message_id, choice.reason)
    parent = window[choice.parent]
    return Link(msg.message_id, parent.msg.message_id, parent.link.thread, choice.reason)


class Threader:
    """Links a stream of messages of one channel as they come, keeping the window between calls.

    The same links as `link_message` over the last `window` messages, without
    rebuilding the window for every message: what replays, benches and the room use.
    """

    def __init__(self, window: int = WINDOW, recent: Iterable[Linked] = ()) -> None:
        """A threader whose window holds `recent` (oldest first, with their links), the last `window` of them."""
        self._linker = Linker(window)
        self.recent: deque[Linked] = deque(maxlen=self._linker.window)
        self._keys: deque[tuple[str, str, str, str]] = deque(maxlen=self._linker.window)
        for item in recent:
            self._keep(item)

    def link(self, msg: ChatMessage) -> Link:
        """Link `msg`, then keep it as a candidate for the messages after it."""
        replied = _replied(msg, self.recent)
        choice = self._linker.choose(msg) if replied is None else Choice(replied, "explicit reply")
        link = _link(msg, choice, self.recent)
        self._keep(Linked(msg, link))
        return link

    def holds(self, recent: Sequence[Linked]) -> bool:
        """Whether the window is `recent`'s last messages: the same ids, texts and links (parent, thread), in order.

        A message edited or deleted since, or one stored by another process, makes it differ.
        """
        tail = recent[-self._linker.window :] if len(recent) > self._linker.window else recent
        return len(tail) == len(self._keys) and [_identity(item) for item in tail] == list(self._keys)

    def _keep(self, item: Linked) -> None:
        self._linker.add(item.msg)
        self.recent.append(item)
        self._keys.append(_identity(item))


def _identity(item: Linked) -> tuple[str, str, str, str]:
    """What must be equal for a stored message to be the one a threader holds: id, text and link."""
    return item.msg.message_id, item.msg.text, item.link.parent, item.link.thread


class Threaders:
    """One `Threader` per conversation, resumed while its window is the stored one: how the room links.

    Rebuilding a window costs far more than linking one message, so a conversation's
    threader is kept between messages and rebuilt from the stored window only when it
    differs (an edit, a delete, a message linked elsewhere). The links are the same
    either way (see `groupmind.we.linker`). The least recently used are dropped past `limit`.
    """

    def __init__(self, window: int, limit: int = 1_024) -> None:
        self.window = window
        self.limit = max(1, limit)
        self._held: OrderedDict[Hashable, Threader] = OrderedDict()
        self.rebuilds = 0
        """How many times a window was rebuilt rather than resumed (a first message included)."""

    def link(self, key: Hashable, msg: ChatMessage, recent: Sequence[Linked]) -> Link:
        """Link `msg` to the messages before it, `recent` (oldest first, as stored), in conversation `key`."""
        threader = self._held.pop(key, None)
        if threader is None or not threader.holds(recent):
            self.rebuilds += 1
            threader = Threader(self.window, list(recent)[-self.window :])
        self._held[key] = threader
        if len(self._held) > self.limit:
            self._held.popitem(last=False)
        return threader.link(msg)


def previous_other_speaker(msg: ChatMessage, recent: Sequence[Linked]) -> str:
    """The baseline link: the latest message by someone else, or the message itself."""
    for item in reversed(recent):
        if item.msg.author_id != msg.author_id:
            return item.msg.message_id
    return msg.message_id
