"""Care tests' helpers: care contacts set up in a community, and the care work run at a given time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from groupmind.care.kinds import CARE_KINDS

from groupmind.pipeline import Pipeline
from groupmind.store.settings import CARE_CONTACTS


async def add_contacts(pipeline: Pipeline, community: str, *names: str, at: datetime) -> None:
    """Make `names` care contacts of a local community (they spoke once, so they have names)."""
    from tests.helpers import msg

    for name in names:
        await pipeline.store.append(msg(name, "hi all", community=community, ts=at))
    await pipeline.store.settings.set("local", community, CARE_CONTACTS, json.dumps([n.casefold() for n in names]))


@dataclass
class RoundsDone:
    """What one run of the due care work did, counted."""

    quiet: int = 0
    follow_ups: int = 0
    reminders: int = 0


async def run_rounds(pipeline: Pipeline, now: datetime) -> RoundsDone:
    """Run the care work due at `now` through the pipeline's scheduler, as the live job or the room would."""
    care = pipeline.care

    def counts() -> tuple[int, int, int]:
        return care.quiet.reported, care.follow_ups, care.escalation.counts["reminders"]

    before = counts()
    await pipeline.scheduler.run_due(now, kinds=CARE_KINDS)
    return RoundsDone(*(a - b for a, b in zip(counts(), before)))


async def regulars(pipeline: Pipeline, names: list[str], until: datetime) -> None:
    """Each of `names` says hello twice a day for eight weeks before `until`."""
    from tests.helpers import msg

    at = until - timedelta(weeks=8)
    while at < until:
        for i, name in enumerate(names):
            await pipeline.handle(msg(name, "morning all", ts=at + timedelta(minutes=i)))
        at += timedelta(hours=11, minutes=30)
