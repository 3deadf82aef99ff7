"""The norms as admins and members handle them: a listing anyone may read, and what `/gm norm ...` takes.

Norms are numbered in the order they were first taught (`/gm norms` shows the
numbers); a norm is also known by its key (`no_emoji`, `avoid_topic:politics`).
An admin's norm is pinned: it holds whatever the group's votes say, and
forget-me does not drop it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Mapping, Sequence

from groupmind.store.norms import Norm
from groupmind.we.norms import (
    AVOID_TOPIC, KINDS, LANGUAGE, LANGUAGES, MAX_LENGTH, MAX_LENGTH_CHARS, MIN_LENGTH, TONE, TONES, Vote, corrections,
    describe, in_force, strength,
)  # fmt: skip

VALUE_OF = {MAX_LENGTH: "CHARACTERS", AVOID_TOPIC: "TOPIC", LANGUAGE: "LANGUAGE", TONE: "casual|formal"}
"""What each kind that needs a value (`we.norms.VALUED`) takes."""
KIND_HELP = "kinds: " + ", ".join(f"{k} {VALUE_OF[k]}" if k in VALUE_OF else k for k in KINDS)


def listing(norms: Sequence[Norm], now: datetime, names: Mapping[str, str]) -> str:
    """Every norm, numbered: whether it holds, who set or taught it, and the weight of the group's votes."""
    if not norms:
        return "no norms yet. Tell me (\"Mind, shorter please\") or react to my messages; admins: /gm norm add KIND [VALUE]."
    held = {n.key for n in in_force(norms, now)}
    lines = ["house rules (✓ followed now; admins' pinned first):"]
    for number, norm in sorted(enumerate(norms, 1), key=lambda item: not item[1].pinned):
        pro, con = strength(norm, now)
        voices = len({s.member_id for s in norm.sources})
        mark = "✓" if norm.key in held else "·"
        who = "pinned by an admin" if norm.pinned else f"{voices} voice{'s' * (voices != 1)}, weight {pro:.1f} for / {con:.1f} against"
        taught = [names.get(s.member_id, s.member_id) for s in norm.sources if s.vote > 0][-3:]
        line = f"{mark} {number}. {describe(norm)} [{norm.key}] ({who})"
        if taught and not norm.pinned:
            line += f", from {', '.join(taught)}"
        lines.append(line)
    return "\n".join(lines)


def parse(text: str) -> Vote | str:
    """The norm `/gm norm add` asks for: `KIND [VALUE]`, or plain words read like a correction; a str is why not."""
    words = text.split()
    kind = words[0].casefold().replace("-", "_") if words else ""
    value = " ".join(words[1:])
    if kind not in KINDS:
        read = [v for v in corrections(text) if v.vote > 0]
        return read[0] if len(read) == 1 else f"say one norm: KIND [VALUE] ({KIND_HELP})"
    if kind in VALUE_OF and not value:
        return f"{kind} needs {VALUE_OF[kind]}"
    if kind not in VALUE_OF and value:
        return f"{kind} takes no value"
    if kind == MAX_LENGTH:
        if not value.isdigit() or not MIN_LENGTH <= int(value) <= MAX_LENGTH_CHARS:
            return f"{kind} needs a number of characters from {MIN_LENGTH} to {MAX_LENGTH_CHARS}"
        value = str(int(value))
    elif kind == LANGUAGE:
        if value.casefold() not in LANGUAGES:
            return f"languages I can check: {', '.join(sorted(set(LANGUAGES.values())))}"
        value = LANGUAGES[value.casefold()]
    elif kind == TONE:
        if value.casefold() not in TONES:
            return "tone is casual or formal"
        value = TONES[value.casefold()]
    elif kind == AVOID_TOPIC:
        value = " ".join(value.casefold().split())[:40]
    return Vote(kind, value)


def pick(norms: Sequence[Norm], ref: str) -> Norm | None:
    """The norm `ref` names: its number in `/gm norms` (with or without "#") or its key."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit():
        index = int(ref) - 1
        return norms[index] if 0 <= index < len(norms) else None
    wanted = ref.casefold()
    return next((n for n in norms if n.key.casefold() in (wanted, wanted + ":")), None)
