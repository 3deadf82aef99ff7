"""Scoring reply-to links against the human annotation of the `#ubuntu` IRC corpus.

Annotation lines `A B -` link the later line to the earlier one (a line linked
to itself starts a conversation); only lines from 1,000 on are annotated, and
system lines (joins, renames) are left out here because no reader yields them
(`paper=True` counts them, as predicted self-links, the way the paper scores).
A message may have several gold parents; each predicted link is one parent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bench.rules_linker import rule_link
from groupmind.events import ChatMessage
from groupmind.replay import read_irc
from groupmind.we.threads import Link, Linked, Threader, previous_other_speaker

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


def line_of(message_id: str) -> int:
    """The log line of an IRC message id (`<stem>:<line>`)."""
    return int(message_id.rsplit(":", 1)[1])


Parents = Callable[[Iterable[ChatMessage]], Iterator[str]]
"""Links a log's messages in order, yielding the id of each message's parent."""


def learned_parents(messages: Iterable[ChatMessage]) -> Iterator[str]:
    """groupmind's links: the learned linker, streamed (as `link_message` would link them)."""
    threader = Threader()
    for msg in messages:
        yield threader.link(msg).parent


def rule_parents(messages: Iterable[ChatMessage]) -> Iterator[str]:
    """The rule precedence groupmind used before the learned linker."""
    recent: deque[Linked] = deque(maxlen=RECENT_KEPT)
    for msg in messages:
        link = rule_link(msg, list(recent))
        recent.append(Linked(msg, link))
        yield link.parent


def baseline_parents(messages: Iterable[ChatMessage]) -> Iterator[str]:
    """The latest message by someone else."""
    recent: deque[Linked] = deque(maxlen=RECENT_KEPT)
    for msg in messages:
        parent = previous_other_speaker(msg, list(recent))
        recent.append(Linked(msg, Link(msg.message_id, parent, parent, "")))
        yield parent


def score_log(raw: Path, parents: Parents = learned_parents, paper: bool = False) -> Scores:
    """Scores of `parents` on one `NAME.raw.txt` with its `NAME.annotation.txt`.

    `paper`: count every annotated line as the paper's evaluation does, system lines
    (joins, quits, renames) included; no reader yields those, so they are predicted
    to link to themselves, which is how the annotation nearly always links them.
    """
    gold_all = read_annotation(raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt")))
    messages = list(read_irc(raw))
    predicted = {
        (line, line_of(parent))
        for msg, parent in zip(messages, parents(messages))
        if (line := line_of(msg.message_id)) >= FIRST_ANNOTATED
    }
    lines = {child for child, _ in predicted}
    if paper:
        system = {child for child, _ in gold_all if child >= FIRST_ANNOTATED} - lines
        predicted |= {(line, line) for line in system}
        lines |= system
    gold = {pair for pair in gold_all if pair[0] in lines}
    return Scores(len(predicted & gold), len(predicted), len(gold))


def score_links(raws: Iterable[Path], parents: Parents = learned_parents, paper: bool = False) -> Scores:
    """Micro-averaged scores of `parents` over several logs."""
    scores = [score_log(raw, parents, paper) for raw in raws]
    return Scores(*(sum(getattr(s, field) for s in scores) for field in ("correct", "predicted", "gold")))


def score_logs(raws: Iterable[Path]) -> tuple[Scores, Scores]:
    """Micro-averaged (groupmind, baseline) scores over several logs."""
    raws = list(raws)
    return score_links(raws), score_links(raws, baseline_parents)
