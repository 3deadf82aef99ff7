"""Stage-one care detection: normaliser, signals, exclusions, curiosity, sensitivity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from groupmind.care import signals
from groupmind.care.normalize import normalize
from groupmind.care.signals import RISK_LABELS, Label, detect
from groupmind.replay import read_irc
from tests.conftest import IRC_DEV

EVAL = Path(__file__).resolve().parents[2] / "bench" / "data" / "care" / "messages.tsv"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("I WANT to DIE", "i want to die"),
        ("k i l l  m y s e l f", "kil myself"),
        ("K1LL mys3lf", "kil myself"),
        ("s.u.i.c.i.d.a.l", "suicidal"),
        ("wanna diiiiie", "wana die"),
        ("Ｉ　ｗａｎｔ", "i want"),
        ("slееp", "slep"),  # Cyrillic look-alikes
        ("this boss 💀", "this bos lol"),
        ("💊 ready", "pils ready"),
        ("won't", "wont"),
        ("at 3am in 2 hours, call 988", "at 3am in 2 hours cal 988"),
        ("su!c!dal", "suicidal"),
        ("k!ll myself!!", "kil myself"),
        ("i want to d💀i💀e", "i want to die"),
        ("", ""),
    ],
)
def test_normalize(raw: str, canonical: str) -> None:
    assert normalize(raw) == canonical


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I want to kill myself", Label.ACTIVE_IDEATION),
        ("k i l l  m y s e l f", Label.ACTIVE_IDEATION),
        ("kms", Label.ACTIVE_IDEATION),
        ("thinking about unaliving myself", Label.ACTIVE_IDEATION),
        ("I just want to sleep forever", Label.PASSIVE_IDEATION),
        ("everyone would be better off without me", Label.PASSIVE_IDEATION),
        ("giving my stuff away, won't need it", Label.PLAN_OR_IMMINENT),
        ("I want to kill myself tonight", Label.PLAN_OR_IMMINENT),
        ("i want to die and i bought a rope", Label.PLAN_OR_IMMINENT),
        ("i cut myself again", Label.ACTIVE_IDEATION),
        ("I'm having a panic attack, can't breathe", Label.PANIC),
        ("I'm such a burden to everyone", Label.DISTRESS),
        ("it's never going to get better", Label.DISTRESS),
        ("i lost my job and i'm devastated. what's the tallest bridge around here", Label.MEANS_QUESTION),
        ("asking for a friend, how many pills would it take to kill someone", Label.MEANS_QUESTION),
        ("what's the easiest way to die", Label.MEANS_QUESTION),
    ],
)
def test_signal_types(text: str, label: Label) -> None:
    assert detect(text).label is label


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("this boss fight is killing me 💀", None),
        ("I keep killing myself with my own grenades", "gaming"),
        ("this meeting makes me want to die lol", "hyperbole"),
        ("I'm dead lol", None),
        ("killed it!", None),
        ("the singer said she was suicidal", "others"),
        ("they reported he overdosed on heroin", "others"),
        ("I cut myself shaving", "accident"),
        ("Should I use KMS or something?", "tech"),
        ("I can't breathe 😂 that's hilarious", "banter"),
        ("Robin Williams died by suicide, so sad", None),
        ("I'm going to do it tonight, finally cleaning the garage", None),
    ],
)
def test_exclusions(text: str, why: str | None) -> None:
    result = detect(text)
    assert result.label is Label.NONE
    if why is not None:
        assert why in {s.excluded_by for s in result.signals}


def test_exclusions_do_not_hide_a_real_disclosure_in_game_talk() -> None:
    assert detect("been gaming all night so I stop thinking about killing myself").is_risk


def test_curiosity_is_not_an_alarm() -> None:
    for text in ("what's the LD50 of NaCl?", "can you die from drinking too much water?", "what's the tallest bridge around here"):
        result = detect(text)
        assert result.label is Label.CURIOSITY and not result.is_risk


def test_plans_are_never_weakened_by_banter() -> None:
    assert detect("wrote my goodbye note lol").label is Label.PLAN_OR_IMMINENT


@pytest.mark.parametrize(
    ("text", "low", "normal", "high"),
    [
        ("kms", Label.NONE, Label.ACTIVE_IDEATION, Label.ACTIVE_IDEATION),
        ("kms lol", Label.NONE, Label.NONE, Label.ACTIVE_IDEATION),
        ("I just lost my job", Label.NONE, Label.NONE, Label.DISTRESS),
        ("I want to kill myself", Label.ACTIVE_IDEATION, Label.ACTIVE_IDEATION, Label.ACTIVE_IDEATION),
    ],
)
def test_sensitivity_shifts_thresholds(text: str, low: Label, normal: Label, high: Label) -> None:
    assert [detect(text, s).label for s in ("low", "normal", "high")] == [low, normal, high]


def test_unknown_sensitivity_is_normal_and_odd_input_is_safe() -> None:
    assert detect("kms", "bogus").label is Label.ACTIVE_IDEATION
    for text in ("", " ", "\x00\u202e", "💀" * 1000, "a " * 5000, "1337 $$$ @@@"):
        assert detect(text).label in (Label.NONE, Label.CURIOSITY)


def _texts() -> list[str]:
    texts = [line.split("\t", 2)[2] for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    if IRC_DEV.is_dir():
        texts += [m.text for path in sorted(IRC_DEV.glob("*.raw.txt")) for m in read_irc(path)]
    return texts


def test_prefilter_changes_no_result() -> None:
    """The anchor prefilter is a speed-up only: scanning every pattern finds the same signals."""
    def full_scan(text: str) -> list[tuple[str, str]]:
        return [(p.kind.value, m.group(0)) for p in signals._COMPILED if (m := p.regex.search(text))]

    for text in _texts():
        norm = normalize(text)
        assert [(s.kind.value, s.match) for s in signals.scan(norm)] == full_scan(norm), text


def test_every_pattern_names_an_anchor() -> None:
    assert all(p.anchors for p in signals._COMPILED)
    assert all(isinstance(p.regex, re.Pattern) for p in signals._COMPILED)


@pytest.mark.parametrize("text", ["i wish i could sleep forever", "honestly i just want to sleep forever and not wake up"])
def test_a_wish_to_sleep_forever_is_not_the_idiom(text: str) -> None:
    assert detect(text).label is Label.PASSIVE_IDEATION


@pytest.mark.parametrize("text", ["i could sleep forever after this week", "the allergy meds make me so sleepy, i could sleep forever"])
def test_i_could_sleep_forever_is_the_idiom(text: str) -> None:
    assert detect(text).label not in RISK_LABELS


@pytest.mark.parametrize("text", [
    "i swallowed about 30 of my sleeping pills an hour ago",
    "drank the bleach under the sink, feeling weird",
    "sat here with the pills counted out on my desk",
    "i dont trust myself to be on my own tonight",
    "someone please stop me",
    "logging off for good. thank you for putting up with me, bye",
    "by the time anyone reads this it'll be over",
    "who wants my ps5? not gonna be around to use it",
    "the letters are in my nightstand drawer",
    "after the exam on friday i'm ending it",
])  # fmt: skip
def test_imminent_said_without_a_suicide_word(text: str) -> None:
    assert detect(text).label is Label.PLAN_OR_IMMINENT


@pytest.mark.parametrize("text", [
    "took a whole bottle of water to the gym",
    "logging off forever (until lunch)",
    "i don't feel safe walking home alone at night",
    "im not safe from my mom's cooking lmao",
    "tonight is the night the new season drops",
    "giving away my old textbooks, won't need em after graduation",
    "i just want to disappear under a blanket this weekend",
    "nobody would notice if i skipped the meeting right?",
    "we decided on pizza tonight",
    "gonna cut my hair short this weekend",
])  # fmt: skip
def test_the_look_alikes_of_those_stay_quiet(text: str) -> None:
    assert detect(text).label not in RISK_LABELS
