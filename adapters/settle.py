"""Ticking the pipeline on live platforms, so replies that wait for a burst to settle still come.

The pipeline answers a burst only once nobody has spoken for the settle time
(and, in active mode, an open question only after a pause). On Discord or
Slack nothing else would look at a conversation again after its last message,
so each message re-arms one timer per conversation: when it fires, the
adapter's `deliver` ticks the pipeline and shows whatever reply came due.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

from groupmind.events import ChannelRef
from groupmind.pipeline import Pipeline

log = logging.getLogger(__name__)

Context = TypeVar("Context")
Deliver = Callable[[ChannelRef, Context], Awaitable[None]]
"""Ticks the pipeline for a conversation and shows the reply; gets the last message's context."""

_SLACK_S = 0.05  # fire just after the deadline, never just before it


class SettleTimers(Generic[Context]):
    """One re-armable timer per conversation; the newest message's context wins."""

    def __init__(self, pipeline: Pipeline, deliver: Deliver[Context]) -> None:
        self.pipeline = pipeline
        self.deliver = deliver
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}

    def touch(self, where: ChannelRef, context: Context) -> None:
        """A message arrived in `where`: (re)start its wait."""
        key = (where.platform, where.community, where.conversation)
        if (task := self._tasks.pop(key, None)) is not None:
            task.cancel()
        rules = self.pipeline.rules
        waits = sorted({rules.settle.total_seconds(), rules.question_pause.total_seconds()})
        self._tasks[key] = asyncio.create_task(self._fire(key, where, context, waits))

    async def _fire(self, key: Hashable, where: ChannelRef, context: Context, waits: list[float]) -> None:
        waited = 0.0
        try:
            for wait in waits:
                await asyncio.sleep(wait - waited + _SLACK_S)
                waited = wait + _SLACK_S
                await self.deliver(where, context)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed delivery must not kill later timers; the message is stored
            log.exception("settled reply in %s failed", where.conversation)
        finally:
            if self._tasks.get(key) is asyncio.current_task():
                del self._tasks[key]

    async def close(self) -> None:
        """Cancel every waiting timer (shutdown)."""
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
