"""Consolidating a community's memory in a quiet spell: the local model sums it up under a JSON schema.

A message arms a "memory" due item for when the community has been quiet for a
while (`Settings.memory_quiet_s`); the one scheduler runs it. If the community
spoke again meanwhile, the item moves to the new quiet moment. Otherwise the
model is shown the deterministic model's facts (topics, who helps with what,
style, decisions: never members' messages) and asked for a two-sentence
summary and the few topics it finds most characteristic, constrained to a JSON
schema and validated with pydantic. Output that is invalid, fails the guard,
or does not come (no model, a timeout) changes nothing: the deterministic model
stands (its top topics are kept, marked `by: rules`), and the reason is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from groupmind.events import ChatMessage
from groupmind.guard.gate import check
from groupmind.guard.scene import Scene
from groupmind.llm.engine import Engine, EngineError
from groupmind.store import Store
from groupmind.store.due import Due, DueWork
from groupmind.store.group_memory import GroupRecord
from groupmind.we.recall import decisions, helpers, running_jokes, style, top_topics

log = logging.getLogger(__name__)

MEMORY = "memory"
"""The due item of a community whose memory waits for a quiet spell; its key is "group"."""
MAX_SUMMARY_CHARS = 400


class Consolidated(BaseModel):
    """What the model may say about the group: validated before anything is kept."""

    summary: str = Field(min_length=10, max_length=MAX_SUMMARY_CHARS)
    topics: list[str] = Field(default_factory=list, max_length=6)


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": MAX_SUMMARY_CHARS},
        "topics": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 6},
    },
    "required": ["summary", "topics"],
    "additionalProperties": False,
}


def facts(record: GroupRecord, names: dict[str, str]) -> list[str]:
    """The deterministic model as short lines: what the model is shown, and the rule-written summary's source."""
    lines = []
    if topics := top_topics(record, 8, drop=names.values()):
        lines.append(f"Topics they keep coming back to: {', '.join(topics)}.")
    if helping := helpers(record, limit=3):
        lines.append("Who answers questions: " + "; ".join(f"{names.get(m, m)} on {', '.join(t)}" for m, t in helping) + ".")
    if how := style(record):
        lines.append(f"How they talk: {how}.")
    if jokes := running_jokes(record):
        lines.append(f"Phrases they repeat: {'; '.join(jokes)}.")
    if decided := decisions(record):
        lines.append(f"Decisions: {'; '.join(decided)}.")
    return lines


def _prompt(lines: list[str]) -> str:
    known = "\n".join(f"- {line}" for line in lines)
    return (
        "Notes about an online group chat, gathered over weeks:\n"
        f"{known}\n\n"
        "Write JSON: \"summary\" is two plain sentences describing this group to a newcomer "
        "(what they talk about, how they help each other); \"topics\" are up to six of its main topics.\nJSON: "
    )


class Consolidator:
    """Arms and runs the "memory" due item of each community.

    Args:
        store: the shared state.
        engine: the local model; None keeps the rule-written summary.
        due: the due set the one scheduler runs.
        bot_name: the bot's name, for the guard.
        quiet_s: how long a community must be quiet before its memory is consolidated.
        timeout_s: how long the model may take.
    """

    def __init__(self, store: Store, engine: Engine | None, due: DueWork, *, bot_name: str,
                 quiet_s: float, timeout_s: float) -> None:  # fmt: skip
        self.store = store
        self.engine = engine
        self.due = due
        self.bot_name = bot_name
        self.quiet = timedelta(seconds=quiet_s)
        self.timeout_s = timeout_s
        self._armed: dict[tuple[str, str], datetime] = {}
        """When this process last armed each community's item for: one schedule per quiet spell, not per message."""

    async def touched(self, msg: ChatMessage) -> None:
        """A message arrived: make sure a consolidation waits for the quiet spell after it."""
        at = (msg.platform, msg.community)
        armed = self._armed.get(at)
        if armed is not None and msg.ts < armed:
            return  # the armed item will look again and move itself past this message
        self._armed[at] = msg.ts + self.quiet
        await self.due.schedule(Due(MEMORY, msg.platform, msg.community, "group", msg.ts + self.quiet))

    async def run_due(self, item: Due, now: datetime) -> None:
        """The scheduler's "memory" item: consolidate, or wait for the quiet spell if the group spoke since."""
        last = await self.store.group_memory.last_message(item.platform, item.community)
        if last is not None and last + self.quiet > now:
            await self.due.schedule(Due(MEMORY, item.platform, item.community, item.key, last + self.quiet))
            return
        await self.consolidate(item.platform, item.community, now)

    async def consolidate(self, platform: str, community: str, now: datetime) -> dict[str, object]:
        """Sum up the community's memory now; returns what was kept."""
        record = await self.store.group_memory.read(platform, community, now)
        ids = sorted({e.rpartition("\x1f")[2] for e, _ in record.expertise})
        names = await self.store.member_names(platform, community, ids)
        lines = facts(record, names)
        kept: dict[str, object] = {"summary": "", "topics": top_topics(record, 6, drop=names.values()),
                                   "by": "rules", "at": now.isoformat()}  # fmt: skip
        if lines and (written := await self._written(lines, list(names.values()))) is not None:
            kept |= {"summary": written.summary, "topics": written.topics, "by": "model"}
        await self.store.group_memory.keep_summary(platform, community, kept)
        return kept

    async def _written(self, lines: list[str], names: list[str]) -> Consolidated | None:
        """The model's summary, validated and passed by the guard; None (logged) when there is none to keep."""
        if self.engine is None:
            return None
        prompt = _prompt(lines)
        try:
            raw = await self.engine.complete_json(prompt, SCHEMA, max_tokens=200, timeout=self.timeout_s)
            written = Consolidated.model_validate(raw)
        except (EngineError, ValidationError, TypeError, ValueError) as exc:
            log.warning("memory consolidation: the model's summary was not usable, keeping the rules' (%s)", exc)
            return None
        verdict = check(written.summary, Scene(bot_name=self.bot_name, speakers=tuple(names), instructions=prompt))
        if not verdict.passed:
            log.warning("memory consolidation: the guard blocked the model's summary (%s)", verdict.reason)
            return None
        return written

