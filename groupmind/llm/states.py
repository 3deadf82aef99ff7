"""Per-conversation model states, so switching channels does not re-read each one.

llama.cpp reuses the evaluated prefix of the prompt it saw last, which serves
one channel. For many channels the engine snapshots the live context when it
switches away and restores it when the channel comes back. `Llama.save_state`
would also copy the logits buffer (n_batch x n_vocab floats, 512 MB for Gemma
3's 262k vocabulary) that nothing reads without `logits_all`, so snapshots take
only the tokens and llama.cpp's own state (about 18 KB per token for the
default model).
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Snapshot:
    """A context's evaluated tokens and the llama.cpp state (KV cache) behind them."""

    tokens: np.ndarray
    data: Any  # a ctypes byte array, handed back to llama.cpp as is

    @property
    def nbytes(self) -> int:
        return ctypes.sizeof(self.data) + self.tokens.nbytes


def snapshot(llm: Any) -> Snapshot:
    """Copy `llm`'s live context (tokens, KV cache)."""
    import llama_cpp

    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_get_size(ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_get_data(ctx, buffer, size)
    if written > size:
        raise RuntimeError("llama.cpp wrote more state than it announced")
    return Snapshot(tokens=llm.input_ids[: llm.n_tokens].copy(), data=buffer)


def restore(llm: Any, snap: Snapshot) -> None:
    """Make `snap` the live context; the next completion reuses its longest common prefix."""
    import llama_cpp

    size = ctypes.sizeof(snap.data)
    if llama_cpp.llama_state_set_data(llm._ctx.ctx, snap.data, size) != size:
        llm.reset()  # the KV cache may be half-written: evaluate the next prompt from scratch
        raise RuntimeError("llama.cpp refused a saved state")
    count = len(snap.tokens)
    llm.input_ids[:count] = snap.tokens
    llm.n_tokens = count
    # As Llama.load_state does: the logits are stale, so decode at least one token before sampling.
    llm._requires_eval = True


class StateCache:
    """A least-recently-used set of snapshots, bounded in bytes; counts evictions."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Snapshot] = OrderedDict()
        self.nbytes = 0
        self.evictions = 0

    def take(self, key: str) -> Snapshot | None:
        """Remove and return `key`'s snapshot (it becomes the live context)."""
        snap = self._items.pop(key, None)
        if snap is not None:
            self.nbytes -= snap.nbytes
        return snap

    def put(self, key: str, snap: Snapshot) -> None:
        """Keep `snap` as the newest entry, evicting the oldest until it fits."""
        self.take(key)
        if snap.nbytes > self.max_bytes:
            self.evictions += 1
            return
        while self.nbytes + snap.nbytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.nbytes -= old.nbytes
            self.evictions += 1
        self._items[key] = snap
        self.nbytes += snap.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
