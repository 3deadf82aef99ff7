"""Opening the Redis connection: the configured URL, or the embedded server.

Three kinds of deployment, one client interface:
- `redis://`, `rediss://`, `unix://`: one server (or a proxy in front of one);
- `redis+cluster://host:port,host:port,...` (or a plain URL with
  `GROUPMIND_REDIS_CLUSTER=true`): a Redis/Valkey Cluster through redis-py's
  `RedisCluster`, which follows MOVED/ASK and keeps one connection pool per node;
- `redis+sentinel://host:port[,host:port]/master-name`: a primary with replicas,
  reached through its Sentinels, so a failover moves the client to the new primary.

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
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection
from redis.backoff import AbstractBackoff, ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
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


CLUSTER_SCHEME = "redis+cluster"
SENTINEL_SCHEME = "redis+sentinel"
_RETRY_ON = [RedisConnectionError, RedisTimeoutError, ConnectionResetError]


def _endpoints(url: str) -> tuple[list[tuple[str, int]], str, str | None, str | None]:
    """The host:port list, path, user and password of a multi-host URL (`scheme://[user:pw@]h:p,h:p/path`)."""
    rest = url.split("://", 1)[1]
    hosts, _, path = rest.partition("/")
    user = password = None
    if "@" in hosts:
        credentials, hosts = hosts.rsplit("@", 1)
        user, _, password = credentials.partition(":")
        user, password = user or None, password or None
    endpoints = []
    for host in hosts.split(","):
        name, _, port = host.strip().rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"{redact_url(url)}: each node is host:port, got {host!r}")
        endpoints.append((name.strip("[]"), int(port)))
    return endpoints, path.strip("/"), user, password


def client_for(
    url: str, *, retries: int = 20, revive: Callable[[], Awaitable[None]] | None = None, cluster: bool = False
) -> Redis:
    """A redis-py asyncio client for any of the three kinds; by default it rides out a Redis restart of ~15 s.

    `revive` is awaited after each failed attempt (the embedded server's restart).
    The pool blocks when all connections are busy: a burst of platform events
    (each handled in its own task) must queue, not lose messages to
    "Too many connections". `cluster` treats a plain URL as one node of a cluster.
    """
    backoff = ExponentialBackoff(cap=1.0, base=0.05) if retries else NoBackoff()
    retry = Retry(backoff, retries=retries) if revive is None else _Reviving(backoff, retries, revive)
    if url.startswith(CLUSTER_SCHEME + "://") or cluster:
        return _cluster_client(url, retry)
    if url.startswith(SENTINEL_SCHEME + "://"):
        return _sentinel_client(url, retry)
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=None,
        decode_responses=True,
        socket_connect_timeout=5,
        socket_timeout=10,
        retry=retry,
        retry_on_error=_RETRY_ON,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


def _cluster_client(url: str, retry: Retry) -> Redis:
    """A `RedisCluster` seeded with every node the URL names (any one that answers is enough)."""
    common: dict[str, Any] = dict(
        decode_responses=True, socket_connect_timeout=5, socket_timeout=10, retry=retry,
        retry_on_error=_RETRY_ON, max_connections=MAX_CONNECTIONS,
    )  # fmt: skip
    if not url.startswith(CLUSTER_SCHEME + "://"):
        return RedisCluster.from_url(url, **common)  # type: ignore[return-value]
    endpoints, _path, user, password = _endpoints(url)
    nodes = [ClusterNode(host, port) for host, port in endpoints]
    # A RedisCluster has the same command methods as Redis; the store is written to both.
    return RedisCluster(startup_nodes=nodes, username=user, password=password, **common)  # type: ignore[return-value]


class _FollowingConnection(SentinelManagedConnection):
    """A Sentinel-managed connection that asks the Sentinels where the primary is on every reconnect.

    redis-py (8.1) reconnects a dropped connection before sending on it straight
    to the address it had, retrying there: after a crash that is the dead
    primary, and once its supervisor restarts it, a stale primary that Sentinel
    has not yet turned into a replica. Writes acknowledged there vanish when it
    is turned (the failover bench lost every write after the failover that way).
    """

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self.is_connected:
            await self.connect()  # through the Sentinels
        await super().send_packed_command(command, check_health)


def _sentinel_client(url: str, retry: Retry) -> Redis:
    """A client for the primary the Sentinels name now; after a failover its next connection finds the new one."""
    endpoints, master, user, password = _endpoints(url)
    if not master:
        raise ValueError(f"{redact_url(url)}: name the monitored primary, as in {SENTINEL_SCHEME}://host:26379/mymaster")
    sentinel = Sentinel(endpoints, sentinel_kwargs={"socket_connect_timeout": 2, "socket_timeout": 2})
    return sentinel.master_for(
        master, connection_class=_FollowingConnection, decode_responses=True, username=user, password=password,
        socket_connect_timeout=5, socket_timeout=10, retry=retry, retry_on_error=_RETRY_ON, health_check_interval=30,
    )  # fmt: skip


async def _probe(url: str, cluster: bool) -> None:
    """Fail fast, naming the URL, when nothing answers there."""
    try:
        probe = client_for(url, retries=0, cluster=cluster)
    except ValueError as exc:
        raise StoreUnavailable(str(exc)) from exc
    try:
        await probe.ping()
    except (RedisError, RedisClusterException, OSError) as exc:
        raise StoreUnavailable(f"cannot reach Redis at {redact_url(url)}: {exc}") from exc
    finally:
        await probe.aclose()


@asynccontextmanager
async def open_redis(redis_url: str, data_dir: Path, cluster: bool = False) -> AsyncIterator[Redis]:
    """Yield a connected client; start (and later stop) the embedded server if no URL."""
    server: EmbeddedServer | None = None
    if not redis_url:
        server = EmbeddedServer(data_dir)
        server.start()
        redis_url = server.url
    try:
        await _probe(redis_url, cluster)
        client = client_for(redis_url, revive=None if server is None else server.revive, cluster=cluster)
        try:
            yield client
        finally:
            await client.aclose()
    finally:
        if server is not None:
            server.stop()
