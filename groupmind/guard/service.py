"""One guard per pipeline: the gate's record of blocks, the drift watch, and the second try's sampling."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from prometheus_client import Counter as PromCounter

from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.guard.drift import DriftWatch
from groupmind.guard.gate import check
from groupmind.guard.record import Blocks
from groupmind.guard.scene import Scene
from groupmind.guard.verdict import Verdict
from groupmind.llm.engine import Sampling
from groupmind.store import Store

RETRY_HEAT = 0.3
"""How much warmer the second try samples than the first (from at least 0.6): a greedy first try
would otherwise come back word for word."""


class Guard:
    """What every model text passes before anyone sees it or it is stored."""

    def __init__(
        self, store: Store, settings: Settings, blocks: PromCounter, drift: PromCounter, clock: Callable[[], datetime]
    ) -> None:
        self.blocks = Blocks(store.audit, blocks, clock)
        self.drift = DriftWatch(store.drift, drift, clock, audit=store.audit)
        self.retry = Sampling(
            temperature=min(2.0, max(0.6, settings.temperature) + RETRY_HEAT),
            seed=settings.seed + 1 if settings.seed >= 0 else None,
        )

    async def screen(self, where: ChannelRef, text: str, scene: Scene, *, care: bool = False) -> Verdict:
        """Judge one text; a block is counted and audited at once. `care` marks text that touched care
        (a care message), whose words are never audited, as are those of any room with someone at risk."""
        verdict = check(text, scene)
        self.blocks.judged()
        if not verdict.passed:
            await self.blocks.record(where, verdict, text, public=scene.public, care=care or scene.care.risk_around)
        return verdict
