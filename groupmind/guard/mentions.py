"""Mentions in what the model writes: never a run of names, never everyone.

The bot's own `@name` leads are added by the pipeline when it speaks and never
stored, so the model does not learn to open with a roll call; if it opens with
a mention anyway (the lead in front would make it a run), writes a run of them,
or pings a whole room, the text is blocked.
"""

from __future__ import annotations

import re

from groupmind.guard.verdict import PASS, Reason, Verdict, block

MENTION = r"(?:<@[!&]?\w+>|<!\w+(?:\|[^>]*)?>|@[\w.-]+)"
MASS = re.compile(r"@(?:everyone|here|channel|all)\b|<!(?:everyone|here|channel)[^>]*>|<@&\w+>", re.IGNORECASE)
RUN = re.compile(rf"{MENTION}(?:[\s,;&+]+(?:and\s+)?{MENTION})+", re.IGNORECASE)
"""Two or more mentions with nothing but separators between them."""
MOST = 2
"""Mentions one reply may hold in all; leads are the pipeline's job."""
OPENS = re.compile(rf"^\W*{MENTION}", re.IGNORECASE)
"""A reply that opens with a mention: the pipeline puts its own leads in front, so this one would make a run."""


def mention_run(text: str) -> Verdict:
    if OPENS.search(text):
        return block(Reason.MENTIONS, "opens with a mention")
    if found := MASS.search(text):
        return block(Reason.MENTIONS, f"mass mention {found.group(0)!r}")
    if found := RUN.search(text):
        return block(Reason.MENTIONS, f"run of mentions {found.group(0)[:60]!r}")
    if len(re.findall(MENTION, text)) > MOST:
        return block(Reason.MENTIONS, "too many mentions")
    return PASS
