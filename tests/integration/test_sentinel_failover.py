"""Messages stored while the Sentinel-managed primary is killed: none acknowledged is lost, none answered twice.

The primary dies halfway through (SIGKILL, as a crashed machine), the Sentinel
promotes the replica, and the dead server is started again at the same address
(as its supervisor would), where for a while it is a stale primary until the
Sentinel turns it into a replica. With WAIT 1 (`replicas=1`), every append the
store acknowledged is on the new primary, exactly once, in order. The run is
`bench/failover.py`'s, smaller.
"""

from __future__ import annotations

from pathlib import Path

from bench.failover import run_through_failover


async def test_a_killed_primary_loses_no_acknowledged_message_and_answers_none_twice(tmp_path: Path) -> None:
    run = await run_through_failover(tmp_path, messages=600, replicas=1)

    assert run.failover_s > 0, "the primary was killed during the run"
    assert run.gave_up == 0
    assert len(run.acknowledged) == run.sent
    assert run.answered_twice == [], "a message was answered twice"
    assert all(times == 1 for times in run.stored.values()), "a message was stored twice"
    assert run.out_of_order == 0
    assert run.lost == set(), "an acknowledged message is not on the new primary"
