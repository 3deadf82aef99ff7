"""Members going quiet, judged against each member's own rhythm.

Every message updates the author's rhythm incrementally: the running mean and
variance (Welford) of the log of their gaps between sessions, their longest
gap, and which of the recent weeks they were active in. A regular is someone
active in most of the weeks before they last spoke. The sweep flags a regular
whose silence is far outside their own gaps: a high z-score on the log scale
and longer than any gap they ever had. Silence is measured up to the
community's last message, so a whole community going quiet (holidays) makes
nobody quiet; and if most regulars look quiet at once, nobody is flagged.
Recent distress lowers the bar.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis

from groupmind.care.records import update_hash
from groupmind.care.risk import WINDOW
from groupmind.store.keys import CARE_COMMUNITIES, CommunityKeys

SESSION_GAP = timedelta(minutes=30)
"""Shorter gaps are one conversation, not part of a member's rhythm."""
WEEKS = 8
"""How many weeks back 'active most weeks' looks, ending at the member's last message."""
REGULAR_WEEKS = 5
MIN_GAPS = 6
"""Fewer recorded gaps than this is too little history to judge a rhythm."""
MIN_SILENCE = timedelta(days=2)
MIN_SILENCE_DISTRESS = timedelta(days=1)
Z_THRESHOLD = {"low": 3.5, "normal": 3.0, "high": 2.5}
DISTRESS_BONUS = 1.0
"""How much lower the z threshold is after recent distress."""
HOLIDAY_SHARE = 0.5
"""If more than this share of regulars look quiet at once, the community is quiet, not them."""
_MIN_STD = 0.35
_WEEK_S = 7 * 24 * 3600
_FIELDS = ("last", "n", "mean", "m2", "max_gap", "weeks", "week")
_BATCH = 5000


