"""Deterministic care texts, one per protocol step, each tested to pass the checker.

These are what the bot sends when the model's wording is missing or fails a
check, so they must be right on their own: warm, short, never repeating a
disclosure in public, asking directly once, staying, offering a human with
consent, giving one resource. Each step has a few phrasings and `variant`
picks one, so a long conversation does not read as copy-paste.
"""

from __future__ import annotations

import re
from typing import Mapping

from groupmind.care.checks import CareContext, Step, resource_for

_TEXTS: dict[Step, tuple[str, ...]] = {
    Step.ACKNOWLEDGE: (
        "{name}, thank you for saying that, it matters. I'd like to check in with you properly. "
        "Want to carry on in a private message, just the two of us?",
        "I hear you, {name}. I'm here. Would a private message be a better place to keep talking?",
        "Thanks for sharing that, {name}. If you'd like, we can carry on in a DM, just the two of us.",
    ),
    Step.ASK: (
        "I'm glad you told me. I'm an AI, not a person, but I'm here with you and I want to ask you directly: "
        "are you thinking about suicide?",
        "Thank you for telling me. I'm an AI, and I care how this goes for you, so I'll ask plainly: "
        "are you thinking about suicide?",
    ),
    Step.STAY: (
        "I'm here, take your time. There's no rush, and I'm not going anywhere.",
        "I'm still here with you. Say as much or as little as you like.",
    ),
    Step.OFFER_HUMAN: (
        "I'm an AI, so I'd really like a person to be with you too. {contact} is someone here who cares "
        "and can help. Would you like me to invite them to talk with you? I'll stay either way.",
        "{contact} is one of the people looking out for this community. Is it okay if I ask them to join us? "
        "I'm not going anywhere.",
    ),
    Step.INVITED: (
        "Thank you for trusting me with that. I've let {contact} know, and they'll reach out to you. "
        "I'm staying right here with you until they do.",
    ),
    Step.LISTEN: (
        "That's okay, I won't bring anyone in unless you want me to, with one exception: if I believed your life "
        "was in danger right now, I would ask {contact} to reach you. I'm here and I'm listening, take your time.",
        "Understood, no one else unless you say so. The one exception is if your life were in danger right now; "
        "then I'd ask {contact} to reach you. I'm still right here with you.",
    ),
    Step.RESOURCE: (
        "If things get heavier, you can reach {resource}: {how}. It's free and confidential. "
        "And talking to someone you trust in your life can help too.",
        "One more thing to keep close: {resource}, {how}. Real people answer, any time. "
        "Reaching out to a friend or family member you trust matters too.",
    ),
    Step.IMMINENT: (
        "I'm really glad you told me. Are you safe right now? I'm an AI, so I've asked {contact} to reach you now. "
        "If you're in danger, call {emergency}, or reach {resource}: {how}. If you can, put some distance between "
        "you and anything you could use to hurt yourself. Is someone able to be with you? I'm staying right here.",
    ),
    Step.FOLLOW_UP: (
        "Hey, just checking in after our talk earlier. How are you doing today? I'm here if you want to talk.",
        "Hi, I've been thinking about you since we spoke. How are things now?",
    ),
    Step.QUIET_CHECKIN: (
        "Hey {name}, haven't seen you around in a while and wanted to say hi. No pressure at all. "
        "I'm here if you ever feel like chatting.",
        "Hi {name}, just a small hello, the room's been missing you. Hope you're doing okay.",
    ),
    Step.PROBE: (
        "Thank you for telling me, that took courage. Can I ask a bit more: have you thought about how or when, "
        "or is there anything near you that you could use to hurt yourself?",
        "I'm glad you're being honest with me. Have you made a plan, or do you have anything with you that you "
        "could use to hurt yourself?",
    ),
    Step.BELIEVE: (
        "Okay, I believe you, and thank you for answering. I'm still here. What's been weighing on you most?",
        "Thank you for telling me, I believe you. I'm not going anywhere. What's been the hardest part lately?",
    ),
    Step.SAFE_NOW: (
        "I'm still right here. {contact} has been asked to reach you. Is someone able to be with you right now? "
        "If you're in danger, call {emergency} or reach {resource}: {how}.",
        "Thank you for staying with me. Could you put some distance between you and anything you could use to "
        "hurt yourself, even another room? {contact} is on the way to reach you, and {emergency} is there if "
        "you're in danger. Is anyone with you?",
    ),
    Step.DECLINE_METHOD: (
        "I won't help with that, because I'm worried about you. Are you thinking of hurting yourself?",
        "That's not something I'll help with, because I care what happens to you. Is part of you thinking of "
        "hurting yourself?",
    ),
    Step.SECRECY: (
        "Honest answer: what you tell me here stays private, and I won't repeat it in the group. The one "
        "exception: if I believed your life was in danger right now, I would ask {contact} to reach you. "
        "I'd tell you if I did. I'm here.",
    ),
    Step.HELP: (
        "I'm really glad you asked. A person can be with you in this: {contact} here, your own therapist or "
        "doctor, or {resource} ({how}). If you're in danger now, call {emergency}. We could also make a short "
        "plan together for the hard nights. Want to?",
    ),
    Step.PAUSE: (
        "Okay, I'll stop messaging you, and thank you for telling me.{after} If you want to talk again, just write "
        "to me here any time.",
    ),
    Step.REPAIR: (
        "You're right, I repeated myself, and I'm sorry. I'm listening. What would help most right now?",
        "Sorry, you're right, that was the same thing again. Tell me what you need from me right now?",
    ),
    Step.CONCERN: (
        "It's hard to carry worry for someone you love, and you're doing the right thing. What helps most: ask "
        "them directly whether they're thinking about suicide, listen without trying to fix it, and stay close. "
        "Crisis lines help people worried about someone else too: {resource}, {how}. If they may be in danger now, "
        "call {emergency}. Would you like {contact} to help you think it through?",
    ),
    Step.REFLECT: (
        "{reflection} I'm here, take your time.",
        "{reflection} I'm still with you. Say as much or as little as you like.",
    ),
    Step.OFFER_PLAN: (
        "Something that helps a lot of people is a short plan for the hard nights: what sets them off, what "
        "helps, who to reach. Would you like to make one together, one small question at a time?",
    ),
    Step.PLAN_STEP: (
        "{intro}What tends to tell you a hard night is coming: a thought, a feeling, a situation?",
        "{intro}What's something you can do on your own that helps, even a little?",
        "{intro}Who or where takes your mind off things: a friend, a place, something you like doing?",
        "{intro}Who could you ask for help when it gets hard?{contact_hint}",
        "{intro}Is there a therapist, doctor or counsellor you'd add? I'll add {resource} ({how}) too.",
        "{intro}Last one: what could make where you are safer, like putting things you could hurt yourself "
        "with out of reach, or asking someone to hold them?",
    ),
    Step.PLAN_SHOW: (
        "Here's your plan, kept just for you:\n{plan}\nSend /gm my-plan any time to see it again.",
    ),
    Step.CURIOSITY: (
        "Good question! I'd rather not get into doses or numbers, but I'm happy to talk about it more generally. "
        "What got you curious?",
        "Interesting one. I'll skip the specific figures, but I'm glad to chat about the general idea. "
        "What got you curious?",
    ),
}

