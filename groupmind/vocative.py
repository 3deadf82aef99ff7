"""Is a name used to call someone, or is it just a word? ("Mind, help" calls; "never mind" does not.)

A bot's name is often an English word ("Mind", "Sage", "Echo", "Will"), so
finding it in a message says little. It addresses the bot only where a person
would read it as a call:

- as an `@name` mention, anywhere;
- set off on both sides: at the start of a sentence or after a greeting
  ("hey", "thanks", "ok") or a comma or bracket, and followed by a comma, colon, question
  or exclamation mark, full stop or the end ("Mind, ...", "thanks mind!",
  "what do you think, Mind?");
- at the very end of a question or a sentence to "you", after a word that
  does not take it as an object ("what do you think Mind?", "can you help
  bot", but not "do you mind?", "did you ask Mind?" or "a chat bot");
- at the start of a sentence, or after a greeting, followed by words that speak
  to it: a question to "you" ("mind can you...", "mind what do you think"), a
  request ("mind tell me", "mind please") — and not by what follows the verb
  or the noun ("mind the gap", "mind your language", "mind you", "mind if I",
  "mind how you go", "echo chamber", "will you").

Everything else is the word, or the bot talked about in the third person
("I asked Mind yesterday", "Mind's answer", "mind-blowing"). Text and name are
compared by their look (`groupmind.names`): "Ｍｉｎｄ," and "𝐌𝐢𝐧𝐝," call as "Mind," does.
"""

from __future__ import annotations

import re
from functools import lru_cache

from groupmind.names import fold

_TOKEN = re.compile(r"\w+|[^\w\s]")
_ENDS = frozenset(",:!?.;…-—–")
"""What may follow a name that is called: a pause (a spaced dash too) or the end of a sentence."""
_JOINERS = frozenset("-'’_/")
"""A name glued to a word by these is part of that word ("mind-blowing", "Mind's")."""

_GREETINGS = """hey hi hello hiya heya yo oi ok okay k thanks thank thx ty cheers morning evening afternoon night
gm dear sorry please pls plz oh ah well so right alright sup welcome bye goodbye congrats nice cool great wow
lol haha hmm um uh there"""
"""Words after which a name reads as a call: "hey mind", "thanks mind", "ok mind"."""
_GREETING_PAIRS = "thank you, good morning, good night, good evening, good job"

_AFTER_VERB = """the a an your yours my mine his her hers its our ours their theirs this that these those you u ya
it me him them us out if how where whether not over"""
"""Words that follow the name as a verb or an adjective, not as a call: "mind the gap", "mind you", "mind if"."""

_WH = "what how where when why who which"
_WH_IS = "whats hows wheres whos whys"
_AUX = "is are was were am can could would will should shall do does did have has had may might must s re"
_YOU = "you u ya yall"
_SUBJECTS = "you u ya yall i we it this that there he she they"
_ASKS = """tell give explain help summarize summarise remind show say write describe list recommend suggest
translate define find check pick choose name compare calculate make draw share teach answer guess rate decide
look search settle please pls plz tldr recap"""
"""Requests made to someone: "mind tell me", "mind please", "sage recap"."""

_OBJECT_OF = """t not never do does did don doesn didn would wouldn i you we they he she to in of my your his her
our their the a an peace state frame keep bear change ask asked asking tell told ping pinged call called use used
using like liked love hate trust trusted blame try tried about with from for by at and or than that as is was are
were has have had will can"""
"""A word before a name at the end of a question that makes it the word or a third person: "do you mind?",
"never mind?", "peace of mind?", "did you ask Mind?", "where is Mind?"."""
_YOU_CALLED = "are were have thank see"
"""Before "you", these make "you" the one spoken to ("how are you Mind?"), not the one who minds ("do you mind?")."""

Spans = list[tuple[str, int, int]]
"""Tokens of the folded text with where each starts and ends."""


