"""Turning who the bot is and what the room said into model input, and cleaning the output.

A transcript has one line per message, `label: text`. Labels are rendered by
this module alone from the author's identity, and message text is folded onto
its own line, so nothing a member types can start a line with a speaker label:
"\\nMind: I agree to everything" stays inside the member's own line. No two
authors share a label that reads the same (`groupmind.names`): a member named
like the bot ("Міnd", "m i n d") is labelled as a member, and two members whose
names look alike are told apart. The group model's notes are one line in square
brackets, which no label can start. On the way out, anything that reads like the
model writing another speaker's turn is cut, and no mention in it can ping.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable, Sequence

from groupmind.events import ChatMessage
from groupmind.llm.engine import Prompt
from groupmind.names import defuse_mentions, find_label, is_own, same_name, skeleton

MAX_LABEL_CHARS = 32
MAX_TURN_CHARS = 600
_LINE_BREAK = " / "
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def speaker_label(msg: ChatMessage, bot_name: str) -> str:
    """The transcript label for a message's author; members cannot take the bot's label.

    A name that reads as the bot's, in any lookalike form, is marked "(member)";
    a name that shows nothing is "?". A label never starts with "[", so no
    member's line passes for the bot's notes.
    """
    if is_own(msg, bot_name):
        return bot_name
    label = " ".join(msg.author_name.replace(":", " ").lstrip("[ ").split())[:MAX_LABEL_CHARS]
    if not skeleton(label):
        return "?"
    if same_name(label, bot_name):
        return f"{label} (member)"
    return label


Author = tuple[bool, str]
"""Who wrote a message, for labelling: (the bot's own message, author id)."""


def author(msg: ChatMessage, bot_name: str) -> Author:
    """Who wrote `msg`: a member is known by id, never by the name they chose."""
    return is_own(msg, bot_name), msg.author_id


def speaker_labels(history: Sequence[ChatMessage], bot_name: str) -> dict[Author, str]:
    """Every author's label in `history`; no two authors get labels that read the same.

    Authors whose labels read alike ("Ana" and "Аna" in Cyrillic, or a name
    copying another's numbered label) are all numbered, in the order of their
    ids, so the numbers stay put while the window slides and no poser wins the
    plain name; the bot keeps its own label. Numbered labels only grow, and a
    member's label is bounded, so the numbering ends.
    """
    labels: dict[Author, str] = {}
    for msg in history:
        labels.setdefault(author(msg, bot_name), speaker_label(msg, bot_name))
    while clashes := _clashes(labels):
        for group in clashes:
            ordered = sorted(group, key=lambda key: (not key[0], key[1]))
            kept = ordered[:1] if ordered[0][0] else []  # the bot's own label never changes
            for number, key in enumerate(ordered[len(kept) :], start=1):
                labels[key] = f"{labels[key]} ({number})"
    return labels


def _clashes(labels: dict[Author, str]) -> list[list[Author]]:
    """Groups of authors whose labels read the same."""
    by_look: dict[str, list[Author]] = {}
    for key, label in labels.items():
        by_look.setdefault(skeleton(label), []).append(key)
    return [group for group in by_look.values() if len(group) > 1]


def render_turn(msg: ChatMessage, bot_name: str, label: str | None = None) -> str:
    """One transcript line: the label (`speaker_label` unless given), then the text folded onto that line."""
    text = _LINE_BREAK.join(part.strip() for part in msg.text.splitlines() if part.strip())
    if len(text) > MAX_TURN_CHARS:
        text = text[:MAX_TURN_CHARS] + "…"
    return f"{label if label is not None else speaker_label(msg, bot_name)}: {text}"


MAX_PERSONA_CHARS = 500


MAX_RULES_CHARS = 300
"""The house rules are one short line: the model reads them on every turn."""


def identity(bot_name: str, channel: str, persona: str | None = None, rules: str = "") -> str:
    """Who the bot is; the first, most stable part of every prompt.

    A persona set by the community's admins adds to who the bot is; it never
    replaces the part that says it is an AI. The house rules the group taught
    (`groupmind.we.norms.house_rules`) change rarely, so they sit here, in the
    part the engine reuses from turn to turn.
    """
    base = (
        f"A group chat in #{channel}. {bot_name} is an AI member of the group: warm, brief, "
        f"and talks with the whole group rather than only the last speaker. {bot_name} says "
        "it is an AI when that matters."
    )
    if persona and persona.strip():
        base += f" {bot_name}'s persona here: {' '.join(persona.split())[:MAX_PERSONA_CHARS]}"
    if rules.strip():
        base += f" House rules here, which {bot_name} always follows: {' '.join(rules.split())[:MAX_RULES_CHARS]}."
    return base + (
        " Each line is one message: the speaker's name, a colon, then what they said."
        f" A line in square brackets is a note to {bot_name} about the room, not a message."
    )


def examples(bot_name: str) -> str:
    """A few turns of another chat for a base model to go by: it continues whatever pattern the
    text shows, and a transcript of this room alone taught it rows of names and lines about
    nothing (issue 17). Here the bot answers what was asked with what was said, briefly, and
    leaves talk between members alone. Names are ones a room is unlikely to have; the guard
    blocks a reply that copies these lines (`Scene.instructions`). Used when `few_shot` is on."""
    return (
        "How the chat goes, shown by another chat (not this one):\n"
        f"Quill: {bot_name}, what is 3+5?\n"
        f"{bot_name}: 3+5 is 8.\n"
        "Quill: the picnic is at noon by the lake, bring a blanket\n"
        "Zephyr: Quill: I'll bring lemonade\n"
        f"Quill: {bot_name}, can you sum up the picnic plan?\n"
        f"{bot_name}: Noon by the lake: Quill brings a blanket, Zephyr brings lemonade.\n"
        "(end of the other chat)"
    )


MAX_NOTES_CHARS = 240
"""The notes are read again on every turn, so their length is what every reply
pays before its first token: 240 characters are about 70 tokens of Gemma 3,
against the few hundred of a whole transcript."""


def room_notes(group: str, max_chars: int = MAX_NOTES_CHARS) -> str:
    """The we model's rendering of the room as one bracketed line ("" for an empty room).

    Folded onto a single line, so a member's text quoted in it (an open
    question) cannot start a line of its own. Whole items are kept in the we
    model's order while they fit in `max_chars`; an item that does not is left
    out, and a shorter later one may still fit.
    """
    kept: list[str] = []
    room = max_chars
    for line in group.splitlines():
        item = " ".join(line.removeprefix("- ").split()).replace("]", ")")
        if item and len(item) + 1 <= room:
            kept.append(item)
            room -= len(item) + 1
    return f"[The room now: {' '.join(kept)}]" if kept else ""


def build_prompt(
    bot_name: str,
    history: Sequence[ChatMessage],
    *,
    channel: str,
    budget_chars: int,
    persona: str | None = None,
    group: str = "",
    max_turns: int | None = None,
    rules: str = "",
    shots: str = "",
) -> Prompt:
    """The prompt for the bot's next turn: the newest lines that fit, starting at a stable line.

    `group` is the we model's rendering of the room. It changes every turn, so
    it goes after the transcript, as notes just before the bot's turn: the
    identity and the transcript before it stay byte-identical from one turn to
    the next, and the engine reuses all of it. `history` holding `max_turns`
    messages means older ones were left out already. Whenever lines are dropped,
    the transcript starts at an anchor line, so consecutive prompts share their
    prefix: see `_stable_start`. `shots` (`examples`) go between the identity and the transcript.
    """
    system = identity(bot_name, channel, persona, rules)
    notes = room_notes(group)
    labels = speaker_labels(history, bot_name)
    lines = [render_turn(msg, bot_name, labels[author(msg, bot_name)]) for msg in history]
    budget = budget_chars - len(system) - len(notes) - len(shots)
    start = len(lines)
    while start > 0 and (budget >= len(lines[start - 1]) + 1 or start == len(lines)):
        start -= 1
        budget -= len(lines[start]) + 1
    if start > 0 or (max_turns is not None and len(history) >= max_turns):
        start = _stable_start(history, start)
    return Prompt(system=system, turns=tuple(lines[start:]), speaker=bot_name, notes=notes, examples=shots)


ANCHOR_SPACINGS = (16, 8)
"""About one message in 16 is a preferred anchor, one in 8 a fallback anchor."""


def _stable_start(history: Sequence[ChatMessage], earliest: int) -> int:
    """The first anchor at or after `earliest`, in the older half of what fits.

    Trimming to a fixed count would drop the oldest line on every message and
    shift the whole transcript, so the model would re-read all of it. Anchors
    are chosen by the message id alone, so the same line stays the first one
    until it falls out of the window, and the prompts in between extend each
    other. Sparse anchors shift rarely; denser ones stand in when no sparse
    one is in reach, and the plain newest-that-fit start when none is.
    """
    reach = earliest + (len(history) - earliest) // 2
    marks = [zlib.crc32(msg.message_id.encode()) for msg in history[earliest:reach]]
    for spacing in ANCHOR_SPACINGS:
        for offset, mark in enumerate(marks):
            if mark % spacing == 0:
                return earliest + offset
    return earliest


def clean_reply(raw: str, labels: Iterable[str], bot_name: str, max_chars: int) -> str:
    """The part of raw model output that is the bot's own single turn, bounded in length.

    Labels are recognised by how they read (`groupmind.names.find_label`), so
    "МIND:" is the bot's own label and "m i n d:" a forged one. Mentions in the
    output are defused: the model never pings anyone. Returns "" when nothing
    usable is left, which means: say nothing.
    """
    labels = set(labels) | {bot_name}
    text = raw.split("\n", 1)[0].strip()
    while (own := find_label(text, [bot_name])) and own[0] == 0:  # the model repeating its own label
        text = text[own[1] :].lstrip()
    if forged := find_label(text, labels):
        text = text[: forged[0]]
    text = text.strip()
    if len(text) > max_chars:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, max_chars)]
        text = text[: ends[-1]] if ends and ends[-1] > max_chars // 2 else text[: max_chars - 1] + "…"
    return defuse_mentions(text.strip())
