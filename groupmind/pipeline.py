"""The orchestrator: the one place where the steps of handling a message are sequenced.

store (+ we: link, profile) → settle the burst before it → decide → group model →
prompt → engine → clean → reply. Whatever happens after the message is stored
(a timeout, a model error) costs at most the reply, never the message.

Replies wait for a burst to settle, so a reply can also come from `tick(now)`,
which the runtime (or the local room) calls when time has passed.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Iterable, Sequence

from groupmind import speak
from groupmind.care.responder import CareResponder
from groupmind.config import Settings
from groupmind.events import ChannelRef, ChatMessage, Member, Reply, utcnow
from groupmind.llm.engine import Engine, EngineError, Superseded
from groupmind.observe.metrics import PipelineMetrics
from groupmind.names import is_own, mention
from groupmind.prompt import StreamCleaner, build_prompt, speaker_labels
from groupmind.store import Store
from groupmind.store.community import ChannelView, channel_view, opted_out
from groupmind.we.group import Group
from groupmind.we.room import We
from groupmind.we.threads import Linked

log = logging.getLogger(__name__)

TextSink = Callable[[str], Awaitable[None] | None]
"""Receives reply text as it streams (already cleaned)."""

_CHARS_PER_TOKEN = 3  # a conservative guess, so the transcript fits n_ctx


class Pipeline:
    """Handles every message of every community, whatever adapter it came from."""

    def __init__(
        self,
        store: Store,
        engine: Engine | None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        explain: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        """None means listen only: messages are stored, nothing is generated."""
        self.settings = settings
        self.clock = clock
        self.explain = explain
        """Receives the reason of every speak decision (`groupmind room --explain`)."""
        self.we = We(store, settings.bot_name)
        self.rules = speak.Rules.from_settings(settings)
        self.care = CareResponder(store, engine, settings, clock)
        """The care protocol; adapters give it their private routes (`care.couriers[platform]`)."""
        self.metrics = PipelineMetrics()

    async def ingest(self, messages: Iterable[ChatMessage]) -> int:
        """Store messages without answering them (replays, backfills); returns the count."""
        kept = [m for m in messages if not m.is_blank]
        optouts = await opted_out(self.store, {(m.platform, m.community) for m in kept})
        return await self.store.append_many(
            kept, profile=lambda m: m.author_id not in optouts[(m.platform, m.community)]
        )

    async def handle(self, msg: ChatMessage, on_text: TextSink | None = None) -> list[Reply]:
        """Store `msg`; answer the burst before it if that settled, and note whether `msg` wants an answer."""
        if msg.is_blank:
            return []
        self.metrics.handled.inc()
        seen = await self.we.observe(msg)
        where = msg.where
        said: list[Reply] = []

        async def say_public(text: str) -> None:
            said.append(await self._say(where, text, msg.message_id, msg.ts, on_text))

        if await self.care.on_message(msg, addressed=speak.addressed(msg, self.settings.bot_name), say_public=say_public):
            await speak.clear_pending(self.store.redis, where)  # the disclosure comes first: the room's reply waits
            return said
        replies = await self._settle(where, msg.ts, seen.before, seen.view, on_text)
        decision = speak.on_message(msg, self.settings.bot_name, seen.view.mode)
        self._why(decision)
        if decision.wait:
            await speak.keep_pending(self.store.redis, msg, speak.addressed(msg, self.settings.bot_name))
            if not self.rules.settle:
                replies += await self.tick(where, msg.ts, on_text)
        return replies

    async def handle_private(
        self, platform: str, communities: Sequence[str], member: Member, text: str, ts: datetime | None = None
    ) -> bool:
        """A member's private message to the bot (a DM); True when care answered it through the courier.

        `communities` are the ones the member shares with the bot on `platform`.
        Private talk is not stored in any channel's log.
        """
        return await self.care.on_private(platform, communities, member, text, ts)

    async def tick(
        self, where: ChannelRef, now: datetime | None = None, on_text: TextSink | None = None
    ) -> list[Reply]:
        """Give the conversation's pending reply if it is due at `now` (default: the clock)."""
        view = await channel_view(self.store, where, "")
        return await self._settle(where, now or self.clock(), await self.we.recent(where), view, on_text)

    async def awaiting_reply(self, where: ChannelRef) -> bool:
        """True while a burst in `where` waits for the bot's answer (adapters show typing then)."""
        return await speak.has_pending(self.store.redis, where)

    async def settle(self, where: ChannelRef, on_text: TextSink | None = None) -> list[Reply]:
        """Let the room fall silent: tick once every wait (burst, question pause) has passed."""
        longest = max(self.rules.settle, self.rules.question_pause)
        return await self.tick(where, self.clock() + longest + timedelta(seconds=1), on_text)

    async def _settle(
        self, where: ChannelRef, now: datetime, recent: list[Linked], view: ChannelView, on_text: TextSink | None
    ) -> list[Reply]:
        """Answer the pending burst if it is due at `now`; `recent` is the conversation up to now."""
        pending, replied = await speak.read_pending(self.store.redis, where, now, self.rules)
        if pending is None:
            return []
        group = await self.we.group(where, recent, now)
        decision = speak.when_due(pending, group, view.mode, now, replied, self.rules)
        self._why(decision)
        if decision.wait:
            return []
        if not decision.speak or self.engine is None:
            await speak.clear_pending(self.store.redis, where)
            return []
        targets = whom_to_address(group, recent, self.settings.bot_name)
        lead = " ".join(mention(group.members[t]) for t in targets)
        text = await self._generate(where, recent, group, lead, view.persona, on_text)
        if not text:
            self._why(speak.Decision(False, "the model declined: it gave no reply"))
            await speak.clear_pending(self.store.redis, where)
            return []
        reply = await self._remember(where, f"{lead} {text}" if lead else text, pending.last_id, now)
        await self.we.addressed_by_bot(where, targets, now)
        self.metrics.replied(pending.last_ts, self.clock())
        return [reply]

    async def _say(self, where: ChannelRef, text: str, reply_to: str, now: datetime, on_text: TextSink | None) -> Reply:
        """Say a fixed text (not generated) in `where`, stored like any reply."""
        await _emit(on_text, text)
        return await self._remember(where, text, reply_to, now)

    async def _remember(self, where: ChannelRef, text: str, reply_to: str, now: datetime) -> Reply:
        """Store what the bot said in `where` as part of the conversation and count it against the rate limit."""
        await self.we.observe(self._own_message(where, text, reply_to, now))
        await speak.record_reply(self.store.redis, where, now, self.rules)
        return Reply(where=where, text=text, reply_to=reply_to)

    async def edit(self, where: ChannelRef, message_id: str, text: str) -> bool:
        return await self.store.edit(where, message_id, text)

    async def delete(self, where: ChannelRef, message_id: str) -> bool:
        return await self.store.delete(where, message_id)

    async def _generate(
        self,
        where: ChannelRef,
        recent: list[Linked],
        group: Group,
        lead: str,
        persona: str | None,
        on_text: TextSink | None,
    ) -> str:
        """The bot's cleaned next turn in `where` (after `lead`, shown first), or "" to stay silent."""
        assert self.engine is not None
        bot = self.settings.bot_name
        history = [item.msg for item in recent[-self.settings.window :]]
        budget = (self.settings.n_ctx - self.settings.max_reply_tokens) * _CHARS_PER_TOKEN
        prompt = build_prompt(
            bot,
            history,
            channel=where.channel,
            budget_chars=budget,
            persona=persona,
            group=group.render(),
            max_turns=self.settings.window,
        )
        labels = set(speaker_labels(history, bot).values())
        cleaner = StreamCleaner(labels=labels, bot_name=bot, max_chars=self.settings.max_reply_chars)
        pieces = self.engine.stream(
            prompt,
            max_tokens=self.settings.max_reply_tokens,
            timeout=self.settings.reply_timeout_s,
            key=f"{where.platform}:{where.community}:{where.conversation}",
        )
        sink = _led(on_text, lead)
        try:
            async for piece in pieces:
                await _emit(sink, cleaner.feed(piece))
        except Superseded:
            log.debug("reply in %s superseded by a newer message", where.conversation)
            return ""
        except EngineError as exc:
            log.warning("no reply in %s: %s", where.conversation, exc)
            return ""
        finally:
            await pieces.aclose()  # type: ignore[attr-defined]
        await _emit(sink, cleaner.finish())
        return cleaner.text

    def _why(self, decision: speak.Decision) -> None:
        log.debug("speak %s: %s", decision.speak, decision.reason)
        if self.explain is not None:
            self.explain(decision.reason)

    def _own_message(self, where: ChannelRef, text: str, reply_to: str, ts: datetime) -> ChatMessage:
        bot = self.settings.bot_name
        return ChatMessage(
            platform=where.platform,
            community=where.community,
            channel=where.channel,
            thread=where.thread,
            message_id=f"gm-{uuid.uuid4().hex[:16]}",
            author_id=f"bot:{bot}",
            author_name=bot,
            author_is_bot=True,
            text=text,
            reply_to=reply_to,
            ts=ts,
        )


