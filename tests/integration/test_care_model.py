"""The model's part in care: it may reword a care message, and its wording is sent only if the checker passes it."""

from __future__ import annotations

from typing import Any

from groupmind.care.checks import CareContext, Step, check
from groupmind.care.protocol import text_for
from groupmind.care.signals import Label
from groupmind.care.wording import phrase
from groupmind.config import Settings
from groupmind.events import Member
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.care_helpers import add_contacts
from tests.helpers import Scripted, SpyPlatform, msg

OFFER = CareContext(step=Step.OFFER_HUMAN, public=False, label=Label.PASSIVE_IDEATION, care_contact="Dana")


async def test_a_wording_that_passes_every_check_is_sent() -> None:
    warm = (
        "I'm an AI, and I'd really like a person to be with you too. Dana is someone here who truly cares and "
        "can help. Would you like me to invite them to talk with you? I'll stay right here either way."
    )
    assert warm != text_for(OFFER)
    assert check(warm, OFFER).passed
    assert await phrase(Scripted(warm), text_for(OFFER), OFFER, timeout=5) == (warm, True)


async def test_a_wording_that_fails_a_check_is_replaced_by_the_protocol_text() -> None:
    protocol = text_for(OFFER)
    for bad in (
        "Everything will be fine, cheer up! Want me to get Dana?",  # false promise, minimising
        "Would you like to talk to someone? Gotta go now, talk later.",  # leaves, names nobody
        "",
    ):
        assert await phrase(Scripted(bad), protocol, OFFER, timeout=5) == (protocol, False)


async def test_no_model_or_a_timeout_sends_the_protocol_text() -> None:
    protocol = text_for(OFFER)
    assert await phrase(None, protocol, OFFER, timeout=5) == (protocol, False)
    assert await phrase(Scripted(None), protocol, OFFER, timeout=5) == (protocol, False)


async def test_the_default_model_either_passes_the_checks_or_is_not_used(engine: LocalEngine) -> None:
    for step, label in ((Step.ASK, Label.PASSIVE_IDEATION), (Step.STAY, Label.ACTIVE_IDEATION)):
        ctx = CareContext(step=step, public=False, label=label, care_contact="Dana")
        protocol = text_for(ctx)
        text, worded = await phrase(engine, protocol, ctx, timeout=60)
        assert check(text, ctx).passed, text
        assert worded or text == protocol


async def test_a_wording_that_passes_the_checks_but_drifts_off_the_point_is_not_used() -> None:
    ctx = CareContext(step=Step.CURIOSITY, public=True, label=Label.CURIOSITY)
    protocol = text_for(ctx)
    drift = "I'm a 58-year-old with a private garden and a very active life, we moved house last year."
    assert check(drift, ctx).passed  # nothing it must not do...
    assert await phrase(Scripted(drift), protocol, ctx, timeout=5) == (protocol, False)  # ...but not the point


class Judging(Scripted):
    """A model whose judgement of every care candidate is `label`."""

    def __init__(self, label: str) -> None:
        super().__init__("")
        self.label = label

    async def complete_json(self, text: str, schema: dict[str, Any], *, max_tokens: int, timeout: float) -> Any:
        return {"label": self.label}


async def _talk(store: Store, settings: Settings, judged: str, final: str) -> SpyPlatform:
    """Sam discloses, the model judges it `judged` (bounded to `final`), has no plan, agrees to bring in the care contact."""
    courier = SpyPlatform()
    pipeline = Pipeline(store, Judging(judged), settings.model_copy(update={"care_wording": False}), platforms=[courier])
    await add_contacts(pipeline, "test", "Dana", at=msg().ts)
    sam = Member(id="sam", display_name="Sam")
    await pipeline.handle(msg("Sam", "i just want to sleep forever"))
    await pipeline.handle_private("local", ["test"], sam, "sometimes")  # the bot asks about a plan
    await pipeline.handle_private("local", ["test"], sam, "no, no plan")  # then offers the care contact
    assert courier.alerts == [], "no alert before consent"
    await pipeline.handle_private("local", ["test"], sam, "yes please")
    assert pipeline.care.flags == {final: 1}
    return courier


async def test_the_models_refined_label_is_what_the_alert_carries(store: Store, settings: Settings) -> None:
    courier = await _talk(store, settings, "active_ideation", "active_ideation")
    [(_, alert, _)] = courier.alerts
    assert alert.urgency == "high" and alert.why.startswith("active ideation")


async def test_the_model_cannot_make_risk_imminent(store: Store, settings: Settings) -> None:
    courier = await _talk(store, settings, "plan_or_imminent", "passive_ideation")
    [(_, alert, _)] = courier.alerts  # raised by consent, not by the model
    assert alert.urgency == "medium"
