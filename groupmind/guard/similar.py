"""How alike two chat messages read: character n-gram Jaccard over a normalised form.

Near-copies in chat differ by case, punctuation, an added "yes," or a dropped
word; character shingles see through all of those, and whole words would not
("wifi's" and "wifi"). Mentions and a leading `nick:` are left out, so
addressing someone does not make two replies alike. The threshold is set on
data: `bench/repetition.py` compares distinct human messages of the #ubuntu
logs with near-copies made from them.
"""

from __future__ import annotations

import re
from functools import lru_cache

N = 4
"""Shingle length in characters."""
NEAR_COPY = 0.4
"""Jaccard at or above which two texts count as one said twice (see bench/repetition.py)."""
MIN_SHINGLES = 4
"""Texts with fewer shingles (a word or two) are near-copies only when equal."""

_MENTION = re.compile(r"<@[!&]?\w+>|<!\w+(?:\|[^>]*)?>|@[\w.-]+")
_LEADING_NICK = re.compile(r"^\s*[\w.|`^-]{1,32}:\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def normal(text: str) -> str:
    """The comparable form: no mentions, no leading `nick:`, lowercase words separated by one space."""
    text = _LEADING_NICK.sub("", _MENTION.sub(" ", text))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


@lru_cache(maxsize=4096)
def shingles(text: str) -> frozenset[str]:
    """The set of N-character shingles of `normal(text)`, padded so short words count."""
    padded = f" {normal(text)} "
    return frozenset(padded[i : i + N] for i in range(max(1, len(padded) - N + 1)))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' shingles, 0 (nothing shared) to 1 (the same)."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def near_copy(a: str, b: str) -> bool:
    """Whether `a` says what `b` said (same words give or take a few); empty texts never match."""
    na, nb = normal(a), normal(b)
    if not na or not nb:
        return False
    if min(len(shingles(a)), len(shingles(b))) < MIN_SHINGLES:
        return na == nb
    return similarity(a, b) >= NEAR_COPY