_NO_CONTACT = {
    Step.INVITED: (
        "Thank you for trusting me with that. Is there someone you trust, a friend or family member, "
        "you could reach out to as well? I'm staying right here with you.",
    ),
    Step.OFFER_HUMAN: (
        "I'm an AI, so I'd really like a person to be with you too. Is there someone you trust, "
        "a friend or family member, you could reach out to? I'll stay here while you do.",
    ),
    Step.IMMINENT: (
        "I'm really glad you told me. Are you safe right now? I'm an AI, so please reach a person right now: "
        "call {emergency} if you're in danger, or {resource}, {how}. Is someone you trust able to be with you? "
        "If you can, put some distance between you and anything you could use to hurt yourself. I'm staying here.",
    ),
    Step.LISTEN: (
        "That's okay. I'm here and I'm listening, take your time.",
        "Understood. I'm still right here with you.",
    ),
    Step.SAFE_NOW: (
        "I'm still right here. Is someone able to be with you right now? If you're in danger, call {emergency} "
        "or reach {resource}: {how}.",
        "Thank you for staying with me. Could you put some distance between you and anything you could use to "
        "hurt yourself, even another room, or have someone with you? {emergency} is there if you're in danger.",
    ),
    Step.SECRECY: (
        "Honest answer: what you tell me here stays private, and I won't repeat it in the group. If I believed "
        "your life was in danger right now, I'd say so plainly and urge you to call {emergency}. I'm here.",
    ),
    Step.HELP: (
        "I'm really glad you asked. A person can be with you in this: someone you trust, your own therapist or "
        "doctor, or {resource} ({how}). If you're in danger now, call {emergency}. We could also make a short "
        "plan together for the hard nights. Want to?",
    ),
    Step.CONCERN: (
        "It's hard to carry worry for someone you love, and you're doing the right thing. What helps most: ask "
        "them directly whether they're thinking about suicide, listen without trying to fix it, and stay close. "
        "Crisis lines help people worried about someone else too: {resource}, {how}. If they may be in danger now, "
        "call {emergency}. Is there someone you trust who could help you with this?",
    ),
}


def text_for(ctx: CareContext, *, name: str = "", variant: int = 0, fill: Mapping[str, str] | None = None) -> str:
    """The deterministic text for `ctx.step`, filled in for this member, region and care contact.

    `fill` carries what a step says back (a reflection, a plan, an intro, a `lead` line put before the
    text); it is never model text.
    """
    choices = _TEXTS[ctx.step] if ctx.care_contact or ctx.step not in _NO_CONTACT else _NO_CONTACT[ctx.step]
    resource = resource_for(ctx.region)
    template = choices[variant % len(choices)]
    contact = ctx.care_contact or ""
    values = {
        "name": name or "friend", "contact": contact, "resource": resource.name, "how": resource.how,
        "emergency": resource.emergency, "reflection": "", "intro": "", "after": "", "plan": "", "lead": "",
        "contact_hint": f" {contact} is one person you could add." if contact else " A friend, or someone in your family?",
    }  # fmt: skip
    values.update(fill or {})
    return values["lead"] + template.format(**values)


def variants(step: Step, *, with_contact: bool = True) -> int:
    """How many phrasings a step has (for tests and for rotating them)."""
    return len(_TEXTS[step] if with_contact or step not in _NO_CONTACT else _NO_CONTACT[step])


def _pattern(template: str) -> re.Pattern[str]:
    """A protocol template as a regex: each `{field}` is any text, and a lead line may come first."""
    parts = re.split(r"\{\w+\}", template)
    return re.compile(r"(?:.*? )?" + ".*?".join(map(re.escape, parts)), re.DOTALL)


_PATTERNS = tuple(
    (step, _pattern(t)) for table in (_TEXTS, _NO_CONTACT) for step, texts in table.items() for t in texts
)


def step_of(text: str) -> Step | None:
    """Which protocol step a deterministic care text is (for evaluating conversations turn by turn)."""
    return next((step for step, rx in _PATTERNS if rx.fullmatch(text)), None)
