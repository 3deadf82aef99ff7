"""The learned first-stage scorer and how it joins the rules: reproducible, bounded, never the only gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groupmind.care import learned, signals
from groupmind.care.normalize import normalize
from groupmind.care.signals import RISK_LABELS, Kind, Label, detect, rules_only

TRAIN = Path(__file__).resolve().parents[2] / "bench" / "data" / "care" / "train.tsv"
_EXCLUSION_CATEGORIES = {"banter", "gaming", "idiom", "news", "tech", "curiosity", "everyday", "concern"}


def _rows() -> list[tuple[Label, str, str, str]]:
    rows = []
    for line in TRAIN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, category, family, text = line.split("\t", 3)
            rows.append((Label(label), category, family, text))
    return rows


def test_training_set_is_large_and_grouped_in_families() -> None:
    rows = _rows()
    families = {family for *_, family, _ in rows}
    assert len(rows) >= 650 and len(families) >= 40
    assert {label for label, *_ in rows} >= RISK_LABELS - {Label.MEANS_QUESTION} | {Label.CONCERN, Label.NONE}


def test_scores_are_deterministic_probabilities() -> None:
    m = learned.load()
    p = m.probabilities(normalize("i have made up my mind, tonight is the night"))
    assert p.shape == (len(learned.CLASSES),) and np.isclose(p.sum(), 1.0)
    assert np.array_equal(p, learned.load().probabilities(normalize("i have made up my mind, tonight is the night")))
    assert 0.3 <= m.threshold < 1.0


def test_hashing_is_stable_across_processes() -> None:
    """crc32, not Python's salted hash: the shipped weights mean the same buckets everywhere."""
    idx, val = learned.features("kil myself")
    assert idx.tolist() == sorted(set(idx.tolist())) and np.isclose(np.square(val).sum(), 1.0)
    assert learned.features("kil myself")[0].tolist() == idx.tolist()


def test_shipped_weights_are_what_the_training_script_writes() -> None:
    pytest.importorskip("sklearn")
    from bench import train_care

    if not train_care.IRC_TRAIN.is_dir():
        pytest.skip("the IRC training logs are not here")
    assert train_care.reproduces(learned.load(), train_care.train(train_care.load()))


@pytest.mark.parametrize(
    "text",
    [
        "I've made up my mind, tonight's the night",
        "the pills are on the table in front of me",
        "gave my guitar to my brother, won't need it",
        "wrote letters to my family just in case",
        "thanks for everything, you were all good friends. bye",
        "I'm not safe right now",
        "i don't feel safe with myself",
    ],
)
def test_held_out_classes_are_imminent(text: str) -> None:
    assert detect(text).label is Label.PLAN_OR_IMMINENT


@pytest.mark.parametrize(
    "text",
    ["I'm worried about my son, he said he wants to die", "my friend keeps talking about ending it",
     "how do i help my sister, she said she doesn't want to live anymore"],
)
def test_worry_about_someone_else_is_concern_not_risk(text: str) -> None:
    result = detect(text)
    assert result.label is Label.CONCERN and not result.is_risk


@pytest.mark.parametrize(
    "text",
    ["my friend (who is totally not me) wants to end it", "asking for a friend, how many sleeping pills would it take",
     "my friend keeps thinking about killing themself and that friend is me"],
)
def test_a_projected_friend_is_risk_about_the_speaker(text: str) -> None:
    assert detect(text).is_risk


def test_no_exclusion_family_fires() -> None:
    """Every team-written family of banter, games, idiom, news, tech, curiosity, everyday talk and concern: no risk."""
    fired = [(family, text) for label, category, family, text in _rows()
             if category in _EXCLUSION_CATEGORIES and label not in RISK_LABELS and detect(text).is_risk]
    # A few known rule false alarms in these families (see the report); anything more is a regression.
    assert len(fired) <= 4, fired


def test_a_bare_intent_and_time_is_not_imminent_alone() -> None:
    assert detect("I'm going to do it tonight").label is Label.NONE


def test_the_scorer_never_speaks_over_an_exclusion_or_a_short_message() -> None:
    for text in ("i'm literally dying lmao this is too good", "keep dying to this boss, third hour now", "iiii"):
        assert not any(s.kind is Kind.LEARNED for s in detect(text).signals), text


def test_a_learned_imminent_needs_a_deterministic_cue() -> None:
    for label, _category, _family, text in _rows():
        result = detect(text)
        if result.label is Label.PLAN_OR_IMMINENT and rules_only(normalize(text)).label is not Label.PLAN_OR_IMMINENT:
            cues = {s.kind for s in result.signals} & {Kind.PREPARATION, Kind.PLAN, Kind.FAREWELL, Kind.MEANS}
            assert cues or signals._MEANS_NOUN.search(normalize(text)), text  # means named count as a cue
