"""Replaying real chat logs through the pipeline: `#ubuntu` IRC logs and JSONL of ChatMessage.

IRC message ids are `<file stem>:<line number>`, so results can be compared with
the corpus' annotations, which count lines from 0.

A message whose time cannot be used (no such time of day, outside the span
`events.ts_problem` allows, unreadable) is kept at the time of the message
before it in its log, with a warning on stderr: a replay loses no message to
its timestamp.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from pydantic import ValidationError

from groupmind.events import EARLIEST, MAX_ID_CHARS, ChatMessage, ts_problem, utcnow
from groupmind.pipeline import Pipeline

_IRC_LINE = re.compile(r"^\[(?P<hh>\d{2}):(?P<mm>\d{2})\] <(?P<nick>[^>]+)> (?P<text>.*)$")
_BATCH = 1000


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _log_date(path: Path) -> date:
    """The day a log's name starts with; 1970-01-01 when it names none, or one out of range."""
    try:
        day = date.fromisoformat(path.stem.split("_", 1)[0].split(".", 1)[0])
    except ValueError:
        return EARLIEST.date()
    if problem := ts_problem(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)):
        _warn(f"{path}: the date in its name, {problem}; its messages are dated from {EARLIEST:%Y-%m-%d}")
        return EARLIEST.date()
    return day


def read_irc(path: Path) -> Iterator[ChatMessage]:
    """Messages of an `#ubuntu` IRC log (`[HH:MM] <nick> text`); system lines are skipped."""
    stem = path.name.split(".", 1)[0]
    day = datetime.combine(_log_date(path), datetime.min.time(), tzinfo=timezone.utc)
    last = day
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh):
            match = _IRC_LINE.match(line.rstrip("\n"))
            if not match:
                continue
            hh, mm = int(match["hh"]), int(match["mm"])
            if hh > 23 or mm > 59:
                _warn(f"{path}:{number + 1}: [{match['hh']}:{match['mm']}] is not a time of day; {_kept_at(last)}")
                ts = last
            else:
                ts = day + timedelta(hours=hh, minutes=mm)
                if ts < last:  # the log crossed midnight
                    day += timedelta(days=1)
                    ts += timedelta(days=1)
                if problem := ts_problem(ts):
                    _warn(f"{path}:{number + 1}: {problem}; {_kept_at(last)}")
                    ts = last
            last = ts
            yield ChatMessage(
                platform="irc",
                community="ubuntu",
                channel=stem,
                message_id=f"{stem}:{number}",
                author_id=match["nick"][:MAX_ID_CHARS],
                author_name=match["nick"],
                text=match["text"],
                ts=ts,
            )


def _kept_at(ts: datetime) -> str:
    return f"the message is kept, with the time {ts:%Y-%m-%d %H:%M} instead"


def read_jsonl(path: Path) -> Iterator[ChatMessage]:
    """ChatMessage objects, one JSON object a line; a bad line is reported and skipped.

    Only a bad `ts` does not skip a line: the message is kept at the time of the
    one before it (the first at the time of reading).
    """
    last: datetime | None = None
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                msg = ChatMessage.model_validate_json(line)
                problem = ts_problem(msg.ts)
            except ValidationError as exc:
                first = exc.errors()[0]
                if any(error["loc"][:1] != ("ts",) for error in exc.errors()):
                    _warn(f"{path}:{number}: skipped, {first['loc']}: {first['msg']}")
                    continue
                problem = first["msg"]
            if problem:
                last = last or utcnow()
                _warn(f"{path}:{number}: ts {problem}; {_kept_at(last)}")
                msg = ChatMessage.model_validate({**json.loads(line), "ts": last})
            last = msg.ts
            yield msg


def read_log(path: Path) -> Iterator[ChatMessage]:
    return read_jsonl(path) if path.suffix == ".jsonl" else read_irc(path)


@dataclass(frozen=True)
class ReplaySummary:
    messages: int
    replies: int
    seconds: float
    msgs_per_s: float
    care_flags: dict[str, int]
    """Care detections by label."""
    care_alerts: int
    guard_judged: int
    """Model texts the guard judged (first tries and second tries)."""
    guard_blocks: dict[str, int]
    """Of those, the ones it blocked, by reason."""

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _batches(messages: Iterable[ChatMessage], size: int) -> Iterator[list[ChatMessage]]:
    iterator = iter(messages)
    while batch := list(islice(iterator, size)):
        yield batch


async def replay(pipeline: Pipeline, paths: Iterable[Path], *, reply: bool) -> ReplaySummary:
    """Feed logs through the pipeline: every message handled, or only stored in batches.

    Care detection runs either way; without replies nobody is talked to, and only
    imminent risk raises an alert.
    """
    messages = replies = 0
    care, blocks = pipeline.care, pipeline.guard.blocks
    flags, alerts = care.flags.copy(), care.alerts_raised
    judged, blocked = blocks.checked, blocks.counts.copy()
    start = time.perf_counter()
    for path in paths:
        if reply:
            for msg in read_log(path):
                replies += len(await pipeline.handle(msg))
                messages += 1
        else:
            for batch in _batches(read_log(path), _BATCH):
                messages += await pipeline.ingest(batch)
    seconds = time.perf_counter() - start
    return ReplaySummary(
        messages, replies, round(seconds, 3), round(messages / max(seconds, 1e-9), 1),
        care_flags=dict(sorted((care.flags - flags).items())), care_alerts=care.alerts_raised - alerts,
        guard_judged=blocks.checked - judged, guard_blocks=dict(sorted((blocks.counts - blocked).items())),
    )  # fmt: skip
