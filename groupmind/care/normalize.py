"""Text normalisation for the care detector: one canonical form for many spellings.

People hide or soften what they say: "K1LL  mys3lf", "k i l l  m y s e l f",
"s.u.i.c.i.d.e", "su!c!de", "kiiiill", "d💀i💀e", emoji instead of words. The detector runs on one
canonical form, and its patterns are compiled through `squash` so both sides
agree: lowercase NFKC text, emoji as words, leetspeak inside words undone,
punctuation inside words and apostrophes dropped, spaced-out letters joined,
and every run of a repeated letter collapsed to one ("kill" → "kil").
"""

from __future__ import annotations

import re
import unicodedata

# Emoji carry meaning in chat: laughter marks banter, objects can name means.
_EMOJI_WORDS = {
    "💀": " lol ", "😂": " lol ", "🤣": " lol ", "😆": " lol ", "😹": " lol ", "🙃": " lol ",
    "😭": " crying ", "😢": " crying ", "😿": " crying ",
    "😞": " sad ", "😔": " sad ", "☹": " sad ", "🙁": " sad ", "💔": " heartbroken ",
    "🔪": " knife ", "🗡": " knife ", "💊": " pills ", "🔫": " gun ", "🪢": " rope ",
    "🌉": " bridge ", "⚰": " coffin ", "🪦": " grave ", "🩸": " blood ",
    "👋": " goodbye ", "😵": " dizzy ",
}
# Look-alike letters from other scripts (Cyrillic, Greek) that NFKC leaves alone.
_HOMOGLYPHS = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ѕ": "s", "к": "k",
               "м": "m", "т": "t", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v"}
_EMOJI_TABLE = str.maketrans(_EMOJI_WORDS | _HOMOGLYPHS)
# Emoji wedged between letters ("d💀i💀e") hide a word rather than add one: they are dropped.
_INNER_EMOJI = re.compile(r"(?<=\w)[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]+(?=\w)")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
# A word that starts with a letter (or @/$) and mixes in leet digits: "k1ll", "$uicide", "d13".
_LEET_WORD = re.compile(r"(?<![\w@$])[a-z@$][a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_INNER_BANG = re.compile(r"(?<=[a-z])!+(?=[a-z])")
"""'!' for 'i' inside a word: "su!c!de", "k!ll"."""
_INNER_PUNCT = re.compile(r"(?<=[a-z0-9])[.\-_*'’`´·|/\\]+(?=[a-z0-9])")
_SPACED_LETTERS = re.compile(r"\b[a-z](?: [a-z]\b){2,}")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
# Not after a backslash, so regex escapes such as "\\bbe" survive when patterns are squashed.
_REPEATS = re.compile(r"(?<!\\)([a-z])\1+")
_SPACES = re.compile(r" {2,}")


def squash(text: str) -> str:
    """Collapse every run of a repeated letter to one: "kiiill" and "kill" both become "kil"."""
    return _REPEATS.sub(r"\1", text)


def _join_spaced(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


def normalize(text: str) -> str:
    """The canonical form the detector's patterns match against.

    Words stay separated by single spaces; two or more spaces (as in
    "k i l l  m y s e l f") separate spaced-out words from each other.
    """
    if text.isascii():  # NFKC leaves ASCII alone: skip it on the common path
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _INNER_EMOJI.sub("", text).translate(_EMOJI_TABLE)
        # Accents and remaining symbols: keep the base letters, drop the rest.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.replace("\n", " ").replace("\t", " ")
    if any(ch in text for ch in "013457@$"):
        text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _INNER_PUNCT.sub("", _INNER_BANG.sub("i", text))
    text = _NON_WORD.sub(" ", text)
    # Spaced-out letters: join each run of single letters; double spaces split words.
    if _SPACED_LETTERS.search(text):
        text = " ".join(_SPACED_LETTERS.sub(_join_spaced, part) for part in _SPACES.split(text.strip()))
    return squash(" ".join(text.split()))
