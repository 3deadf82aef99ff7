"""The care response: what the bot says after a risk signal, to whom, and which humans it brings in.

Per the care protocol: in the channel, a short warm acknowledgement that offers a
private place and repeats nothing; in private, ask directly once, stay, offer the
care contact and ask consent to invite them, give one resource for the region,
and check in again later. At imminent risk the care contacts are alerted at once,
without consent, and the bot keeps talking. Every message passes the protocol
checker (`wording.phrase`) and, when the model worded it, the guard; the model is never the only gate: it refines
labels afterwards, within bounds, and never makes risk imminent.

Adapters deliver private messages and alerts through their `Courier`. An alert no
care contact can receive is written to the audit log, never dropped.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Mapping, Sequence

from groupmind.admin import audit
from groupmind.care.alerts import AlertStore
from groupmind.care.checks import CareContext, Step
from groupmind.care.courier import Courier, render_alert
from groupmind.care.flags import flag
from groupmind.care.judge import judge
from groupmind.care.monitor import observe
from groupmind.care.protocol import text_for
from groupmind.care.risk import Assessment
from groupmind.care.session import Session, load_session, save_session
from groupmind.care.signals import ALERT_LABELS, RISK_LABELS, Label
from groupmind.care.wording import SYSTEM, phrase
from groupmind.config import Settings
from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member, Urgency, utcnow
from groupmind.guard import CareView, Guard, Scene
from groupmind.llm.engine import Engine
from groupmind.store import Store
from groupmind.store.community import (
    CARE_CHECKINS, CARE_CONTACTS, CARE_DEFAULTS, CARE_REGION, CARE_SENSITIVITY, care_contact_ids,
)  # fmt: skip
from groupmind.store.keys import CommunityKeys

log = logging.getLogger(__name__)

URGENCY: dict[Label, Urgency] = {
    Label.DISTRESS: "low", Label.PANIC: "medium", Label.PASSIVE_IDEATION: "medium",
    Label.MEANS_QUESTION: "high", Label.ACTIVE_IDEATION: "high", Label.PLAN_OR_IMMINENT: "imminent",
}  # fmt: skip
_YES = re.compile(r"^\W*(yes|yeah|yep|yup|ok|okay|sure|please|alright|all right|go ahead|do it|y)\b", re.IGNORECASE)
_NO = re.compile(r"\b(no|nope|don'?t|do not|not now|rather not|nobody|no one)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CareConfig:
    """One community's care settings, with its care contacts resolved to members."""

    contacts: tuple[Member, ...]
    region: str
    checkins: bool
    sensitivity: str

    @property
    def contact_name(self) -> str | None:
        """Whom the bot names when it offers a human: the first care contact."""
        return self.contacts[0].display_name if self.contacts else None


SayPublic = Callable[[str], Awaitable[None]]
"""Says a care text in the channel the message came from."""


@dataclass(frozen=True)
class Talk:
    """Whom the bot is talking with privately, where it began, and their community's care settings."""

    member: Member
    where: ChannelRef
    config: CareConfig


