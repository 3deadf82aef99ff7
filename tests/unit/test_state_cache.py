"""The per-conversation state cache keeps within its byte bound, least recently used out first."""

import ctypes

import numpy as np

from groupmind.llm.states import Snapshot, StateCache


def snap(n_bytes: int) -> Snapshot:
    return Snapshot(tokens=np.zeros(0, dtype=np.intc), data=(ctypes.c_uint8 * n_bytes)())


def test_eviction_respects_the_bound_oldest_first() -> None:
    cache = StateCache(max_bytes=3000)
    for key in ("a", "b", "c"):
        cache.put(key, snap(1000))
    assert cache.nbytes == 3000 and cache.evictions == 0
    cache.put("d", snap(1500))
    assert cache.nbytes <= 3000
    assert "a" not in cache and "b" not in cache and "c" in cache and "d" in cache
    assert cache.evictions == 2


def test_taking_a_state_frees_its_bytes_and_refreshing_moves_it_last() -> None:
    cache = StateCache(max_bytes=2000)
    cache.put("a", snap(1000))
    cache.put("b", snap(1000))
    cache.put("a", snap(1000))  # refreshed: "b" is now the oldest
    cache.put("c", snap(1000))
    assert "b" not in cache and "a" in cache
    taken = cache.take("a")
    assert taken is not None and taken.nbytes == 1000
    assert cache.take("a") is None
    assert cache.nbytes == 1000 and len(cache) == 1


def test_a_state_larger_than_the_bound_is_not_kept() -> None:
    cache = StateCache(max_bytes=500)
    cache.put("small", snap(400))
    cache.put("huge", snap(501))
    assert "huge" not in cache and "small" in cache
    assert cache.evictions == 1 and cache.nbytes == 400
