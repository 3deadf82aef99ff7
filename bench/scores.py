"""Scores of the we-model bench: attention balance and when-to-speak agreement with the labels."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence


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
