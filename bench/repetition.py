"""Where a reply stops being new: the near-copy threshold of the guard, set on real chat.

Real #ubuntu messages give the two sides. Distinct pairs are each message
against the 20 before it (a reply is compared with what was just said), minus
pairs that are the same text. Near-copies are made from the same messages with
the edits a model makes when it echoes: case and punctuation, a word dropped or
swapped, "yes," in front, " lol" behind, or two of these at once. For each
threshold the bench prints how many distinct pairs would be blocked and how
many near-copies pass; the guard's `NEAR_COPY` is the threshold where both stay
small. Thresholds are chosen on the train logs and reported on dev.

    PYTHONPATH=. python bench/repetition.py [--split dev|train] [--files 10]

The last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Callable, Iterator

from groupmind.guard.similar import MIN_SHINGLES, NEAR_COPY, near_copy, normal, shingles, similarity
from groupmind.replay import read_irc

IRC = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu-irc"
LOOK_BACK = 20
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
COMPARISONS_PER_REPLY = 8
"""The guard compares a reply with the members' last three messages and the bot's last five replies."""

_PREFIXES = ("yes, ", "I agree, ", "exactly: ", "so ", "well ", "right, ")
_SUFFIXES = (" lol", " :)", "!", " too", " right?", "...")

Edit = Callable[[list[str], random.Random, list[str]], list[str]]


def _case(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    return [w.upper() if rng.random() < 0.3 else w.lower() for w in words]


def _punct(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    return [w.strip(".,!?:;") for w in words[:-1]] + [words[-1].rstrip(".!?") + rng.choice(("!", "?", ".", ""))]


def _drop(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    i = rng.randrange(len(words))
    return words[:i] + words[i + 1 :]


def _swap(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    i = rng.randrange(len(words))
    return words[:i] + [rng.choice(vocab)] + words[i + 1 :]


def _prefix(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    return rng.choice(_PREFIXES).split() + words


def _suffix(words: list[str], rng: random.Random, vocab: list[str]) -> list[str]:
    return words[:-1] + [words[-1] + rng.choice(_SUFFIXES)]


EDITS: tuple[Edit, ...] = (_case, _punct, _drop, _swap, _prefix, _suffix)


def near_copies(text: str, rng: random.Random, vocab: list[str]) -> Iterator[str]:
    """One copy per single edit, and one with two random edits."""
    words = text.split()
    for edit in EDITS:
        yield " ".join(edit(words, rng, vocab))
    first, second = rng.sample(EDITS, 2)
    yield " ".join(second(first(words, rng, vocab), rng, vocab))


def logs(split: str, files: int) -> list[Path]:
    return sorted((IRC / split).glob("*.raw.txt"))[:files]


def measure(paths: list[Path], seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    distinct: list[float] = []
    copies: list[float] = []
    copies_flagged = distinct_flagged = 0
    for path in paths:
        texts = [m.text for m in read_irc(path) if normal(m.text)]
        vocab = [w for t in texts for w in t.split()]
        for i, text in enumerate(texts):
            for earlier in texts[max(0, i - LOOK_BACK) : i]:
                if normal(earlier) != normal(text):
                    distinct.append(similarity(text, earlier))
                    distinct_flagged += near_copy(text, earlier)
            if len(shingles(text)) >= MIN_SHINGLES and len(text.split()) >= 3:
                for copy in near_copies(text, rng, vocab):
                    copies.append(similarity(copy, text))
                    copies_flagged += near_copy(copy, text)

    def above(values: list[float], t: float) -> float:
        return sum(v >= t for v in values) / max(1, len(values))

    table = {
        f"{t:.2f}": {
            "distinct_blocked": round(above(distinct, t), 5),
            "near_copies_passed": round(1 - above(copies, t), 4),
        }
        for t in THRESHOLDS
    }
    per_pair = distinct_flagged / max(1, len(distinct))
    return {
        "logs": [p.name for p in paths],
        "distinct_pairs": len(distinct),
        "near_copies": len(copies),
        "by_threshold": table,
        "threshold": NEAR_COPY,
        "distinct_blocked": round(per_pair, 5),
        "distinct_reply_blocked": round(1 - (1 - per_pair) ** COMPARISONS_PER_REPLY, 4),
        "near_copies_caught": round(copies_flagged / max(1, len(copies)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    paths = logs(args.split, args.files)
    if not paths:
        raise SystemExit(f"no logs under {IRC / args.split}")
    summary = measure(paths)
    for t, row in summary["by_threshold"].items():  # type: ignore[union-attr]
        print(f"threshold {t}: distinct pairs blocked {row['distinct_blocked']:.4%}, near-copies passed {row['near_copies_passed']:.2%}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
