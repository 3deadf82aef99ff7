"""The orchestrator: the one place where the steps of handling a message are sequenced.

store → decide → prompt → engine → clean → reply. Whatever happens after the
message is stored (a timeout, a model error) costs at most the reply, never
the message.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from datetime import datetime
from typing import Awaitable, Callable, Iterable

from groupmind import speak
from groupmind.config import Settings
from groupmind.events import ChannelRef, ChatMessage, Reply, utcnow
from groupmind.llm.engine import Engine, EngineError, Superseded
from groupmind.prompt import StreamCleaner, build_prompt, speaker_label
from groupmind.store import Store

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
    ) -> None:
        self.store = store
        self.engine = engine
        """None means listen only: messages are stored, nothing is generated."""
        self.settings = settings
        self.clock = clock

    async def ingest(self, messages: Iterable[ChatMessage]) -> int:
        """Store messages without answering them (replays, backfills); returns the count."""
        return await self.store.append_many(m for m in messages if not m.is_blank)

    async def handle(self, msg: ChatMessage, on_text: TextSink | None = None) -> list[Reply]:
        """Store `msg`, and answer it if the bot should speak."""
        if msg.is_blank:
            return []
        await self.store.append(msg)
        decision = speak.decide(msg, self.settings.bot_name)
        log.debug("decision %s on %s: %s", decision.speak, msg.message_id, decision.reason)
        if not decision.speak or self.engine is None:
            return []
        text = await self._generate(msg.where, on_text)
        if not text:
            return []
        await self.store.append(self._own_message(msg.where, text))
        return [Reply(where=msg.where, text=text, reply_to=msg.message_id)]

    async def edit(self, where: ChannelRef, message_id: str, text: str) -> bool:
        return await self.store.edit(where, message_id, text)

    async def delete(self, where: ChannelRef, message_id: str) -> bool:
        return await self.store.delete(where, message_id)

    async def _generate(self, where: ChannelRef, on_text: TextSink | None) -> str:
        """The bot's cleaned next turn in `where`, or "" to stay silent."""
        assert self.engine is not None
        bot = self.settings.bot_name
        history = await self.store.window(where, self.settings.window)
        budget = (self.settings.n_ctx - self.settings.max_reply_tokens) * _CHARS_PER_TOKEN
        prompt = build_prompt(
            bot, history, channel=where.channel, budget_chars=budget, max_turns=self.settings.window
        )
        labels = {speaker_label(m, bot) for m in history}
        cleaner = StreamCleaner(labels=labels, bot_name=bot, max_chars=self.settings.max_reply_chars)
        pieces = self.engine.stream(
            prompt,
            max_tokens=self.settings.max_reply_tokens,
            timeout=self.settings.reply_timeout_s,
            key=f"{where.platform}:{where.community}:{where.conversation}",
        )
        try:
            async for piece in pieces:
                await _emit(on_text, cleaner.feed(piece))
        except Superseded:
            log.debug("reply in %s superseded by a newer message", where.conversation)
            return ""
        except EngineError as exc:
            log.warning("no reply in %s: %s", where.conversation, exc)
            return ""
        finally:
            await pieces.aclose()  # type: ignore[attr-defined]
        await _emit(on_text, cleaner.finish())
        return cleaner.text

    def _own_message(self, where: ChannelRef, text: str) -> ChatMessage:
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
            ts=self.clock(),
        )


async def _emit(sink: TextSink | None, text: str) -> None:
    if sink is None or not text:
        return
    result = sink(text)
    if inspect.isawaitable(result):
        await result
