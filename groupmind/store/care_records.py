"""Every care repository at once: in Redis for the running bot, in memory for pure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from groupmind.events import utcnow
from groupmind.store.care_alerts import AlertStore, CareAlerts, MemoryAlertStore
from groupmind.store.care_sessions import CareSessions, MemoryCareSessions, RedisCareSessions
from groupmind.store.care_signals import CareSignals, MemoryCareSignals, RedisCareSignals
from groupmind.store.safety_plans import MemorySafetyPlans, RedisSafetyPlans, SafetyPlans
from groupmind.store.state import Store


@dataclass(frozen=True)
class CareRecords:
    """What care keeps: conversations, alerts, and the signals between messages."""

    sessions: CareSessions
    alerts: CareAlerts
    signals: CareSignals
    plans: SafetyPlans

    @classmethod
    def of(cls, store: Store, clock: Callable[[], datetime] = utcnow) -> CareRecords:
        """The care records in the store's Redis."""
        return cls(RedisCareSessions(store.redis), AlertStore(store.redis, clock), RedisCareSignals(store.redis),
                   RedisSafetyPlans(store.redis))

    @classmethod
    def in_memory(cls, clock: Callable[[], datetime] = utcnow) -> CareRecords:
        """The in-memory twins."""
        return cls(MemoryCareSessions(), MemoryAlertStore(clock), MemoryCareSignals(), MemorySafetyPlans())
