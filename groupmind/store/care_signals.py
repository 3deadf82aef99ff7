"""What care keeps about members between messages: risk, flagged messages, rhythm, reported silences.

- **risk**: a member's decaying risk score, read-modify-written with WATCH/MULTI
  so several workers never lose an update and no Lua mirrors the Python logic;
- **flags**: the ids of a member's risk messages, so the guard keeps their text
  away from the model (ids only, under the member's own key: forget-me deletes them);
- **rhythm**: a member's usual gaps between messages, and the community's pulse
  (when it last spoke), for the quiet sweep;
- **quiet reports**: which silence was already reported, so each is reported once.

Everything about a member lives under `member:<id>` and expires with the risk
window where it should. `MemoryCareSignals` is the in-memory twin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator, Callable, Mapping, Protocol, Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline
from redis.exceptions import WatchError

from groupmind.store.keys import CommunityKeys

RISK_WINDOW = timedelta(days=14)
"""Care state about a member (risk, flags, the conversation) expires this long after it last changed."""
_BATCH = 5000


@dataclass(frozen=True)
class RiskState:
    """A member's risk as stored (`groupmind.care.risk` computes it)."""

    score: float = 0.0
    updated: float = 0.0
    """Epoch seconds of the last update."""
    last_risk: float = 0.0
    """Epoch seconds of the last risk-labelled message; 0 when none."""
    means_at: float = 0.0
    """Epoch seconds they last spoke of means in hand (a gun at home, pills saved); 0 when never."""
    time_at: float = 0.0
    """Epoch seconds they last named a time ("tonight") with distress around; 0 when never."""
    prep_at: float = 0.0
    """Epoch seconds of their last preparation or goodbye; 0 when never."""


@dataclass(frozen=True)
class Rhythm:
    """A member's usual gaps between messages, as stored (`groupmind.care.quiet` computes it)."""

    last: float = 0.0
    n: int = 0
    mean: float = 0.0
    """Mean of ln(gap in hours)."""
    m2: float = 0.0
    max_gap: float = 0.0
    """Seconds."""
    weeks: int = 0
    """Bit i set: active in the week `week - i`."""
    week: int = -1


_RHYTHM = tuple(Rhythm.__dataclass_fields__)
_RISK = tuple(RiskState.__dataclass_fields__)


def _risk(fields: Mapping[str, str]) -> RiskState:
    try:
        return RiskState(*(float(fields.get(name, 0)) for name in _RISK))  # fields added later read as 0
    except ValueError:  # a hand-edited or corrupt hash: start over rather than fail the message
        return RiskState()


def _rhythm(values: Sequence[str | None]) -> Rhythm | None:
    if values[0] is None:
        return None
    try:
        last, n, mean, m2, max_gap, weeks, week = values
        return Rhythm(float(last), int(n or 0), float(mean or 0), float(m2 or 0), float(max_gap or 0),  # type: ignore[arg-type]
                      int(weeks or 0), int(week or -1))  # fmt: skip
    except (TypeError, ValueError):  # a corrupt hash: this member cannot be judged, others still are
        return None


class CareSignals(Protocol):
    """What care reads and writes about members between messages."""

    async def opted_out(self, platform: str, community: str, member_id: str) -> bool:
        """The member asked not to be monitored or profiled here."""
        ...

    async def flag(self, platform: str, community: str, member_id: str, message_id: str, at: datetime) -> None:
        """Note one of the member's risk messages; flags older than the risk window are dropped."""
        ...

    async def flagged(self, platform: str, community: str, member_id: str, now: datetime) -> list[str]:
        """The member's flagged message ids within the risk window before `now`, oldest first."""
        ...

    async def risk(self, platform: str, community: str, member_id: str) -> RiskState:
        ...

    async def update_risk(
        self, platform: str, community: str, member_id: str, change: Callable[[RiskState], RiskState | None]
    ) -> None:
        """Replace the member's risk with `change(current)`, atomically; None writes nothing.

        `change` may run more than once (another worker wrote in between): keep it pure.
        """
        ...

    async def record_rhythm(
        self, platform: str, community: str, member_id: str, change: Callable[[Rhythm], Rhythm], at: datetime,
        conversation: str,
    ) -> Rhythm:
        """Fold a message at `at` into the member's rhythm (`change`) and the community's pulse; returns the rhythm.

        `conversation` is where they spoke ("" keeps the last one), so a quiet alert can say where they were.
        """
        ...

    async def pulse(self, platform: str, community: str) -> float | None:
        """Epoch seconds the community last spoke; None before anyone did."""
        ...

    def rhythms(self, platform: str, community: str) -> AsyncIterator[list[tuple[str, Rhythm | None]]]:
        """Every member's rhythm (None when absent or corrupt), in batches; opted-out members are left out."""
        ...

    async def quiet_facts(
        self, platform: str, community: str, member_ids: Sequence[str]
    ) -> list[tuple[float, str]]:
        """For each member: when they last showed risk (0 if never) and where they last spoke."""
        ...

    async def reported_quiet(self, platform: str, community: str, member_ids: Sequence[str]) -> list[str | None]:
        """For each member, the marker of the silence already reported about them, if any."""
        ...

    async def mark_quiet(self, platform: str, community: str, markers: Mapping[str, str]) -> None:
        """Remember which silence of each member was reported."""
        ...



