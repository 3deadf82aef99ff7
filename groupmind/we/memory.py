"""The lasting group model: what one message teaches about the group, read cheaply and deterministically.

On the per-message path, so it is a handful of regular expressions over one
message and the message it answers (the reply-to link): its content words
(recurring topics), a short phrase the room laughed at or keeps repeating
(running jokes), a recurring event it names ("every Friday", "weekly
standup"), expertise when it answers someone's question (who knows about
what is who answers, not who asks), a decision ("let's go with X", "agreed"),
and how it is written (length, emoji, tone, language). The store keeps it
bounded (`groupmind.store.group_memory`); `groupmind.we.recall` reads it back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

from groupmind.events import ChatMessage
from groupmind.store.group_memory import SEP, GroupPart
from groupmind.store.member_facts import MemberPart
from groupmind.we.lexicon import content_words, keywords, words

_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_QUESTION_START = re.compile(
    r"^\W*(?:how|what|why|where|when|which|who|whom|is|are|can|could|does|do|did|should|would|will|has|have|"
    r"anyone|anybody|any\s+(?:idea|way|one)|help|is\s+there)\b",
    re.I,
)
_LAUGH = re.compile(r"(?:^|\s)(?:lol+|lmao|rofl|haha\w*|hehe\w*|xd|:d|:'\))(?=\W|$)|[😂🤣😆😹]", re.I)
_EVENT_NOUNS = (
    r"(?:stand-?up|meeting|call|sync|build|release|update|digest|game|stream|session|check-?in|review|retro|"
    r"backup|report|party|meetup|show|practice|lesson|class|night)s?"
)
_EVENT = re.compile(
    rf"\b(?:every\s+(?:other\s+)?(?:{_DAYS}|day|week|weekend|morning|evening|night|month)s?"
    rf"|(?:weekly|daily|monthly|nightly|biweekly)\s+(?:[\w-]+\s+)?{_EVENT_NOUNS}"
    rf"|on\s+(?:{_DAYS})s\b|(?:[a-z-]+\s+)?{_EVENT_NOUNS}\s+(?:is\s+)?(?:on|at)\s+(?:{_DAYS}|\d))"
    r"(?:\s+\w[\w:-]*){0,4}",
    re.I,
)
_DECISION = re.compile(
    r"\b(?:let'?s\s+(?:go\s+with|use|meet|pick|stick\s+with|switch\s+to|move\s+to)"
    r"|we(?:'ll|\s+will|\s+shall|\s+are\s+going\s+to)\s+(?:go\s+with|use|meet|switch\s+to|stick\s+with|move\s+to)"
    r"|we\s+(?:have\s+)?(?:decided|agreed|settled)\b|it'?s\s+(?:decided|settled)\b|decided\s*:|consensus\s+is)",
    re.I,
)
_ASSENT = re.compile(r"^\W*(?:agreed|deal|done|\+1|sounds\s+good|works\s+for\s+me|let'?s\s+do\s+(?:it|that))\W*$", re.I)
_CALL_ME = re.compile(
    r"\b(?:call\s+me|i\s+go\s+by|please\s+address\s+me\s+as)\s+['\"]?([A-Za-z][\w-]{0,31}(?:'[A-Za-z]+)?)", re.I
)
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]|(?<!\w)[:;]-?[()DPp](?!\w)")
_POSITIVE = frozenset("thanks thank thx ty great cool nice awesome good love glad welcome perfect cheers :)".split())
_NEGATIVE = frozenset("sucks broken hate damn wtf ugh annoying stupid crap bad fail fails failed doesn't".split())
_LANGUAGES: dict[str, frozenset[str]] = {
    "en": frozenset("the and is it you that to of for this with have what".split()),
    "es": frozenset("el la que de y en los por para una es con como pero".split()),
    "de": frozenset("der die das und ist nicht ich ein eine mit auf zu wie aber".split()),
    "fr": frozenset("le la les et est je pas un une des que pour avec mais".split()),
    "pt": frozenset("o os que de e não um uma para com mas se está eu".split()),
    "it": frozenset("il che di e non un una per con sono ma mi ho lo".split()),
    "nl": frozenset("de het een en is niet ik dat met voor maar op van".split()),
}
FILLER = frozenset(
    """help helps problem problems issue issues using used thing things something anything everything nothing
    question questions people time good right sorry maybe idea again still thanks work works working need
    trying tried able sure guys guy anyone someone nobody stuff bit lot way ways""".split()
)
"""Words any chat is full of: never a topic, never an area of expertise."""
FILLER_MARGIN = 4
"""Filler words a message may hold among its first keywords and still give its full count of topics."""
PHRASE_WORDS = (2, 7)
"""A message this short (in words) may be a catchphrase the group repeats."""
TOPIC_WORDS = 6
"""Content words taken from one message as topics; a question lends this many to its answerer's expertise."""


