"""The care rounds on a real Redis: quiet digest and check-in, follow-ups, reminders, one worker per round."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.care.escalation import REMIND_AFTER
from groupmind.care.service import handles
from groupmind.config import Settings
from groupmind.events import Member
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.care_alerts import AlertStore
from groupmind.store.settings import CARE_CHECKINS
from groupmind.store.keys import CommunityKeys
from tests.care_helpers import add_contacts, regulars, run_rounds
from tests.helpers import Clock, SpyPlatform, msg

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
KEYS = CommunityKeys("local", "test")


@pytest.fixture
async def care(store: Store, settings: Settings) -> tuple[Pipeline, SpyPlatform, Clock]:
    clock = Clock(T0)
    courier = SpyPlatform()
    pipeline = Pipeline(store, None, settings, clock, platforms=[courier])
    await add_contacts(pipeline, "test", "Dana", at=T0)
    return pipeline, courier, clock


async def test_a_quiet_regular_is_reported_once_in_a_digest_with_one_check_in(care) -> None:
    pipeline, courier, clock = care
    stop = T0 + timedelta(weeks=8)
    await regulars(pipeline, ["Pat", "Lee", "Max", "Ola", "Kit"], stop)
    at = stop
    while at < stop + timedelta(days=12):  # everyone but Pat keeps talking
        for name in ("Lee", "Max", "Ola", "Kit"):
            await pipeline.handle(msg(name, "hey", ts=at))
        at += timedelta(hours=12)
    clock.now = at
    done = await run_rounds(pipeline, clock.now)
    assert done.quiet == 1
    [hello] = courier.said_to("pat")
    assert "haven't seen you" in hello or "missing you" in hello
    [(contact, alert, digest)] = courier.alerts
    assert contact == "dana" and alert.member.id == "pat" and alert.urgency == "low"
    assert digest.startswith("Care digest: 1 regular gone quiet") and "Pat" in digest and "private hello" in digest
    again = await run_rounds(pipeline, clock.now + timedelta(hours=1))
    assert again.quiet == 0 and len(courier.alerts) == 1 and len(courier.said_to("pat")) == 1


async def test_check_ins_off_means_no_private_hello(care, store: Store) -> None:
    pipeline, courier, clock = care
    await store.settings.set("local", "test", CARE_CHECKINS, "off")
    stop = T0 + timedelta(weeks=8)
    await regulars(pipeline, ["Pat", "Lee", "Max", "Ola", "Kit"], stop)
    at = stop
    while at < stop + timedelta(days=12):
        for name in ("Lee", "Max", "Ola", "Kit"):
            await pipeline.handle(msg(name, "hey", ts=at))
        at += timedelta(hours=12)
    clock.now = at
    await run_rounds(pipeline, at)
    assert courier.said_to("pat") == [] and len(courier.alerts) == 1
    assert "private hello" not in courier.alerts[0][2]


async def test_a_follow_up_comes_once_a_day_after_the_talk(care) -> None:
    pipeline, courier, clock = care
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    assert len(courier.said_to("sam")) == 1
    assert (await run_rounds(pipeline, T0 + timedelta(hours=23))).follow_ups == 0
    assert (await run_rounds(pipeline, T0 + timedelta(hours=25))).follow_ups == 1
    follow_up = courier.said_to("sam")[-1]
    assert "checking in" in follow_up.casefold() or "thinking about you" in follow_up
    assert (await run_rounds(pipeline, T0 + timedelta(days=3))).follow_ups == 0


async def test_a_follow_up_is_not_sent_to_someone_who_opted_out_since(care, store: Store) -> None:
    pipeline, courier, _ = care
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    await store.redis.sadd(KEYS.optout, "sam")
    assert (await run_rounds(pipeline, T0 + timedelta(days=2))).follow_ups == 0
    assert len(courier.said_to("sam")) == 1


async def test_an_unacknowledged_alert_is_reminded_and_an_acknowledged_one_is_not(care) -> None:
    pipeline, courier, clock = care
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    await pipeline.handle(msg("Kim", "i want to die and i bought a rope", ts=T0))
    alerts = await AlertStore(pipeline.store.redis).list("local", "test")
    await AlertStore(pipeline.store.redis).ack("local", "test", alerts[1].id, Member(id="dana", display_name="Dana"))
    early = await run_rounds(pipeline, T0 + REMIND_AFTER["imminent"] - timedelta(minutes=1))
    assert early.reminders == 0
    clock.now = T0 + REMIND_AFTER["imminent"]
    late = await run_rounds(pipeline, clock.now)
    assert late.reminders == 1
    reminder = courier.alerts[-1][2]
    assert reminder.startswith(f"Reminder, still open #{alerts[0].id}") and "Sam" in reminder
    assert (await run_rounds(pipeline, clock.now + timedelta(minutes=1))).reminders == 0


async def test_the_live_scheduler_runs_care_work_and_one_worker_takes_each_item(
    care, store: Store, settings: Settings
) -> None:
    pipeline, courier, clock = care
    elsewhere = SpyPlatform()
    other_worker = Pipeline(store, None, settings, clock, platforms=[elsewhere])
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    clock.now = T0 + timedelta(days=2)

    def told_sam() -> int:
        return len(courier.said_to("sam")) + len(elsewhere.said_to("sam"))

    async with pipeline.scheduler.running(), other_worker.scheduler.running():
        for _ in range(50):
            if told_sam() >= 2:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for a second worker's double
    assert told_sam() == 2  # the first private message, then the follow-up, sent by one of the two workers


async def test_care_work_waits_in_the_due_set_and_the_scheduler_entry_point_runs_it(care) -> None:
    pipeline, courier, clock = care
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    follow_up = await pipeline.due.waiting("care-followup", "local", "test", "sam")
    [alert] = await AlertStore(pipeline.store.redis).list("local", "test")
    reminder = await pipeline.due.waiting("care-reminder", "local", "test", alert.id)
    sweep = await pipeline.due.waiting("care-quiet", "local", "test", "sweep")
    assert follow_up is not None and follow_up.at == T0 + timedelta(hours=24)
    assert reminder is not None and reminder.at == T0 + REMIND_AFTER["imminent"]
    assert sweep is not None and all(handles(i.kind) for i in (follow_up, reminder, sweep)) and not handles("reply")
    await pipeline.care.run_due(follow_up, follow_up.at)  # as the scheduler will
    follow = courier.said_to("sam")[1:]
    assert len(follow) == 1 and ("checking in" in follow[0].casefold() or "thinking about you" in follow[0])
    await pipeline.care.run_due(sweep, T0)
    rearmed = await pipeline.due.waiting("care-quiet", "local", "test", "sweep")
    assert rearmed is not None and rearmed.at > T0
