"""Shared fixtures: a real Valkey server process, real settings, the real default model."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from groupmind.config import Settings
from groupmind.llm.local import LocalEngine
from groupmind.llm.models import assemble_default_model
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IRC_DEV = SHARED_DATA / "ubuntu-irc" / "dev"


def model_cache_dir() -> Path:
    """Where the test run keeps the assembled default model between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "groupmind" / "test-data"


@pytest.fixture(scope="session")
def model_path() -> Path:
    return assemble_default_model(model_cache_dir(), print)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: EmbeddedServer) -> AsyncIterator[Redis]:
    client = client_for(redis_server.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def settings(tmp_path: Path, redis_server: EmbeddedServer, model_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        redis_url=redis_server.url,
        model=str(model_path),
        n_threads=min(2, os.cpu_count() or 1),
        seed=7,
        temperature=0.0,
        max_reply_tokens=32,
    )


@pytest.fixture
def store(redis: Redis) -> Store:
    return Store(redis, maxlen=1000)


@pytest.fixture(scope="session")
def engine(model_path: Path) -> Iterator[LocalEngine]:
    """One loaded default model for the whole session (model tests run serially)."""
    local = LocalEngine(
        model_path,
        Settings(_env_file=None, n_threads=min(2, os.cpu_count() or 1), seed=7, temperature=0.0),  # type: ignore[call-arg]
    )
    asyncio.run(local.start())
    yield local
    asyncio.run(local.close())
