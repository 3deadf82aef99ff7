"""The audit trail: every admin action, with who, what, when, and the old and new value.

One stream per community, trimmed with `MAXLEN ~`. When a member is forgotten,
entries that name them are rewritten with the name replaced, so the trail keeps
what was done without keeping who they were (the rewritten entry moves to the
end of the stream; its `when` field keeps the original time).
"""

from __future__ import annotations

import re
from datetime import datetime

from redis.asyncio import Redis

from groupmind.events import AdminCommand, ChannelRef
from groupmind.store.keys import CommunityKeys

AUDIT_MAXLEN = 10_000
FORGOTTEN = "[forgotten member]"
BOT = "groupmind"
"""The `who` of entries the bot writes itself."""
DRIFT = "drift"
"""How the drift watch's entries begin (`groupmind.guard.drift`); `/gm status` shows the newest."""


async def record(
    redis: Redis, cmd: AdminCommand, when: datetime, old: str | None = None, new: str | None = None
) -> None:
    """Append one admin action to the community's audit stream."""
    await _append(redis, CommunityKeys(cmd.platform, cmd.community), {
        "who": cmd.invoker.id,
        "who_name": cmd.invoker.display_name,
        "what": " ".join((cmd.name, *cmd.args)),
        "where": cmd.where.conversation,
        "when": when.isoformat(),
        "old": old if old is not None else "",
        "new": new if new is not None else "",
    })  # fmt: skip


async def note(redis: Redis, where: ChannelRef, what: str, when: datetime) -> None:
    """Append something the bot itself had to report, such as a care alert no care contact could receive."""
    await _append(redis, CommunityKeys(where.platform, where.community), {
        "who": BOT, "who_name": BOT, "what": what, "where": where.conversation, "when": when.isoformat(),
        "old": "", "new": "",
    })  # fmt: skip


async def _append(redis: Redis, keys: CommunityKeys, fields: dict[str, str]) -> None:
    await redis.xadd(keys.audit, fields, maxlen=AUDIT_MAXLEN, approximate=True)  # type: ignore[arg-type]


async def entries(redis: Redis, platform: str, community: str, count: int = 100) -> list[dict[str, str]]:
    """The newest `count` audit entries, newest first."""
    return [fields for _, fields in await redis.xrevrange(CommunityKeys(platform, community).audit, count=count)]


async def latest_note(redis: Redis, platform: str, community: str, prefix: str, count: int = 200) -> dict[str, str] | None:
    """The newest entry the bot wrote itself whose `what` starts with `prefix`, among the latest `count`."""
    for fields in await entries(redis, platform, community, count):
        if fields.get("who") == BOT and fields.get("what", "").startswith(prefix):
            return fields
    return None


def word(value: str) -> re.Pattern[str]:
    """Matches `value` as a whole word (an id inside a JSON list counts, a longer id does not)."""
    return re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", re.IGNORECASE)


async def redact(redis: Redis, platform: str, community: str, member_id: str) -> int:
    """Rewrite entries by or about `member_id`; returns how many were rewritten."""
    key = CommunityKeys(platform, community).audit
    pattern = word(member_id)
    rewritten = 0
    for entry_id, fields in await redis.xrange(key):
        if not any(pattern.search(v) for v in fields.values()):
            continue
        clean = {k: pattern.sub(FORGOTTEN, v) for k, v in fields.items()}
        if fields.get("who") == member_id:
            clean["who_name"] = FORGOTTEN
        pipe = redis.pipeline(transaction=True)
        pipe.xdel(key, entry_id)
        pipe.xadd(key, clean, maxlen=AUDIT_MAXLEN, approximate=True)
        await pipe.execute()
        rewritten += 1
    return rewritten
