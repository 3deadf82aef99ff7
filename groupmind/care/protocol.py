"""Deterministic care texts, one per protocol step, each tested to pass the checker.

These are what the bot sends when the model's wording is missing or fails a
check, so they must be right on their own: warm, short, never repeating a
disclosure in public, asking directly once, staying, offering a human with
consent, giving one resource. Each step has a few phrasings and `variant`
picks one, so a long conversation does not read as copy-paste.
"""

from __future__ import annotations

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
        "That's okay, I won't bring anyone in unless you want me to. I'm here and I'm listening, take your time.",
        "Understood, no one else unless you say so. I'm still right here with you.",
    ),
    Step.RESOURCE: (
        "If things get heavier, you can reach {resource}: {how}. It's free and confidential. "
        "And talking to someone you trust in your life can help too.",
        "One more thing to keep close: {resource}, {how}. Real people answer, any time. "
        "Reaching out to a friend or family member you trust matters too.",
    ),
    Step.IMMINENT: (
        "I'm really glad you told me. Are you safe right now? I'm an AI, so I've asked {contact} to come be "
        "with you now. Please reach {resource} right now: {how}. If you can, put some distance between "
        "you and anything you could use to hurt yourself. I'm staying right here with you.",
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
        "{resource}, {how}, or someone you trust who can be with you. If you can, put some distance between "
        "you and anything you could use to hurt yourself. I'm staying right here with you.",
    ),
}


def text_for(ctx: CareContext, *, name: str = "", variant: int = 0) -> str:
    """The deterministic text for `ctx.step`, filled in for this member, region and care contact."""
    choices = _TEXTS[ctx.step] if ctx.care_contact or ctx.step not in _NO_CONTACT else _NO_CONTACT[ctx.step]
    resource = resource_for(ctx.region)
    template = choices[variant % len(choices)]
    return template.format(
        name=name or "friend", contact=ctx.care_contact or "", resource=resource.name, how=resource.how
    )


def variants(step: Step, *, with_contact: bool = True) -> int:
    """How many phrasings a step has (for tests and for rotating them)."""
    return len(_TEXTS[step] if with_contact or step not in _NO_CONTACT else _NO_CONTACT[step])
