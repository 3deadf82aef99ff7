"""The rule precedence groupmind linked replies with before the learned linker: the baseline.

Strongest signal first:

1. an explicit platform reply (`reply_to`);
2. an addressee (`groupmind.we.threads.addressees`): a leading `nick:` / `nick,`,
   an `@nick` anywhere, or a mention; the link goes to that member's latest message;
3. speaker alternation: someone who addressed the author since the author's
   last message is being answered; otherwise the author continues their own
   conversation, answering whoever spoke into it since;
4. lexical overlap (TF-IDF cosine) with a recent message;
5. otherwise a new conversation.

`bench/linker.py` scores it against the learned linker in the same run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Sequence

from groupmind.events import ChatMessage
from groupmind.we.lexicon import TfIdf, content_words
from groupmind.we.threads import Link, Linked, addressees, known_names

CONTINUE_WITHIN = timedelta(minutes=6)
"""An author's earlier message still counts as their ongoing conversation this long."""

OVERLAP_WITHIN = 25
"""How many recent messages lexical overlap looks back over."""

MIN_OVERLAP = 0.28
"""TF-IDF cosine above which a message is taken to answer an earlier one."""


def rule_link(msg: ChatMessage, recent: Sequence[Linked]) -> Link:
    """Link `msg` to the message it answers among `recent` (oldest first), by the rules."""
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
