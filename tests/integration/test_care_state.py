"""Care state in a real Redis: risk that accumulates per member, rhythms and the quiet sweep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from groupmind.care.quiet import QuietMember, record_activity, sweep_quiet
from groupmind.care.risk import Assessment, observe_risk
from groupmind.care.signals import Detection, Label, detect
from groupmind.store import Store
from groupmind.store.care_signals import RedisCareSignals, RiskState
from groupmind.store.keys import CommunityKeys
from tests.helpers import msg

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

KEYS = CommunityKeys("local", "test")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


async def _say(redis: Redis, member: str, text: str, at: datetime) -> Label:
    return (await _observe(redis, member, detect(text), at)).label


async def _observe(redis: Redis, member: str, detection: Detection, at: datetime) -> Assessment:
    return await observe_risk(RedisCareSignals(redis), "local", "test", member, detection, at)


async def load_risk(redis: Redis, keys: CommunityKeys, member: str) -> RiskState:
    return await RedisCareSignals(redis).risk(keys.platform, keys.community, member)


async def sweep(redis: Redis, now: datetime) -> list[QuietMember]:
    return await sweep_quiet(RedisCareSignals(redis), "local", "test", now)


async def test_distress_then_bridge_question_is_risk_not_trivia(redis: Redis) -> None:
    assert await _say(redis, "ann", "I just lost my job today", T0) is Label.NONE
    later = await _say(redis, "ann", "what's the tallest bridge around here", T0 + timedelta(hours=20))
    assert later is Label.MEANS_QUESTION
    # Another member asking the same thing is curious, not at risk.
    assert await _say(redis, "bob", "what's the tallest bridge around here", T0 + timedelta(hours=20)) is Label.CURIOSITY
    state = await load_risk(redis, KEYS, "ann")
    assert state.score > 3 and state.last_risk == (T0 + timedelta(hours=20)).timestamp()
    assert 0 < await redis.ttl(KEYS.care_risk("ann")) <= 14 * 86400


async def test_risk_decays_and_piles_up(redis: Redis) -> None:
    await _say(redis, "cy", "I'm so depressed", T0)
    assert await _say(redis, "cy", "what's the tallest bridge in Europe?", T0 + timedelta(days=21)) is Label.CURIOSITY
    labels = [await _say(redis, "di", text, T0 + timedelta(minutes=30 * i)) for i, text in enumerate(
        ["i'm a burden to everyone", "nothing will ever get better", "so tired of everything"])]
    assert labels == [Label.DISTRESS, Label.DISTRESS, Label.PASSIVE_IDEATION]


async def test_intent_and_timeframe_after_ideation_is_imminent(redis: Redis) -> None:
    await _say(redis, "ed", "I want to die", T0)
    result = await _observe(redis, "ed", detect("I'm going to do it tonight"), T0 + timedelta(minutes=20))
    assert result.label is Label.PLAN_OR_IMMINENT and result.imminent and result.alert
    assert await _say(redis, "fay", "I'm going to do it tonight", T0) is Label.NONE


async def test_corrupt_risk_state_starts_over(redis: Redis) -> None:
    await redis.hset(KEYS.care_risk("gil"), mapping={"score": "lots", "updated": "x"})
    assert await _say(redis, "gil", "I want to die", T0) is Label.PASSIVE_IDEATION
    assert (await load_risk(redis, KEYS, "gil")).score == 2.0


async def _history(redis: Redis, store: Store, member: str, start: datetime, days: float, *every: timedelta) -> datetime:
    """Messages from `start` for `days`, with gaps cycling through `every`; returns the last time."""
    at, i, last = start, 0, start
    while at < start + timedelta(days=days):
        await store.append(msg(member, "hi", ts=at))
        await record_activity(RedisCareSignals(redis), "local", "test", member.casefold(), at)
        last, at, i = at, at + every[i % len(every)], i + 1
    return last


async def test_a_regular_gone_quiet_is_flagged_against_their_own_rhythm(redis: Redis, store: Store) -> None:
    await _history(redis, store, "Daily", T0, 56, timedelta(days=1))
    await _history(redis, store, "Weekly", T0, 56, timedelta(days=7))
    await _history(redis, store, "Chatty", T0, 66, timedelta(hours=8))  # keeps the room alive
    await _history(redis, store, "Newbie", T0 + timedelta(days=60), 2, timedelta(hours=6))
    now = T0 + timedelta(days=66)
    quiet = await sweep(redis, now)
    # Daily has been silent ~11 days against a one-day rhythm; Weekly's usual gap is a week.
    assert [q.member_id for q in quiet] == ["daily"]
    assert quiet[0].usual_gap == timedelta(days=1) and quiet[0].silence > timedelta(days=10)
    assert not quiet[0].recent_distress

    await redis.sadd(KEYS.optout, "daily")
    assert await sweep(redis, now) == []


async def test_recent_distress_lowers_the_bar(redis: Redis, store: Store) -> None:
    last = await _history(redis, store, "Ivy", T0, 56, *(timedelta(hours=h) for h in (12, 24, 36)))
    now = last + timedelta(days=3)
    await _history(redis, store, "Jo", T0, (now - T0).total_seconds() / 86400 + 0.01, timedelta(hours=4))
    assert await sweep(redis, now) == []  # Ivy: 3 days is not far outside her 12-36 hour gaps
    await _observe(redis, "ivy", detect("I feel so worthless"), last)
    quiet = await sweep(redis, now)
    assert [(q.member_id, q.recent_distress) for q in quiet] == [("ivy", True)]


async def test_nobody_is_flagged_when_the_whole_community_is_quiet(redis: Redis, store: Store) -> None:
    for name in ("A1", "B2", "C3", "D4"):
        await _history(redis, store, name, T0, 56, timedelta(days=1))
    holiday = T0 + timedelta(days=80)
    assert await sweep(redis, holiday) == []  # silence counts only while others talk
    await _history(redis, store, "Solo", T0, 80, timedelta(days=1))  # one person talks through the holiday
    assert await sweep(redis, holiday) == []  # most regulars quiet at once: a holiday


async def test_sweep_survives_bad_state(redis: Redis, store: Store) -> None:
    assert await sweep(redis, T0) == []  # nothing recorded yet
    await _history(redis, store, "Kim", T0, 56, timedelta(days=1))
    await _history(redis, store, "Lee", T0, 70, timedelta(days=1))
    await redis.hset(KEYS.care_rhythm("lee"), "n", "many")
    quiet = await sweep(redis, T0 + timedelta(days=70))
    assert [q.member_id for q in quiet] == ["kim"]
