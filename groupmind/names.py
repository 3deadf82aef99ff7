"""Who is who: names compared as a person sees them, never code point by code point.

A member can take a display name that only looks like the bot's ("Міnd" in
Cyrillic, "Ｍｉｎｄ", "𝐌𝐢𝐧𝐝", "Mi\\u200bnd", "m i n d", "MIND") or like another
member's. Every question "is this the same name?" is answered here, by Unicode's
confusable skeleton (UTS #39, from ICU's own copy of Unicode's data), taken
after NFKC, with invisible characters, combining marks and spaces removed and
case folded. The bot itself is never recognised by its name alone: see `is_own`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

import icu

from groupmind.events import ChatMessage

_SPOOF = icu.SpoofChecker()


def _char_class(pattern: str) -> str:
    """A regex character class holding the code points of an ICU UnicodeSet pattern."""
    chars = icu.UnicodeSet(pattern)
    ranges = ((chars.getRangeStart(i), chars.getRangeEnd(i)) for i in range(chars.getRangeCount()))
    return "[" + "".join(f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in ranges) + "]"


_UNSEEN = re.compile(_char_class("[[[:Default_Ignorable_Code_Point:][:Cf:][:Cc:][:Mn:][:Me:]]-[:White_Space:]]"))
"""What adds nothing a reader sees: zero-width and bidirectional format characters,
fillers, variation selectors, control characters and combining marks."""
_SPACES = re.compile(_char_class("[[:White_Space:][:Z:]]") + "+")

MASS_MENTIONS = ("everyone", "here", "channel")
"""Words that notify a whole room after an "@" on Discord or Slack."""
_NO_PING = "\u200b"
"""A zero-width space after "@": the text reads the same and no platform parses a mention."""


def fold(text: str, space: str) -> str:
    """`text` as its look: NFKC, nothing unseen, spaces as `space`, then the confusable skeleton.

    Capital letters of other scripts (Cyrillic М, Greek Μ) look Latin only as
    capitals, and some lower-case letters only in lower case ("rn" and "m"),
    so the skeleton is taken in upper case, then again case-folded.
    """
    seen = _UNSEEN.sub("", unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text)))
    seen = _SPACES.sub(space, seen).strip()
    return _SPOOF.getSkeleton(0, _SPOOF.getSkeleton(0, seen.upper()).casefold())


def skeleton(name: str) -> str:
    """The look of a name: two names with the same skeleton cannot be told apart by a reader."""
    return fold(name, "")


def same_name(a: str, b: str) -> bool:
    """True when `a` and `b` read as the same name ("Міnd", "m i n d" and "Mind" do)."""
    return skeleton(a) == skeleton(b)


def names_in(text: str, name: str) -> bool:
    """True if `text` uses `name` as a word, in any lookalike form ("Ｍind," yes; "mindful" no)."""
    wanted = fold(name, " ")
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", fold(text, " ")) is not None


def is_own(msg: ChatMessage, bot_name: str) -> bool:
    """True for the bot's own message: a bot's message (which the platform, not the member,
    says) under exactly the bot's name. A member's message never is, whatever their name."""
    return msg.author_is_bot and msg.author_name == bot_name


def _starts(text: str, stop: int, reach: int) -> Iterable[int]:
    """Where a word starts in `text[:stop]`, from the nearest back to `reach` characters before."""
    for start in range(stop - 1, max(-1, stop - reach - 1), -1):
        if start == 0 or text[start - 1].isspace():
            yield start


_COLON = re.compile(r"\s*:")


def find_label(text: str, labels: Iterable[str]) -> tuple[int, int] | None:
    """The span of the first `label:` in `text` (at its start or after a space) whose label
    reads as one of `labels`, from the label to just after the colon; None if there is none."""
    wanted = {key for key in map(skeleton, labels) if key}
    if not wanted:
        return None
    reach = 4 * max(map(len, wanted)) + 8  # room for a label spaced out or full of invisible characters
    found: tuple[int, int] | None = None
    for colon in _COLON.finditer(text):
        for start in _starts(text, colon.start(), reach):
            if found is not None and start >= found[0]:
                continue
            if skeleton(text[start : colon.start()]) in wanted:
                found = (start, colon.end())
    return found


def mention(name: str) -> str:
    """`@name` for addressing a member in text; never a mass mention, whatever the name.

    A member called "everyone", "here" or "channel" (or a lookalike of one)
    gets a zero-width space after the "@", so no platform reads it as a ping,
    and mention markup inside a name (`<!here>`, `<@&role>`) is defused.
    """
    ping = _NO_PING if any(same_name(name, word) for word in MASS_MENTIONS) else ""
    return f"@{ping}{defuse_mentions(name)}"


_PING = re.compile(r"(?<!\w)@|<(?=[!@#])")
"""Where a mention starts: an "@" opening a word (`@everyone`, `@Ana`), or Slack's and
Discord's markup `<!here>`, `<@U1>`, `<@&role>`, `<#channel>`."""


def defuse_mentions(text: str) -> str:
    """`text` with a zero-width space after each place a mention could start: it pings nobody.

    The mark goes right after the character that decides, so text cleaned while
    it streams only ever grows: what was shown stays a prefix of what comes.
    """
    return _PING.sub(lambda start: start[0] + _NO_PING, text)
