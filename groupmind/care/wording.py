"""The model may say a care message more warmly, but only in words the checker passes.

Every care message starts as the deterministic protocol text. The model is asked
to say the same thing in its own words; what it wraps around them (a letter's
"Dear friend," and "Love,", quote marks, a "Rewritten:" label) is taken off
first (`tidy`), and its version is sent only if it passes every protocol check
for that message and the guard (`screen`), like all model text. Otherwise (a failed check, a block, a timeout, no model) the protocol text
is sent, so safety never depends on the model. `Voice` does this for each
protocol step the care machine decides on.
"""

from __future__ import annotations

import logging
import re
from typing import Awaitable, Callable, Mapping

from groupmind.care.checks import CareContext, Step, check
from groupmind.care.config import CareConfig
from groupmind.care.protocol import text_for
from groupmind.care.signals import RISK_LABELS, Label
from groupmind.care.tidy import tidy
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.guard import CareView, Guard, Scene
from groupmind.guard.verdict import Verdict
from groupmind.llm.engine import Engine, EngineError, Prompt

log = logging.getLogger(__name__)

SYSTEM = (
    "A kind friend in a group chat rewrites a caring message in their own warm, plain words. "
    "They keep every question, name and phone number, add no advice, and write one short paragraph."
)
MAX_TOKENS = 120
KEEP = 0.5
"""Share of the protocol text's content words a rewording must keep: the checks say what a message
must not do, this keeps it saying what the protocol step is for (a small model drifts off topic)."""


def keeps_the_point(candidate: str, original: str) -> bool:
    """Whether `candidate` keeps at least KEEP of the content words (4+ letters) of `original`."""
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z']{4,}", text.casefold())}

    wanted = words(original)
    return not wanted or len(wanted & words(candidate)) >= KEEP * len(wanted)


_VERBATIM = frozenset({Step.PLAN_SHOW, Step.PLAN_STEP})
"""Steps sent as written: the member's own plan, and its questions, which must stay in order."""

Screen = Callable[[str], Awaitable[Verdict]]
"""The guard's verdict on a wording; it records a block itself."""


async def phrase(
    engine: Engine | None, text: str, ctx: CareContext, *, timeout: float, screen: Screen | None = None
) -> tuple[str, bool]:
    """The message to send for `ctx`: the model's wording if it passes the checks and `screen`, else `text`.

    Returns the text and whether it is the model's.
    """
    if engine is None:
        return text, False
    prompt = Prompt(system=SYSTEM, turns=(f"Message: {text}",), speaker="Rewritten")
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
    tidied = tidy("".join(pieces))
    if tidied is None:
        log.debug("care wording from the model was not one clean message; sending the protocol text")
        return text, False
    candidate = " ".join(tidied.split())
    if not keeps_the_point(candidate, text):
        log.debug("care wording from the model strayed from the message; sending the protocol text")
        return text, False
    verdict = check(candidate, ctx)
    if not verdict.passed:
        log.debug("care wording from the model failed %s; sending the protocol text", ", ".join(verdict.failed))
        return text, False
    if screen is not None and not (await screen(candidate)).passed:
        log.debug("care wording from the model was blocked by the guard; sending the protocol text")
        return text, False
    return candidate, True


class Voice:
    """Words each care step: the protocol's text, or the model's if it passes the checks and the guard."""

    def __init__(self, engine: Engine | None, settings: Settings, guard: Guard) -> None:
        self.engine = engine
        self.settings = settings
        self.guard = guard

    async def say(
        self, step: Step, label: Label, config: CareConfig, *, public: bool, name: str, where: ChannelRef,
        disclosure: str = "", asked: bool = False, ai_said: bool = False, imminent: bool = False, variant: int = 0,
        fill: Mapping[str, str] | None = None,
    ) -> str:
        """The checked text for one protocol step. `where` is the conversation it belongs to (a guard block is
        audited there); `asked`, `ai_said`, `imminent` and `variant` say what the talk already holds, and
        `fill` what the step says back (`protocol.text_for`)."""
        ctx = CareContext(
            step=step, public=public, label=label, asked_directly=asked, ai_disclosed=ai_said,
            region=config.region, care_contact=config.contact_name, disclosure=disclosure, imminent=imminent,
        )  # fmt: skip
        text = text_for(ctx, name=name, variant=variant, fill=fill)
        if not self.settings.care_wording or step in _VERBATIM:
            return text
        scene = Scene(
            bot_name=self.settings.bot_name, public=public, speakers=(name,), instructions=SYSTEM,
            care=CareView(risk_texts=(disclosure,) if public and disclosure else (), risk_around=label in RISK_LABELS),
        )  # fmt: skip
        worded, _ = await phrase(
            self.engine, text, ctx, timeout=self.settings.care_wording_timeout_s,
            screen=lambda candidate: self.guard.screen(where, candidate, scene, care=True),
        )  # fmt: skip
        return worded