@dataclass(frozen=True)
class Style:
    """How one message is written: the counters the group's style is the sum of."""

    chars: int
    emoji: int
    question: bool
    exclaim: bool
    laugh: bool
    positive: bool
    negative: bool
    language: str | None


@dataclass(frozen=True)
class Observation:
    """What one message adds to the group model and to its author's own model."""

    author_id: str
    ts: float
    hour: int
    weekday: int
    topics: tuple[str, ...]
    phrase: str | None
    """The message itself, normalised, when short enough to be a catchphrase."""
    joke: tuple[str, str] | None
    """(phrase, its author) when this message laughs at another member's message."""
    event: str | None
    expertise: tuple[str, ...]
    """Topics the author showed they know about, by answering a question on them."""
    answered: str | None
    """Whose question the author answered."""
    decision: tuple[str, tuple[str, ...]] | None
    """(what was decided, who proposed and who agreed)."""
    call_me: str | None
    style: Style
    asks: bool = False
    """It puts a question of its own to the room (a helper's question back to someone is not counted)."""


def is_question(text: str) -> bool:
    """A question to someone: a question mark, or a question's first word with no full stop after it."""
    stripped = text.strip()
    if "?" in stripped:
        return True
    return bool(_QUESTION_START.match(stripped)) and not stripped.endswith(".") and len(words(stripped)) >= 3


def normalise(text: str) -> str:
    """Lower-cased words joined by single spaces (how phrases and decisions are compared)."""
    return " ".join(words(text))


_LEAD = re.compile(r"^\s*@?([^\s:,]{1,64})\s*[:,]\s*")


def _addressed_elsewhere(msg: ChatMessage, other: ChatMessage, names: set[str]) -> bool:
    """`msg` speaks to the bot, or opens by naming a member other than `other`'s author ("Yes, ..." names
    nobody): it is no answer to `other`."""
    if msg.mentions_bot or (msg.mentions and other.author_id not in msg.mentions):
        return True
    lead = _LEAD.match(msg.text)
    named = lead.group(1).casefold() if lead else ""
    return named in {n.casefold() for n in names} and named not in (other.author_name.casefold(), other.author_id.casefold())


def _without_lead(text: str, names: Iterable[str]) -> str:
    """`text` without a leading `nick:` addressing someone (IRC's way of replying)."""
    lead = _LEAD.match(text)
    if lead and lead.group(1).casefold() in {n.casefold() for n in names}:
        return text[lead.end() :]
    return text


def style_of(text: str) -> Style:
    tokens = words(text)
    unique = set(tokens)
    hits = {code: len(vocabulary & unique) for code, vocabulary in _LANGUAGES.items()}
    language, count = max(hits.items(), key=lambda kv: kv[1])
    lowered = set(tokens) | set(text.split())
    return Style(
        chars=len(text),
        emoji=len(_EMOJI.findall(text)),
        question=is_question(text),
        exclaim="!" in text,
        laugh=bool(_LAUGH.search(text)),
        positive=bool(lowered & _POSITIVE),
        negative=bool(lowered & _NEGATIVE),
        language=language if count >= 2 else None,
    )


_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)


def _topics(text: str, names: set[str]) -> list[str]:
    """The message's content words, links and filler left out (a link's pieces are no topic)."""
    found = keywords(_URL.sub(" ", text), limit=TOPIC_WORDS + FILLER_MARGIN, drop=names)
    return [w for w in found if w not in FILLER][:TOPIC_WORDS]


