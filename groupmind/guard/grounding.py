"""Whether a reply is about the conversation: the share of its content words the members used.

A small model asked "what is 2+2?" writes a row of names, a line about nothing,
or what it said before. The guard's other checks catch the names and the
repeats; this one catches the rest: a reply whose content words (names left
out, so a roll call grounds nothing) share too little with what the members
said in the window, the question included. Words are compared by a crude stem,
so "installing" meets "install" and "bikes" meets "bike". The bar is
`Settings.grounding_min`; `bench/quality.py` shows where it sits.
"""

from __future__ import annotations

import re
from typing import Iterable

from groupmind.guard.verdict import PASS, Reason, Verdict, block
from groupmind.we.lexicon import content_words

_SUFFIXES = ("ing", "ed", "s")
_STEM_CHARS = 6
_NAME_PART = re.compile(r"[^\W_]+")


def stem(word: str) -> str:
    """A crude stem: one common English suffix off, then a final "e", then the first few letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word[:_STEM_CHARS]


def name_words(names: Iterable[str]) -> set[str]:
    """Every word of the given names, lower-cased: "Ana María" drops "ana" and "maría"."""
    return {part.casefold() for name in names for part in _NAME_PART.findall(name)}


def grounding(text: str, grounds: Iterable[str], names: Iterable[str] = ()) -> float:
    """The share (0 to 1) of `text`'s content words whose stem occurs in `grounds`, names left out.

    A text with no content word at all ("yes!", a row of names) scores 0: it says nothing
    that can be told apart from a guess.
    """
    drop = name_words(names)
    said = [stem(w) for w in content_words(text, drop)]
    if not said:
        return 0.0
    known = {stem(w) for ground in grounds for w in content_words(ground, drop)}
    return sum(w in known for w in said) / len(said)


def grounded(text: str, grounds: Iterable[str], names: Iterable[str], bar: float) -> Verdict:
    """Block `text` when its grounding is below `bar`; a bar of 0 turns the check off."""
    if bar <= 0:
        return PASS
    score = grounding(text, grounds, names)
    if score < bar:
        return block(Reason.UNGROUNDED, f"grounding {score:.2f} below {bar:.2f}")
    return PASS