class CareResponder:
    """Runs the care protocol for every community the pipeline serves."""

    def __init__(
        self,
        store: Store,
        engine: Engine | None,
        settings: Settings,
        guard: Guard,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.guard = guard
        self.clock = clock
        self.alerts = AlertStore(store.redis, clock)
        self.couriers: dict[str, Courier] = {}
        """Each running adapter's private routes, by platform; without one (replays) nobody is reached privately."""
        self.flags: Counter[str] = Counter()
        """Detections by final label, for replays and metrics."""
        self.alerts_raised = 0

    async def config(self, platform: str, community: str, settings: Mapping[str, str] | None = None) -> CareConfig:
        """The community's care settings; `settings` is its settings hash when the caller has read it already."""
        if settings is None:
            settings = await self.store.get_settings(platform, community)
        values = {**CARE_DEFAULTS, **settings}
        ids = care_contact_ids(values[CARE_CONTACTS])
        names = await self.store.member_names(platform, community, ids)
        return CareConfig(
            contacts=tuple(Member(id=i, display_name=names[i]) for i in ids),
            region=values[CARE_REGION],
            checkins=values[CARE_CHECKINS] == "on",
            sensitivity=values[CARE_SENSITIVITY],
        )

    # -- messages in a channel -------------------------------------------------

    async def on_message(self, msg: ChatMessage, *, addressed: bool, say_public: SayPublic) -> bool:
        """Care for one stored channel message; True when it said something in the channel (through `say_public`).

        Only a first acknowledgement (or a calm answer to a curious question put to
        the bot) is public, and it comes before anything private; the rest goes privately.
        Stage one's label acts at once; the model's judgement comes after and refines it within bounds.
        """
        settings = await self.store.get_settings(msg.platform, msg.community)
        assessment = await observe(self.store.redis, msg, settings)
        if assessment is None or assessment.label is Label.NONE:
            return False
        label = assessment.label
        config = await self.config(msg.platform, msg.community, settings)
        if label is Label.CURIOSITY:
            self.flags[label.value] += 1
            if addressed:
                await say_public(
                    await self.say(Step.CURIOSITY, label, config, public=True, name=msg.author_name, where=msg.where)
                )
            return addressed
        await flag(self.store.redis, msg)  # before any reply can read it: the model never sees its text
        said = await self._risk_in_channel(msg, label, config, say_public)
        await self._refine(msg, assessment)
        return said

    async def observe_only(self, msg: ChatMessage) -> None:
        """Detection without conversation (replays without replies): flags, and alerts only at imminent risk."""
        settings = await self.store.get_settings(msg.platform, msg.community)
        assessment = await observe(self.store.redis, msg, settings)
        if assessment is None or assessment.label is Label.NONE:
            return
        self.flags[assessment.label.value] += 1
        if assessment.label in RISK_LABELS:
            await flag(self.store.redis, msg)
        if assessment.imminent:
            config = await self.config(msg.platform, msg.community, settings)
            await self._alert(msg.author, msg.where, assessment.label, msg.text, "", config)

    async def _risk_in_channel(self, msg: ChatMessage, label: Label, config: CareConfig, say_public: SayPublic) -> bool:
        keys = CommunityKeys(msg.platform, msg.community)
        session = await load_session(self.store.redis, keys, msg.author_id)
        talk = Talk(msg.author, session.where or msg.where, config)
        first = not session.active
        if first:  # acknowledge once, in public, then go private
            session = Session(started=msg.ts.timestamp(), origin=msg.where.model_dump_json())
            await say_public(await self.say(
                Step.ACKNOWLEDGE, label, config, public=True, name=msg.author_name, where=msg.where,
                disclosure=msg.text,
            ))  # fmt: skip
        session = session.seen(label, msg.text)
        if label is Label.PLAN_OR_IMMINENT and not session.imminent:
            session = await self._imminent(session, talk, label)
        elif first:
            session = await self._next_private(session, talk, label)
        await self._keep(keys, msg.author_id, session)
        return first

    # -- private talk ----------------------------------------------------------

    async def on_private(
        self, platform: str, communities: Sequence[str], member: Member, text: str, ts: datetime | None = None
    ) -> bool:
        """A member's private message to the bot; True when care answered it (through the courier).

        `communities` are those the member shares with the bot; the one with a care
        conversation going on wins, else a risk signal starts one in the first.
        """
        if not communities:
            return False
        when = ts or self.clock()
        sessions = {c: await load_session(self.store.redis, CommunityKeys(platform, c), member.id) for c in communities}
        community = next((c for c, s in sessions.items() if s.active), communities[0])
        session = sessions[community]
        where = session.where or ChannelRef(platform=platform, community=community, channel="direct")
        msg = ChatMessage(
            platform=platform, community=community, channel=where.channel, thread=where.thread,
            message_id=f"private-{uuid.uuid4().hex[:16]}", author_id=member.id, author_name=member.display_name,
            text=text, ts=when,
        )  # fmt: skip
        settings = await self.store.get_settings(platform, community)
        assessment = await observe(self.store.redis, msg, settings)
        if assessment is None:
            return False  # opted out, or nothing said
        label = assessment.label
        if not session.active and label not in RISK_LABELS:
            return False
        talk = Talk(member, where, await self.config(platform, community, settings))
        if not session.active:
            session = Session(started=when.timestamp(), origin=where.model_dump_json())
        session = session.seen(label, text)
        if label is Label.PLAN_OR_IMMINENT and not session.imminent:
            session = await self._imminent(session, talk, label)
        else:
            session = await self._answer(session, talk, Label(session.label), text)
        await self._keep(CommunityKeys(platform, community), member.id, session)
        await self._refine(msg, assessment)
        return True

    async def _refine(self, msg: ChatMessage, assessment: Assessment) -> None:
        """Let the model judge a risk message after the bot has answered; the talk keeps its (bounded) label.

        The refined label is what a later alert carries; it never makes risk imminent (see `judge.bound`).
        """
        label = assessment.label
        if label is Label.NONE:
            return
        if self.engine is not None and label in RISK_LABELS and not assessment.imminent:
            label = (await judge(self.engine, msg.text, label, timeout=self.settings.care_judge_timeout_s)).label
        self.flags[label.value] += 1
        if label is assessment.label:
            return
        keys = CommunityKeys(msg.platform, msg.community)
        session = await load_session(self.store.redis, keys, msg.author_id)
        if session.active:
            await save_session(self.store.redis, keys, msg.author_id, session.seen(label, msg.text))

    async def _answer(self, session: Session, talk: Talk, label: Label, text: str) -> Session:
        """The next private step after the member spoke to the bot."""
        if session.consent == "pending" and (_YES.search(text) or _NO.search(text)):
            if _YES.search(text):
                session = await self._alert_session(replace(session, consent="yes"), talk, label)
                session = await self.private(session, Step.INVITED, talk, label)
            else:
                session = await self.private(replace(session, consent="no"), Step.LISTEN, talk, label)
            if not session.resource:
                session = await self.private(session, Step.RESOURCE, talk, label, resource=True)
            return session
        return await self._next_private(session, talk, label)

    async def _next_private(self, session: Session, talk: Talk, label: Label) -> Session:
        """Ask once, then offer a human, then give the resource, then stay."""
        if not session.asked:
            after = await self.private(session, Step.ASK, talk, label, asked=True, ai_said=True)
            if after is session and label in ALERT_LABELS:  # they cannot be reached privately: bring in a human
                return await self._alert_session(session, talk, label, why="could not reach them privately")
            return after
        if not session.offered:
            consent = "pending" if talk.config.contacts else ""
            return await self.private(session, Step.OFFER_HUMAN, talk, label, offered=True, consent=consent)
        if not session.resource:
            return await self.private(session, Step.RESOURCE, talk, label, resource=True)
        return await self.private(session, Step.STAY, talk, label)

    async def _imminent(self, session: Session, talk: Talk, label: Label) -> Session:
        """Alert the care contacts at once, without consent, and keep talking."""
        # The imminent text asks "are you safe right now?", names the contact and gives the resource.
        session = replace(session, imminent=True, offered=True)
        session = await self.private(session, Step.IMMINENT, talk, label, ai_said=True, asked=True, resource=True)
        alert = await self._alert(talk.member, talk.where, label, session.excerpt, session.last_said, talk.config)
        return replace(session, alert=alert.id)

    async def _alert_session(self, session: Session, talk: Talk, label: Label, why: str = "") -> Session:
        """Raise this conversation's alert, once."""
        if session.alert:
            return session
        alert = await self._alert(talk.member, talk.where, label, session.excerpt, session.last_said, talk.config, why)
        return replace(session, alert=alert.id)

    # -- saying things ---------------------------------------------------------

    async def say(
        self, step: Step, label: Label, config: CareConfig, *, public: bool, name: str, where: ChannelRef,
        disclosure: str = "", asked: bool = False, ai_said: bool = False, variant: int = 0,
    ) -> str:
        """The checked text for one protocol step: the model's wording if it passes the checks and the guard,
        else the protocol's. `where` is the conversation it belongs to (a guard block is audited there)."""
        ctx = CareContext(
            step=step, public=public, label=label, asked_directly=asked, ai_disclosed=ai_said,
            region=config.region, care_contact=config.contact_name, disclosure=disclosure,
        )  # fmt: skip
        text = text_for(ctx, name=name, variant=variant)
        if not self.settings.care_wording:
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

    async def private(self, session: Session, step: Step, talk: Talk, label: Label, **changes: object) -> Session:
        """Say one protocol step to the member privately; the session moves on only if it arrived."""
        text = await self.say(
            step, label, talk.config, public=False, name=talk.member.display_name, where=talk.where,
            asked=session.asked, ai_said=session.ai_said, variant=session.turns,
        )  # fmt: skip
        courier = self.couriers.get(talk.where.platform)
        if courier is None or not await courier.to_member(talk.where, talk.member, text):
            log.info("care message to a member could not be delivered privately (%s)", step.value)
            return session
        return session.said(text, **changes)

    async def _alert(
        self, member: Member, where: ChannelRef, label: Label, text: str, bot_said: str,
        config: CareConfig, why: str = "",
    ) -> CareAlert:
        """Create an alert and deliver it to every care contact who can be reached; else note it in the audit log."""
        reason = label.value.replace("_", " ") + (f"; {why}" if why else "")
        alert = await self.alerts.create(
            member=member, where=where, why=reason, excerpt=text, urgency=URGENCY.get(label, "medium"), bot_said=bot_said
        )
        self.alerts_raised += 1
        await self.deliver([alert], config.contacts, render_alert(alert))
        return alert

    async def deliver(self, alerts: Sequence[CareAlert], contacts: Sequence[Member], text: str) -> int:
        """Send `text` about `alerts` (most urgent first) to each care contact; returns how many got it.

        A contact the courier cannot reach is skipped for the next; when nobody got
        it, the audit log says so, so an alert is never silently lost.
        """
        first = alerts[0]
        courier = self.couriers.get(first.where.platform)
        about = {a.member.id for a in alerts}
        reached = 0
        for contact in contacts:
            if contact.id in about:
                continue  # a care contact in trouble is not told about themselves
            if courier is not None and await courier.to_contact(first, contact, text):
                reached += 1
        keys = CommunityKeys(first.where.platform, first.where.community)
        await self.store.redis.hset(keys.alert_reminders, mapping={a.id: self.clock().timestamp() for a in alerts})
        if not reached:
            tried = ", ".join(c.display_name for c in contacts) or "no care contact is set"
            ids = ", ".join(f"#{a.id}" for a in alerts)
            log.warning("care alert %s reached no care contact", ids)
            await audit.note(self.store.redis, first.where, f"care alert {ids} reached no care contact ({tried})", self.clock())
        return reached

    async def _keep(self, keys: CommunityKeys, member_id: str, session: Session) -> None:
        """Store the session and schedule the follow-up check-in."""
        await save_session(self.store.redis, keys, member_id, session)
        due = self.clock() + timedelta(hours=self.settings.care_follow_up_hours)
        await self.store.redis.zadd(keys.care_followups, {member_id: due.timestamp()})

    async def alerts_for(self, platform: str, community: str, member_id: str) -> list[CareAlert] | None:
        """The unresolved alerts a care contact may see; None when `member_id` is not a care contact."""
        config = await self.config(platform, community)
        if member_id not in {c.id for c in config.contacts}:
            return None
        return [a for a in await self.alerts.list(platform, community) if a.member.id != member_id]