def whom_to_address(group: Group, recent: Sequence[Linked], bot_name: str, limit: int = 4) -> list[str]:
    """Whom the bot's reply speaks to: those who addressed it since it last spoke, the askers of
    open questions, the members the room talked past, the others in the callers' conversations, then
    whoever else spoke since the bot last did: one message answers the whole burst."""
    since_bot: list[Linked] = []
    for item in reversed(recent):
        if is_own(item.msg, bot_name):
            break
        since_bot.append(item)
    calls = [i for i in reversed(since_bot) if speak.addressed(i.msg, bot_name)]
    threads = {i.link.thread for i in calls}
    company = [i.msg.author_id for i in since_bot if i.link.thread in threads]
    askers = [q.author_id for q in group.open_questions]
    burst = [i.msg.author_id for i in reversed(since_bot)]
    ordered = (*(i.msg.author_id for i in calls), *askers, *group.left_out, *reversed(company), *burst)
    return [m for m in dict.fromkeys(ordered) if m in group.members][:limit]


def _led(sink: TextSink | None, lead: str) -> TextSink | None:
    """`sink`, with `lead` shown before the first text (whom the reply addresses)."""
    if sink is None or not lead:
        return sink
    first = True

    def led(text: str) -> Awaitable[None] | None:
        nonlocal first
        if first:
            first, text = False, f"{lead} {text}"
        return sink(text)

    return led


async def _emit(sink: TextSink | None, text: str) -> None:
    if sink is None or not text:
        return
    result = sink(text)
    if inspect.isawaitable(result):
        await result
