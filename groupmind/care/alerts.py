"""Care alerts: private notes to the community's care contacts, kept in Redis.

Alerts are numbered per community (1, 2, 3, ...) so an admin can type
`alerts ack 3`. One hash per community holds them as JSON; the care monitor
creates them, admins acknowledge and resolve them, and a member's `forget-me`
deletes theirs. A care contact (or admin) who asks to be forgotten is taken out
of the alerts they handled instead: those alerts stay, for the member they are
about. Resolved alerts beyond `max_alerts` are pruned, oldest first, so the
hash never grows without bound; open ones are never pruned.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, get_args

from redis.asyncio import Redis

from groupmind.events import AlertState, CareAlert, ChannelRef, Member, Urgency, sanitize_text, utcnow
from groupmind.store.keys import CommunityKeys

MAX_ALERTS = 1_000
MAX_NOTE_CHARS = 500
FORMER_CONTACT = "a former care contact"
"""Stands where a forgotten care contact's name and notes were."""
_EVERY_COMMUNITY = CommunityKeys("*", "*").alerts
"""A SCAN pattern matching every community's alerts hash."""


class AlertStore:
    """Create, list, acknowledge, resolve and forget care alerts."""

    def __init__(
        self, redis: Redis, clock: Callable[[], datetime] = utcnow, *, max_alerts: int = MAX_ALERTS
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.max_alerts = max_alerts

    async def create(
        self,
        *,
        member: Member,
        where: ChannelRef,
        why: str,
        excerpt: str = "",
        urgency: Urgency = "medium",
        bot_said: str = "",
        link: str | None = None,
    ) -> CareAlert:
        """Store a new open alert and return it with its id."""
        keys = CommunityKeys(where.platform, where.community)
        number = await self.redis.incr(keys.alert_seq)
        now = self.clock()
        alert = CareAlert(
            id=str(number), member=member, where=where, link=link, why=why, excerpt=excerpt,
            urgency=urgency, bot_said=bot_said, created_at=now, updated_at=now,
        )  # fmt: skip
        await self.redis.hset(keys.alerts, alert.id, alert.model_dump_json())
        return alert

    async def get(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        raw = await self.redis.hget(CommunityKeys(platform, community).alerts, alert_id)
        return None if raw is None else CareAlert.model_validate_json(raw)

    async def list(self, platform: str, community: str, *, include_closed: bool = False) -> list[CareAlert]:
        """Alerts oldest first; only the unresolved ones unless `include_closed`."""
        raw = await self.redis.hvals(CommunityKeys(platform, community).alerts)
        alerts = sorted((CareAlert.model_validate_json(r) for r in raw), key=lambda a: int(a.id))
        return alerts if include_closed else [a for a in alerts if a.state != "resolved"]

    async def count_open(self, platform: str, community: str) -> int:
        """How many alerts still need a human (open or acknowledged)."""
        return len(await self.list(platform, community))

    async def count_by_state(self) -> dict[AlertState, int]:
        """Alerts of every community by state (for metrics); SCANs, so Redis is never blocked."""
        counts: dict[AlertState, int] = {state: 0 for state in get_args(AlertState)}
        async for key in self.redis.scan_iter(match=_EVERY_COMMUNITY, _type="hash", count=500):
            for raw in await self.redis.hvals(key):
                counts[CareAlert.model_validate_json(raw).state] += 1
        return counts

    async def ack(self, platform: str, community: str, alert_id: str, by: Member) -> CareAlert | None:
        """Mark an open alert acknowledged; None if there is no such alert, unchanged if not open."""
        return await self._move(platform, community, alert_id, by, "acknowledged", None)

    async def resolve(
        self, platform: str, community: str, alert_id: str, by: Member, note: str | None = None
    ) -> CareAlert | None:
        """Resolve an alert with an optional note; None if there is no such alert."""
        resolved = await self._move(platform, community, alert_id, by, "resolved", note)
        await self._prune(CommunityKeys(platform, community))
        return resolved

    async def _move(
        self, platform: str, community: str, alert_id: str, by: Member, state: AlertState, note: str | None
    ) -> CareAlert | None:
        alert = await self.get(platform, community, alert_id)
        if alert is None or alert.state == "resolved" or alert.state == state:
            return alert
        now = self.clock()
        line = f"{now:%Y-%m-%d %H:%M} {state} by {by.display_name}"
        if note and note.strip():
            line += ": " + " ".join(sanitize_text(note).split())[:MAX_NOTE_CHARS]
        moved = alert.model_copy(update={
            "state": state, "updated_at": now, "notes": (*alert.notes, line), "handled_by": (*_handlers(alert), by.id),
        })  # fmt: skip
        await self.redis.hset(CommunityKeys(platform, community).alerts, alert_id, moved.model_dump_json())
        return moved

    async def _prune(self, keys: CommunityKeys) -> None:
        if await self.redis.hlen(keys.alerts) <= self.max_alerts:
            return
        alerts = await self.list(keys.platform, keys.community, include_closed=True)
        resolved = [a.id for a in alerts if a.state == "resolved"]
        excess = len(alerts) - self.max_alerts
        if excess > 0 and resolved:
            await self.redis.hdel(keys.alerts, *resolved[:excess])

    async def forget_member(
        self, platform: str, community: str, member_id: str, named: re.Pattern[str]
    ) -> tuple[int, int]:
        """Delete every alert about `member_id` and take them out of the rest; returns (deleted, rewritten).

        `named` matches the name they go by. In the alerts they handled, each
        note they wrote keeps its time and step but loses its author and words
        ("acknowledged by a former care contact"); their name, wherever else an
        alert's text carries it (the bot names the care contact it offers, a
        member may name them), becomes that same marker.
        """
        alerts = await self.list(platform, community, include_closed=True)
        doomed = [a.id for a in alerts if a.member.id == member_id]
        kept = (a for a in alerts if a.member.id != member_id)
        rewritten = {a.id: after.model_dump_json() for a in kept if (after := _without(a, member_id, named)) != a}
        key = CommunityKeys(platform, community).alerts
        pipe = self.redis.pipeline(transaction=True)
        if doomed:
            pipe.hdel(key, *doomed)
        if rewritten:
            pipe.hset(key, mapping=rewritten)
        await pipe.execute()
        return len(doomed), len(rewritten)


def _handlers(alert: CareAlert) -> tuple[str, ...]:
    """Who wrote each note; "" for notes written before authors were kept."""
    return ("",) * (len(alert.notes) - len(alert.handled_by)) + alert.handled_by


def _without(alert: CareAlert, member_id: str, named: re.Pattern[str]) -> CareAlert:
    """`alert` with `member_id` taken out (see `AlertStore.forget_member`)."""
    handlers = _handlers(alert)
    notes = (
        line.split(" by ", 1)[0] + f" by {FORMER_CONTACT}" if by == member_id else named.sub(FORMER_CONTACT, line)
        for line, by in zip(alert.notes, handlers)
    )
    return alert.model_copy(update={
        "notes": tuple(notes),
        "handled_by": tuple("" if by == member_id else by for by in handlers),
        **{name: named.sub(FORMER_CONTACT, getattr(alert, name)) for name in ("why", "excerpt", "bot_said")},
    })  # fmt: skip
