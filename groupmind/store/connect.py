"""Opening the Redis connection: the configured URL, or the embedded server.

A connection retries through short outages (a Redis restart) instead of
dropping the message being handled. On the embedded server, every failed
attempt first lets the server come back (`EmbeddedServer.revive`): nobody else
would restart it, and the retry then lands on the new server.
"""

from __future__ import annotations

import copy
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import AbstractBackoff, ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.asyncio.retry import Retry

from groupmind.store.embedded import EmbeddedServer

_T = TypeVar("_T")


class StoreUnavailable(RuntimeError):
    """Redis could not be reached; the message names the (redacted) URL."""


def redact_url(url: str) -> str:
    """The URL with any password replaced, so it can be logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


MAX_CONNECTIONS = 64
"""Connections per process; more concurrent commands wait for a free one instead of failing."""


class _Reviving(Retry):
    """A retry that, after each failed attempt, lets the server come back before the next one."""

    def __init__(self, backoff: AbstractBackoff, retries: int, revive: Callable[[], Awaitable[None]]) -> None:
        super().__init__(backoff, retries)
        self._revive = revive

    def __deepcopy__(self, memo: dict[int, Any]) -> _Reviving:
        """Each connection gets its own copy (redis-py deep-copies its retry), reviving the one shared server."""
        clone = copy.copy(self)
        clone._backoff = copy.deepcopy(self._backoff, memo)
        return clone

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[_T]],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> _T:
        async def failed(error: Exception, *count: int) -> None:
            await fail(error, *count)
            await self._revive()

        return await super().call_with_retry(do, failed, is_retryable, with_failure_count)


def client_for(url: str, *, retries: int = 20, revive: Callable[[], Awaitable[None]] | None = None) -> Redis:
    """A redis-py asyncio client; by default it rides out a Redis restart of ~15 s.

    `revive` is awaited after each failed attempt (the embedded server's restart).
    The pool blocks when all connections are busy: a burst of platform events
    (each handled in its own task) must queue, not lose messages to
    "Too many connections".
    """
    backoff = ExponentialBackoff(cap=1.0, base=0.05) if retries else NoBackoff()
    retry = Retry(backoff, retries=retries) if revive is None else _Reviving(backoff, retries, revive)
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=None,
        decode_responses=True,
        socket_connect_timeout=5,
        socket_timeout=10,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


async def _probe(url: str) -> None:
    """Fail fast, naming the URL, when nothing answers there."""
    probe = client_for(url, retries=0)
    try:
        await probe.ping()
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"cannot reach Redis at {redact_url(url)}: {exc}") from exc
    finally:
        await probe.aclose()


@asynccontextmanager
async def open_redis(redis_url: str, data_dir: Path) -> AsyncIterator[Redis]:
    """Yield a connected client; start (and later stop) the embedded server if no URL."""
    server: EmbeddedServer | None = None
    if not redis_url:
        server = EmbeddedServer(data_dir)
        server.start()
        redis_url = server.url
    try:
        await _probe(redis_url)
        client = client_for(redis_url, revive=None if server is None else server.revive)
        try:
            yield client
        finally:
            await client.aclose()
    finally:
        if server is not None:
            server.stop()
