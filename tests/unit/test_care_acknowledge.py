"""The public acknowledgement offers only what every platform can give: a private message, never a thread."""

from __future__ import annotations

import pytest

from groupmind.care.checks import CareContext, Step, check
from groupmind.care.protocol import text_for, variants
from groupmind.care.signals import Label


@pytest.mark.parametrize("variant", range(variants(Step.ACKNOWLEDGE)))
def test_the_acknowledgement_offers_a_private_message_and_no_thread(variant: int) -> None:
    ctx = CareContext(step=Step.ACKNOWLEDGE, public=True, label=Label.DISTRESS, disclosure="everything is too much")
    text = text_for(ctx, name="Sam", variant=variant)
    assert "thread" not in text.casefold(), "no adapter opens a private thread, and Slack has none"
    assert "private message" in text or " DM" in text
    assert check(text, ctx).passed, text
