"""Scoring reply-to links against the human annotation of the `#ubuntu` IRC corpus.

Annotation lines `A B -` link the later line to the earlier one (a line linked
to itself starts a conversation); only lines from 1,000 on are annotated, and
system lines (joins, renames) are left out here because no reader yields them.
A message may have several gold parents; each predicted link is one parent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from groupmind.replay import read_irc
from groupmind.we.threads import Linked, link_message, previous_other_speaker

FIRST_ANNOTATED = 1000
RECENT_KEPT = 80


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of predicted links."""

    correct: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def read_annotation(path: Path) -> set[tuple[int, int]]:
    """Gold (child line, parent line) pairs; malformed lines are skipped."""
    pairs = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            a, b = int(parts[0]), int(parts[1])
            pairs.add((max(a, b), min(a, b)))
    return pairs


def _line(message_id: str) -> int:
    return int(message_id.rsplit(":", 1)[1])


def score_log(raw: Path) -> tuple[Scores, Scores]:
    """(groupmind, baseline) scores for one `NAME.raw.txt` with its `NAME.annotation.txt`."""
    gold_all = read_annotation(raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt")))
    recent: deque[Linked] = deque(maxlen=RECENT_KEPT)
    ours: set[tuple[int, int]] = set()
    base: set[tuple[int, int]] = set()
    lines: set[int] = set()
    for msg in read_irc(raw):
        link = link_message(msg, list(recent))
        line = _line(msg.message_id)
        if line >= FIRST_ANNOTATED:
            lines.add(line)
            ours.add((line, _line(link.parent)))
            base.add((line, _line(previous_other_speaker(msg, list(recent)))))
        recent.append(Linked(msg, link))
    gold = {pair for pair in gold_all if pair[0] in lines}
    return (
        Scores(len(ours & gold), len(ours), len(gold)),
        Scores(len(base & gold), len(base), len(gold)),
    )


def score_logs(raws: Iterable[Path]) -> tuple[Scores, Scores]:
    """Micro-averaged (groupmind, baseline) scores over several logs."""
    totals = [[0, 0, 0], [0, 0, 0]]
    for raw in raws:
        for total, scores in zip(totals, score_log(raw)):
            total[0] += scores.correct
            total[1] += scores.predicted
            total[2] += scores.gold
    return Scores(*totals[0]), Scores(*totals[1])


