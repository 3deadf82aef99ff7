"""Learned first-stage scorer: meaning across phrasings the rules never saw.

Rules are sure of what they match but miss rewordings ("my mind's made up,
tonight's the night"). A linear model over hashed character n-grams (2-5, within
words) and word uni/bigrams of the normalised text generalises to those. The
hashing is our own (crc32, stable across runs and platforms), so inference
needs only numpy and a small weight file, `learned.npz`, written by
`bench/train_care.py`. Scores are deterministic; the model is never the only
gate (see `groupmind.care.signals.detect`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from groupmind.care.normalize import normalize

BUCKETS = 1 << 18
MAX_CHARS = 400
"""Longer messages are scored on their start: the scorer's cost stays bounded."""
CLASSES = ("none", "concern", "distress", "passive_ideation", "active_ideation", "plan_or_imminent")
"""The model's classes, in weight-row order; `curiosity` and `panic` train as none and distress."""
WEIGHTS = Path(__file__).with_name("learned.npz")
WORD_CACHE = 1 << 15
"""Distinct words whose buckets are kept (a few hundred bytes each): chat vocabulary repeats, so most
words are hashed once."""


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode()) & (BUCKETS - 1)


@lru_cache(maxsize=WORD_CACHE)
def _word_buckets(word: str) -> np.ndarray:
    """The buckets of one word's own n-grams (char 2-5 within the padded word, and the word), read-only."""
    padded = f" {word} "
    grams = ["c" + padded[i:i + n] for n in range(2, 6) for i in range(len(padded) - n + 1)]
    out = np.fromiter(map(_bucket, [*grams, "w" + word]), dtype=np.int32)
    out.flags.writeable = False
    return out


def features(norm: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct bucket indices and L2-normalised binary values of a normalised text.

    The n-grams are char 2-5 within padded words, word unigrams and word bigrams.
    """
    words = norm[:MAX_CHARS].split()
    bigrams = np.fromiter((_bucket(f"b{a} {b}") for a, b in zip(words, words[1:])), dtype=np.int32)
    idx = np.unique(np.concatenate([*map(_word_buckets, words), bigrams])).astype(np.int64)
    return idx, np.full(len(idx), 1.0 / np.sqrt(max(len(idx), 1)))


@dataclass(frozen=True)
class Model:
    """Weights for the buckets seen in training, and the decision threshold chosen by grouped CV."""

    buckets: np.ndarray
    """Sorted bucket ids that have weights."""
    coef: np.ndarray
    """(len(buckets), len(CLASSES)) float32."""
    intercept: np.ndarray
    threshold: float
    """Probability of some risk class above which the scorer speaks."""

    @cached_property
    def rows(self) -> np.ndarray:
        """Weight row of every bucket, -1 where it has none: one lookup instead of a binary search."""
        rows = np.full(BUCKETS, -1, dtype=np.int32)
        rows[self.buckets] = np.arange(len(self.buckets), dtype=np.int32)
        return rows

    def probabilities(self, norm: str) -> np.ndarray:
        idx, val = features(norm)
        pos = self.rows[idx]
        pos = pos[pos >= 0]
        logits = self.intercept + val[:len(pos)] @ self.coef[pos]  # val is one value repeated
        z = np.exp(logits - logits.max())
        return z / z.sum()


@dataclass(frozen=True)
class Score:
    """What the scorer thinks of one message."""

    risk: float
    """Probability of distress or worse about the speaker."""
    label: str
    """The likeliest class."""
    worst: str
    """The likeliest risk class (distress and up)."""
    flagged: bool
    """`risk` reached the model's threshold."""


def save(path: Path, model: Model) -> None:
    np.savez_compressed(path, buckets=model.buckets.astype(np.int32), coef=model.coef.astype(np.float32),
                        intercept=model.intercept.astype(np.float32), threshold=np.float32(model.threshold))


def load(path: Path = WEIGHTS) -> Model:
    with np.load(path) as f:
        return Model(f["buckets"].astype(np.int64), f["coef"].astype(np.float64), f["intercept"].astype(np.float64),
                     float(f["threshold"]))


@lru_cache(maxsize=1)
def model() -> Model:
    """The shipped model, loaded once."""
    return load()


def score_normalised(norm: str, m: Model | None = None) -> Score:
    p = (m or model()).probabilities(norm)
    return from_probabilities(p, (m or model()).threshold)


def from_probabilities(p: np.ndarray, threshold: float) -> Score:
    """A score from class probabilities (in `CLASSES` order) and a threshold."""
    risk = float(p[2:].sum())
    return Score(risk, CLASSES[int(np.argmax(p))], CLASSES[2 + int(np.argmax(p[2:]))], risk >= threshold)


def score(text: str) -> Score:
    """Score raw message text."""
    return score_normalised(normalize(text))
