"""The orchestrator: the one place where the steps of handling a message are sequenced.

store (+ we: link, profile) → settle the burst before it → decide → group model →
reply (prompt → engine → clean → guard: `groupmind.reply`). Whatever happens after the message is stored
(a timeout, a model error) costs at most the reply, never the message.

Risk messages are withheld from the transcript the model reads, a question about
who is at risk gets a fixed answer, and the model's reply is shown and stored
only once the guard passed it (`groupmind.guard`). The `@` leads that say whom
a reply addresses are added when it is shown, and never stored, so the model
never reads them as something it wrote.

The pipeline is built once with its platforms (`groupmind.platform`), and every
reply leaves through the one its conversation is on. Replies wait for a burst to
settle: a message that leaves a reply waiting schedules a "reply" due item for
the moment to look again, and the scheduler (`groupmind.scheduler`), which owns
time, brings it back to `tick`. When to look again is decided here and nowhere else.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Callable, Iterable, Sequence

from groupmind import speak
from groupmind.admin import Admin
from groupmind.care.kinds import CARE_KINDS
from groupmind.care.service import care_service
from groupmind.config import Settings
from groupmind.events import ChannelRef, ChatMessage, Member, Reply, utcnow
from groupmind.guard import Guard
from groupmind.guard.privacy import REFUSAL, asks_about_care, untopical, withhold
from groupmind.guard.scene import read_care
from groupmind.llm.engine import Engine
from groupmind.observe.metrics import PipelineMetrics
from groupmind.names import is_own, mention
from groupmind.platform import Platform
from groupmind.reply import ReplyWriter
from groupmind.scheduler import Scheduler
from groupmind.store import Store
from groupmind.store.due import Due, DueWork
from groupmind.store.settings import ChannelView
from groupmind.store.work_queue import WorkQueue
from groupmind.we.group import Group
from groupmind.we.room import Noted, We
from groupmind.we.threads import Linked

log = logging.getLogger(__name__)

REPLY = "reply"
"""The due item of a conversation whose reply waits; its key is the conversation."""
ELSEWHERE = timedelta(seconds=1)
"""When a reply for a platform this process does not serve is offered again, to a process that does."""

REPLY_LOOKBACK = 50
"""How far back a reply's parent is looked for among the bot's own messages."""
UNANSWERED = 10
"""Most messages a reply answers that the guard reads for questions about care or means."""


class Pipeline:
    """Handles every message of every community, whatever adapter it came from."""

    def __init__(
        self,
        store: Store,
        engine: Engine | None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        explain: Callable[[str], None] | None = None,
        *,
        platforms: Iterable[Platform] = (),
        due: DueWork | None = None,
    ) -> None:
        """Args:
            store: the shared state.
            engine: the model; None means listen only: messages are stored, nothing is generated.
            settings: the settings of this process.
            clock: what time it is (a script's clock in the local room).
            explain: receives the reason of every speak decision (`groupmind room --explain`).
            platforms: the ways out, one per platform this process serves; a conversation on
                another platform (a replay) is answered in the return value only.
            due: the due work (default: in the store's Redis).
        """
        self.store = store
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.explain = explain
        self.platforms = MappingProxyType({platform.name: platform for platform in platforms})
        self.we = We(store, settings.bot_name)
        self.rules = speak.Rules.from_settings(settings)
        self.metrics = PipelineMetrics()
        self.guard = Guard(store, settings, self.metrics.guard_blocks, self.metrics.drift_corrections, clock)
        """The gate every model text passes, and the drift watch."""
        self.writer = ReplyWriter(engine, self.guard, settings) if engine is not None else None
        """Writes the bot's turns; None means listen only."""
        self.due = due if due is not None else store.due
        self.care = care_service(store, engine, settings, self.guard, platforms=self.platforms, due=self.due, clock=clock)
        """The care protocol; it reaches people privately through the platforms."""
        model = engine.name if engine else "none (listening only)"
        self.admin = Admin(store, model=model, bot_name=settings.bot_name, clock=clock, platforms=self.platforms)
        """The admin commands, sharing this pipeline's store and platforms."""
        handlers = {REPLY: self._reply_due, **{kind: self.care.run_due for kind in CARE_KINDS}}
        self.scheduler = Scheduler(self.due, handlers, clock)
        """The one owner of time: run it live (`scheduler.running()`) or from a script's clock (`run_due`)."""

    async def ingest(self, messages: Iterable[ChatMessage]) -> int:
        """Store messages without answering them (replays, backfills); returns the count.

        Care detection still reads each: nobody is talked to, and only imminent risk raises an alert.
        """
        kept = [m for m in messages if not m.is_blank]
        optouts = await self.store.settings.opted_out({(m.platform, m.community) for m in kept})
        stored = await self.store.append_many(
            kept, profile=lambda m: m.author_id not in optouts[(m.platform, m.community)]
        )
        for msg in kept:
            await self.care.observe_only(msg)
        return stored

    async def handle(self, msg: ChatMessage, *, deliver: bool = True) -> list[Reply]:
        """Store `msg`; answer the burst before it if that settled, and note whether `msg` wants an answer.

        The replies made now are delivered through `msg`'s platform as they are made, and returned;
        with `deliver` False they are only returned (a queued job saves them first, then delivers).
        """
        if msg.is_blank:
            return []
        self.metrics.handled.inc()
        msg = await self._as_reply(msg)
        seen = await self._store(msg)
        where = msg.where
        said: list[Reply] = []

        async def say_public(text: str) -> None:
            said.append(await self._say(where, text, msg.message_id, msg.ts, deliver))

        if await self.care.on_message(msg, addressed=speak.addressed(msg, self.settings.bot_name), say_public=say_public):
            await self.store.pending.clear(where)  # the disclosure comes first: the room's reply waits
            return said
        replies = await self._settle(where, msg.ts, seen.before, seen.view, deliver)
        callers: list[str] = []
        wanted = seen.view.mode == "mention" or speak.withdraws(msg.text)
        if wanted and await self.store.pending.has(where):  # a call waits: who made it
            callers = [i.msg.author_id for i in calls_since_bot(seen.before, self.settings.bot_name)]
        decision = speak.on_message(msg, self.settings.bot_name, seen.view.mode, callers)
        self._why(decision)
        if decision.withdrawn:
            await self.store.pending.clear(where)
        if decision.wait:
            await self.store.pending.keep(where, msg.message_id, msg.ts, speak.addressed(msg, self.settings.bot_name))
            if self.rules.settle:
                await self._look_again(where, msg.ts, msg.ts)
            else:
                replies += await self.tick(where, msg.ts, deliver=deliver)
        return replies

    async def _as_reply(self, msg: ChatMessage) -> ChatMessage:
        """`msg`, marked as a reply to the bot where its platform could not tell (`speak.answers_bot`)."""
        if msg.reply_to_bot or msg.author_is_bot or not (msg.reply_to or msg.thread):
            return msg
        before = await self.store.window(msg.where, REPLY_LOOKBACK)
        channel = msg.where.model_copy(update={"thread": None})
        parent = await self.store.window(channel, REPLY_LOOKBACK) if msg.thread and not before else []
        if speak.answers_bot(msg, before, parent, self.settings.bot_name):
            return msg.model_copy(update={"reply_to_bot": True})
        return msg

    async def handle_private(
        self, platform: str, communities: Sequence[str], member: Member, text: str, ts: datetime | None = None
    ) -> bool:
        """A member's private message to the bot (a DM); True when care answered it, privately.

        `communities` are the ones the member shares with the bot on `platform`.
        Private talk is not stored in any channel's log.
        """
        return await self.care.on_private(platform, communities, member, text, ts)

    async def tick(self, where: ChannelRef, now: datetime | None = None, *, deliver: bool = True) -> list[Reply]:
        """Give the conversation's pending reply if it is due at `now` (default: the clock)."""
        view = await self.store.settings.view(where, "")
        return await self._settle(where, now or self.clock(), await self.we.recent(where), view, deliver)

    async def settle(self, where: ChannelRef) -> list[Reply]:
        """Let the room fall silent: tick once every wait (burst, question pause) has passed."""
        longest = max(self.rules.settle, self.rules.question_pause)
        return await self.tick(where, self.clock() + longest + timedelta(seconds=1))

    async def deliver(self, replies: Iterable[Reply]) -> None:
        """Post replies made earlier (a queued job's, saved before) through their platforms."""
        for reply in replies:
            await self._send(reply.where, reply.text, reply.reply_to)

    def work_queue(self, consumer: str = "") -> WorkQueue:
        """The shared work stream (`work_queue` on), as `consumer` sees it."""
        return self.store.work_queue(consumer)

    def _next_look(self, last_ts: datetime, now: datetime) -> datetime | None:
        """When a waiting reply is looked at again: the first of the settle wait and the
        question pause, counted from the burst's last message, that is still ahead of `now`."""
        for wait in sorted({self.rules.settle, self.rules.question_pause}):
            if last_ts + wait > now:
                return last_ts + wait
        return None

    async def _look_again(self, where: ChannelRef, last_ts: datetime, now: datetime) -> None:
        """Schedule (or move) the conversation's reply item; only platforms this pipeline answers on get one."""
        at = self._next_look(last_ts, now)
        if at is None or where.platform not in self.platforms:
            return
        place = {"channel": where.channel} | ({"thread": where.thread} if where.thread else {})
        await self.due.schedule(Due(REPLY, where.platform, where.community, where.conversation, at, place))

    async def _reply_due(self, item: Due, now: datetime) -> None:
        """The scheduler's "reply" item: the conversation may have settled."""
        if self.engine is not None and item.platform not in self.platforms:
            await self.due.schedule(replace(item, at=now + ELSEWHERE))  # another process serves that platform
            return
        # Looked at again if this worker dies mid-reply; a reply given meanwhile leaves nothing pending then.
        await self.due.schedule(replace(item, at=now + timedelta(seconds=3 * self.settings.reply_timeout_s)))
        place = ChannelRef(
            platform=item.platform, community=item.community, channel=item.data["channel"], thread=item.data.get("thread")
        )
        await self.tick(place, now)

    async def _settle(
        self, where: ChannelRef, now: datetime, recent: list[Linked], view: ChannelView, deliver: bool
    ) -> list[Reply]:
        """Answer the pending burst if it is due at `now`; `recent` is the conversation up to now."""
        pending, replied = await self.store.pending.read(where, now, self.rules.rate_window)
        if pending is None:
            return []
        asked = [msg.text for msg in unanswered(recent)]
        care = await read_care(self.store, where, recent, now)
        recent = withhold(recent, care.flagged)
        group = untopical(await self.we.group(where, recent, now), care.in_care_ids)
        decision = speak.when_due(pending, group, view.mode, now, replied, self.rules)
        self._why(decision)
        if decision.wait:
            await self._look_again(where, pending.last_ts, now)
            return []
        if not decision.speak or self.writer is None:
            await self.store.pending.clear(where)
            return []
        targets = whom_to_address(group, recent, self.settings.bot_name)
        lead = " ".join(mention(group.members[t]) for t in targets)
        names = [item.msg.author_name for item in recent if not item.msg.author_is_bot]
        if asks_about_care(asked, names=names, risk_around=care.risk_around):
            self._why(speak.Decision(True, "asked about someone's care: a fixed answer, never the model's"))
            text = REFUSAL
        else:
            platform = self.platforms.get(where.platform) if deliver else None
            async with platform.typing(where) if platform is not None else nullcontext():
                turn = await self.writer.write(where, recent, group, view.persona, care, asked, bool(pending.addressed))
            if turn.why:
                self._why(speak.Decision(True, turn.why))
            text = turn.text
        if not text:
            self._why(speak.Decision(False, "the model declined: it gave no reply"))
            await self.store.pending.clear(where)
            return []
        shown = f"{lead} {text}" if lead else text
        if deliver and await self._send(where, shown, pending.last_id) is False:
            await self.store.pending.clear(where)  # refused: the reply is lost, kept nowhere
            return []
        reply = await self._remember(where, text, pending.last_id, now, shown=shown)
        await self.we.addressed_by_bot(where, targets, now)
        self.metrics.replied(pending.last_ts, self.clock())
        return [reply]

    async def _say(self, where: ChannelRef, text: str, reply_to: str, now: datetime, deliver: bool) -> Reply:
        """Say a fixed text (not generated) in `where`, stored like any reply."""
        if deliver:
            await self._send(where, text, reply_to)
        return await self._remember(where, text, reply_to, now)

    async def _send(self, where: ChannelRef, text: str, reply_to: str | None) -> bool | None:
        """Post through the conversation's platform; False when it refused (it logs why), None when none is here."""
        platform = self.platforms.get(where.platform)
        return None if platform is None else await platform.send(where, text, reply_to=reply_to)

    async def _remember(
        self, where: ChannelRef, text: str, reply_to: str, now: datetime, shown: str | None = None
    ) -> Reply:
        """Store what the bot said in `where` as part of the conversation and count it against the rate limit.

        `shown` is the text as posted, with its `@` leads; the conversation keeps `text` without them.
        """
        await self._store(self._own_message(where, text, reply_to, now))
        await self.store.pending.replied(where, now, self.rules.rate_window)
        return Reply(where=where, text=shown or text, reply_to=reply_to)

    async def _store(self, msg: ChatMessage) -> Noted:
        """Store a message: the we model notes it (its link, its author's profile), the store appends it."""
        noted = await self.we.note(msg)
        await self.store.append(msg, profile=noted.profile, fields=noted.fields, profile_update=noted.profile_update)
        return noted

    async def edit(self, where: ChannelRef, message_id: str, text: str) -> bool:
        return await self.store.edit(where, message_id, text)

    async def delete(self, where: ChannelRef, message_id: str) -> bool:
        return await self.store.delete(where, message_id)

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


def unanswered(recent: Sequence[Linked], limit: int = UNANSWERED) -> list[ChatMessage]:
    """The latest members' messages the bot has not answered, oldest first: those after the one its last
    reply answered. A reply is stored after the message that made it due, so "after the bot's last
    message" would miss that message."""
    ids = [item.msg.message_id for item in recent]
    start = 0
    for index in range(len(recent) - 1, -1, -1):
        msg = recent[index].msg
        if msg.author_is_bot:
            start = ids.index(msg.reply_to) + 1 if msg.reply_to in ids else index + 1
            break
    return [item.msg for item in recent[start:] if not item.msg.author_is_bot][-limit:]


def whom_to_address(group: Group, recent: Sequence[Linked], bot_name: str, limit: int = 4) -> list[str]:
    """Whom the bot's reply speaks to: those who addressed it since it last spoke, the askers of
    open questions, the members the room talked past, the others in the callers' conversations, then
    whoever else spoke since the bot last did: one message answers the whole burst."""
    since_bot = _since_bot(recent, bot_name)
    calls = [i for i in since_bot if speak.addressed(i.msg, bot_name)]
    threads = {i.link.thread for i in calls}
    company = [i.msg.author_id for i in reversed(since_bot) if i.link.thread in threads]
    askers = [q.author_id for q in group.open_questions]
    burst = [i.msg.author_id for i in since_bot]
    ordered = (*(i.msg.author_id for i in calls), *askers, *group.left_out, *reversed(company), *burst)
    return [m for m in dict.fromkeys(ordered) if m in group.members][:limit]


def _since_bot(recent: Sequence[Linked], bot_name: str) -> list[Linked]:
    """The messages after the bot's own last one, oldest first."""
    since: list[Linked] = []
    for item in reversed(recent):
        if is_own(item.msg, bot_name):
            break
        since.append(item)
    return since[::-1]


def calls_since_bot(recent: Sequence[Linked], bot_name: str) -> list[Linked]:
    """The messages that addressed the bot since it last spoke, oldest first: the calls a pending reply answers."""
    return [item for item in _since_bot(recent, bot_name) if speak.addressed(item.msg, bot_name)]
