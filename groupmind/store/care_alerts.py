"""Care alerts: private notes to the community's care contacts, kept in Redis.

Alerts are numbered per community (1, 2, 3, ...) so an admin can type
`alerts ack 3`. One hash per community holds them as JSON; the care layer
creates them, admins acknowledge and resolve them, and a member's `forget-me`
deletes theirs. A care contact (or admin) who asks to be forgotten is taken out
of the alerts they handled instead: those alerts stay, for the member they are
about. Resolved alerts beyond `max_alerts` are pruned, oldest first, so the
hash never grows without bound; open ones are never pruned. An alert counts the
reminders its care contacts got, and notes when the admins were told nobody
answered them, so the reminding ends even across restarts.

What an alert may do is written once (`_AlertBook`); `AlertStore` keeps the
alerts in Redis and `MemoryAlertStore`, its in-memory twin, in a dict.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import AsyncIterator, Callable, Iterable, Mapping, Protocol, get_args

from redis.asyncio import Redis
from redis.exceptions import WatchError

from groupmind.events import AlertState, CareAlert, ChannelRef, Member, Urgency, sanitize_text, utcnow
from groupmind.store.keys import CARE_COMMUNITIES, CommunityKeys

MAX_ALERTS = 1_000
MAX_NOTE_CHARS = 500
FORMER_CONTACT = "a former care contact"
"""Stands where a forgotten care contact's name and notes were."""


