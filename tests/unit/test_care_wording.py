"""What a member reads when the model rewords a care text with a letter's or a prompt's wrapping around it.

The model here is a fake (`tests.helpers.Scripted`) that streams a fixed text:
these tests vary what a small model is seen to write, not whether it can write.
"""

from __future__ import annotations

import pytest

from groupmind.care.checks import CareContext, Step
from groupmind.care.protocol import text_for
from groupmind.care.signals import Label
from groupmind.care.wording import phrase
from tests.helpers import Scripted

STAY = CareContext(step=Step.STAY, public=False, label=Label.PASSIVE_IDEATION, ai_disclosed=True, asked_directly=True)
PROTOCOL = text_for(STAY)
CLEAN = "I'm here, take your time. There's no rush at all, and I'm not going anywhere."

WRAPPED = [
    f"Dear friend, {CLEAN}",
    f"Dear, {CLEAN}",
    f"Dear Sam,\n\n{CLEAN}",
    f"My dear Sam! {CLEAN}",
    f"Dearest friend: {CLEAN}",
    f'"{CLEAN}"',
    f'"{CLEAN}',
    f'{CLEAN}"',
    f"“{CLEAN}”",
    f"“{CLEAN}",
    f"'{CLEAN}'",
    f"‘{CLEAN}",
    f"{CLEAN}’",
    f"« {CLEAN} »",
    f"Rewritten: {CLEAN}",
    f"Message: {CLEAN}",
    f"Here's the rewritten message: {CLEAN}",
    f"Here is my version:\n{CLEAN}",
    f'Rewritten: "{CLEAN}"',
    f"{CLEAN} Best,",
    f"{CLEAN}\n\nBest,\nMind",
    f"{CLEAN} Love, Mind",
    f"{CLEAN}\nWith love,\nyour friend",
    f"{CLEAN} Warmly",
    f"{CLEAN}\nKind regards,\n[Your Name]",
    f"{CLEAN} Cheers!",
    f"{CLEAN}\n— Mind",
    f'Dear friend,\n"{CLEAN}"\nLove,\nMind',
    f'"Dear Sam, {CLEAN} Hugs, Mind"',
    f"Rewritten: Dear friend, {CLEAN} Sincerely, Mind",
    f"   {CLEAN}   ",
]

UNCLEAN = [
    f"Dear Sam I hear you and {CLEAN}",  # a salutation that runs into the message
    'I\'m here, "take your time. There\'s no rush at all, and I\'m not going anywhere.',  # a quote left open inside
    f"{CLEAN}\nBest,\nMind\n\nP.S. {CLEAN}",  # a sign-off in the middle of the text
    f"{CLEAN} Regards, [Your Name]. Dear Sam,",
    "Dear friend,",
    '""',
    "Love, Mind",
]


@pytest.mark.parametrize("model_says", WRAPPED)
async def test_a_wrapped_rewording_reaches_the_member_without_its_wrapping(model_says: str) -> None:
    assert await phrase(Scripted(model_says), PROTOCOL, STAY, timeout=5) == (CLEAN, True)


@pytest.mark.parametrize("model_says", UNCLEAN)
async def test_what_cannot_be_cleaned_is_not_sent_and_the_protocol_text_is(model_says: str) -> None:
    assert await phrase(Scripted(model_says), PROTOCOL, STAY, timeout=5) == (PROTOCOL, False)


@pytest.mark.parametrize(
    "model_says",
    [
        "Hey Sam, I'm here, take your time. There's no rush at all, and I'm not going anywhere.",
        "I'm here, take your time. There's no rush at all, and I'm not going anywhere. Love that you told me.",
        "I'm here, take your time. The best thing is no rush at all, and I'm not going anywhere.",
        "I'm here, take your time, \"no rush\" as they say. I'm not going anywhere.",
        "I'm here, take your time. There's no rush at all; someone you love can be here too. I'm not going anywhere.",
    ],
)
async def test_a_message_that_only_looks_like_a_letter_is_sent_as_it_is(model_says: str) -> None:
    assert await phrase(Scripted(model_says), PROTOCOL, STAY, timeout=5) == (model_says, True)
