"""The "we": one blended picture of the room, and its compact rendering for the prompt.

Built from the recent, linked messages of a conversation and the members'
profiles: the conversations running side by side and who is in each, the
questions put to the room that nobody took up, the members nobody answered,
and where members agree or differ. The rendering is a few short lines, so the
reply can answer the room rather than the last voice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from groupmind.events import ChatMessage
from groupmind.names import MASS_MENTIONS, same_name
from groupmind.vocative import calls
from groupmind.we.lexicon import keywords
from groupmind.we.profiles import Profile
from groupmind.we.threads import LEADING, Linked, addressees, known_names

ACTIVE_FOR = timedelta(minutes=15)
"""A conversation, or a member, counts as active this long after its last message."""

TALKED_PAST = 3
"""A member is left out once this many messages by others went by without answering them."""

_LEADING_NAME = re.compile(r"^\s*@?[A-Z][\w.-]{1,31}\s*[:,]\s")
"""A capitalised `Name,` or `Name:` opening a message addresses someone, even one not yet seen."""
_TRAILING_NAME = re.compile(r",\s*@?[A-Z][\w.-]{1,31}\s*[?!.]*\s*$")
"""A capitalised `, Name?` closing a message calls someone, even one not yet seen ("what do you think, Ana?")."""
_AT_SOMEONE = re.compile(rf"(?<![\w@])@(?!(?:{'|'.join(MASS_MENTIONS)})\b)\w", re.I)
"""An `@name` anywhere, punctuation after it or not, addresses someone, even one not yet seen; `@everyone` is the room."""
_AGREE = re.compile(r"^\W*(?:agree|agreed|\+1|same|exactly|true|yes|yeah|yep|totally|right)\b|\bi agree\b", re.I)
_DIFFER = re.compile(
    r"^\W*(?:no|nope|nah|but|disagree|actually|hmm)\b|\b(?:i disagree|not sure|i prefer|rather|instead)\b", re.I
)


@dataclass(frozen=True)
class Thread:
    root: str
    participants: tuple[str, ...]
    """Display names, in order of first message."""
    topics: tuple[str, ...]
    last: datetime


@dataclass(frozen=True)
class Question:
    message_id: str
    author_id: str
    author: str
    text: str
    ts: datetime


@dataclass(frozen=True)
class Stance:
    member: str
    other: str
    agrees: bool
    about: str


@dataclass(frozen=True)
class Group:
    """The room as the bot sees it at one moment."""

    threads: tuple[Thread, ...]
    members: dict[str, str]
    """Active member ids -> display names, in order of first message."""
    open_questions: tuple[Question, ...]
    left_out: tuple[str, ...]
    """Ids of active members whose last message nobody answered while the room talked on."""
    stances: tuple[Stance, ...]
    profiles: Mapping[str, Profile]
    bot_name: str = ""
    """The bot's name, which no member is shown under in `render`."""

    def render(self) -> str:
        """A compact description of the room for the prompt; "" when the room is empty."""
        if not self.members:
            return ""
        shown = self._shown
        lines = [f"In the room: {', '.join(map(shown, self.members.values()))}."]
        for thread in self.threads[:3]:
            about = f" about {', '.join(thread.topics)}" if thread.topics else ""
            lines.append(f"- {' and '.join(map(shown, thread.participants))} talk{about}.")
        for q in self.open_questions[:2]:
            lines.append(f"- Open question to everyone from {shown(q.author)}: {q.text[:120]}")
        for member_id in self.left_out[:2]:
            topics = self.profiles.get(member_id)
            interest = f" (interested in {', '.join(topics.topics[:3])})" if topics and topics.topics else ""
            lines.append(f"- {shown(self.members[member_id])} has not been answered{interest}.")
        for stance in self.stances[:2]:
            verb = "agrees with" if stance.agrees else "differs from"
            lines.append(f"- {shown(stance.member)} {verb} {shown(stance.other)} about {stance.about}.")
        return "\n".join(lines)

    def _shown(self, name: str) -> str:
        """A member's name as the notes show it: one that reads as the bot's is marked a member's."""
        return f"{name} (member)" if self.bot_name and same_name(name, self.bot_name) else name


