"""Carrying out what the protocol machine decided: word each step, say it, bring in humans, keep the talk.

A private step moves the talk on only once the member got it (`machine.after_say`);
when it could not be delivered, the machine's fallback for it comes next.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from groupmind.care import machine
from groupmind.care.config import CareConfig
from groupmind.care.escalation import Escalation
from groupmind.care.kinds import FOLLOW_UP
from groupmind.care.checks import Step
from groupmind.care.machine import FollowUp, KeepPlanStep, Plan, RaiseAlert, SayPrivate, SayPublic
from groupmind.care.wording import Voice
from groupmind.events import ChannelRef, Member
from groupmind.store.care_sessions import CareSessions, Session
from groupmind.store.due import Due, DueWork
from groupmind.store.safety_plans import SafetyPlans

log = logging.getLogger(__name__)

SayPublicFn = Callable[[str], Awaitable[None]]
"""Says a care text in the channel the message came from."""


class Steps:
    """Does a plan's steps in order, for one member."""

    def __init__(
        self, voice: Voice, escalation: Escalation, sessions: CareSessions, due: DueWork, plans: SafetyPlans
    ) -> None:
        self.voice = voice
        self.escalation = escalation
        self.sessions = sessions
        self.due = due
        self.plans = plans

    async def carry_out(
        self, plan: Plan, member: Member, config: CareConfig, here: ChannelRef,
        say_public: SayPublicFn | None = None,
    ) -> Session:  # fmt: skip
        """Do the plan's steps in order and keep the session they lead to; `here` is where the message came from."""
        session, queue = plan.session, list(plan.effects)
        while queue:
            effect = queue.pop(0)
            where = session.where or here
            if isinstance(effect, SayPublic) and say_public is not None:
                await say_public(await self.voice.say(
                    effect.step, effect.label, config, public=True, name=member.display_name, where=here,
                    disclosure=effect.disclosure,
                ))  # fmt: skip
            elif isinstance(effect, SayPrivate):
                fill = dict(effect.fill)
                if effect.step is Step.PLAN_SHOW:
                    fill["plan"] = (await self.plans.load(here.platform, here.community, member.id)).render()
                text = await self.voice.say(
                    effect.step, effect.label, config, public=False, name=member.display_name, where=where,
                    asked=session.asked, ai_said=session.ai_said, imminent=session.imminent, fill=fill,
                    variant=session.turns if effect.variant is None else effect.variant,
                )  # fmt: skip
                arrived = await self.escalation.to_member(where, member, text)
                if not arrived:
                    log.info("care message to a member could not be delivered privately (%s)", effect.step.value)
                session, instead = machine.after_say(session, effect, text, arrived)
                queue[:0] = instead
            elif isinstance(effect, RaiseAlert):
                alert = await self.escalation.raise_alert(
                    member, where, config.contacts, why=machine.reason(effect.label, effect.why),
                    urgency=machine.urgency(effect.label), excerpt=session.excerpt, bot_said=session.last_said,
                )  # fmt: skip
                session = machine.after_alert(session, alert.id)
            elif isinstance(effect, KeepPlanStep):
                await self.plans.answer(here.platform, here.community, member.id, effect.step, effect.text)
            elif isinstance(effect, FollowUp):
                await self.due.schedule(Due(FOLLOW_UP, where.platform, where.community, member.id, effect.at))
        if session != plan.session or any(isinstance(e, FollowUp) for e in plan.effects):
            await self.sessions.save(here.platform, here.community, member.id, session)
        return session
