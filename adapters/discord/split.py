"""Cut a reply into Discord-sized messages at natural boundaries."""

from __future__ import annotations

import re

DISCORD_LIMIT = 2000
"""Discord refuses message content longer than this many characters."""

_SENTENCE_END = re.compile(r"[.!?…][)\"'”’]*\s")


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """Split `text` into chunks of at most `limit` characters.

    A chunk ends, in order of preference, at a line break, at a sentence end,
    at a space, and only as a last resort in the middle of a word. A boundary
    is used only in the second half of a chunk, so no chunk is needlessly short.
    Whitespace at the cut is dropped; nothing else is.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest[: limit + 1], limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _cut_point(window: str, limit: int) -> int:
    """Where to cut: an index into `window` (limit + 1 characters) in (limit // 2, limit]."""
    floor = limit // 2
    newline = window.rfind("\n", floor)
    if newline > floor:
        return newline
    sentences = [m.end() for m in _SENTENCE_END.finditer(window, floor) if m.end() <= limit]
    if sentences:
        return sentences[-1]
    space = max(window.rfind(" ", floor), window.rfind("\t", floor))
    if space > floor:
        return space
    return limit