def build_group(
    recent: Sequence[Linked], profiles: Mapping[str, Profile], now: datetime, bot_name: str
) -> Group:
    """The group model of a conversation from its recent linked messages (oldest first)."""
    live = [item for item in recent if now - item.msg.ts <= ACTIVE_FOR]
    humans = [item for item in live if not item.msg.author_is_bot]
    members: dict[str, str] = {}
    for item in humans:
        members.setdefault(item.msg.author_id, item.msg.author_name)
    answered = {item.link.parent for item in live if item.link.parent != item.msg.message_id}
    by_id = {item.msg.message_id: item for item in live}
    return Group(
        threads=_threads(humans),
        members=members,
        open_questions=_open_questions(live, answered, bot_name, {i.msg.author_name for i in recent}),
        left_out=_left_out(humans, answered, profiles),
        stances=_stances(humans, by_id),
        profiles=profiles,
        bot_name=bot_name,
    )


def _threads(humans: Sequence[Linked]) -> tuple[Thread, ...]:
    grouped: dict[str, list[Linked]] = {}
    for item in humans:
        grouped.setdefault(item.link.thread, []).append(item)
    threads = [
        Thread(
            root=root,
            participants=tuple(dict.fromkeys(i.msg.author_name for i in items)),
            topics=tuple(keywords(" ".join(i.msg.text for i in items), limit=3, drop=_names(items))),
            last=items[-1].msg.ts,
        )
        for root, items in grouped.items()
    ]
    return tuple(sorted(threads, key=lambda t: t.last, reverse=True))


def _names(items: Sequence[Linked]) -> set[str]:
    return {i.msg.author_name for i in items} | {i.msg.author_id for i in items}


def _open_questions(
    live: Sequence[Linked], answered: set[str], bot_name: str, speakers: set[str]
) -> tuple[Question, ...]:
    """Questions nobody addressed to anyone in particular, that nobody (the bot included) took up.

    `speakers` are the names of everyone in the recent conversation, whom a question may call by name.
    """
    names = known_names(live)
    open_: list[Question] = []
    for index, item in enumerate(live):
        msg = item.msg
        if msg.author_is_bot or "?" not in msg.text or msg.mentions_bot or msg.reply_to_bot:
            continue
        if addressees(msg, names) or _LEADING_NAME.match(msg.text) or _AT_SOMEONE.search(msg.text):
            continue
        if _TRAILING_NAME.search(msg.text):
            continue
        if msg.reply_to and msg.reply_to != msg.thread:
            continue  # a platform reply asks the one it replies to
        if any(calls(msg.text, name) for name in speakers - {msg.author_name, bot_name}):
            continue  # "Ben what time is it?", "what do you think, Ana?"
        if calls(msg.text, bot_name):  # "never mind, does anyone know...?" still asks the room
            continue
        later = live[index + 1 :]
        if msg.message_id in answered or any(i.msg.author_is_bot for i in later):
            continue
        if any(i.msg.author_id != msg.author_id and not i.link.starts_thread for i in later):
            continue  # the room moved on in conversation with someone
        open_.append(Question(msg.message_id, msg.author_id, msg.author_name, msg.text, msg.ts))
    return tuple(reversed(open_))


def _left_out(
    humans: Sequence[Linked], answered: set[str], profiles: Mapping[str, Profile]
) -> tuple[str, ...]:
    """Members whose last message went unanswered while others talked on, unless the bot already answered."""
    last: dict[str, int] = {}
    for index, item in enumerate(humans):
        last[item.msg.author_id] = index
    out = []
    for member_id, index in last.items():
        msg = humans[index].msg
        profile = profiles.get(member_id)
        if profile and profile.last_addressed_by_bot and profile.last_addressed_by_bot >= msg.ts:
            continue
        others_after = sum(1 for item in humans[index + 1 :] if item.msg.author_id != member_id)
        if msg.message_id not in answered and others_after >= TALKED_PAST:
            out.append(member_id)
    return tuple(out)


def _without_addressee(text: str, parent: ChatMessage) -> str:
    """`text` without a leading `nick:` naming the author of the message it answers."""
    lead = LEADING.match(text)
    if lead and lead["nick"].casefold() in (parent.author_name.casefold(), parent.author_id.casefold()):
        return text[lead.end() :]
    return text


def _stances(humans: Sequence[Linked], by_id: Mapping[str, Linked]) -> tuple[Stance, ...]:
    stances: list[Stance] = []
    for item in humans:
        parent = by_id.get(item.link.parent)
        if parent is None or parent.msg.author_id == item.msg.author_id or parent.msg.author_is_bot:
            continue
        text = _without_addressee(item.msg.text, parent.msg)
        agrees = bool(_AGREE.search(text))
        if agrees or _DIFFER.search(text):
            about = keywords(parent.msg.text, limit=2) or ["that"]
            stances.append(Stance(item.msg.author_name, parent.msg.author_name, agrees, " ".join(about)))
    return tuple(reversed(stances))


