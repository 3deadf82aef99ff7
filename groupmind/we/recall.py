"""Reading the lasting group model back: who knows about what, what the group keeps coming back to,
the `/gm we` summary, and the couple of lines of it that matter to the conversation at hand.

Pure functions over a `GroupRecord` (`groupmind.store.group_memory`): the same
lookup answers a member's "who knows about wifi?", the prompt's notes and the
bench's questions, so what the bot says about the group is what it holds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Callable, Iterable, Mapping, Sequence

from groupmind.store.group_memory import SEP, GroupRecord
from groupmind.we.lexicon import content_words

_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French", "pt": "Portuguese",
                   "it": "Italian", "nl": "Dutch"}  # fmt: skip
MIN_JOKE = 2.0
"""Laughs (decayed) before a phrase counts as a running joke."""
MIN_PHRASE = 3.0
"""Repeats (decayed) before a short phrase counts as one the group keeps saying."""


def stem(word: str) -> str:
    """A crude stem, so "drivers" finds "driver" and "wireless" stays itself."""
    word = word.casefold()
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _matches(topic: str, wanted: set[str]) -> bool:
    """`topic` or one part of a compound (`python-dev`, `xorg.conf`) is a wanted stem."""
    return stem(topic) in wanted or any(stem(part) in wanted for part in re.split(r"[-._/]", topic) if len(part) > 2)


def who_knows(record: GroupRecord, query: str, *, muted: Mapping[str, set[str]] | None = None,
              limit: int = 3) -> list[tuple[str, float]]:  # fmt: skip
    """Members who answered questions about the content words of `query`, best first, with their weight.

    `muted` maps member ids to the items they deleted (`expertise:<topic>`): those never count.
    """
    wanted = {stem(w) for w in content_words(query)}
    if not wanted:
        return []
    scores: dict[str, float] = defaultdict(float)
    for entry, score in record.expertise:
        topic, _, member = entry.rpartition(SEP)
        if _matches(topic, wanted) and f"expertise:{topic}" not in (muted or {}).get(member, set()):
            scores[member] += score
    helps = helpfulness(record)
    ranked = {member: score * helps(member) for member, score in scores.items()}
    return sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def helpfulness(record: GroupRecord) -> Callable[[str], float]:
    """A member's share of answers among their questions and answers (smoothed): one who mostly asks,
    and answers back about their own problem, weighs less than one who mostly helps."""
    answers, questions = dict(record.answerers), dict(record.askers)
    return lambda member: (answers.get(member, 0.0) + 1) / (answers.get(member, 0.0) + questions.get(member, 0.0) + 1)


def top_topics(record: GroupRecord, limit: int = 5, drop: Iterable[str] = ()) -> list[str]:
    """What the group keeps coming back to, most first; `drop` (names) is never a topic."""
    dropped = {d.casefold() for d in drop}
    return [t for t, _ in record.topics if t not in dropped][:limit]


def helpers(record: GroupRecord, limit: int = 4, topics_each: int = 3) -> list[tuple[str, list[str]]]:
    """The members who answer most, each with the topics they answer about more than others do."""
    totals: dict[str, float] = defaultdict(float)
    by_topic: dict[str, float] = defaultdict(float)
    theirs: dict[str, dict[str, float]] = defaultdict(dict)
    for entry, score in record.expertise:
        topic, _, member = entry.rpartition(SEP)
        totals[member] += score
        by_topic[topic] += score
        theirs[member][topic] = score
    helps = helpfulness(record)
    ranked = sorted(((m, total * helps(m)) for m, total in totals.items()), key=lambda kv: (-kv[1], kv[0]))[:limit]
    out = []
    for member, _ in ranked:
        # What they answer often and others seldom: their count times their share of the topic's answers.
        distinct = sorted(theirs[member].items(), key=lambda kv: (-kv[1] * kv[1] / by_topic[kv[0]], kv[0]))
        out.append((member, [t for t, _ in distinct[:topics_each]]))
    return out


def _by_item(entries: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Credited entries (`item SEP member`) summed per item, most first."""
    totals: dict[str, float] = defaultdict(float)
    for entry, score in entries:
        totals[entry.rpartition(SEP)[0]] += score
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def running_jokes(record: GroupRecord, limit: int = 3) -> list[str]:
    """Phrases the group laughed at more than once, then short phrases it keeps repeating."""
    laughed = [p for p, s in _by_item(record.jokes) if s >= MIN_JOKE]
    repeated = [p for p, s in _by_item(record.phrases) if s >= MIN_PHRASE and p not in laughed]
    return [*laughed, *repeated][:limit]


