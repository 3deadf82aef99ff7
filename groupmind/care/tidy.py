"""What a small model wraps around its rewording of a care text, taken off before the checks.

Asked to say a message in its own words, a small model writes a letter ("Dear
friend, ... Love, Mind"), quotes its answer, or labels it ("Rewritten: ...").
None of that is the message, and sent as it is, it reads as a form letter or a
glitch to someone having a hard time. `tidy` takes those wrappings off; what it
cannot make clean (a quote mark left open inside, a letter's phrase in the
middle) it rejects, and the protocol text is sent instead.
"""

from __future__ import annotations

import re

_PAIRS = {'"': '"', "“": "”", "„": "“", "«": "»", "'": "'", "‘": "’"}
"""Quote marks that may wrap a whole answer, opening to closing."""
_SINGLE = ("'", "‘", "’")
"""Single quote marks: apostrophes too, so only the ends of a text are looked at."""
_LABEL = re.compile(
    r"^(?:(?:here(?:'s|\s+is)\s+)?(?:(?:the|a|my)\s+)?(?:(?:new|rewritten|reworded|rephrased|warmer|kinder)\s+)?"
    r"(?:message|version|text|reply|response|rewrite|rewording|answer|output)|rewritten|reworded|rephrased)\s*:\s*",
    re.IGNORECASE,
)
"""A leading label: "Rewritten:", "Message:", "Here's the reworded message:"."""
_SALUTATION = re.compile(r"^(?:my\s+)?dear(?:est)?(?:\s+[\w'-]+){0,3}\s*(?:[,:!]|\n|$)\s*", re.IGNORECASE)
"""A letter's opening: "Dear friend,", "Dear,", "My dear Pat!"."""
_SIGN_OFF_WORDS = (
    r"(?:with\s+)?(?:best(?:\s+wishes|\s+regards)?|kind(?:est)?\s+regards|regards|warm(?:ly|est|\s+regards|\s+wishes)|"
    r"(?:lots\s+of\s+|all\s+my\s+|much\s+)?love|cheers|sincerely|yours(?:\s+truly|\s+sincerely|\s+always)?|hugs|xoxo?)"
)
_SIGN_OFF = re.compile(
    rf"(?:^|(?<=[.!?…])\s+|\n\s*){_SIGN_OFF_WORDS}\s*(?:[,\n]\s*[^\n.!?]{{0,40}}|!)?\s*$", re.IGNORECASE
)
"""A letter's closing at the end: "Best,", "Love, Mind", "Warmly,\\nYour friend"."""
_SIGNATURE = re.compile(r"\n\s*[-—–]+\s*[^\n]{1,40}$")
"""A signature on its own last line: "— Mind"."""
_LETTER = re.compile(
    rf"^\s*(?:my\s+)?dear(?:est)?\b|(?:^|\n)\s*{_SIGN_OFF_WORDS}\s*,|\[\s*your\s+name\s*\]", re.IGNORECASE
)
"""A letter's phrase still there after tidying: the wording is not one message."""


def tidy(candidate: str) -> str | None:
    """`candidate` without labels, wrapping or stray quotes, salutations and sign-offs; None if it stays unclean."""
    text = candidate.strip()
    while True:
        before = text
        text = _unwrap(text)
        text = _LABEL.sub("", text, count=1).strip()
        text = _SALUTATION.sub("", text, count=1).strip()
        text = _SIGN_OFF.sub("", text, count=1).strip()
        text = _SIGNATURE.sub("", text, count=1).strip()
        if text == before:
            break
    text = text[:1].upper() + text[1:]
    if not text or _LETTER.search(text) or _unbalanced(text):
        return None
    return text


def _unwrap(text: str) -> str:
    """Take off quote marks around the whole text, or a lone one at either end."""
    first, last = text[:1], text[-1:]
    closing = _PAIRS.get(first)
    if closing and len(text) > 1 and last == closing and not _unbalanced(text[1:-1]):
        return text[1:-1].strip()
    if closing and (not text.endswith(closing) if first in _SINGLE else _unbalanced(text)):
        return text[1:].strip()  # an opening quote nobody closed
    if last in _PAIRS.values() and (first not in _SINGLE if last in _SINGLE else _unbalanced(text)):
        return text[:-1].strip()  # a closing quote nobody opened
    return text


def _unbalanced(text: str) -> bool:
    """Whether double quote marks in `text` are left open (single ones are apostrophes too, so not counted)."""
    return text.count('"') % 2 == 1 or text.count("“") + text.count("„") != text.count("”")
