"""The care scan's literal prefilter is sound: it skips a regex search only where the search would fail."""

from __future__ import annotations

import re

import pytest

from bench import detect as bench_detect
from groupmind.care import signals
from groupmind.care.literals import could_match, required
from groupmind.care.normalize import normalize


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        (r"\bkms\b", {"kms"}),
        (r"\b(?:im|i am) suicidal\b", {" suicidal"}),
        (r"\b(?:end|take) (?:my life|it al)\b", {"my life", "it al"}),  # the more selective part
        (r"(?:ab)?c", {"c"}),
        (r"x(?:yz)+", {"yz"}),
        (r"(?:a|)b", {"b"}),
    ],
)
def test_required_strings(pattern: str, needed: set[str]) -> None:
    assert required(re.compile(pattern)) == needed


@pytest.mark.parametrize("pattern", [r"a*", r"(?:a|)", r"[abc]+", r"(?=kms)", r"(?i)kms", r".{0,30}", r"\bx?\b"])
def test_nothing_is_required_where_nothing_is_certain(pattern: str) -> None:
    assert required(re.compile(pattern)) is None


def test_a_text_without_the_strings_cannot_match() -> None:
    needed = required(re.compile(r"\bthoughts of (?:suicide|dying)\b"))
    assert not could_match(needed, "i have thoughts about lunch")
    assert could_match(needed, "thoughts of dying again")


def test_no_care_pattern_is_skipped_where_it_would_match() -> None:
    """Every pattern, anchors aside, on every care text and an IRC sample: a match always passes the prefilter."""
    texts = [normalize(t) for t in bench_detect.care_texts() + bench_detect.sample(bench_detect.irc_texts())]
    for p in signals._COMPILED:
        for text in texts:
            if p.regex.search(text):
                assert could_match(p.needed, text), (p.regex.pattern[:60], text)
