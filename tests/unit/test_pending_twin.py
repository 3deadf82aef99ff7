"""The speak policy over the store's pending-reply twin: a burst is answered once, and the rate limit holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from groupmind.speak import Rules, on_message, when_due
from groupmind.store.pending import MemoryPending
from groupmind.we.group import build_group
from tests.helpers import msg

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
RULES = Rules(settle=timedelta(seconds=5), question_pause=timedelta(seconds=30), max_replies=1,
              rate_window=timedelta(minutes=10))  # fmt: skip
EMPTY = build_group([], {}, T0, "Mind")


async def test_a_burst_is_answered_once_then_the_rate_limit_holds() -> None:
    pending = MemoryPending()
    first = msg("ana", "Mind, are you there?", ts=T0)
    where = first.where
    assert on_message(first, "Mind", "mention").wait
    await pending.keep(where, first.message_id, first.ts, "named by ana")
    await pending.keep(where, "m2", T0 + timedelta(seconds=2), "")
    burst, replied = await pending.read(where, T0 + timedelta(seconds=3), RULES.rate_window)
    assert burst is not None and when_due(burst, EMPTY, "mention", T0 + timedelta(seconds=3), replied, RULES).wait
    now = T0 + timedelta(seconds=8)
    burst, replied = await pending.read(where, now, RULES.rate_window)
    assert burst is not None and when_due(burst, EMPTY, "mention", now, replied, RULES).speak
    await pending.replied(where, now, RULES.rate_window)
    assert not await pending.has(where)
    await pending.keep(where, "m3", now + timedelta(seconds=1), "named by ana")
    later = now + timedelta(seconds=10)
    burst, replied = await pending.read(where, later, RULES.rate_window)
    decision = when_due(burst, EMPTY, "mention", later, replied, RULES)  # type: ignore[arg-type]
    assert not decision.speak and decision.reason.startswith("rate limit")
