"""Writing the bot's reply: prompt, model, guard, and what to say when nothing passes.

The transcript (risk messages already withheld) and the group model become a
prompt; the engine writes; `guard.write` cleans each try and has the guard judge
it, with one more try after a block. The first try feeds the drift watch. The
guard scores each candidate before anything is posted (nothing is streamed to
members unjudged), grounding included: a reply must share enough with what the
members said. When no try passes, or the model gives nothing usable, an
addressed bot says one short honest line and any other stays silent: what
reaches people is always a text the guard passed or a fixed one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.guard import CareView, Guard, Scene
from groupmind.guard.drift import anchored, measure
from groupmind.guard.method import asks_for_means
from groupmind.guard.norms import breaks, obey
from groupmind.guard.write import honest_line, write
from groupmind.llm.engine import Engine, EngineError, Superseded
from groupmind.names import is_own
from groupmind.prompt import build_prompt, clean_reply, examples, speaker_labels
from groupmind.store.norms import Norm
from groupmind.we.group import Group
from groupmind.we.norms import house_rules
from groupmind.we.threads import Linked

log = logging.getLogger(__name__)

_CHARS_PER_TOKEN = 3  # a conservative guess, so the transcript fits n_ctx
OWN_RECENT = 5
"""The bot's latest replies a new one must not nearly repeat."""
JUST_SAID = 3
"""The members' latest messages a reply must not nearly copy."""


@dataclass(frozen=True)
class Turn:
    """What the bot says ("" to stay silent), and why it is a fixed line when it is one."""

    text: str
    why: str | None = None


class ReplyWriter:
    """Writes the bot's turns with one engine, judged by one guard."""

    def __init__(self, engine: Engine, guard: Guard, settings: Settings) -> None:
        self.engine = engine
        self.guard = guard
        self.settings = settings

    async def write(
        self,
        where: ChannelRef,
        recent: list[Linked],
        group: Group,
        persona: str | None,
        care: CareView,
        asked: Sequence[str],
        addressed: bool,
        norms: Sequence[Norm] = (),
    ) -> Turn:
        """The bot's next turn in `where` once the guard passed it, an honest line, or "" to stay silent.

        `recent` has its risk messages withheld; `asked` are the messages the reply
        answers, as written. A blocked reply is written once more; if that
        is blocked too, an addressed bot says one honest line, any other says nothing.
        `norms` are the community's norms in force: they are house rules in the prompt, every try is
        mended to follow them (`guard.norms.obey`) and the guard blocks what still breaks one.
        """
        bot = self.settings.bot_name
        window = recent[-self.settings.window :]
        history = [item.msg for item in window]
        budget = (self.settings.n_ctx - self.settings.max_reply_tokens) * _CHARS_PER_TOKEN
        prompt = build_prompt(
            bot,
            history,
            channel=where.channel,
            budget_chars=budget,
            persona=persona,
            group=group.render(),
            max_turns=self.settings.window,
            rules=house_rules(norms),
            shots=examples(bot) if self.settings.few_shot else "",
        )
        if await self.guard.drift.anchoring(where):
            prompt = anchored(prompt, bot)
        labels = set(speaker_labels(history, bot).values())
        humans = [m for m in history if not m.author_is_bot]
        scene = Scene(
            bot_name=bot,
            speakers=tuple(labels | {m.author_name for m in humans}),
            own_recent=tuple(m.text for m in history if is_own(m, bot))[-OWN_RECENT:],
            just_said=tuple(m.text for m in humans[-JUST_SAID:]),
            instructions=f"{prompt.system}\n{prompt.examples}",
            notes=prompt.notes,
            care=care,
            means_asked=asks_for_means(tuple(asked)),
            norms=tuple(norms),
            grounds=(*(m.text for m in humans), *asked),
            grounding_min=self.settings.grounding_min,
        )
        key = f"{where.platform}:{where.community}:{where.conversation}"
        try:
            written = await write(
                self.engine,
                prompt,
                clean=lambda raw: obey(clean_reply(raw, labels, bot, self.settings.max_reply_chars), norms),
                judge=lambda text: self.guard.screen(where, text, scene),
                max_tokens=self.settings.max_reply_tokens,
                timeout=self.settings.reply_timeout_s,
                key=key,
                retry=self.guard.retry,
            )
        except Superseded:
            log.debug("reply in %s superseded by a newer message", where.conversation)
            return Turn("")
        except EngineError as exc:
            log.warning("no reply in %s: %s", where.conversation, exc)
            return Turn("")
        if written.first:
            turn = measure(written.first, window, bot, written.blocked)
            if correction := await self.guard.drift.observe(where, turn):
                log.info("%s", correction.describe(where.conversation))
                self.engine.forget(key)
        if written.text or not addressed:
            return Turn(written.text)
        why = "no reply passed the guard" if written.blocked else "the model gave nothing usable"
        honest = honest_line(scene.own_recent, asked[-1] if asked else "")
        if not breaks(honest, norms).passed:  # in another language than the group's, say nothing
            return Turn("", f"{why}, and an honest line would break a house rule: silence")
        return Turn(honest, f"{why}: an honest line instead")
