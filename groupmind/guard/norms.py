"""The group's norms on every reply: rewrite what can be mended, block what cannot.

`obey` runs in the reply's cleaning step, before the gate: it takes out pings,
emoji, swear words and markdown, drops the sentences that bring up an avoided
topic or ask a question (when others are left), and trims to a length limit at a
sentence end. `breaks` is the gate's check afterwards: whatever still breaks a
checkable norm (a reply in the wrong language, one that is only about the
avoided topic) is blocked, so the model gets its second try.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from groupmind.guard.verdict import PASS, Reason, Verdict, block
from groupmind.store.norms import Norm
from groupmind.we.norm_text import (
    EMOJI, LIST_ITEM, MARKDOWN, MENTION, PROFANITY, asks, brings_up, has_emoji, has_list, has_profanity,
    language_of, mentions_someone, sentences,
)  # fmt: skip
from groupmind.we.norms import (
    AVOID_TOPIC, LANGUAGE, MAX_LENGTH, NO_EMOJI, NO_LISTS, NO_MENTIONS, NO_PROFANITY, NO_QUESTIONS, describe,
)  # fmt: skip

_SPACES = re.compile(r"[ \t]{2,}")
_LOOSE_PUNCT = re.compile(r"\s+([,.!?;:])")


def _tidy(text: str) -> str:
    text = _LOOSE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()
    text = re.sub(r"^[,;:\s]+", "", text)
    return text[:1].upper() + text[1:] if text else text


def _unping(found: re.Match[str]) -> str:
    token = found.group(0)
    return "" if token.startswith("<") else token.lstrip("@\u200b")


def _keep_sentences(text: str, bad: Callable[[str], bool]) -> str:
    """`text` without its sentences for which `bad` is true, unless that would leave nothing."""
    parts = sentences(text)
    kept = [s for s in parts if not bad(s)]
    return "".join(kept).strip() if kept and len(kept) < len(parts) else text


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at the last sentence end that fits, else at a word, with "…"."""
    if len(text) <= limit:
        return text
    fitted = ""
    for sentence in sentences(text):
        if len(fitted) + len(sentence.rstrip()) > limit:
            break
        fitted += sentence
    if fitted.strip():
        return fitted.strip()
    words = text[: limit - 1].rsplit(" ", 1)[0]
    return words.rstrip(",;: ") + "…"


def obey(text: str, norms: Sequence[Norm]) -> str:
    """`text` mended to follow the checkable norms where mending keeps its sense; unchanged when none holds."""
    if not norms:
        return text
    before = text
    kinds = {n.kind: n for n in norms}
    if NO_MENTIONS in kinds:
        text = MENTION.sub(_unping, text)
    if NO_EMOJI in kinds:
        text = EMOJI.sub("", text)
    if NO_PROFANITY in kinds:
        text = PROFANITY.sub("", text)
    if NO_LISTS in kinds:
        text = MARKDOWN.sub("", LIST_ITEM.sub(" ", text))
    for norm in norms:
        if norm.kind == AVOID_TOPIC:
            text = _keep_sentences(text, lambda s, topic=norm.value: brings_up(s, topic))
    if NO_QUESTIONS in kinds:
        text = _keep_sentences(text, asks)
    text = _tidy(text) if text != before else text
    if MAX_LENGTH in kinds:
        text = trim(text, int(kinds[MAX_LENGTH].value))
    return text


def broken(text: str, norm: Norm) -> bool:
    """Whether `text` breaks `norm`; norms no text check can judge (tone, quiet) never count as broken."""
    if norm.kind == NO_MENTIONS:
        return mentions_someone(text)
    if norm.kind == NO_EMOJI:
        return has_emoji(text)
    if norm.kind == NO_PROFANITY:
        return has_profanity(text)
    if norm.kind == NO_LISTS:
        return has_list(text)
    if norm.kind == NO_QUESTIONS:
        return asks(text)
    if norm.kind == AVOID_TOPIC:
        return brings_up(text, norm.value)
    if norm.kind == MAX_LENGTH:
        return len(text) > int(norm.value)
    if norm.kind == LANGUAGE:
        said = language_of(text)
        return said is not None and said != norm.value
    return False


def breaks(text: str, norms: Sequence[Norm]) -> Verdict:
    """Block `text` if it breaks a checkable norm, naming the first."""
    for norm in norms:
        if broken(text, norm):
            return block(Reason.NORM, f"breaks the house rule: {describe(norm)}")
    return PASS
