"""Detection's results are fixed by recorded outcomes: speed-ups of the normaliser, the rules and the scorer
must change no label, signal or score.

`tests/unit/data/care_outcomes.json.gz` was written by `bench/detect.py --write-outcomes` from the code
before detection was made faster (commit d940e59): every text in bench/data/care and 3,000 IRC dev lines.
Rewrite it only when a change of results is intended (new patterns, retrained weights).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench import detect as bench_detect
from groupmind.care import learned
from groupmind.care.normalize import normalize

RECORDED = Path(__file__).with_name("data") / "care_outcomes.json.gz"


def _recorded() -> dict[str, list[object]]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _compare(texts: list[str]) -> None:
    recorded = _recorded()
    now = bench_detect.outcomes(texts)
    assert now.keys() <= recorded.keys()
    for key, (norm, normal, high, signals, risk, label, worst, flagged) in now.items():
        want_norm, want_normal, want_high, want_signals, want_risk, want_label, want_worst, want_flagged = recorded[key]
        assert (norm, normal, high, signals) == (want_norm, want_normal, want_high, want_signals), key
        assert risk == pytest.approx(want_risk, abs=1e-9), key
        assert (label, worst, flagged) == (want_label, want_worst, want_flagged), key


def test_every_care_text_is_detected_as_recorded() -> None:
    _compare(bench_detect.care_texts())


def test_irc_lines_are_detected_as_recorded() -> None:
    texts = bench_detect.irc_texts()
    if not texts:
        pytest.skip("the IRC dev logs are not here")
    _compare(bench_detect.sample(texts))


def test_scores_do_not_depend_on_what_was_scored_before() -> None:
    """The scorer caches per-word work: a text scores the same cold, warm and after other texts."""
    text = normalize("i have made up my mind, tonight is the night")
    first = learned.score_normalised(text)
    for other in bench_detect.care_texts()[:200]:
        learned.score_normalised(normalize(other))
    assert learned.score_normalised(text) == first
    assert learned.load().probabilities(text).tolist() == learned.model().probabilities(text).tolist()


@pytest.mark.parametrize("text", ["", " ", "a", "\x00\x01", "💀" * 50, "word " * 2000, "ａ" * 5000])
def test_degenerate_texts_score_as_probabilities(text: str) -> None:
    p = learned.model().probabilities(normalize(text))
    assert p.shape == (len(learned.CLASSES),) and p.sum() == pytest.approx(1.0)
