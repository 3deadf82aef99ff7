"""Wiring for one groupmind process: Redis (or the embedded server), the model, the pipeline."""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from datetime import datetime
from typing import AsyncIterator, Callable

from groupmind.config import Settings
from groupmind.events import utcnow
from groupmind.llm.engine import Engine
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import resolve_model
from groupmind.llm.remote import RemoteEngine
from groupmind.llm.selftest import ensure_model_runs
from groupmind.pipeline import Pipeline
from groupmind.store import Store, open_redis


def say_on_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@asynccontextmanager
async def open_pipeline(
    settings: Settings,
    *,
    with_model: bool = True,
    clock: Callable[[], datetime] = utcnow,
    say: Callable[[str], None] = say_on_stderr,
) -> AsyncIterator[Pipeline]:
    """A ready pipeline (listen-only without the model); stops what it started on exit."""
    async with open_redis(settings.redis_url, settings.data_dir) as redis:
        store = Store(redis, maxlen=settings.stream_maxlen)
        if not with_model:
            yield Pipeline(store, None, settings, clock)
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
            yield Pipeline(store, engine, settings, clock)
        finally:
            await engine.close()
