"""Mentions in what the model writes: never a run of names, never everyone.

The bot's own `@name` leads are added by the pipeline when it speaks and never
stored, so the model does not learn to open with a roll call; if it opens with
a mention anyway (the lead in front would make it a run), writes a run of them,
or pings a whole room, the text is blocked.
"""

from __future__ import annotations

import re
from typing import Iterable

from groupmind.guard.verdict import PASS, Reason, Verdict, block

MENTION = r"(?:<@[!&]?\w+>|<!\w+(?:\|[^>]*)?>|@[\w.-]+)"
MASS = re.compile(r"@(?:everyone|here|channel|all)\b|<!(?:everyone|here|channel)[^>]*>|<@&\w+>", re.IGNORECASE)
RUN = re.compile(rf"{MENTION}(?:[\s,;&+]+(?:and\s+)?{MENTION})+", re.IGNORECASE)
"""Two or more mentions with nothing but separators between them."""
MOST = 2
"""Mentions one reply may hold in all; leads are the pipeline's job."""
OPENS = re.compile(rf"^\W*{MENTION}", re.IGNORECASE)
"""A reply that opens with a mention: the pipeline puts its own leads in front, so this one would make a run."""


NAME_RUN = 3
"""Names in a row (`ana, ben, cara:`) that make a roll call rather than a reply."""
_BETWEEN = re.compile(r"^(?:[\s,;:&+]|and\b)*$", re.IGNORECASE)


def name_run(text: str, names: Iterable[str]) -> bool:
    """Whether `text` lists NAME_RUN member names in a row, or one name twice in a row, with or without `@`."""
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True) if len(n) >= 2)
    if not alternatives:
        return False
    found = list(re.finditer(rf"(?<![\w@])@?(?:{alternatives})(?![\w])", text, re.IGNORECASE))
    run = 1
    for before, after in zip(found, found[1:]):
        if not _BETWEEN.match(text[before.end() : after.start()]):
            run = 1
            continue
        if before.group(0).lstrip("@").casefold() == after.group(0).lstrip("@").casefold():
            return True
        run += 1
        if run >= NAME_RUN:
            return True
    return False


def mention_run(text: str, names: Iterable[str] = ()) -> Verdict:
    """Block a reply that opens with a mention, pings everyone, runs mentions or names together, or holds too many."""
    if name_run(text, names):
        return block(Reason.MENTIONS, "a run of names")
    if OPENS.search(text):
        return block(Reason.MENTIONS, "opens with a mention")
    if found := MASS.search(text):
        return block(Reason.MENTIONS, f"mass mention {found.group(0)!r}")
    if found := RUN.search(text):
        return block(Reason.MENTIONS, f"run of mentions {found.group(0)[:60]!r}")
    if len(re.findall(MENTION, text)) > MOST:
        return block(Reason.MENTIONS, "too many mentions")
    return PASS
