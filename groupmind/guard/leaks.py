"""Text that belongs to the machinery, not the conversation: tokens, notes, instructions, markup.

A base model continuing a transcript writes whatever came before: chat-template
tokens of any model family, the bracketed notes about the room, lines of its
own instructions, and degenerate markup (`<i><i><i>`, `!!!!!!!!`). None of it is
something the bot means to say.
"""

from __future__ import annotations

import re
import string

from groupmind.guard.verdict import PASS, Reason, Verdict, block

CONTROL = re.compile(
    r"<\|[^|<>\n]{1,40}\|>"  # <|im_start|>, <|eot_id|>, <|endoftext|>, <|start_header_id|>, <|user|> ...
    r"|<\|?/?(?:im_start|im_end|endoftext|eot_id|begin_of_text|end_of_text)\b"  # the same, cut short
    r"|</?(?:s|bos|eos|pad|unk|mask|sep|cls|eot)>"  # sentencepiece and BERT-style specials
    r"|</?(?:start|end)_of_[a-z_]+>"  # Gemma's <start_of_turn>, <end_of_turn>, <start_of_image>
    r"|<\|?/?(?:[a-z0-9]+_)+(?:id|token|turn|tag|text)(?:_\d+)?\|?>"  # <start_header_id>, <eom_id>, <python_tag>, pipes lost
    r"|</?tool_(?:call|calls|response)>"  # tool-use markup
    r"|<unused\d+>|<0x[0-9A-Fa-f]{2}>"  # reserved and byte-fallback tokens
    r"|\[/?(?:INST|SYS|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]"  # Llama 2 / Mistral
    r"|<</?SYS>>"
    r"|(?:^|\s)###\s*(?:instruction|response|input|system|user|assistant)\b",  # Alpaca-style headers
    re.IGNORECASE,
)
"""Chat-template and control tokens of the common model families, as the model writes them in text."""

NOTE_PHRASES = re.compile(
    r"\bthe room now\b|\bin the room:|\bopen question to everyone from\b|\bhas not been answered\b"
    r"|\(interested in [^)]*\)",
    re.IGNORECASE,
)
"""Phrases only the we model's notes use (`Group.render`, `prompt.room_notes`)."""
_BRACKETED = re.compile(r"\[[^\]\n]{0,300}(?:\]|$)")
_NOTE_INSIDE = re.compile(r"\b(?:talks?|agrees? with|differs? from|about|answered|room|question)\b", re.IGNORECASE)

_TAG = re.compile(
    r"</?(?:i|b|u|s|em|strong|br|p|div|span|a|img|li|ul|ol|table|tr|td|th|h[1-6]|font|code|pre|html|body|head"
    r"|script|style|sup|sub|hr|blockquote|center|small|big|tt|strike|del|ins|mark|q|label|input|button|form"
    r"|iframe|title|meta|link|nav|footer|header|section|article)(?:\s[^<>]{0,80})?/?>",
    re.IGNORECASE,
)
"""An HTML tag: chat platforms render none, so the model's tags are junk (`<package>` in a command is not one)."""
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{2,5});", re.IGNORECASE)
_SYMBOLS = frozenset(string.punctuation) - {"'", '"'}
SYMBOL_RUN = 10
"""This many symbols in a row (`!!!!!!!!!!`, `*&^%$#@!*&`) is junk; people trail off with fewer dots."""
_LOOP = re.compile(r"\b([a-z][\w']+(?:\s+[a-z][\w']*){0,3}?)(?:[\s,;.!-]+\1\b){3,}", re.IGNORECASE)
"""The same word (two letters or more) or short phrase four times running."""
PROMPT_SHINGLE = 6
"""Words in a row shared with the instructions that count as repeating them."""


def control_token(text: str) -> Verdict:
    if found := CONTROL.search(text):
        return block(Reason.CONTROL_TOKEN, f"control token {found.group(0).strip()!r}")
    return PASS


def notes_leak(text: str, notes: str = "") -> Verdict:
    """The bracketed notes, whole or in part, or any bracketed text that reads like them."""
    if text.lstrip().startswith("["):
        return block(Reason.NOTES_LEAK, "starts with a bracketed note")
    if found := NOTE_PHRASES.search(text):
        return block(Reason.NOTES_LEAK, f"notes phrase {found.group(0)!r}")
    for span in _BRACKETED.finditer(text):
        if _NOTE_INSIDE.search(span.group(0)):
            return block(Reason.NOTES_LEAK, f"bracketed note {span.group(0)[:60]!r}")
    if notes and _shared_run(text, notes.strip("[]"), PROMPT_SHINGLE):
        return block(Reason.NOTES_LEAK, "repeats the notes")
    return PASS


def prompt_leak(text: str, instructions: str) -> Verdict:
    """Six words in a row of the bot's own instructions (identity line, persona)."""
    if instructions and (run := _shared_run(text, instructions, PROMPT_SHINGLE)):
        return block(Reason.PROMPT_LEAK, f"repeats its instructions: {run!r}")
    return PASS


def junk(text: str) -> Verdict:
    """Markup, entities, symbol runs and looping words: what a small model writes when it degenerates."""
    if found := _TAG.search(text):
        return block(Reason.JUNK, f"markup {found.group(0)!r}")
    if len(_ENTITY.findall(text)) >= 2:
        return block(Reason.JUNK, "HTML entities")
    run = longest = 0
    for char in text:
        run = run + 1 if char in _SYMBOLS else 0
        longest = max(longest, run)
    if longest >= SYMBOL_RUN:
        return block(Reason.JUNK, f"{longest} symbols in a row")
    if found := _LOOP.search(text):
        return block(Reason.JUNK, f"loops on {found.group(1)!r}")
    return PASS


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold())


def _shared_run(text: str, source: str, n: int) -> str:
    """The first run of `n` words of `text` that also occurs in `source`, or ""."""
    said = _words(text)
    if len(said) < n:
        return ""
    known = _words(source)
    grams = {tuple(known[i : i + n]) for i in range(len(known) - n + 1)}
    for i in range(len(said) - n + 1):
        if tuple(said[i : i + n]) in grams:
            return " ".join(said[i : i + n])
    return ""
