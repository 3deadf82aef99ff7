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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from groupmind.care.risk import WINDOW
from groupmind.store.care_signals import CareSignals, Rhythm

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


def add(rhythm: Rhythm, stamp: float) -> Rhythm:
    """`rhythm` after a message at `stamp` (epoch seconds); out-of-order messages change nothing."""
    if stamp < rhythm.last:
        return rhythm
    week = int(stamp // _WEEK_S)
    shift = max(0, week - rhythm.week) if rhythm.week >= 0 else 0
    weeks = ((rhythm.weeks << min(shift, WEEKS)) | 1) & ((1 << WEEKS) - 1)
    new = replace(rhythm, last=stamp, weeks=weeks, week=week)
    gap = stamp - rhythm.last
    if not rhythm.last or gap < SESSION_GAP.total_seconds():
        return new
    x = math.log(gap / 3600)
    n = rhythm.n + 1
    delta = x - rhythm.mean
    mean = rhythm.mean + delta / n
    return replace(new, n=n, mean=mean, m2=rhythm.m2 + delta * (x - mean), max_gap=max(rhythm.max_gap, gap))


def is_regular(rhythm: Rhythm) -> bool:
    """Active in most of the recent weeks, with enough gaps to judge."""
    return rhythm.n >= MIN_GAPS and bin(rhythm.weeks).count("1") >= REGULAR_WEEKS


def usual_gap(rhythm: Rhythm) -> timedelta:
    return timedelta(hours=math.exp(rhythm.mean))


def zscore(rhythm: Rhythm, silence_s: float) -> float:
    """How far a silence lies outside the member's gaps, in standard deviations of log gaps."""
    std = math.sqrt(rhythm.m2 / (rhythm.n - 1)) if rhythm.n > 1 else 0.0
    return (math.log(max(silence_s, 1.0) / 3600) - rhythm.mean) / max(std, _MIN_STD)


async def record_activity(
    signals: CareSignals, platform: str, community: str, member_id: str, ts: datetime, conversation: str = ""
) -> Rhythm:
    """Fold one message by `member_id` at `ts` into their rhythm and the community's pulse.

    `conversation` is where they spoke, so a quiet alert can say where they were last seen.

    The care monitor calls this for every stored message by a human who has not opted out.
    """
    stamp = ts.timestamp()
    return await signals.record_rhythm(platform, community, member_id, lambda r: add(r, stamp), ts, conversation)


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
    if not is_regular(rhythm):
        return None
    silence = pulse - rhythm.last
    floor = MIN_SILENCE_DISTRESS if distress else MIN_SILENCE
    if silence < floor.total_seconds() or (not distress and silence <= rhythm.max_gap):
        return None
    z = zscore(rhythm, silence)
    threshold = Z_THRESHOLD.get(sensitivity, Z_THRESHOLD["normal"]) - (DISTRESS_BONUS if distress else 0.0)
    return z if z >= threshold else None


async def sweep_quiet(
    signals: CareSignals, platform: str, community: str, now: datetime, *, sensitivity: str = "normal"
) -> list[QuietMember]:
    """Regulars of one community who have gone quiet, loudest silence first.

    Reads every member's rhythm in batches; only the few candidates get a second
    read for recent distress. Opted-out members are skipped.
    """
    pulse_at = await signals.pulse(platform, community)
    if pulse_at is None:
        return []
    pulse = min(pulse_at, now.timestamp())
    regulars = 0
    candidates: list[tuple[str, Rhythm]] = []
    async for batch in signals.rhythms(platform, community):
        for member, rhythm in batch:
            if rhythm is None or not is_regular(rhythm):
                continue
            regulars += 1
            # The lowest bar any member could meet; distress is checked only for these.
            if judge(rhythm, pulse, sensitivity="high", distress=True) is not None:
                candidates.append((member, rhythm))
    facts = await signals.quiet_facts(platform, community, [member for member, _ in candidates])
    quiet = []
    for (member, rhythm), (last_risk, channel) in zip(candidates, facts):
        distress = bool(last_risk) and pulse - last_risk <= WINDOW.total_seconds()
        z = judge(rhythm, pulse, sensitivity=sensitivity, distress=distress)
        if z is not None:
            silence = timedelta(seconds=pulse - rhythm.last)
            quiet.append(QuietMember(member, rhythm.last, channel, silence, usual_gap(rhythm), round(z, 2), distress))
    if regulars and len(quiet) > HOLIDAY_SHARE * regulars and regulars >= 4:
        return []
    return sorted(quiet, key=lambda q: -q.z)