def observe(msg: ChatMessage, parent: ChatMessage | None, names: Iterable[str],
            root: ChatMessage | None = None) -> Observation:  # fmt: skip
    """What `msg` (answering `parent`, in the conversation `root` started) teaches; `names` are never topics.

    Who asked in the first place is not shown to know about it by answering a helper's question back.
    """
    names = set(names) | {msg.author_name, msg.author_id}
    text = _without_lead(msg.text, names)
    other = parent if parent is not None and parent.author_id != msg.author_id and not parent.author_is_bot else None
    seeker = root is not None and root.author_id == msg.author_id and is_question(root.text)
    topics = tuple(_topics(text, names))
    style = style_of(text)
    phrase = normalise(text)
    short = PHRASE_WORDS[0] <= len(phrase.split()) <= PHRASE_WORDS[1] and bool(content_words(phrase, names))
    joke = None
    if other is not None and style.laugh and not content_words(_LAUGH.sub(" ", text), names):
        laughed = normalise(_without_lead(other.text, names))
        if laughed and len(laughed.split()) <= 12:
            joke = (laughed, other.author_id)
    expertise: tuple[str, ...] = ()
    answers = other is not None and not seeker and not _addressed_elsewhere(msg, other, names)
    if answers and other is not None and is_question(other.text) and not style.question and topics:
        asked = _topics(_without_lead(other.text, names), names)
        expertise = tuple(dict.fromkeys([*asked, *topics[:2]]))  # what was asked, and what the answer brought
    event = _EVENT.search(text)
    return Observation(
        author_id=msg.author_id,
        ts=msg.ts.timestamp(),
        hour=msg.ts.hour,
        weekday=msg.ts.weekday(),
        topics=topics,
        phrase=phrase if short and not style.laugh else None,
        joke=joke,
        event=" ".join(event.group(0).casefold().split()) if event else None,
        expertise=expertise,
        answered=other.author_id if expertise and other is not None else None,
        decision=_decision(text, msg, other, names),
        call_me=(m.group(1) if (m := _CALL_ME.search(msg.text)) else None),
        style=style,
        asks=style.question and parent is None,
    )


def _decision(
    text: str, msg: ChatMessage, other: ChatMessage | None, names: set[str]
) -> tuple[str, tuple[str, ...]] | None:
    """A decision said outright, or a proposal another member assented to (the proposal is what was decided)."""
    if _ASSENT.match(text) and other is not None:
        proposal = _without_lead(other.text, names).strip()
        if _DECISION.search(proposal) or re.search(r"\b(?:how about|what about|shall we|should we)\b", proposal, re.I):
            return " ".join(proposal.split())[:160], (other.author_id, msg.author_id)
        return None
    if _DECISION.search(text) and not is_question(text):
        return " ".join(text.split())[:160], (msg.author_id,)
    return None


def group_part(obs: Observation) -> GroupPart:
    """The group's share of an observation, in the store's terms."""
    style = obs.style
    counts = {
        "n": 1, "chars": style.chars, "emoji": style.emoji, "questions": int(style.question),
        "exclaims": int(style.exclaim), "laughs": int(style.laugh), "positive": int(style.positive),
        "negative": int(style.negative),
    }  # fmt: skip
    if style.language:
        counts[f"lang:{style.language}"] = 1
    decision = None
    if obs.decision:
        text, by = obs.decision
        decision = json.dumps({"text": text, "by": list(by), "ts": obs.ts}, ensure_ascii=False)
    return GroupPart(
        ts=obs.ts,
        slot=f"d{obs.weekday}h{obs.hour}",
        topics=obs.topics,
        # Words kept verbatim carry their author, so forget-me can take them out.
        phrase=f"{obs.phrase}{SEP}{obs.author_id}" if obs.phrase else None,
        joke=f"{obs.joke[0]}{SEP}{obs.joke[1]}" if obs.joke else None,
        event=f"{obs.event}{SEP}{obs.author_id}" if obs.event else None,
        expertise=tuple(f"{topic}{SEP}{obs.author_id}" for topic in obs.expertise),
        decision=decision,
        answerer=obs.author_id if obs.answered else None,
        asker=obs.author_id if obs.asks else None,
        style={k: v for k, v in counts.items() if v},
    )


def member_part(obs: Observation) -> MemberPart:
    """The author's share of an observation."""
    return MemberPart(obs.author_id, obs.ts, obs.hour, obs.topics, obs.expertise, obs.call_me)
