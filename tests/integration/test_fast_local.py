"""LocalEngine on the real default model: reused prefixes, the state bound, a freed worker."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import AsyncIterator

import pytest

from groupmind.config import Settings
from groupmind.llm import GenerationTimeout, LocalEngine, Prompt, Superseded

pytestmark = pytest.mark.model

TURNS = tuple(
    f"{name}: {text}"
    for name, text in [
        ("ana", "my wifi stopped working after the kernel update"),
        ("ben", "which card is it? run lspci and look for the network controller"),
        ("ana", "it says Intel Wireless 8265"),
        ("cat", "boot the previous kernel from the grub menu and check if it works there"),
        ("ana", "ok the old kernel works fine"),
        ("ben", "then it is probably the firmware package, try reinstalling linux-firmware"),
    ]
)


def prompt(turns: int, channel: str = "ubuntu") -> Prompt:
    """The prompt after `turns` lines, with room notes that change every turn, as the pipeline's do."""
    return Prompt(
        system=f"A group chat in #{channel}. Mind is an AI member.",
        turns=TURNS[:turns],
        speaker="Mind",
        notes=f"[The room now: {TURNS[turns - 1].split(':')[0]} spoke last, {turns} messages in.]",
    )


async def reply(
    engine: LocalEngine, p: Prompt, key: str | None, max_tokens: int = 6, timeout: float = 120
) -> str:
    pieces = engine.stream(p, max_tokens=max_tokens, timeout=timeout, key=key)
    return "".join([piece async for piece in pieces])


@pytest.fixture
async def fresh(model_path: Path) -> AsyncIterator[LocalEngine]:
    """An engine of its own, with room for about two short conversations' states."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        n_threads=min(2, os.cpu_count() or 1),
        temperature=0.0,
        seed=7,
        prefix_cache_mb=4,
    )
    engine = LocalEngine(model_path, settings)
    await engine.start()
    yield engine
    await engine.close()


async def test_reused_and_restored_prefixes_answer_like_a_cold_start(fresh: LocalEngine) -> None:
    cold = [await reply(fresh, prompt(n), key=None) for n in (5, 6)]
    await reply(fresh, prompt(4), key="a")  # channel a is live
    warm = await reply(fresh, prompt(5), key="a")  # extends the live context, past turn 4's notes and reply
    await reply(fresh, prompt(6, channel="other"), key="b")  # switches away: a is saved
    restored = await reply(fresh, prompt(6), key="a")  # a comes back from the state cache
    assert [warm, restored] == cold
    assert fresh.cache_hits == 2 and fresh.cache_misses == 2 + 2


async def test_the_state_cache_stays_within_its_bound(fresh: LocalEngine) -> None:
    for channel in ("a", "b", "c", "d"):
        await reply(fresh, prompt(6, channel=channel), key=channel, max_tokens=1)
    assert 0 < fresh.states.nbytes <= 4 * 2**20
    assert fresh.states.evictions >= 1
    assert "a" not in fresh.states  # least recently used: gone, so it starts cold
    misses = fresh.cache_misses
    await reply(fresh, prompt(6, channel="a"), key="a", max_tokens=1)
    assert fresh.cache_misses == misses + 1


async def test_a_timed_out_or_closed_generation_frees_the_worker(fresh: LocalEngine) -> None:
    endless = Prompt(system="A long story.", turns=("ana: tell me a very long story",), speaker="Mind", stop=())
    with pytest.raises(GenerationTimeout):
        await reply(fresh, endless, key="a", max_tokens=2000, timeout=1)  # would take a while
    pieces = fresh.stream(endless, max_tokens=2000, timeout=120, key="b")
    await anext(pieces)
    await pieces.aclose()  # the reader leaves after the first piece
    started = time.monotonic()
    text = await asyncio.wait_for(reply(fresh, prompt(2), key="c", max_tokens=4), timeout=60)
    assert text and time.monotonic() - started < 30
    assert fresh.pending == 0


async def test_a_grown_burst_is_answered_once(fresh: LocalEngine) -> None:
    busy = Prompt(system="A long story.", turns=("ana: tell me a story",), speaker="Mind", stop=())
    running = fresh.stream(busy, max_tokens=40, timeout=120, key="other")
    await anext(running)  # the worker is busy; what follows waits in the queue
    first = asyncio.create_task(reply(fresh, prompt(5), key="a"))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(reply(fresh, prompt(6), key="a"))
    async for _ in running:
        pass
    with pytest.raises(Superseded):
        await first
    assert await second == await reply(fresh, prompt(6), key=None)
    assert fresh.superseded == 1
