"""Wiring for one groupmind process: Redis (or the embedded server), the model, then the pipeline.

The core is opened first (`open_core`): the store, the model, and the
`Directory` a platform asks the core things through. The caller builds its
platforms with that, then the pipeline with its platforms (`Core.pipeline`),
once; `open_pipeline` is the same for a process that serves no platform (a
replay, a benchmark).
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import AsyncIterator, Callable, Iterable

from groupmind.config import Settings
from groupmind.events import utcnow
from groupmind.ingress import Directory
from groupmind.llm.engine import Engine
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import resolve_model
from groupmind.llm.remote import RemoteEngine
from groupmind.llm.selftest import ensure_model_runs
from groupmind.pipeline import Pipeline
from groupmind.platform import Platform
from groupmind.store import Store, open_redis


def say_on_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Core:
    """What one process opened: the store and the model, and the lookups its platforms are built with."""

    store: Store
    engine: Engine | None
    settings: Settings
    clock: Callable[[], datetime]

    @property
    def directory(self) -> Directory:
        return Directory(self.store, self.clock)

    def pipeline(
        self, platforms: Iterable[Platform] = (), *, explain: Callable[[str], None] | None = None
    ) -> Pipeline:
        return Pipeline(self.store, self.engine, self.settings, self.clock, explain, platforms=platforms)


@asynccontextmanager
async def open_core(
    settings: Settings,
    *,
    with_model: bool = True,
    clock: Callable[[], datetime] = utcnow,
    say: Callable[[str], None] = say_on_stderr,
) -> AsyncIterator[Core]:
    """Redis and the model (none: listen only), ready; stops what it started on exit."""
    async with open_redis(settings.redis_url, settings.data_dir, settings.redis_cluster) as redis:
        retention = timedelta(days=settings.retention_days) if settings.retention_days else None
        store = Store(redis, maxlen=settings.stream_maxlen, retention=retention, replicas=settings.redis_wait_replicas)
        if not with_model:
            yield Core(store, None, settings, clock)
            return
        engine: Engine
        if settings.engine_url:
            engine = RemoteEngine(settings)
        else:
            path = resolve_model(settings, say)
            # A native crash would kill the process on the first reply; find out now, in a child.
            await asyncio.to_thread(ensure_model_runs, path, settings)
            engine = LocalEngine(path, settings)
        try:
            await engine.start()
            yield Core(store, engine, settings, clock)
        finally:
            await engine.close()


@asynccontextmanager
async def open_pipeline(
    settings: Settings,
    *,
    with_model: bool = True,
    clock: Callable[[], datetime] = utcnow,
    say: Callable[[str], None] = say_on_stderr,
) -> AsyncIterator[Pipeline]:
    """A ready pipeline that serves no platform (listen-only without the model)."""
    async with open_core(settings, with_model=with_model, clock=clock, say=say) as core:
        yield core.pipeline()