@dataclass(frozen=True)
class Rhythm:
    """One member's usual gaps between messages (pure; kept in a Redis hash)."""

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

    def add(self, stamp: float) -> Rhythm:
        """This rhythm after a message at `stamp` (epoch seconds); out-of-order messages change nothing."""
        if stamp < self.last:
            return self
        week = int(stamp // _WEEK_S)
        shift = max(0, week - self.week) if self.week >= 0 else 0
        weeks = ((self.weeks << min(shift, WEEKS)) | 1) & ((1 << WEEKS) - 1)
        new = replace(self, last=stamp, weeks=weeks, week=week)
        gap = stamp - self.last
        if not self.last or gap < SESSION_GAP.total_seconds():
            return new
        x = math.log(gap / 3600)
        n = self.n + 1
        delta = x - self.mean
        mean = self.mean + delta / n
        return replace(new, n=n, mean=mean, m2=self.m2 + delta * (x - mean), max_gap=max(self.max_gap, gap))

    @property
    def regular(self) -> bool:
        return self.n >= MIN_GAPS and bin(self.weeks).count("1") >= REGULAR_WEEKS

    @property
    def usual_gap(self) -> timedelta:
        return timedelta(hours=math.exp(self.mean))

    def z(self, silence_s: float) -> float:
        """How far a silence lies outside this member's gaps, in standard deviations of log gaps."""
        std = math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0
        return (math.log(max(silence_s, 1.0) / 3600) - self.mean) / max(std, _MIN_STD)


def _load(values: list[str | None]) -> Rhythm | None:
    if values[0] is None:
        return None
    try:
        last, n, mean, m2, max_gap, weeks, week = values
        return Rhythm(float(last), int(n or 0), float(mean or 0), float(m2 or 0), float(max_gap or 0),
                      int(weeks or 0), int(week or -1))
    except (TypeError, ValueError):  # a corrupt hash: this member cannot be judged, others still are
        return None


async def record_activity(
    redis: Redis, keys: CommunityKeys, member_id: str, ts: datetime, conversation: str = ""
) -> Rhythm:
    """Fold one message by `member_id` at `ts` into their rhythm and the community's pulse.

    `conversation` is where they spoke, so a quiet alert can say where they were last seen.

    The pipeline calls this for every stored message by a human who has not opted out.
    """
    stamp = ts.timestamp()
    result: list[Rhythm] = []

    def change(fields: dict[str, str]) -> dict[str, float | int] | None:
        rhythm = (_load([fields.get(f) for f in _FIELDS]) or Rhythm()).add(stamp)
        result[:] = [rhythm]
        return {**asdict(rhythm), "channel": conversation or fields.get("channel", "")}

    await update_hash(redis, keys.care_rhythm(member_id), change)
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(keys.care_pulse, {"last": stamp}, gt=True)
    pipe.zadd(CARE_COMMUNITIES, {community_entry(keys): stamp}, gt=True)
    await pipe.execute()
    return result[0]


def community_entry(keys: CommunityKeys) -> str:
    """The community's member of CARE_COMMUNITIES."""
    return f"{keys.platform}\x1f{keys.community}"


@dataclass(frozen=True)
class QuietMember:
    member_id: str
    last: float
    """Epoch seconds of their last message: one silence, reported once."""
    channel: str
    """The conversation they last spoke in."""
    silence: timedelta
    usual_gap: timedelta
    z: float
    recent_distress: bool


def judge(rhythm: Rhythm, pulse: float, *, sensitivity: str = "normal", distress: bool = False) -> float | None:
    """The member's z-score if they count as quiet at community time `pulse`, else None (pure)."""
    if not rhythm.regular:
        return None
    silence = pulse - rhythm.last
    floor = MIN_SILENCE_DISTRESS if distress else MIN_SILENCE
    if silence < floor.total_seconds() or (not distress and silence <= rhythm.max_gap):
        return None
    z = rhythm.z(silence)
    threshold = Z_THRESHOLD.get(sensitivity, Z_THRESHOLD["normal"]) - (DISTRESS_BONUS if distress else 0.0)
    return z if z >= threshold else None


async def sweep_quiet(redis: Redis, keys: CommunityKeys, now: datetime, *, sensitivity: str = "normal") -> list[QuietMember]:
    """Regulars of one community who have gone quiet, loudest silence first.

    Reads every member's rhythm with pipelined HMGETs in batches; only the few
    candidates get a second read for recent distress. Opted-out members are skipped.
    """
    pulse_score = await redis.zscore(keys.care_pulse, "last")
    if pulse_score is None:
        return []
    pulse = min(float(pulse_score), now.timestamp())
    optout = set(await redis.smembers(keys.optout))
    regulars = 0
    candidates: list[tuple[str, Rhythm]] = []
    members = [m async for m in redis.sscan_iter(keys.members, count=_BATCH) if m not in optout]
    for start in range(0, len(members), _BATCH):
        batch = members[start:start + _BATCH]
        pipe = redis.pipeline(transaction=False)
        for member in batch:
            pipe.hmget(keys.care_rhythm(member), _FIELDS)
        for member, values in zip(batch, await pipe.execute()):
            rhythm = _load(values)
            if rhythm is None or not rhythm.regular:
                continue
            regulars += 1
            # The lowest bar any member could meet; distress is checked only for these.
            if judge(rhythm, pulse, sensitivity="high", distress=True) is not None:
                candidates.append((member, rhythm))
    pipe = redis.pipeline(transaction=False)
    for member, _ in candidates:
        pipe.hget(keys.care_risk(member), "last_risk")
        pipe.hget(keys.care_rhythm(member), "channel")
    found = await pipe.execute() if candidates else []
    quiet = []
    for (member, rhythm), last_risk, channel in zip(candidates, found[::2], found[1::2]):
        distress = bool(last_risk) and pulse - float(last_risk) <= WINDOW.total_seconds()
        z = judge(rhythm, pulse, sensitivity=sensitivity, distress=distress)
        if z is not None:
            silence = timedelta(seconds=pulse - rhythm.last)
            quiet.append(QuietMember(member, rhythm.last, channel or "", silence, rhythm.usual_gap, round(z, 2), distress))
    if regulars and len(quiet) > HOLIDAY_SHARE * regulars and regulars >= 4:
        return []
    return sorted(quiet, key=lambda q: -q.z)