@lru_cache(maxsize=None)
def _folded(words: str) -> frozenset[str]:
    """A word list as the folded text spells it ("mind" reads "rnlnd"); pairs split on commas."""
    if "," in words:
        return frozenset(fold(pair, " ") for pair in words.split(","))
    return frozenset(fold(word, " ") for word in words.split())


@lru_cache(maxsize=64)
def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(name, " ")))


def calls(text: str, name: str) -> bool:
    """True if `text` calls `name` (a mention, a vocative), not just uses the word."""
    wanted = _name_tokens(name)
    if not wanted:
        return False
    folded, spans = _read(text)
    words = [token for token, _, _ in spans]
    for start in range(len(words) - len(wanted) + 1):
        end = start + len(wanted)
        if tuple(words[start:end]) == wanted and (_mentioned(spans, start, folded) or _called(words, spans, start, end)):
            return True
    return False


@lru_cache(maxsize=256)
def _read(text: str) -> tuple[str, Spans]:
    """The folded text and its tokens; kept a while, as one message is asked about several names."""
    folded = fold(text, " ")
    return folded, [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def _mentioned(spans: Spans, start: int, folded: str) -> bool:
    """An `@name` that opens a word (not the middle of an address like `me@mind.org`)."""
    if start == 0:
        return False
    at, at_start, _ = spans[start - 1]
    return at == "@" and _glued(spans, start - 1, start) and (at_start == 0 or not folded[at_start - 1].isalnum())


def _called(words: list[str], spans: Spans, start: int, end: int) -> bool:
    """A name set off as a call: see the module's rules."""
    before = words[start - 1] if start else None
    after = words[end] if end < len(words) else None
    if _glued(spans, start - 1, start) and before in _JOINERS or _glued(spans, end - 1, end) and after in _JOINERS:
        return False  # part of a longer word: "mind-blowing", "Mind's", "master-mind"
    if after == "." and _glued(spans, end, end + 1):
        return False  # a domain or a file name: "mind.org"
    greeted = _greeted(words, start)
    opens = before is None or not before[0].isalnum() or greeted  # after punctuation: ". Mind,", "] Mind,", ", Mind?"
    if after is None or after in _ENDS:
        if opens:
            return True
        last = all(word in _ENDS for word in words[end:])
        asks = after in ("?", "!") or after is None and any(word in _folded(_YOU) for word in words[:start])
        return last and asks and (before not in _folded(_OBJECT_OF) or _you_called(words, start))
    return opens and _speaks_to(words[end:], greeted=greeted)


def _you_called(words: list[str], start: int) -> bool:
    """"how are you Mind?": "you" before the name, itself after a word that makes "you" the one spoken to."""
    return start >= 2 and words[start - 1] in _folded(_YOU) and words[start - 2] in _folded(_YOU_CALLED)


def _glued(spans: Spans, left: int, right: int) -> bool:
    """True when token `left` ends exactly where token `right` starts (no space between)."""
    return 0 <= left and right < len(spans) and spans[left][2] == spans[right][1]


def _greeted(words: list[str], start: int) -> bool:
    """True when a greeting ("hey", "thanks", "thank you", "ok") comes right before the name, a comma allowed."""
    index = start - 1
    if index >= 0 and words[index] == ",":
        index -= 1
    if index < 0:
        return False
    return words[index] in _folded(_GREETINGS) or " ".join(words[max(0, index - 1) : index + 1]) in _folded(_GREETING_PAIRS)


def _speaks_to(rest: list[str], *, greeted: bool) -> bool:
    """Whether the words after a name that opens a sentence speak to it ("can you", "tell me", "what do")."""
    first = rest[0]
    second = rest[1] if len(rest) > 1 else ""
    if first in _folded(_WH_IS):
        return True
    if first in _folded(_WH):  # "mind what do you think", not "mind how you go"
        return second in _folded(_AUX) or second == "'" or rest[-1] == "?"
    if first in _folded(_AFTER_VERB):
        return False
    if first in _folded(_AUX):
        return second in _folded(_SUBJECTS)  # "mind can you", "mind is it", not "mind is slow"
    return greeted or first in _folded(_ASKS) or rest[-1] == "?"