class RedisCareSignals:
    """Care signals in Redis, under each member's and community's keys."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def opted_out(self, platform: str, community: str, member_id: str) -> bool:
        return bool(await self.redis.sismember(CommunityKeys(platform, community).optout, member_id))

    async def flag(self, platform: str, community: str, member_id: str, message_id: str, at: datetime) -> None:
        keys = CommunityKeys(platform, community)
        key = keys.care_flagged(member_id)
        stamp = at.timestamp()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(keys.care_people, member_id)  # so export and forget-me find them without a SCAN
            pipe.zadd(key, {message_id: stamp})
            pipe.zremrangebyscore(key, "-inf", stamp - RISK_WINDOW.total_seconds())
            pipe.expire(key, int(RISK_WINDOW.total_seconds()))
            await pipe.execute()

    async def flagged(self, platform: str, community: str, member_id: str, now: datetime) -> list[str]:
        pipe = self.redis.pipeline(transaction=False)
        queue_flagged(pipe, CommunityKeys(platform, community), member_id, now)
        [ids] = await pipe.execute()
        return list(ids)

    async def risk(self, platform: str, community: str, member_id: str) -> RiskState:
        return _risk(await self.redis.hgetall(CommunityKeys(platform, community).care_risk(member_id)))

    async def update_risk(
        self, platform: str, community: str, member_id: str, change: Callable[[RiskState], RiskState | None]
    ) -> None:
        keys = CommunityKeys(platform, community)
        key = keys.care_risk(member_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    new = change(_risk(await pipe.hgetall(key)))
                    if new is None:
                        await pipe.reset()
                        return
                    pipe.multi()
                    pipe.hset(key, mapping=asdict(new))
                    pipe.expire(key, int(RISK_WINDOW.total_seconds()))
                    pipe.sadd(keys.care_people, member_id)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    async def record_rhythm(
        self, platform: str, community: str, member_id: str, change: Callable[[Rhythm], Rhythm], at: datetime,
        conversation: str,
    ) -> Rhythm:
        keys = CommunityKeys(platform, community)
        key = keys.care_rhythm(member_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    fields = await pipe.hgetall(key)
                    rhythm = change(_rhythm([fields.get(f) for f in _RHYTHM]) or Rhythm())
                    pipe.multi()
                    pipe.hset(key, mapping={**asdict(rhythm), "channel": conversation or fields.get("channel", "")})
                    await pipe.execute()
                    break
                except WatchError:
                    continue
        await self.redis.zadd(keys.care_pulse, {"last": at.timestamp()}, gt=True)
        return rhythm

    async def pulse(self, platform: str, community: str) -> float | None:
        score = await self.redis.zscore(CommunityKeys(platform, community).care_pulse, "last")
        return None if score is None else float(score)

    async def rhythms(self, platform: str, community: str) -> AsyncIterator[list[tuple[str, Rhythm | None]]]:
        keys = CommunityKeys(platform, community)
        optout = set(await self.redis.smembers(keys.optout))
        members = [m async for m in self.redis.sscan_iter(keys.members, count=_BATCH) if m not in optout]
        for start in range(0, len(members), _BATCH):
            batch = members[start:start + _BATCH]
            pipe = self.redis.pipeline(transaction=False)
            for member in batch:
                pipe.hmget(keys.care_rhythm(member), _RHYTHM)
            yield [(member, _rhythm(values)) for member, values in zip(batch, await pipe.execute())]

    async def quiet_facts(
        self, platform: str, community: str, member_ids: Sequence[str]
    ) -> list[tuple[float, str]]:
        if not member_ids:
            return []
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        for member in member_ids:
            pipe.hget(keys.care_risk(member), "last_risk")
            pipe.hget(keys.care_rhythm(member), "channel")
        found = await pipe.execute()
        return [(float(risk or 0), channel or "") for risk, channel in zip(found[::2], found[1::2])]

    async def reported_quiet(self, platform: str, community: str, member_ids: Sequence[str]) -> list[str | None]:
        if not member_ids:
            return []
        return list(await self.redis.hmget(CommunityKeys(platform, community).care_quiet, list(member_ids)))

    async def mark_quiet(self, platform: str, community: str, markers: Mapping[str, str]) -> None:
        if markers:
            await self.redis.hset(CommunityKeys(platform, community).care_quiet, mapping=dict(markers))



def queue_flagged(pipe: RedisPipeline, keys: CommunityKeys, member_id: str, now: datetime) -> None:
    """Queue the read of a member's flagged message ids within the risk window on a Redis pipeline (the guard's)."""
    pipe.zrangebyscore(keys.care_flagged(member_id), now.timestamp() - RISK_WINDOW.total_seconds(), "+inf")


_MemberKey = tuple[str, str, str]


class MemoryCareSignals:
    """Care signals in memory: the same contract, for pure tests (key expiry is not modelled)."""

    def __init__(self) -> None:
        self.optout: set[_MemberKey] = set()
        """(platform, community, member id) of members who opted out; tests add to it."""
        self._flags: dict[_MemberKey, dict[str, float]] = {}
        self._risk: dict[_MemberKey, RiskState] = {}
        self._rhythm: dict[_MemberKey, tuple[Rhythm, str]] = {}
        self._pulse: dict[tuple[str, str], float] = {}
        self._quiet: dict[tuple[str, str], dict[str, str]] = {}

    async def opted_out(self, platform: str, community: str, member_id: str) -> bool:
        return (platform, community, member_id) in self.optout

    async def flag(self, platform: str, community: str, member_id: str, message_id: str, at: datetime) -> None:
        flags = self._flags.setdefault((platform, community, member_id), {})
        flags[message_id] = at.timestamp()
        floor = at.timestamp() - RISK_WINDOW.total_seconds()
        for old in [m for m, stamp in flags.items() if stamp <= floor]:
            del flags[old]

    async def flagged(self, platform: str, community: str, member_id: str, now: datetime) -> list[str]:
        floor = now.timestamp() - RISK_WINDOW.total_seconds()
        flags = self._flags.get((platform, community, member_id), {})
        return [m for m, stamp in sorted(flags.items(), key=lambda f: (f[1], f[0])) if stamp >= floor]

    async def risk(self, platform: str, community: str, member_id: str) -> RiskState:
        return self._risk.get((platform, community, member_id), RiskState())

    async def update_risk(
        self, platform: str, community: str, member_id: str, change: Callable[[RiskState], RiskState | None]
    ) -> None:
        new = change(await self.risk(platform, community, member_id))
        if new is not None:
            self._risk[(platform, community, member_id)] = new

    async def record_rhythm(
        self, platform: str, community: str, member_id: str, change: Callable[[Rhythm], Rhythm], at: datetime,
        conversation: str,
    ) -> Rhythm:
        old, channel = self._rhythm.get((platform, community, member_id), (Rhythm(), ""))
        rhythm = change(old)
        self._rhythm[(platform, community, member_id)] = (rhythm, conversation or channel)
        self._pulse[(platform, community)] = max(self._pulse.get((platform, community), 0.0), at.timestamp())
        return rhythm

    async def pulse(self, platform: str, community: str) -> float | None:
        return self._pulse.get((platform, community))

    async def rhythms(self, platform: str, community: str) -> AsyncIterator[list[tuple[str, Rhythm | None]]]:
        yield [(m, rhythm) for (p, c, m), (rhythm, _) in self._rhythm.items()
               if (p, c) == (platform, community) and (p, c, m) not in self.optout]  # fmt: skip

    async def quiet_facts(
        self, platform: str, community: str, member_ids: Sequence[str]
    ) -> list[tuple[float, str]]:
        return [(self._risk.get((platform, community, m), RiskState()).last_risk,
                 self._rhythm.get((platform, community, m), (Rhythm(), ""))[1]) for m in member_ids]  # fmt: skip

    async def reported_quiet(self, platform: str, community: str, member_ids: Sequence[str]) -> list[str | None]:
        reported = self._quiet.get((platform, community), {})
        return [reported.get(m) for m in member_ids]

    async def mark_quiet(self, platform: str, community: str, markers: Mapping[str, str]) -> None:
        self._quiet.setdefault((platform, community), {}).update(markers)

