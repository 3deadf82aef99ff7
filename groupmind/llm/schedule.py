"""Which request the one model worker runs next: fair across conversations, newest wins within one.

One model serves every channel, so the order of its queue decides who waits.
A plain FIFO lets a busy channel fill the queue and starve a quiet one, and
answers every message of a burst even though only a reply to the whole burst
is still worth giving.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class FairQueue(Generic[T]):
    """Round-robin over conversation keys, with at most one waiting job per key.

    A newer job for a key that is already waiting replaces the older one (its
    prompt saw less of the conversation) and keeps its place in line. A key
    whose job was taken goes to the back of the line when it submits again, so
    a busy conversation gets one turn per round. Thread-safe: the event loop
    puts, the worker thread takes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: OrderedDict[str, T] = OrderedDict()

    def put(self, key: str, job: T) -> T | None:
        """Queue `job` for `key`; return the waiting job it replaced, if any."""
        with self._lock:
            older = self._waiting.get(key)
            self._waiting[key] = job  # an existing key keeps its position
            return older

    def take(self) -> T | None:
        """The next job in fair order, or None when nothing waits."""
        with self._lock:
            if not self._waiting:
                return None
            return self._waiting.popitem(last=False)[1]

    def discard(self, key: str, job: T) -> bool:
        """Withdraw `job` if it is still waiting (its caller gave up)."""
        with self._lock:
            if self._waiting.get(key) is job:
                del self._waiting[key]
                return True
            return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)
