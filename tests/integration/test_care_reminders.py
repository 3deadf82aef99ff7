"""Reminders of unanswered care alerts, on a real Redis: at most three, at growing gaps, then the admins once.

Three simulated weeks are driven through the scheduler, as the live job or the
room would, and the test counts what reached the care contact and the admins.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from groupmind.admin import audit, split_command
from groupmind.care.escalation import MAX_REMINDERS
from groupmind.config import Settings
from groupmind.events import AdminCommand, ChannelRef, Member
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.care_alerts import AlertStore
from groupmind.store.keys import CommunityKeys
from tests.care_helpers import add_contacts, regulars, run_rounds
from tests.helpers import Clock, SpyPlatform, msg

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
STEP = timedelta(minutes=15)
"""How often the simulated scheduler wakes (every first wait is a multiple of it)."""
OTHERS = ("Lee", "Max", "Ola", "Kit")
DANA = Member(id="dana", display_name="Dana")
WHERE = ChannelRef(platform="local", community="test", channel="general")


def _pipeline(store: Store, settings: Settings, clock: Clock, courier: SpyPlatform) -> Pipeline:
    return Pipeline(store, None, settings, clock, platforms=[courier])


async def _run(pipeline: Pipeline, clock: Clock, until: datetime, *, chat: bool = False) -> None:
    """Wake the scheduler every STEP up to `until`; with `chat`, the others say hey every twelve hours."""
    while clock.now < until:
        clock.now += STEP
        if chat and clock.now.hour in (9, 21) and clock.now.minute == 0:
            for name in OTHERS:
                await pipeline.handle(msg(name, "hey", ts=clock.now))
        await run_rounds(pipeline, clock.now)


def _reminders(courier: SpyPlatform, alert_id: str) -> list[str]:
    return [text for who, _, text in courier.alerts if who == "dana" and text.startswith(f"Reminder, still open #{alert_id} ")]


class _Stamped(SpyPlatform):
    """A spy that also notes when (by the test clock) each alert text reached a care contact."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(knows_admins=True)
        self.clock = clock
        self.at: list[datetime] = []

    async def to_contact(self, alert, contact, text):  # type: ignore[no-untyped-def]
        self.at.append(self.clock())
        return await super().to_contact(alert, contact, text)


def _times(courier: _Stamped, alert_id: str) -> list[datetime]:
    """When the care contact got the alert itself (or its digest) and then each reminder of it."""
    return [at for at, (_, alert, _) in zip(courier.at, courier.alerts) if alert.id == alert_id]


async def test_three_weeks_of_silence_bring_three_growing_reminders_then_one_notice_to_the_admins(
    store: Store, settings: Settings
) -> None:
    stop = T0 + timedelta(weeks=8)
    clock = Clock(stop)
    courier = _Stamped(clock)
    pipeline = _pipeline(store, settings, clock, courier)
    await add_contacts(pipeline, "test", "Dana", at=T0)
    await regulars(pipeline, ["Pat", *OTHERS], stop)
    await _run(pipeline, clock, stop + timedelta(days=12), chat=True)  # Pat goes quiet, the others talk on
    [digest_text] = [text for _, _, text in courier.alerts if text.startswith("Care digest")]
    [quiet] = await AlertStore(store.redis).list("local", "test")
    assert quiet.member.id == "pat" and quiet.urgency == "low" and "Pat" in digest_text
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=clock.now))
    await pipeline.handle(msg("Kim", "i want to die and i bought a rope", ts=clock.now))
    sam, kim = [a for a in await AlertStore(store.redis).list("local", "test") if a.member.id in ("sam", "kim")]
    start = clock.now

    await _run(pipeline, clock, start + timedelta(hours=1), chat=True)
    assert len(_reminders(courier, kim.id)) == 1
    await AlertStore(store.redis).ack("local", "test", kim.id, DANA)
    pipeline = _pipeline(store, settings, clock, courier)  # a restart: what was counted is in Redis
    await _run(pipeline, clock, start + timedelta(weeks=3), chat=True)

    for alert in (quiet, sam):
        reminders = _reminders(courier, alert.id)
        assert len(reminders) == MAX_REMINDERS, f"#{alert.id}: {len(reminders)} reminders in three weeks"
        assert "last reminder" in reminders[-1] and not any("last reminder" in r for r in reminders[:-1])
        times = _times(courier, alert.id)
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert len(gaps) == MAX_REMINDERS and gaps == sorted(set(gaps)), f"#{alert.id}: gaps {gaps} do not grow"
    assert len(_reminders(courier, kim.id)) == 1, "acknowledging stops the reminders"
    notices = courier.to_admin
    assert len(notices) == 2, notices
    assert {n.split()[2] for n in notices} == {f"#{quiet.id}", f"#{sam.id}"}
    assert all("reminded 3 times" in n and "Pat" not in n and "Sam" not in n for n in notices)

    stored = json.loads(await store.redis.hget(CommunityKeys("local", "test").alerts, sam.id))
    assert stored["reminders"] == MAX_REMINDERS and stored["admins_told_at"]
    listed = await pipeline.admin.execute(_command("alerts list"))
    assert f"#{sam.id} [open, imminent]" in listed.text and "no answer after 3 reminders; admins told" in listed.text
    assert f"#{kim.id} [acknowledged" in listed.text and "reminded 1x" in listed.text
    status = await pipeline.admin.execute(_command("status"))
    assert "open care alerts: 3 (2 unanswered after every reminder)" in status.text


async def test_where_the_admins_cannot_be_reached_the_audit_log_holds_the_notice(
    store: Store, settings: Settings
) -> None:
    clock = Clock(T0)
    courier = SpyPlatform()  # like Discord and Slack: to_admins reaches nobody
    pipeline = _pipeline(store, settings, clock, courier)
    await add_contacts(pipeline, "test", "Dana", at=T0)
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    [alert] = await AlertStore(store.redis).list("local", "test")
    await _run(pipeline, clock, T0 + timedelta(days=2))
    assert len(_reminders(courier, alert.id)) == MAX_REMINDERS
    notes = [e["what"] for e in await audit.entries(store.audit, "local", "test") if "has had no answer" in e["what"]]
    assert notes == [f"Care alert #{alert.id} (imminent) has had no answer: the care contacts were reminded 3 times "
                     f"and nobody acknowledged it. Please see that someone picks it up (`alerts list`, "
                     f"`alerts ack {alert.id}`), or add a care contact (`care contacts add MEMBER`). "
                     "I won't remind anyone about it again."]  # fmt: skip


async def test_an_alert_stored_before_reminders_were_counted_is_read_and_reminded(
    store: Store, settings: Settings
) -> None:
    clock = Clock(T0)
    courier = SpyPlatform()
    pipeline = _pipeline(store, settings, clock, courier)
    await add_contacts(pipeline, "test", "Dana", at=T0)
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    [alert] = await AlertStore(store.redis).list("local", "test")
    key = CommunityKeys("local", "test").alerts
    old = json.loads(await store.redis.hget(key, alert.id))
    del old["reminders"], old["admins_told_at"]
    await store.redis.hset(key, alert.id, json.dumps(old))
    await _run(pipeline, clock, T0 + timedelta(minutes=90))  # reminded after 30 minutes, then after 60 more
    assert len(_reminders(courier, alert.id)) == 2
    after = await AlertStore(store.redis).get("local", "test", alert.id)
    assert after is not None and after.reminders == 2


def _command(text: str) -> AdminCommand:
    name, args = split_command(f"/gm {text}")
    return AdminCommand(where=WHERE, invoker=DANA, invoker_is_admin=True, name=name, args=args)