class CareAlerts(Protocol):
    """What the care layer and the admin commands may do with care alerts."""

    async def create(
        self, *, member: Member, where: ChannelRef, why: str, excerpt: str = "", urgency: Urgency = "medium",
        bot_said: str = "", link: str | None = None,
    ) -> CareAlert:
        """Store a new open alert and return it with its id."""
        ...

    async def get(self, platform: str, community: str, alert_id: str) -> CareAlert | None: ...

    async def list(self, platform: str, community: str, *, include_closed: bool = False) -> list[CareAlert]:
        """Alerts oldest first; only the unresolved ones unless `include_closed`."""
        ...

    async def count_by_state(self) -> dict[AlertState, int]: ...

    async def ack(self, platform: str, community: str, alert_id: str, by: Member) -> CareAlert | None: ...

    async def resolve(
        self, platform: str, community: str, alert_id: str, by: Member, note: str | None = None
    ) -> CareAlert | None: ...

    async def reminded(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        """Count one more reminder of an open alert; None if it is gone or no longer open."""
        ...

    async def admins_told(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        """Record that the admins were told nobody answered an open alert; None if it is gone or no longer open."""
        ...

    async def forget_member(
        self, platform: str, community: str, member_id: str, named: re.Pattern[str]
    ) -> tuple[int, int]: ...


class _AlertBook:
    """Create, list, acknowledge, resolve and forget care alerts, over a few storage primitives."""

    def __init__(self, clock: Callable[[], datetime], max_alerts: int) -> None:
        self.clock = clock
        self.max_alerts = max_alerts

    # -- storage primitives ----------------------------------------------------------

    async def _next_id(self, platform: str, community: str) -> str:
        raise NotImplementedError

    async def _get(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        raise NotImplementedError

    async def _all(self, platform: str, community: str) -> list[CareAlert]:
        raise NotImplementedError

    async def _size(self, platform: str, community: str) -> int:
        raise NotImplementedError

    async def _write(self, platform: str, community: str, put: Mapping[str, CareAlert], drop: Iterable[str] = ()) -> None:
        """Store `put` and delete `drop`, at once."""
        raise NotImplementedError

    def _every(self) -> AsyncIterator[CareAlert]:
        raise NotImplementedError

    # -- the contract ------------------------------------------------------------------

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
        number = await self._next_id(where.platform, where.community)
        now = self.clock()
        alert = CareAlert(
            id=number, member=member, where=where, link=link, why=why, excerpt=excerpt,
            urgency=urgency, bot_said=bot_said, created_at=now, updated_at=now,
        )  # fmt: skip
        await self._write(where.platform, where.community, {alert.id: alert})
        return alert

    async def get(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        return await self._get(platform, community, alert_id)

    async def list(self, platform: str, community: str, *, include_closed: bool = False) -> list[CareAlert]:
        """Alerts oldest first; only the unresolved ones unless `include_closed`."""
        alerts = sorted(await self._all(platform, community), key=lambda a: int(a.id))
        return alerts if include_closed else [a for a in alerts if a.state != "resolved"]

    async def count_by_state(self) -> dict[AlertState, int]:
        """Alerts of every community by state (for metrics)."""
        counts: dict[AlertState, int] = {state: 0 for state in get_args(AlertState)}
        async for alert in self._every():
            counts[alert.state] += 1
        return counts

    async def ack(self, platform: str, community: str, alert_id: str, by: Member) -> CareAlert | None:
        """Mark an open alert acknowledged; None if there is no such alert, unchanged if not open."""
        return await self._move(platform, community, alert_id, by, "acknowledged", None)

    async def resolve(
        self, platform: str, community: str, alert_id: str, by: Member, note: str | None = None
    ) -> CareAlert | None:
        """Resolve an alert with an optional note; None if there is no such alert."""
        resolved = await self._move(platform, community, alert_id, by, "resolved", note)
        await self._prune(platform, community)
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
        await self._write(platform, community, {alert_id: moved})
        return moved

    async def reminded(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        """Count one more reminder of an open alert; None if it is gone or no longer open."""
        alert = await self._open(platform, community, alert_id)
        if alert is None:
            return None
        return await self._put(platform, community, alert.model_copy(update={"reminders": alert.reminders + 1}))

    async def admins_told(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        """Record that the admins were told nobody answered an open alert; None if it is gone or no longer open."""
        alert = await self._open(platform, community, alert_id)
        if alert is None:
            return None
        return await self._put(platform, community, alert.model_copy(update={"admins_told_at": self.clock()}))

    async def _open(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        alert = await self.get(platform, community, alert_id)
        return alert if alert is not None and alert.state == "open" else None

    async def _put(self, platform: str, community: str, alert: CareAlert) -> CareAlert:
        await self._write(platform, community, {alert.id: alert})
        return alert

    async def _prune(self, platform: str, community: str) -> None:
        if await self._size(platform, community) <= self.max_alerts:
            return
        alerts = await self.list(platform, community, include_closed=True)
        resolved = [a.id for a in alerts if a.state == "resolved"]
        excess = len(alerts) - self.max_alerts
        if excess > 0 and resolved:
            await self._write(platform, community, {}, resolved[:excess])

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
        rewritten = {a.id: after for a in kept if (after := _without(a, member_id, named)) != a}
        await self._write(platform, community, rewritten, doomed)
        return len(doomed), len(rewritten)


class AlertStore(_AlertBook):
    """Care alerts in Redis: one hash of JSON per community, and a counter that numbers them."""

    def __init__(self, redis: Redis, clock: Callable[[], datetime] = utcnow, *, max_alerts: int = MAX_ALERTS) -> None:
        super().__init__(clock, max_alerts)
        self.redis = redis

    async def _next_id(self, platform: str, community: str) -> str:
        return str(await self.redis.incr(CommunityKeys(platform, community).alert_seq))

    async def _get(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        raw = await self.redis.hget(CommunityKeys(platform, community).alerts, alert_id)
        return None if raw is None else CareAlert.model_validate_json(raw)

    async def _all(self, platform: str, community: str) -> list[CareAlert]:
        return [CareAlert.model_validate_json(r) for r in await self.redis.hvals(CommunityKeys(platform, community).alerts)]

    async def _size(self, platform: str, community: str) -> int:
        return int(await self.redis.hlen(CommunityKeys(platform, community).alerts))

    async def _write(self, platform: str, community: str, put: Mapping[str, CareAlert], drop: Iterable[str] = ()) -> None:
        """Write the alerts and, in the same transaction, the community's count of alerts by state.

        The counts are recomputed from every alert (at most `max_alerts`) under
        WATCH: alerts change rarely, and so the counts cannot drift, and a
        community stored before they existed gets them at its next change. The
        community is then named in the global index /metrics reads: it has its
        own hash tag, so it is written apart, and alerts are off the per-message path.
        """
        keys = CommunityKeys(platform, community)
        doomed = set(drop)
        written = {i: a.model_dump_json() for i, a in put.items()}
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(keys.alerts)
                    stored = await pipe.hgetall(keys.alerts)
                    states = {i: CareAlert.model_validate_json(raw).state for i, raw in stored.items() if i not in doomed}
                    states |= {i: a.state for i, a in put.items()}
                    pipe.multi()
                    if doomed:
                        pipe.hdel(keys.alerts, *doomed)
                    if written:
                        pipe.hset(keys.alerts, mapping=written)
                    pipe.delete(keys.alert_states)
                    pipe.hset(keys.alert_states, mapping={s: list(states.values()).count(s) for s in get_args(AlertState)})
                    await pipe.execute()
                    break
                except WatchError:
                    continue
        await self.redis.sadd(CARE_COMMUNITIES, keys.index_entry)

    async def count_by_state(self) -> dict[AlertState, int]:
        """Alerts of every community by state, from the counts kept with them: no SCAN at scrape time."""
        counts: dict[AlertState, int] = {state: 0 for state in get_args(AlertState)}
        entries = await self.redis.smembers(CARE_COMMUNITIES)
        kept = await asyncio.gather(*(self.redis.hgetall(CommunityKeys.from_index_entry(e).alert_states) for e in entries))
        for community_counts in kept:
            for state, count in community_counts.items():
                if state in counts:
                    counts[state] += int(count)  # type: ignore[index]
        return counts


class MemoryAlertStore(_AlertBook):
    """Care alerts in memory: the same contract, for pure tests."""

    def __init__(self, clock: Callable[[], datetime] = utcnow, *, max_alerts: int = MAX_ALERTS) -> None:
        super().__init__(clock, max_alerts)
        self._alerts: dict[tuple[str, str], dict[str, str]] = {}
        self._seq: dict[tuple[str, str], int] = {}

    async def _next_id(self, platform: str, community: str) -> str:
        self._seq[(platform, community)] = self._seq.get((platform, community), 0) + 1
        return str(self._seq[(platform, community)])

    async def _get(self, platform: str, community: str, alert_id: str) -> CareAlert | None:
        raw = self._alerts.get((platform, community), {}).get(alert_id)
        return None if raw is None else CareAlert.model_validate_json(raw)

    async def _all(self, platform: str, community: str) -> list[CareAlert]:
        return [CareAlert.model_validate_json(r) for r in self._alerts.get((platform, community), {}).values()]

    async def _size(self, platform: str, community: str) -> int:
        return len(self._alerts.get((platform, community), {}))

    async def _write(self, platform: str, community: str, put: Mapping[str, CareAlert], drop: Iterable[str] = ()) -> None:
        # Kept as JSON, so what comes back is what Redis would give back.
        alerts = self._alerts.setdefault((platform, community), {})
        for alert_id in drop:
            alerts.pop(alert_id, None)
        alerts.update({i: a.model_dump_json() for i, a in put.items()})

    async def _every(self) -> AsyncIterator[CareAlert]:
        for alerts in self._alerts.values():
            for raw in alerts.values():
                yield CareAlert.model_validate_json(raw)


def _handlers(alert: CareAlert) -> tuple[str, ...]:
    """Who wrote each note; "" for notes written before authors were kept."""
    return ("",) * (len(alert.notes) - len(alert.handled_by)) + alert.handled_by


def _without(alert: CareAlert, member_id: str, named: re.Pattern[str]) -> CareAlert:
    """`alert` with `member_id` taken out (see `forget_member`)."""
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
