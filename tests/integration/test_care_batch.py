"""The batched care path of `Pipeline.ingest` (replays, backfills) on a real Redis.

A batch must leave exactly what care leaves when it reads the same messages one
at a time (`care.monitor.observe`): the same rhythms, pulse, risk and flags,
nothing about opted-out members or bots, and an alert at imminent risk; only
with far fewer round trips.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from redis.asyncio import Redis

from groupmind.care.monitor import observe
from groupmind.care.signals import RISK_LABELS
from groupmind.store.care_records import CareRecords
from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.care_signals import RedisCareSignals, Rhythm
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.keys import CommunityKeys
from tests.helpers import SpyPlatform, msg

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)
IMMINENT = "i have the pills in front of me and i am taking them all tonight, goodbye everyone"


def conversation(community: str) -> list[ChatMessage]:
    """Weeks of a small channel: regulars, a distressed member, an opted-out one, the bot, a blank line."""
    said: list[ChatMessage] = []
    for day in range(0, 40, 2):
        at = T0 + timedelta(days=day)
        said += [
            msg("ana", "morning all, anyone fixed grub on 24.04?", community=community, ts=at),
            msg("ben", "i feel so hopeless, nothing matters anymore" if day == 20 else "try boot-repair",
                community=community, ts=at + timedelta(minutes=40 + day)),
            msg("olga", "i just want to die", community=community, ts=at + timedelta(hours=2)),
            msg("Mind", "boot-repair usually works", community=community, ts=at + timedelta(hours=3),
                author_id="bot:Mind", author_is_bot=True),
            msg("ana", "", community=community, ts=at + timedelta(hours=4)),
        ]  # fmt: skip
    return [*said, msg("cy", IMMINENT, community=community, ts=T0 + timedelta(days=41))]


async def care_state(redis: Redis, community: str) -> dict[str, object]:
    keys = CommunityKeys("local", community)
    state: dict[str, object] = {"pulse": await redis.zscore(keys.care_pulse, "last")}
    for member in ("ana", "ben", "olga", "cy", "bot:Mind"):
        state[f"{member} rhythm"] = await redis.hgetall(keys.care_rhythm(member))
        state[f"{member} risk"] = await redis.hgetall(keys.care_risk(member))
        state[f"{member} flags"] = len(await redis.zrange(keys.care_flagged(member), 0, -1))
    return state


async def test_a_batch_leaves_what_one_message_at_a_time_leaves(
    store: Store, redis: Redis, redis_server: EmbeddedServer, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=redis_server.url)  # type: ignore[call-arg]
    pipeline = Pipeline(store, None, settings, clock=lambda: T0 + timedelta(days=41), platforms=[SpyPlatform()])
    for community in ("batched", "single"):
        await redis.sadd(CommunityKeys("local", community).optout, "olga")

    batch = conversation("batched")
    assert await pipeline.ingest(batch) == len([m for m in batch if not m.is_blank])
    signals = RedisCareSignals(redis)
    for one in conversation("single"):  # what a replay did before: each message read alone, risk flagged
        assessment = await observe(signals, one)
        if assessment is not None and assessment.label in RISK_LABELS:
            await signals.flag(one.platform, one.community, one.author_id, one.message_id, one.ts)

    batched, single = await care_state(redis, "batched"), await care_state(redis, "single")
    assert batched == single
    assert batched["ana rhythm"] and batched["ben rhythm"]  # regulars' rhythms were written
    assert batched["ben risk"] and batched["ben flags"] == 1  # the distress, flagged so the model never reads it
    assert not batched["olga rhythm"] and not batched["olga risk"] and batched["olga flags"] == 0  # opted out
    assert not batched["bot:Mind rhythm"]
    assert batched["pulse"] == (T0 + timedelta(days=41)).timestamp()

    alerts = await CareRecords.of(store, pipeline.clock).alerts.list("local", "batched")
    assert [(a.member.id, a.urgency) for a in alerts] == [("cy", "imminent")]  # imminent: an alert, in private
    assert pipeline.care.flags["distress"] == 1 and pipeline.care.flags["plan_or_imminent"] == 1


async def test_an_empty_or_all_bot_batch_writes_no_care_state(
    store: Store, redis: Redis, redis_server: EmbeddedServer, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=redis_server.url)  # type: ignore[call-arg]
    pipeline = Pipeline(store, None, settings, platforms=[SpyPlatform()])
    assert await pipeline.ingest([]) == 0
    bots = [msg("Mind", "hello", community="bots", author_id="bot:Mind", author_is_bot=True)]
    assert await pipeline.ingest(bots) == 1
    assert await redis.zscore(CommunityKeys("local", "bots").care_pulse, "last") is None


async def test_rhythm_writes_racing_on_one_member_lose_no_update(redis: Redis) -> None:
    """Workers folding the same member's messages at once: each fold lands (compare-and-set, folded again)."""
    signals = RedisCareSignals(redis)

    def one_more(rhythm: Rhythm) -> Rhythm:
        return replace(rhythm, n=rhythm.n + 1, last=T0.timestamp())

    await asyncio.gather(*(signals.record_rhythm("local", "race", "ana", one_more, T0, "general") for _ in range(25)))
    stored = await redis.hgetall(CommunityKeys("local", "race").care_rhythm("ana"))
    assert stored["n"] == "25" and stored["channel"] == "general"
    assert await signals.pulse("local", "race") == T0.timestamp()
