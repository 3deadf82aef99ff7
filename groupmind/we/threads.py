"""Which earlier message a new one answers, and the conversations running side by side.

A chat room holds several conversations at once. Each message gets one link:
the message it answers, or itself when it starts a conversation. The signals,
strongest first:

1. an explicit platform reply (`reply_to`);
2. an addressee: a leading `nick:` / `nick,`, an `@nick` anywhere (with or
   without punctuation after it), or a mention; the link
   goes to that member's latest message;
3. speaker alternation: someone who addressed the author since the author's
   last message is being answered; otherwise the author continues their own
   conversation, answering whoever spoke into it since;
4. lexical overlap (TF-IDF cosine) with a recent message;
5. otherwise a new conversation.

The thread of a message is the first message of its chain of links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

from groupmind.events import ChatMessage
from groupmind.we.lexicon import TfIdf, content_words

CONTINUE_WITHIN = timedelta(minutes=6)
"""An author's earlier message still counts as their ongoing conversation this long."""

OVERLAP_WITHIN = 25
"""How many recent messages lexical overlap looks back over."""

MIN_OVERLAP = 0.28
"""TF-IDF cosine above which a message is taken to answer an earlier one."""

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
    parent, reason = _parent(msg, recent)
    if parent is None:
        return Link(msg.message_id, msg.message_id, msg.message_id, reason)
    return Link(msg.message_id, parent.msg.message_id, parent.link.thread, reason)


def _latest(recent: Sequence[Linked], author: str) -> Linked | None:
    return next((item for item in reversed(recent) if item.msg.author_id == author), None)


def _parent(msg: ChatMessage, recent: Sequence[Linked]) -> tuple[Linked | None, str]:
    if msg.reply_to:
        for item in reversed(recent):
            if item.msg.message_id == msg.reply_to:
                return item, "explicit reply"
    names = known_names(recent)
    for target in addressees(msg, names):
        if found := _latest(recent, target):
            return found, f"addressed to {found.msg.author_name}"
    own = _latest(recent, msg.author_id)
    own_recent = own is not None and msg.ts - own.msg.ts <= CONTINUE_WITHIN
    since = recent[recent.index(own) + 1 :] if own is not None else recent
    for item in reversed(since):
        if msg.author_id in addressees(item.msg, names) and msg.ts - item.msg.ts <= CONTINUE_WITHIN:
            return item, f"answers {item.msg.author_name}, who addressed them"
    if own is not None and own_recent:
        into_own = [
            item for item in since if item.link.thread == own.link.thread and item.msg.author_id != msg.author_id
        ]
        if into_own:
            return into_own[-1], "speaker alternation in their conversation"
        return own, "continues their own message"
    return _overlap(msg, recent)


def _overlap(msg: ChatMessage, recent: Sequence[Linked]) -> tuple[Linked | None, str]:
    window = [item for item in recent[-OVERLAP_WITHIN:] if item.msg.author_id != msg.author_id]
    if not window:
        return None, "starts a conversation"
    docs = [content_words(item.msg.text) for item in window]
    mine = content_words(msg.text)
    tfidf = TfIdf([*docs, mine])
    best, score = None, MIN_OVERLAP
    for item, doc in zip(window, docs):
        if (sim := tfidf.cosine(mine, doc)) > score:
            best, score = item, sim
    if best is None:
        return None, "starts a conversation"
    return best, f"shares words with {best.msg.author_name} ({score:.2f})"


def previous_other_speaker(msg: ChatMessage, recent: Sequence[Linked]) -> str:
    """The baseline link: the latest message by someone else, or the message itself."""
    for item in reversed(recent):
        if item.msg.author_id != msg.author_id:
            return item.msg.message_id
    return msg.message_id
