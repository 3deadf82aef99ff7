"""The bot process's /healthz and /metrics, served with aiohttp beside the platforms.

Loopback by default: a container's HEALTHCHECK and a sidecar scraper reach it
there, and nothing is exposed until the operator chooses a wider address.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from groupmind.config import Settings
from groupmind.observe.metrics import ProcessMetrics
from groupmind.pipeline import Pipeline
from groupmind.store.care_records import CareRecords

PING_TIMEOUT_S = 2.0
"""The store client retries through a Redis restart; a health check must answer sooner."""

_ANY_ADDRESS = {"", "0.0.0.0", "::"}


class HealthServerError(RuntimeError):
    """The health server could not listen; the message names the address."""


async def health(pipeline: Pipeline) -> dict[str, bool]:
    """Whether Redis answers and the model can take requests."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            redis_ready = await pipeline.store.ping()
    except TimeoutError:
        redis_ready = False
    model_ready = pipeline.engine is not None and pipeline.engine.ready
    return {"redis": redis_ready, "model": model_ready}


def health_app(pipeline: Pipeline) -> web.Application:
    """/healthz: 200 when Redis and the model are ready, else 503; /metrics: Prometheus text."""
    metrics = ProcessMetrics(pipeline.metrics, pipeline.engine, CareRecords.of(pipeline.store, pipeline.clock).alerts)

    async def healthz(_: web.Request) -> web.Response:
        parts = await health(pipeline)
        return web.json_response({"ready": all(parts.values()), **parts}, status=200 if all(parts.values()) else 503)

    async def scrape(_: web.Request) -> web.Response:
        await metrics.alerts.refresh()
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    return app


@asynccontextmanager
async def serve_health(pipeline: Pipeline, settings: Settings) -> AsyncIterator[None]:
    """Serve /healthz and /metrics while the context is open; `health_port` 0 serves nothing."""
    if settings.health_port == 0:
        yield
        return
    runner = web.AppRunner(health_app(pipeline), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.health_host, settings.health_port).start()
        except OSError as exc:
            raise HealthServerError(
                f"cannot serve /healthz on {settings.health_host}:{settings.health_port} ({exc.strerror or exc}); "
                "set GROUPMIND_HEALTH_PORT to a free port, or 0 to turn it off"
            ) from None
        yield
    finally:
        await runner.cleanup()


def health_url(settings: Settings) -> str:
    """Where a check on this machine reaches /healthz (an any-address bind answers on loopback)."""
    host = "127.0.0.1" if settings.health_host in _ANY_ADDRESS else settings.health_host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.health_port}/healthz"


def check(settings: Settings, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask the running process's /healthz (the container HEALTHCHECK); returns (ready, what it said)."""
    url = health_url(settings)
    try:
        with urlopen(url, timeout=timeout) as resp:
            return True, resp.read().decode()
    except HTTPError as exc:  # 503: the body still says which part is not ready
        return False, exc.read().decode()
    except (URLError, OSError) as exc:
        return False, json.dumps({"ready": False, "error": f"no answer at {url}: {exc}"})
