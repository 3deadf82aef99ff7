"""Every block is counted by reason and written to the community's audit log.

The count goes to /metrics (`groupmind_guard_blocks_total{reason}`) and to a
plain counter that replays report. The audit entry keeps the blocked words for
an admin to judge the guard by, except when the text touched care: a care
block, a care message, or a conversation with someone at risk in it. Then
only the reason is written (no detail, no words), so the log never holds what
a member at risk said.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Callable

from prometheus_client import Counter as PromCounter

from groupmind.admin import audit
from groupmind.events import ChannelRef
from groupmind.guard.verdict import Verdict
from groupmind.store.audit import AuditLog

AUDIT_EXCERPT = 200
"""Characters of a blocked text kept in its audit entry."""


class Blocks:
    """The guard's record of what it blocked."""

    def __init__(self, log: AuditLog, counter: PromCounter, clock: Callable[[], datetime]) -> None:
        self.log = log
        self.counter = counter
        self.clock = clock
        self.counts: Counter[str] = Counter()
        """Blocks by reason, for replays."""
        self.checked = 0
        """Texts the guard judged, passed or not."""

    def judged(self) -> None:
        self.checked += 1

    async def record(self, where: ChannelRef, verdict: Verdict, text: str, *, public: bool, care: bool) -> None:
        """Count one block and audit it; `care` says the text touched care, so its words are left out."""
        assert verdict.reason is not None
        reason = verdict.reason.value
        self.counts[reason] += 1
        self.counter.labels(reason).inc()
        what = f"guard blocked a {'public' if public else 'private'} text: {reason}"
        if not (care or verdict.reason.touches_care):  # the detail may quote the text too
            what += f' ({verdict.detail}): "{" ".join(text.split())[:AUDIT_EXCERPT]}"'
        await audit.note(self.log, where, what, self.clock())
