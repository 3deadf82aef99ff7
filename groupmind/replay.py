"""Replaying real chat logs through the pipeline: `#ubuntu` IRC logs and JSONL of ChatMessage.

IRC message ids are `<file stem>:<line number>`, so results can be compared with
the corpus' annotations, which count lines from 0.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from pydantic import ValidationError

from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline

_IRC_LINE = re.compile(r"^\[(?P<hh>\d{2}):(?P<mm>\d{2})\] <(?P<nick>[^>]+)> (?P<text>.*)$")
_BATCH = 1000


def _log_date(path: Path) -> date:
    try:
        return date.fromisoformat(path.stem.split("_", 1)[0].split(".", 1)[0])
    except ValueError:
        return date(1970, 1, 1)


def read_irc(path: Path) -> Iterator[ChatMessage]:
    """Messages of an `#ubuntu` IRC log (`[HH:MM] <nick> text`); system lines are skipped."""
    stem = path.name.split(".", 1)[0]
    day = datetime.combine(_log_date(path), datetime.min.time(), tzinfo=timezone.utc)
    last = None
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh):
            match = _IRC_LINE.match(line.rstrip("\n"))
            if not match:
                continue
            ts = day + timedelta(hours=int(match["hh"]), minutes=int(match["mm"]))
            if last is not None and ts < last:  # the log crossed midnight
                day += timedelta(days=1)
                ts += timedelta(days=1)
            last = ts
            yield ChatMessage(
                platform="irc",
                community="ubuntu",
                channel=stem,
                message_id=f"{stem}:{number}",
                author_id=match["nick"],
                author_name=match["nick"],
                text=match["text"],
                ts=ts,
            )


def read_jsonl(path: Path) -> Iterator[ChatMessage]:
    """ChatMessage objects, one JSON object a line; a bad line is reported and skipped."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield ChatMessage.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                print(f"{path}:{number}: skipped, {first['loc']}: {first['msg']}", file=sys.stderr)


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
                for msg in batch:
                    await care.observe_only(msg)
    seconds = time.perf_counter() - start
    return ReplaySummary(
        messages, replies, round(seconds, 3), round(messages / max(seconds, 1e-9), 1),
        care_flags=dict(sorted((care.flags - flags).items())), care_alerts=care.alerts_raised - alerts,
        guard_judged=blocks.checked - judged, guard_blocks=dict(sorted((blocks.counts - blocked).items())),
    )  # fmt: skip
