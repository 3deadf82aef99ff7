"""Writing a reply through the gate: generated whole, judged, at most one second try, never shown unjudged.

Replies are not streamed to the platform while the model writes: a reply is
judged as a whole (a near-copy or a leak may only show at its end), and what a
member sees must never include a blocked word. The engine still streams, so a
timeout or a newer message stops it at once; the platform shows "typing" for
the wait. A blocked reply is written once more with other sampling. If that
fails too, a bot that was addressed says one short honest line, and one that
was not says nothing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable, Sequence

from groupmind.guard.similar import near_copy
from groupmind.guard.verdict import Verdict
from groupmind.llm.engine import Engine, Prompt, Sampling

HONEST = (
    "I started an answer and didn't like it, so I'll leave that one to the rest of you.",
    "I don't have a good answer to that right now.",
    "I'd better not guess at that one; can someone else jump in?",
    "That came out wrong on my end, so I'll pass this time.",
    "Honestly, I can't answer that one well.",
)
"""What an addressed bot says when no reply passed the guard: short, true, and not a near-copy of each other."""


@dataclass(frozen=True)
class Written:
    """The outcome of writing one reply."""

    text: str
    """The reply that passed, or "" (none did, or the model gave nothing)."""
    first: str
    """The first candidate, cleaned, passed or not: what the drift watch measures."""
    blocked: tuple[Verdict, ...] = ()
    """The verdict on each blocked candidate, in order."""


async def _whole(pieces: AsyncIterator[str]) -> str:
    parts: list[str] = []
    try:
        async for piece in pieces:
            parts.append(piece)
    finally:
        await pieces.aclose()  # type: ignore[attr-defined]
    return "".join(parts)


async def write(
    engine: Engine,
    prompt: Prompt,
    *,
    clean: Callable[[str], str],
    judge: Callable[[str], Awaitable[Verdict]],
    max_tokens: int,
    timeout: float,
    key: str | None,
    retry: Sampling,
) -> Written:
    """Generate, clean and judge a reply; a blocked one is generated once more with `retry` sampling.

    `judge` records a block itself, so none is lost if the second try fails. An
    empty cleaned reply means the model declined: it is not retried. Engine
    errors (a timeout, a newer message) propagate.
    """
    blocked: list[Verdict] = []
    first = ""
    for sampling in (None, retry):
        raw = await _whole(engine.stream(prompt, max_tokens=max_tokens, timeout=timeout, key=key, sampling=sampling))
        text = clean(raw)
        if sampling is None:
            first = text
        if not text:
            break
        verdict = await judge(text)
        if verdict.passed:
            return Written(text, first, tuple(blocked))
        blocked.append(verdict)
    return Written("", first, tuple(blocked))


def honest_line(own_recent: Sequence[str], seed: str) -> str:
    """One of `HONEST`, rotating with `seed` (the message answered) and never a near-copy of a recent reply."""
    start = zlib.crc32(seed.encode("utf-8", "replace"))
    lines = [HONEST[(start + i) % len(HONEST)] for i in range(len(HONEST))]
    return next((line for line in lines if not any(near_copy(line, own) for own in own_recent)), lines[0])
