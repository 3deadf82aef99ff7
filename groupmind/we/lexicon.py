"""Words as the group model sees them: content words, keywords and TF-IDF cosine similarity.

Plain Python on purpose: messages are short, so a bag of content words with
smoothed inverse document frequency over the handful of messages being compared
is enough to tell "answers that message" from "talks about something else", and
it costs nothing on the hot path.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Sequence

_WORD = re.compile(r"[a-z0-9][a-z0-9'_+.-]*[a-z0-9+]|[a-z0-9]")
STOPWORDS = frozenset(
    """a about above after again all also am an and any anyone anybody are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further get got had hadn't has hasn't have haven't having he he's her
    here hers him his how i i'd i'll i'm i've if in into is isn't it it's its just know let's like lol me might
    more most much must my myself need no nor not now of off ok okay on once only or other our ours out over
    own please really same say see she should shouldn't so some such sure than thanks thank that that's the
    their them then there there's these they they're think this those though through to too try u under until
    up us use very was wasn't way we we're well were weren't what what's when where which while who whom why
    will with won't would wouldn't yeah yes yet you you'd you'll you're your yours anyone's going want yep hi
    hey hello ya im dont cant thats its oh one get""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased tokens of `text`, punctuation trimmed."""
    return _WORD.findall(text.casefold())


def content_words(text: str, drop: Iterable[str] = ()) -> list[str]:
    """Tokens that carry topic: no stopwords, no 1-2 letter tokens, none of `drop` (e.g. names)."""
    dropped = {d.casefold() for d in drop}
    return [w for w in words(text) if len(w) > 2 and w not in STOPWORDS and w not in dropped]


def keywords(text: str, limit: int = 5, drop: Iterable[str] = ()) -> list[str]:
    """The most frequent content words of `text`, longer words first among equals."""
    counts = Counter(content_words(text, drop))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[:limit]]


class TfIdf:
    """TF-IDF cosine over a fixed set of documents (idf = ln((1+n)/(1+df)) + 1, as scikit-learn smooths it)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        df: Counter[str] = Counter()
        for doc in documents:
            df.update(set(doc))
        n = len(documents)
        self._idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
        self._default_idf = math.log(1 + n) + 1

    def vector(self, doc: Sequence[str]) -> dict[str, float]:
        counts = Counter(doc)
        vec = {w: c * self._idf.get(w, self._default_idf) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {w: v / norm for w, v in vec.items()} if norm else {}

    def cosine(self, a: Sequence[str], b: Sequence[str]) -> float:
        va, vb = self.vector(a), self.vector(b)
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(v * vb.get(w, 0.0) for w, v in va.items())
