"""Prometheus metrics of one bot process.

The pipeline counts what only it sees (messages, replies, how long a reply took).
Everything else is read where it already lives, at scrape time: the engine's queue
and prefix-cache counters, and the care alerts in Redis. Each process builds its
own registry, so nothing is a module global and tests can run many pipelines.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from groupmind.store.care_alerts import CareAlerts
from groupmind.events import AlertState
from groupmind.llm.engine import Engine
from groupmind.llm.local import LocalEngine
from groupmind.store import StoreError

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.5, 1, 2, 4, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120)
"""Seconds; the default burst settle (6 s) is part of every reply's wait."""

ALERT_SCAN_TIMEOUT_S = 5.0


class PipelineMetrics:
    """Counted by the pipeline itself; unregistered until a registry takes them."""

    def __init__(self) -> None:
        self.handled = Counter("groupmind_messages_handled", "Messages the pipeline handled.", registry=None)
        self.replies = Counter("groupmind_replies", "Replies the bot gave.", registry=None)
        self.latency = Histogram(
            "groupmind_reply_latency_seconds",
            "From the last message of a burst to the bot's reply to it (the settle wait included).",
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
        self.guard_blocks = Counter(
            "groupmind_guard_blocks", "Model texts the guard blocked, by reason.", ["reason"], registry=None
        )
        self.drift_corrections = Counter(
            "groupmind_drift_corrections", "Times the bot corrected its drift in a conversation, by measure.",
            ["measure"], registry=None,
        )  # fmt: skip

    def replied(self, last_message: datetime, now: datetime) -> None:
        self.replies.inc()
        self.latency.observe(max(0.0, (now - last_message).total_seconds()))

    def register(self, registry: CollectorRegistry) -> None:
        for metric in (self.handled, self.replies, self.latency, self.guard_blocks, self.drift_corrections):
            registry.register(metric)


class EngineCollector(Collector):
    """The in-process model's queue depth and prefix-cache counts, read at scrape time.

    A model server behind `RemoteEngine` reports its own (llama-server `--metrics`).
    """

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        engine = self.engine
        if not isinstance(engine, LocalEngine):
            return
        yield GaugeMetricFamily(
            "groupmind_engine_queue_depth", "Generation requests queued or running.", value=engine.pending
        )
        yield CounterMetricFamily(
            "groupmind_prefix_cache_hits", "Requests whose conversation context was kept.", value=engine.cache_hits
        )
        yield CounterMetricFamily(
            "groupmind_prefix_cache_misses",
            "Requests whose conversation had to be evaluated from the start.",
            value=engine.cache_misses,
        )


class AlertCollector(Collector):
    """Care alerts of every community by state.

    `collect()` cannot await Redis, so the /metrics handler calls `refresh()`
    first; when Redis does not answer the family is left out rather than wrong.
    """

    def __init__(self, alerts: CareAlerts) -> None:
        self.alerts = alerts
        self.counts: dict[AlertState, int] | None = None

    async def refresh(self) -> None:
        try:
            async with asyncio.timeout(ALERT_SCAN_TIMEOUT_S):
                self.counts = await self.alerts.count_by_state()
        except (StoreError, OSError, TimeoutError) as exc:
            log.warning("care alert counts unavailable: %s", exc)
            self.counts = None

    def collect(self) -> Iterator[Metric]:
        if self.counts is None:
            return
        family = GaugeMetricFamily("groupmind_care_alerts", "Care alerts by state, every community.", labels=["state"])
        for state, count in self.counts.items():
            family.add_metric([state], count)
        yield family


class ProcessMetrics:
    """The registry /metrics serves for one pipeline."""

    def __init__(self, counters: PipelineMetrics, engine: Engine | None, alerts: CareAlerts) -> None:
        self.registry = CollectorRegistry()
        counters.register(self.registry)
        self.registry.register(EngineCollector(engine))
        self.alerts = AlertCollector(alerts)
        self.registry.register(self.alerts)
