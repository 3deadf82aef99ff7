"""The care records: the Redis repositories and their in-memory twins keep the same contract."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from groupmind.care.quiet import add
from groupmind.events import ChannelRef, Member
from groupmind.store.care_alerts import FORMER_CONTACT
from groupmind.store.care_records import CareRecords
from groupmind.store.care_sessions import Session
from groupmind.store.care_signals import RISK_WINDOW, MemoryCareSignals, RiskState, Rhythm
from groupmind.store.keys import CommunityKeys
from tests.helpers import Clock

pytestmark = pytest.mark.all_backends  # the store, care and admin on standalone, cluster and Sentinel

T0 = datetime(2026, 4, 6, 9, 0, tzinfo=timezone.utc)
WHERE = ChannelRef(platform="local", community="test", channel="general")
SAM = Member(id="sam", display_name="Sam")
DANA = Member(id="dana", display_name="Dana")


@pytest.fixture(params=["redis", "memory"])
def records(request: pytest.FixtureRequest) -> CareRecords:
    clock = Clock(T0)
    if request.param == "memory":
        return CareRecords.in_memory(clock)
    return CareRecords.of(request.getfixturevalue("store"), clock)


async def _opt_out(records: CareRecords, member_id: str) -> None:
    if isinstance(records.signals, MemoryCareSignals):
        records.signals.optout.add(("local", "test", member_id))
    else:
        await records.signals.redis.sadd(CommunityKeys("local", "test").optout, member_id)  # type: ignore[attr-defined]


async def _met(records: CareRecords, member_id: str) -> None:
    """The store knows the member (as `Store.append` records everyone who spoke)."""
    if not isinstance(records.signals, MemoryCareSignals):
        await records.signals.redis.sadd(CommunityKeys("local", "test").members, member_id)  # type: ignore[attr-defined]


# -- sessions --------------------------------------------------------------------


async def test_a_session_round_trips_and_a_missing_one_is_empty(records: CareRecords) -> None:
    sessions = records.sessions
    assert await sessions.load("local", "test", "sam") == Session()
    talk = Session(started=T0.timestamp(), label="passive_ideation", excerpt="sleep forever",
                   origin=WHERE.model_dump_json(), asked=True, consent="pending", turns=2, last_said="hi")  # fmt: skip
    await sessions.save("local", "test", "sam", talk)
    assert await sessions.load("local", "test", "sam") == talk
    assert (await sessions.load("local", "test", "sam")).where == WHERE
    assert await sessions.load("local", "other", "sam") == Session()
    await sessions.save("local", "test", "sam", replace(talk, asked=False, turns=3))
    again = await sessions.load("local", "test", "sam")
    assert not again.asked and again.turns == 3


# -- alerts ----------------------------------------------------------------------


async def test_alerts_are_numbered_per_community_and_move_open_acknowledged_resolved(records: CareRecords) -> None:
    alerts = records.alerts
    first = await alerts.create(member=SAM, where=WHERE, why="distress", urgency="high", excerpt="x", bot_said="y")
    second = await alerts.create(member=Member(id="kim", display_name="Kim"), where=WHERE, why="gone quiet")
    elsewhere = await alerts.create(member=SAM, where=WHERE.model_copy(update={"community": "other"}), why="x")
    assert (first.id, second.id, elsewhere.id) == ("1", "2", "1")
    assert await alerts.get("local", "test", "1") == first
    assert await alerts.get("local", "test", "9") is None
    acked = await alerts.ack("local", "test", "1", DANA)
    assert acked is not None and acked.state == "acknowledged" and acked.handled_by == ("dana",)
    assert await alerts.ack("local", "test", "1", DANA) == acked  # unchanged
    resolved = await alerts.resolve("local", "test", "2", DANA, "called  them,\nall fine")
    assert resolved is not None and resolved.state == "resolved" and resolved.notes[-1].endswith("by Dana: called them, all fine")
    assert [a.id for a in await alerts.list("local", "test")] == ["1"]
    assert [a.id for a in await alerts.list("local", "test", include_closed=True)] == ["1", "2"]
    assert await alerts.count_by_state() == {"open": 1, "acknowledged": 1, "resolved": 1}


async def test_resolved_alerts_are_pruned_oldest_first_and_open_ones_never(records: CareRecords) -> None:
    alerts = records.alerts
    alerts.max_alerts = 2  # type: ignore[attr-defined]
    for _ in range(3):
        await alerts.create(member=SAM, where=WHERE, why="x")
    await alerts.resolve("local", "test", "1", DANA)
    assert [a.id for a in await alerts.list("local", "test", include_closed=True)] == ["2", "3"]
    await alerts.resolve("local", "test", "2", DANA)
    await alerts.create(member=SAM, where=WHERE, why="x")
    await alerts.resolve("local", "test", "3", DANA)
    assert [a.id for a in await alerts.list("local", "test", include_closed=True)] == ["3", "4"]


async def test_forgetting_deletes_their_alerts_and_takes_them_out_of_the_rest(records: CareRecords) -> None:
    alerts = records.alerts
    await alerts.create(member=SAM, where=WHERE, why="distress")
    handled = await alerts.create(member=Member(id="kim", display_name="Kim"), where=WHERE, why="x",
                                  bot_said="Would it help if I asked Dana to join us?")  # fmt: skip
    await alerts.ack("local", "test", handled.id, DANA)
    assert await alerts.forget_member("local", "test", "sam", re.compile(r"\bSam\b")) == (1, 0)
    assert await alerts.forget_member("local", "test", "dana", re.compile(r"\bDana\b")) == (0, 1)
    [left] = await alerts.list("local", "test", include_closed=True)
    assert left.handled_by == ("",) and left.notes[0].endswith(f"by {FORMER_CONTACT}")
    assert left.bot_said == f"Would it help if I asked {FORMER_CONTACT} to join us?"


# -- signals ---------------------------------------------------------------------


async def test_flags_are_kept_within_the_risk_window(records: CareRecords) -> None:
    signals = records.signals
    await signals.flag("local", "test", "sam", "m1", T0)
    await signals.flag("local", "test", "sam", "m2", T0 + timedelta(hours=1))
    assert await signals.flagged("local", "test", "sam", T0 + timedelta(hours=2)) == ["m1", "m2"]
    assert await signals.flagged("local", "test", "kim", T0) == []
    later = T0 + RISK_WINDOW + timedelta(minutes=30)
    await signals.flag("local", "test", "sam", "m3", later)  # drops m1
    assert await signals.flagged("local", "test", "sam", later) == ["m2", "m3"]


async def test_risk_is_replaced_by_its_change_and_none_writes_nothing(records: CareRecords) -> None:
    signals = records.signals
    assert await signals.risk("local", "test", "sam") == RiskState()
    state = RiskState(score=2.5, updated=T0.timestamp(), last_risk=T0.timestamp())
    await signals.update_risk("local", "test", "sam", lambda old: state if old == RiskState() else None)
    assert await signals.risk("local", "test", "sam") == state
    await signals.update_risk("local", "test", "sam", lambda old: None)
    assert await signals.risk("local", "test", "sam") == state


async def test_rhythm_pulse_and_reported_silences(records: CareRecords) -> None:
    signals = records.signals
    assert await signals.pulse("local", "test") is None
    for hours, where in ((0, "general"), (12, ""), (24, "random")):
        at = T0 + timedelta(hours=hours)
        await _met(records, "sam")
        rhythm = await signals.record_rhythm("local", "test", "sam", lambda r: add(r, at.timestamp()), at, where)
    assert rhythm.n == 2 and rhythm.last == (T0 + timedelta(hours=24)).timestamp()
    await signals.record_rhythm("local", "test", "kim", lambda r: add(r, T0.timestamp()), T0, "general")
    await _met(records, "kim")
    assert await signals.pulse("local", "test") == (T0 + timedelta(hours=24)).timestamp()  # never moves back
    seen = {m: r async for batch in signals.rhythms("local", "test") for m, r in batch}
    assert seen == {"sam": rhythm, "kim": add(Rhythm(), T0.timestamp())}
    await _opt_out(records, "kim")
    assert [m async for batch in signals.rhythms("local", "test") for m, _ in batch] == ["sam"]
    await signals.update_risk("local", "test", "sam", lambda old: RiskState(1.0, T0.timestamp(), T0.timestamp()))
    assert await signals.quiet_facts("local", "test", ["sam", "kim"]) == [(T0.timestamp(), "random"), (0.0, "general")]
    assert await signals.reported_quiet("local", "test", ["sam"]) == [None]
    await signals.mark_quiet("local", "test", {"sam": "123.0"})
    assert await signals.reported_quiet("local", "test", ["sam", "kim"]) == ["123.0", None]


async def test_opt_out_is_read_by_care(records: CareRecords) -> None:
    signals = records.signals
    assert not await signals.opted_out("local", "test", "sam")
    await _opt_out(records, "sam")
    assert await signals.opted_out("local", "test", "sam")
