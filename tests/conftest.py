"""Shared fixtures: a real Valkey server process, real settings, the real default model.

Redis comes in three kinds, all real Valkey processes: one server (the default),
a three-master cluster and a primary with a replica behind a Sentinel. A test
module marked `pytest.mark.all_backends` runs each test against all three
(through the `redis_url`, `redis` and `settings` fixtures); the cluster and the
Sentinel start once per session, the first time a test asks for them.
"""

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
from groupmind.store.embedded import EmbeddedCluster, EmbeddedSentinel, EmbeddedServer

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


BACKENDS = ("standalone", "cluster", "sentinel")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "redis_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("all_backends"):
        metafunc.parametrize("redis_backend", BACKENDS)


@pytest.fixture
def redis_backend() -> str:
    """Which kind of Redis a test runs on; `all_backends` modules get each of `BACKENDS` in turn."""
    return "standalone"


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("cluster"), masters=3)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSentinel]:
    sentinel = EmbeddedSentinel(tmp_path_factory.mktemp("sentinel"))
    sentinel.start()
    yield sentinel
    sentinel.stop()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, redis_backend: str) -> str:
    """The URL of this test's Redis: the plain server, or the session's cluster or Sentinel."""
    fixture = {"standalone": "redis_server", "cluster": "redis_cluster", "sentinel": "redis_sentinel"}[redis_backend]
    return str(request.getfixturevalue(fixture).url)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = client_for(redis_url)
    await client.flushall()  # on a cluster: every primary
    yield client
    await client.aclose()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, model_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        redis_url=redis_url,
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
