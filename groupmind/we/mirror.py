"""The mirror index: whether a reply echoes the last speaker instead of speaking to the room.

Similarity is TF-IDF cosine over content words (see `lexicon`), with the
members' names left out so that addressing someone is not counted as echoing
them; the IDF is fitted on the reply and the messages it is compared with.
"""

from __future__ import annotations

from typing import Iterable, Sequence

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
