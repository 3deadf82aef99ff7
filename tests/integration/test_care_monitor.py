"""The per-message care step against a real Redis: who is profiled, and how sensitivity applies."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from groupmind.care.monitor import observe as care_observe
from groupmind.care.risk import Assessment
from groupmind.care.signals import Label
from groupmind.events import ChatMessage
from groupmind.store.care_signals import RedisCareSignals
from groupmind.store.keys import CommunityKeys
from tests.helpers import msg

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

KEYS = CommunityKeys("local", "test")


async def observe(redis: Redis, msg: ChatMessage, settings: dict[str, str]) -> Assessment | None:
    return await care_observe(RedisCareSignals(redis), msg, settings.get("care.sensitivity", "normal"))


async def test_observe_labels_and_records(redis: Redis) -> None:
    result = await observe(redis, msg("Ann", "i just want to sleep forever"), {})
    assert result is not None and result.label is Label.PASSIVE_IDEATION and result.alert
    assert await redis.exists(KEYS.care_risk("ann"), KEYS.care_rhythm("ann")) == 2
    assert await redis.zscore(KEYS.care_pulse, "last") is not None


async def test_bots_blanks_and_opted_out_members_are_never_profiled(redis: Redis) -> None:
    await redis.sadd(KEYS.optout, "ann")
    assert await observe(redis, msg("Ann", "I want to kill myself"), {}) is None
    assert await observe(redis, msg("Mind", "I want to die", author_is_bot=True), {}) is None
    assert await observe(redis, msg("Bob", "   "), {}) is None
    assert await redis.keys("*care*") == []


async def test_sensitivity_comes_from_the_community_settings(redis: Redis) -> None:
    low = await observe(redis, msg("Cy", "kms"), {"care.sensitivity": "low"})
    high = await observe(redis, msg("Di", "kms lol"), {"care.sensitivity": "high"})
    odd = await observe(redis, msg("Ed", "kms"), {"care.sensitivity": "extreme"})
    assert (low and low.label, high and high.label, odd and odd.label) == (
        Label.NONE, Label.ACTIVE_IDEATION, Label.ACTIVE_IDEATION)
