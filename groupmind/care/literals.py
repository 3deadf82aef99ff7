"""Literal text a regular expression cannot match without: a sound prefilter for the care scan.

Most messages name an anchor word of some pattern, yet almost none contain what the pattern spells
out ("thoughts of suicide", " suicidal"). A few substring tests rule out a regex search that would
fail anyway, so the scan's result is exactly what running every pattern would give.
The analysis reads the pattern's parse tree (`re._parser`, the stdlib's own parser, stable since 3.11):
consecutive literal characters form a string, an alternation needs one of its branches' strings,
a repeat needs its body only when it must occur at least once; anything else (classes, lookarounds,
flags) requires nothing.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None when nothing is certain."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence(parser.parse(pattern.pattern, pattern.flags))


def could_match(needed: frozenset[str] | None, text: str) -> bool:
    """False only when `text` lacks every string of `needed`: a search of the pattern would then fail."""
    return needed is None or any(s in text for s in needed)


def _sequence(items: parser.SubPattern) -> frozenset[str] | None:
    """Every item of a sequence must match, so any one item's requirement holds: keep the most selective."""
    options: list[frozenset[str]] = []
    run = ""
    for op, arg in [*items, (None, None)]:
        if op is sre.LITERAL:
            run += chr(arg)
            continue
        if run:
            options.append(frozenset({run}))
            run = ""
        if op is not None and (need := _item(op, arg)) is not None:
            options.append(need)
    return max(options, key=lambda need: (min(map(len, need)), -len(need)), default=None)


def _item(op: object, arg: object) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = arg
        return None if add_flags or del_flags else _sequence(body)
    if op is sre.ATOMIC_GROUP:
        return _sequence(arg)
    if op is sre.BRANCH:
        needs = [_sequence(alternative) for alternative in arg[1]]
        return None if any(n is None for n in needs) else frozenset().union(*needs)
    if op in _REPEATS:
        least, _most, body = arg
        return _sequence(body) if least >= 1 else None
    return None