def events(record: GroupRecord, limit: int = 3) -> list[str]:
    """Recurring events the group names ("every friday", "weekly standup"), most mentioned first."""
    return [e for e, _ in _by_item(record.events)][:limit]


def rhythm(record: GroupRecord) -> str:
    """When the group is busiest: the weekday and the hours (UTC) with the most messages."""
    if not record.rhythm:
        return ""
    days: dict[int, int] = defaultdict(int)
    hours: dict[int, int] = defaultdict(int)
    for slot, count in record.rhythm.items():
        day, hour = slot.removeprefix("d").split("h")
        days[int(day)] += count
        hours[int(hour)] += count
    busiest = max(days.items(), key=lambda kv: (kv[1], -kv[0]))[0]
    top_hours = sorted(h for h, _ in sorted(hours.items(), key=lambda kv: -kv[1])[:3])
    return f"busiest on {_DAY_NAMES[busiest]}, around {', '.join(f'{h:02d}:00' for h in top_hours)} UTC"


def style(record: GroupRecord) -> str:
    """How the group talks, from the style counters."""
    n = record.style.get("n", 0)
    if not n:
        return ""
    length = record.style.get("chars", 0) / n
    parts = [f"{'short' if length < 60 else 'longer'} messages (about {round(length)} characters)"]
    questions = record.style.get("questions", 0) / n
    if questions >= 0.2:
        parts.append(f"many questions ({questions:.0%})")
    emoji = record.style.get("emoji", 0) / n
    parts.append(f"{'lots of' if emoji >= 0.3 else 'some' if emoji >= 0.05 else 'few'} emoji")
    laughs = record.style.get("laughs", 0) / n
    positive, negative = record.style.get("positive", 0) / n, record.style.get("negative", 0) / n
    tone = "warm" if positive > 2 * negative and positive >= 0.05 else "blunt" if negative > positive else "matter-of-fact"
    parts.append(f"a {tone} tone" + (" with plenty of laughter" if laughs >= 0.05 else ""))
    languages = {k.removeprefix("lang:"): v for k, v in record.style.items() if k.startswith("lang:")}
    if languages:
        main = max(languages.items(), key=lambda kv: kv[1])[0]
        parts.append(f"mostly in {_LANGUAGE_NAMES.get(main, main)}")
    return ", ".join(parts)


def decisions(record: GroupRecord, limit: int = 3) -> list[str]:
    """The latest decisions, newest first; a proposal and the assent to it are one decision."""
    return list(dict.fromkeys(str(d.get("text", "")) for d in record.decisions))[:limit]


def summary_lines(record: GroupRecord, names: Mapping[str, str]) -> list[str]:
    """`/gm we`: a few short lines on how the bot sees the group now."""
    shown = list(names.values())
    lines = []
    consolidated = record.summary or {}
    if text := consolidated.get("summary"):
        lines.append(str(text))
    if topics := top_topics(record, 6, drop=shown):
        lines.append(f"We keep coming back to: {', '.join(topics)}.")
    if helping := helpers(record):
        who = "; ".join(f"{names.get(m, m)} ({', '.join(t)})" for m, t in helping)
        lines.append(f"Who helps with what: {who}.")
    if how := style(record):
        lines.append(f"How we talk: {how}.")
    if when := rhythm(record):
        recurring = events(record)
        lines.append(f"When: {when}" + (f"; recurring: {', '.join(recurring)}." if recurring else "."))
    if jokes := running_jokes(record):
        lines.append("Running jokes and catchphrases: " + "; ".join(f'"{j}"' for j in jokes) + ".")
    if decided := decisions(record):
        lines.append("Recently decided: " + "; ".join(f'"{d}"' for d in decided) + ".")
    return lines or ["I have not learned anything about this group yet."]


def notes_for(record: GroupRecord, recent_text: Sequence[str], names: Mapping[str, str],
              muted: Mapping[str, set[str]] | None = None) -> list[str]:  # fmt: skip
    """At most two lines of the group model that bear on what is being said now (`recent_text`)."""
    words = content_words(" ".join(recent_text), drop=names.values())
    wanted = {stem(w) for w in words}
    lines = []
    best: tuple[str, list[str]] | None = None
    for word in dict.fromkeys(words):
        experts = who_knows(record, word, muted=muted, limit=2)
        if experts and (best is None or len(experts) > len(best[1])):
            best = (word, [names.get(m, m) for m, _ in experts])
    if best:
        verb = "helps" if len(best[1]) == 1 else "help"
        lines.append(f"In this group {' and '.join(best[1])} often {verb} with {best[0]}.")
    for decided in decisions(record, limit=10):
        if wanted & {stem(w) for w in content_words(decided)}:
            lines.append(f'The group decided: "{decided[:100]}".')
            break
    return lines
