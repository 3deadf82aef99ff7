"""The care protocol through the pipeline, on a real Redis: what is said in public, in private, and to whom.

The courier records what an adapter would deliver (the adapters' own couriers are
tested end to end against fake Discord and Slack servers). These run listen-only
(no model), so every text is the deterministic protocol text; the model's part is
tested in test_care_model.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from groupmind.admin import audit
from groupmind.admin.privacy import forget_member
from groupmind.care.checks import _DIRECT_ASK, _LEAVES, CareContext, Step, check
from groupmind.care.signals import Label
from groupmind.config import Settings
from groupmind.ingress import Directory
from groupmind.events import Member
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.care_alerts import AlertStore
from groupmind.store.settings import CARE_REGION
from groupmind.store.keys import CommunityKeys
from tests.care_helpers import add_contacts, run_rounds
from tests.helpers import Clock, SpyPlatform, msg

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SAM = Member(id="sam", display_name="Sam")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def care(store: Store, settings: Settings, clock: Clock) -> tuple[Pipeline, SpyPlatform]:
    courier = SpyPlatform()
    pipeline = Pipeline(store, None, settings, clock, platforms=[courier])
    await add_contacts(pipeline, "test", "Dana", "Eli", at=T0)
    return pipeline, courier


def _public(replies: list) -> list[str]:
    return [r.text for r in replies]


async def test_a_disclosure_is_acknowledged_in_public_and_asked_about_in_private(care, store: Store) -> None:
    pipeline, courier = care
    disclosure = "honestly i just want to sleep forever and not wake up"
    replies = await pipeline.handle(msg("Sam", disclosure, ts=T0))
    [public] = _public(replies)
    ctx = CareContext(step=Step.ACKNOWLEDGE, public=True, label=Label.PASSIVE_IDEATION, disclosure=disclosure)
    assert check(public, ctx).passed, public
    assert "sleep forever" not in public and "suicid" not in public.casefold()
    [ask] = courier.said_to("sam")
    assert _DIRECT_ASK.search(ask) and "AI" in ask
    assert courier.alerts == []  # no alert without consent below imminent risk
    stored = await store.window(msg("Sam").where, 10)
    assert [m.text for m in stored][-1] == public  # the acknowledgement is part of the conversation


async def test_the_private_talk_offers_the_care_contact_and_alerts_only_with_consent(care) -> None:
    pipeline, courier = care
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    assert await pipeline.handle_private("local", ["test"], SAM, "yeah sometimes. i don't know", T0)
    probe = courier.said_to("sam")[-1]
    assert "plan" in probe and probe.endswith("?")  # a yes or a maybe: asked once about a plan, means, a time
    assert await pipeline.handle_private("local", ["test"], SAM, "no, no plan", T0)
    offer = courier.said_to("sam")[-1]
    assert "Dana" in offer and "?" in offer
    assert courier.alerts == []
    assert await pipeline.handle_private("local", ["test"], SAM, "ok yes please", T0)
    invited, resource = courier.said_to("sam")[-2:]
    assert "Dana" in invited and "988" in resource
    contacts = {contact for contact, _, _ in courier.alerts}
    assert contacts == {"dana", "eli"}
    alert = courier.alerts[0][1]
    assert alert.urgency == "medium" and alert.excerpt == "i just want to sleep forever"
    assert alert.bot_said == offer
    assert await pipeline.handle_private("local", ["test"], SAM, "thanks", T0)
    everything = courier.said_to("sam")
    assert len([t for t in everything if _DIRECT_ASK.search(t)]) == 1  # asked once
    assert not any(_LEAVES.search(t) for t in everything)
    assert len(courier.alerts) == 2  # one alert, to two contacts


async def test_no_to_the_contact_is_respected_and_the_bot_stays(care) -> None:
    pipeline, courier = care
    await pipeline.handle(msg("Sam", "everyone would be better off without me", ts=T0))
    await pipeline.handle_private("local", ["test"], SAM, "no police, no doctors, just listen", T0)
    assert "believe you" in courier.said_to("sam")[-1]  # a no to the direct question is believed
    await pipeline.handle_private("local", ["test"], SAM, "it's just a lot", T0)
    await pipeline.handle_private("local", ["test"], SAM, "no. please don't tell anyone", T0)
    listen, resource = courier.said_to("sam")[-2:]
    assert "won't bring anyone in" in listen or "no one else" in listen.casefold()
    assert "danger" in listen  # the promise carries its one exception
    assert "988" in resource
    assert courier.alerts == []


async def test_imminent_risk_alerts_every_contact_at_once_without_consent(care) -> None:
    pipeline, courier = care
    replies = await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    assert len(replies) == 1 and "tonight" not in replies[0].text
    [urgent] = courier.said_to("sam")
    assert "Dana" in urgent and "988" in urgent
    assert {c for c, _, _ in courier.alerts} == {"dana", "eli"}
    alert = courier.alerts[0][1]
    assert alert.urgency == "imminent" and alert.bot_said == urgent
    assert "I want to kill myself tonight" in courier.alerts[0][2]
    # they keep talking: the bot keeps answering, and does not alert again
    await pipeline.handle_private("local", ["test"], SAM, "i don't know", T0)
    assert len(courier.said_to("sam")) == 2 and len(courier.alerts) == 2


async def test_escalation_to_imminent_later_in_the_talk_alerts(care) -> None:
    pipeline, courier = care
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    await pipeline.handle_private("local", ["test"], SAM, "i bought a rope and i'm going to do it tonight", T0)
    assert courier.alerts and courier.alerts[0][1].urgency == "imminent"


async def test_an_alert_falls_back_to_the_next_contact_then_to_the_audit_log(care, store: Store) -> None:
    pipeline, courier = care
    courier.unreachable = {"dana"}
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    assert [c for c, _, _ in courier.alerts] == ["eli"]
    courier.unreachable = {"dana", "eli"}
    await pipeline.handle(msg("Kim", "i want to die and i bought a rope", ts=T0))
    assert [c for c, _, _ in courier.alerts] == ["eli"]
    entries = await audit.entries(store.redis, "local", "test")
    assert any("reached no care contact (Dana, Eli)" in e["what"] for e in entries)
    assert len(await AlertStore(pipeline.store.redis).list("local", "test")) == 2  # nothing lost: admins still see it


async def test_a_member_who_cannot_be_messaged_privately_gets_a_human(care) -> None:
    pipeline, courier = care
    courier.unreachable = {"sam"}
    replies = await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    assert len(replies) == 1  # the public acknowledgement still offers a private place
    [(_, alert, _)] = [a for a in courier.alerts if a[0] == "dana"]
    assert "could not reach them privately" in alert.why


async def test_the_public_acknowledgement_comes_once_per_talk(care) -> None:
    pipeline, courier = care
    first = await pipeline.handle(msg("Sam", "i feel like such a burden to everyone", ts=T0))
    again = await pipeline.handle(msg("Sam", "honestly i just want to disappear", ts=T0 + timedelta(minutes=1)))
    assert len(first) == 1 and again == []


async def test_opted_out_members_are_never_flagged(care, store: Store) -> None:
    pipeline, courier = care
    await store.redis.sadd(CommunityKeys("local", "test").optout, "sam")
    replies = await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    assert replies == [] and courier.private == [] and courier.alerts == []
    assert not await pipeline.handle_private("local", ["test"], SAM, "I want to kill myself tonight", T0)
    assert pipeline.care.flags == {}


async def test_jokes_and_curiosity_raise_nothing_and_a_question_to_the_bot_gets_a_calm_answer(care, settings) -> None:
    pipeline, courier = care
    for text in ("this boss fight is killing me 💀", "I'm dead lol", "what's the LD50 of NaCl? chem homework"):
        assert await pipeline.handle(msg("Sam", text, ts=T0)) == []
    replies = await pipeline.handle(msg("Sam", f"{settings.bot_name}, what's the LD50 of table salt?", ts=T0))
    [answer] = _public(replies)
    assert "curious" in answer and not any(ch.isdigit() for ch in answer)
    assert courier.private == [] and courier.alerts == []


async def test_a_private_message_without_a_talk_is_left_to_the_adapter_unless_it_shows_risk(care) -> None:
    pipeline, courier = care
    assert not await pipeline.handle_private("local", ["test"], SAM, "hey, what's the meetup time?", T0)
    assert await pipeline.handle_private("local", ["test"], SAM, "i don't want to be alive anymore", T0)
    assert _DIRECT_ASK.search(courier.said_to("sam")[0])
    assert not await pipeline.handle_private("local", [], SAM, "hello", T0)


async def test_the_region_picks_the_one_resource(care, store: Store) -> None:
    pipeline, courier = care
    await store.settings.set("local", "test", CARE_REGION, "GB")
    await pipeline.handle(msg("Sam", "i just want to sleep forever", ts=T0))
    for answer in ("sometimes", "no", "no"):  # the question, the plan, the care contact
        await pipeline.handle_private("local", ["test"], SAM, answer, T0)
    resource = courier.said_to("sam")[-1]
    assert "116 123" in resource and "988" not in resource


async def test_forget_me_deletes_the_care_talk(care, store: Store) -> None:
    pipeline, courier = care
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    keys = CommunityKeys("local", "test")
    assert await store.redis.exists(keys.care_session("sam"))
    assert await store.due.waiting("care-followup", "local", "test", "sam") is not None
    await forget_member(store, "local", "test", "sam")
    assert not await store.redis.exists(keys.care_session("sam"))
    assert await store.due.waiting("care-followup", "local", "test", "sam") is None, "no check-in left to name them"
    assert await AlertStore(pipeline.store.redis).list("local", "test", include_closed=True) == []


async def test_care_contacts_see_open_alerts_and_nobody_else_does(care) -> None:
    pipeline, _ = care
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    directory = Directory(pipeline.store)  # what a platform (Slack's Home tab) asks
    seen = await directory.alerts_for("local", "test", "dana")
    assert seen is not None and [a.member.id for a in seen] == ["sam"]
    assert await directory.alerts_for("local", "test", "sam") is None


async def test_contacts_setting_that_is_not_json_means_no_contacts(care, store: Store) -> None:
    pipeline, courier = care
    await store.settings.set("local", "test", "care.contacts", "dana, eli")
    await pipeline.handle(msg("Sam", "I want to kill myself tonight", ts=T0))
    assert courier.alerts == []
    entries = await audit.entries(store.redis, "local", "test")
    assert any("no care contact is set" in e["what"] for e in entries)


async def test_a_member_who_only_wrote_privately_is_checked_in_on_by_name(care, clock: Clock) -> None:
    pipeline, courier = care
    kim = Member(id="u8812", display_name="Kim")
    assert await pipeline.handle_private("local", ["test"], kim, "i don't want to be alive anymore", T0)
    clock.now = T0 + timedelta(hours=25)
    await run_rounds(pipeline, T0 + timedelta(hours=25))
    follow_up = courier.said_to("u8812")[-1]
    assert "since we spoke" in follow_up or "checking in" in follow_up
    assert courier.called["u8812"] == "Kim"  # not the id: the name they wrote with
