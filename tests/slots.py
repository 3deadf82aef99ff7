"""Watching a cluster client for pipelines that span hash slots (tests only).

redis-py's cluster pipeline splits a non-transactional pipeline across slots
silently: it still works, but costs a round trip per node and is not atomic. The
per-message path must never do that; this records each such pipeline.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from redis.asyncio.cluster import PipelineStrategy
from redis.crc import key_slot


@contextmanager
def cross_slot_pipelines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[tuple[Any, ...]]]]:
    """Yield a list that gathers the commands of every cluster pipeline whose keys lie in more than one slot."""
    seen: list[list[tuple[Any, ...]]] = []
    original = PipelineStrategy.execute

    async def execute(self: PipelineStrategy, *args: Any, **kwargs: Any) -> Any:
        commands = [command.args for command in self._command_queue]
        slots = {key_slot(str(key).encode()) for command in commands for key in _keys(command)}
        if len(slots) > 1:
            seen.append(commands)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(PipelineStrategy, "execute", execute)
    yield seen


def _keys(command: tuple[Any, ...]) -> tuple[Any, ...]:
    """The keys a command names: a script's declared keys, else its first argument."""
    if str(command[0]).upper() in ("EVAL", "EVALSHA"):
        return command[3 : 3 + int(command[2])]
    return command[1:2]
