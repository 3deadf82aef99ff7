"""The model may say a care message more warmly, but only in words the checker passes.

Every care message starts as the deterministic protocol text. The model is asked
to say the same thing in its own words; its version is sent only if it passes
every protocol check for that message. Otherwise (a failed check, a timeout, no
model) the protocol text is sent, so safety never depends on the model.
"""

from __future__ import annotations

import logging

from groupmind.care.checks import CareContext, check
from groupmind.llm.engine import Engine, EngineError, Prompt

log = logging.getLogger(__name__)

_SYSTEM = (
    "A kind friend in a group chat rewrites a caring message in their own warm, plain words. "
    "They keep every question, name and phone number, add no advice, and write one short paragraph."
)
MAX_TOKENS = 120


async def phrase(engine: Engine | None, text: str, ctx: CareContext, *, timeout: float) -> tuple[str, bool]:
    """The message to send for `ctx`: the model's wording if it passes the checks, else `text`.

    Returns the text and whether it is the model's.
    """
    if engine is None:
        return text, False
    prompt = Prompt(system=_SYSTEM, turns=(f"Message: {text}",), speaker="Rewritten")
    pieces: list[str] = []
    stream = engine.stream(prompt, max_tokens=MAX_TOKENS, timeout=timeout)
    try:
        async for piece in stream:
            pieces.append(piece)
    except EngineError as exc:
        log.info("care wording from the model unavailable (%s); sending the protocol text", exc)
        return text, False
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    candidate = " ".join("".join(pieces).split())
    if not candidate:
        return text, False
    verdict = check(candidate, ctx)
    if not verdict.passed:
        log.debug("care wording from the model failed %s; sending the protocol text", ", ".join(verdict.failed))
        return text, False
    return candidate, True
