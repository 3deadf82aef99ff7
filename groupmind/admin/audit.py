"""The audit trail: every admin action, with who, what, when, and the old and new value.

Kept by the store (`groupmind.store.audit`), one trimmed stream per community.
When a member is forgotten, entries that name them are rewritten with the name
replaced, so the trail keeps what was done without keeping who they were (the
rewritten entry moves to the end of the stream; its `when` field keeps the
original time).

Each function takes the store's `AuditLog`; a Redis client is still accepted
(wrapped) for callers not yet moved to the store's repositories.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from groupmind.events import AdminCommand, ChannelRef
from groupmind.store.audit import AUDIT_MAXLEN, AuditLog, Entry, as_audit_log

__all__ = ["AUDIT_MAXLEN", "BOT", "DRIFT", "FORGOTTEN", "entries", "latest_note", "note", "record", "redact", "word"]

FORGOTTEN = "[forgotten member]"
BOT = "groupmind"
"""The `who` of entries the bot writes itself."""
DRIFT = "drift"
"""How the drift watch's entries begin (`groupmind.guard.drift`); `/gm status` shows the newest."""

Log = AuditLog | Any
"""The store's audit log (or, until every caller moved, a Redis client)."""


async def record(log: Log, cmd: AdminCommand, when: datetime, old: str | None = None, new: str | None = None) -> None:
    """Append one admin action to the community's audit trail."""
    await as_audit_log(log).add(cmd.platform, cmd.community, {
        "who": cmd.invoker.id,
        "who_name": cmd.invoker.display_name,
        "what": " ".join((cmd.name, *cmd.args)),
        "where": cmd.where.conversation,
        "when": when.isoformat(),
        "old": old if old is not None else "",
        "new": new if new is not None else "",
    })  # fmt: skip


async def note(log: Log, where: ChannelRef, what: str, when: datetime) -> None:
    """Append something the bot itself had to report, such as a care alert no care contact could receive."""
    await as_audit_log(log).add(where.platform, where.community, {
        "who": BOT, "who_name": BOT, "what": what, "where": where.conversation, "when": when.isoformat(),
        "old": "", "new": "",
    })  # fmt: skip


async def entries(log: Log, platform: str, community: str, count: int = 100) -> list[Entry]:
    """The newest `count` audit entries, newest first."""
    return await as_audit_log(log).latest(platform, community, count)


async def latest_note(log: Log, platform: str, community: str, prefix: str, count: int = 200) -> Entry | None:
    """The newest entry the bot wrote itself whose `what` starts with `prefix`, among the latest `count`."""
    for fields in await entries(log, platform, community, count):
        if fields.get("who") == BOT and fields.get("what", "").startswith(prefix):
            return fields
    return None


def word(value: str) -> re.Pattern[str]:
    """Matches `value` as a whole word (an id inside a JSON list counts, a longer id does not)."""
    return re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", re.IGNORECASE)


async def redact(log: Log, platform: str, community: str, member_id: str) -> int:
    """Rewrite entries by or about `member_id`; returns how many were rewritten."""
    pattern = word(member_id)

    def fix(fields: Entry) -> Entry | None:
        if not any(pattern.search(v) for v in fields.values()):
            return None
        clean = {k: pattern.sub(FORGOTTEN, v) for k, v in fields.items()}
        if fields.get("who") == member_id:
            clean["who_name"] = FORGOTTEN
        return clean

    return await as_audit_log(log).rewrite(platform, community, fix)
