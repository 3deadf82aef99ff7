"""The care rounds a scheduler runs: members gone quiet, follow-up check-ins, reminders of open alerts.

Live, an apscheduler job runs them every `care_sweep_minutes` (`schedule_rounds`);
the local room runs them as its script's clock moves, so a script spanning weeks
sees the same behaviour. With several workers on one Redis, a short lock lets
one of them do each round, so nobody gets the same digest twice.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from groupmind.care.checks import Step
from groupmind.care.quiet import QuietMember, sweep_quiet
from groupmind.care.responder import CareConfig, CareResponder, Talk
from groupmind.care.courier import render_alert
from groupmind.care.session import load_session, save_session
from groupmind.care.signals import Label
from groupmind.events import CareAlert, ChannelRef, Member, Urgency
from groupmind.store.keys import CARE_COMMUNITIES, CommunityKeys

log = logging.getLogger(__name__)

REMIND_AFTER: dict[Urgency, timedelta] = {
    "imminent": timedelta(minutes=30), "high": timedelta(hours=4),
    "medium": timedelta(hours=24), "low": timedelta(hours=48),
}  # fmt: skip
"""How long an alert may stay open (not acknowledged) before the care contacts are reminded."""
ROUNDS_LOCK = "gm:care:rounds:lock"


@dataclass
class RoundsDone:
    quiet: int = 0
    follow_ups: int = 0
    reminders: int = 0


async def run_rounds(care: CareResponder, now: datetime) -> RoundsDone:
    """One round over every community that has spoken: quiet members, follow-ups, reminders."""
    done = RoundsDone()
    for entry in await care.store.redis.zrange(CARE_COMMUNITIES, 0, -1):
        platform, _, community = entry.partition("\x1f")
        keys = CommunityKeys(platform, community)
        config = await care.config(platform, community)
        done.quiet += await _quiet(care, keys, config, now)
        done.follow_ups += await _follow_ups(care, keys, config, now)
        done.reminders += await _reminders(care, keys, config, now)
    return done


async def _quiet(care: CareResponder, keys: CommunityKeys, config: CareConfig, now: datetime) -> int:
    """Alert the care contacts, in one digest, about regulars newly gone quiet; check in with them if allowed."""
    redis = care.store.redis
    quiet = await sweep_quiet(redis, keys, now, sensitivity=config.sensitivity)
    if not quiet:
        return 0
    reported = await redis.hmget(keys.care_quiet, [q.member_id for q in quiet])
    fresh = [q for q, seen in zip(quiet, reported) if seen != repr(q.last)]
    if not fresh:
        return 0
    names = await care.store.member_names(keys.platform, keys.community, [q.member_id for q in fresh])
    alerts = [await _quiet_alert(care, keys, config, q, Member(id=q.member_id, display_name=names[q.member_id]))
              for q in fresh]  # fmt: skip
    await redis.hset(keys.care_quiet, mapping={q.member_id: repr(q.last) for q in fresh})
    care.alerts_raised += len(alerts)
    ordered = sorted(alerts, key=lambda a: a.urgency != "medium")
    await care.deliver(ordered, config.contacts, _digest(ordered))
    return len(fresh)


async def _quiet_alert(
    care: CareResponder, keys: CommunityKeys, config: CareConfig, quiet: QuietMember, member: Member
) -> CareAlert:
    where = ChannelRef(platform=keys.platform, community=keys.community, channel=quiet.channel or "direct")
    said = ""
    courier = care.couriers.get(keys.platform)
    if config.checkins and courier is not None:
        text = await care.say(
            Step.QUIET_CHECKIN, Label.NONE, config, public=False, name=member.display_name, where=where
        )
        if await courier.to_member(where, member, text):
            said = text
    why = f"gone quiet: silent {_span(quiet.silence)}, usually every {_span(quiet.usual_gap)}"
    if quiet.recent_distress:
        why += ", after recent distress"
    urgency: Urgency = "medium" if quiet.recent_distress else "low"
    return await care.alerts.create(member=member, where=where, why=why, urgency=urgency, bot_said=said)


def _digest(alerts: list[CareAlert]) -> str:
    head = f"Care digest: {len(alerts)} regular{'s' if len(alerts) > 1 else ''} gone quiet"
    lines = [f"#{a.id} {a.member.display_name} (last in #{a.where.conversation}): {a.why}" for a in alerts]
    checked = [a.member.display_name for a in alerts if a.bot_said]
    if checked:
        lines.append("I sent a low-key private hello to " + ", ".join(checked) + ".")
    lines.append("acknowledge with `alerts ack ID`, close with `alerts resolve ID`")
    return "\n".join([head, *lines])


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


async def _follow_ups(care: CareResponder, keys: CommunityKeys, config: CareConfig, now: datetime) -> int:
    """Check in once with members whose care talk went quiet for a while."""
    redis = care.store.redis
    due = await redis.zrangebyscore(keys.care_followups, "-inf", now.timestamp())
    if not due:
        return 0
    await redis.zrem(keys.care_followups, *due)
    optout = await redis.smismember(keys.optout, due)
    names = await care.store.member_names(keys.platform, keys.community, due)
    sent = 0
    for member_id, opted_out in zip(due, optout):
        session = await load_session(redis, keys, member_id)
        if opted_out or not session.active or session.where is None:
            continue
        talk = Talk(Member(id=member_id, display_name=names[member_id]), session.where, config)
        after = await care.private(session, Step.FOLLOW_UP, talk, Label(session.label))
        if after is not session:
            await save_session(redis, keys, member_id, after)
            sent += 1
    return sent


async def _reminders(care: CareResponder, keys: CommunityKeys, config: CareConfig, now: datetime) -> int:
    """Remind the care contacts of alerts nobody has acknowledged in time."""
    waiting = [a for a in await care.alerts.list(keys.platform, keys.community) if a.state == "open"]
    if not waiting:
        return 0
    told = await care.store.redis.hmget(keys.alert_reminders, [a.id for a in waiting])
    reminded = 0
    for alert, last in zip(waiting, told):
        since = datetime.fromtimestamp(float(last), timezone.utc) if last else alert.created_at
        if now - since >= REMIND_AFTER[alert.urgency]:
            await care.deliver([alert], config.contacts, render_alert(alert, reminder=True))
            reminded += 1
    return reminded


@asynccontextmanager
async def schedule_rounds(care: CareResponder, every: timedelta) -> AsyncIterator[AsyncIOScheduler]:
    """Run the care rounds every `every` while the context is open (apscheduler 3.x)."""

    async def job() -> None:
        # One worker per round: the lock expires before the next round is due.
        if not await care.store.redis.set(ROUNDS_LOCK, "1", nx=True, px=int(every.total_seconds() * 900)):
            return
        done = await run_rounds(care, care.clock())
        log.info("care rounds: %s", done)

    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    scheduler.add_job(job, "interval", seconds=every.total_seconds(), coalesce=True, max_instances=1)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
