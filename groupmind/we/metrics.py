"""Measures of talking with the group: the mirror index, attention balance, when-to-speak agreement.

Similarity is TF-IDF cosine over content words (see `lexicon`), with the
members' names left out so that addressing someone is not counted as echoing
them; the IDF is fitted on the reply and the messages it is compared with.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from groupmind.we.lexicon import TfIdf, content_words


def mirror_index(reply: str, last: str, others: Sequence[str], names: Iterable[str] = ()) -> float:
    """Similarity of `reply` to the last speaker's message minus its mean similarity to the
    other active members' recent messages (`others`, one text per member). Positive means
    the reply mirrors the last speaker more than it speaks to the rest of the room."""
    drop = list(names)
    docs = [content_words(text, drop) for text in (reply, last, *others)]
    tfidf = TfIdf(docs)
    to_last = tfidf.cosine(docs[0], docs[1])
    if not others:
        return to_last
    return to_last - sum(tfidf.cosine(docs[0], doc) for doc in docs[2:]) / len(others)


def gini(counts: Mapping[str, int], members: Iterable[str]) -> float:
    """Gini coefficient of how often each active member was addressed (0 = evenly, 1 = one member)."""
    values = sorted(counts.get(member, 0) for member in set(members))
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((index + 1) * value for index, value in enumerate(values))
    return (2 * weighted) / (n * total) - (n + 1) / n


def agreement(decided: Sequence[bool], labelled: Sequence[bool]) -> float:
    """Share of decision points where the bot spoke exactly when the labels say it should."""
    if len(decided) != len(labelled):
        raise ValueError(f"{len(decided)} decisions for {len(labelled)} labels")
    if not labelled:
        return 0.0
    return sum(d == l for d, l in zip(decided, labelled)) / len(labelled)
