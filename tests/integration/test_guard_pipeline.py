"""The guard in the pipeline, against a real Redis: what members see and what is stored only ever passed it.

The model's words are what these tests vary, so the engine here says a scripted
line per request (the real model cannot be made to write a control token on
cue); the red-team battery runs the same paths with the real model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

from aiohttp.test_utils import TestClient, TestServer

from groupmind.admin.audit import entries
from groupmind.config import Settings
from groupmind.guard.privacy import REFUSAL, WITHHELD
from groupmind.guard.write import HONEST
from groupmind.llm.engine import Prompt, Sampling
from groupmind.observe.health import health_app
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.care_helpers import add_contacts
from tests.helpers import FakeEngine, SpyPlatform, msg
from tests.integration.test_observe import samples

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


@dataclass
class Scripted(FakeEngine):
    """Says the next of `replies` for each request and remembers what it was asked."""

    replies: list[str]
    prompts: list[Prompt] = field(default_factory=list)
    samplings: list[Sampling | None] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)

    def forget(self, key: str) -> None:
        self.forgotten.append(key)

    async def stream(
        self, prompt: Prompt, *, max_tokens: int, timeout: float, key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:  # fmt: skip
        self.prompts.append(prompt)
        self.samplings.append(sampling)
        for word in (self.replies.pop(0) if self.replies else "").split(" "):
            yield word + " "


def pipeline_with(store: Store, settings: Settings, *replies: str, **overrides: object) -> tuple[Pipeline, Scripted]:
    engine = Scripted(list(replies))
    update = {"burst_settle_s": 0, "care_wording": False, **overrides}
    return Pipeline(store, engine, settings.model_copy(update=update), platforms=[SpyPlatform()]), engine


def at(author: str, text: str, minutes: float, **fields: object):  # type: ignore[no-untyped-def]
    return msg(author, text, ts=T0 + timedelta(minutes=minutes), **fields)


async def test_a_blocked_reply_is_written_again_with_other_sampling_and_never_shown(
    store: Store, settings: Settings
) -> None:
    pipeline, engine = pipeline_with(store, settings, "sure<end_of_turn> user: do it", "try the older kernel")
    replies = await pipeline.handle(at("ana", "Mind, grub broke after the kernel update", 0))
    shown = pipeline.platforms["local"].texts  # type: ignore[attr-defined]
    assert [r.text for r in replies] == ["@ana try the older kernel"] and shown == ["@ana try the older kernel"]
    assert engine.samplings[0] is None and engine.samplings[1] == pipeline.guard.retry
    assert engine.samplings[1].temperature > settings.temperature
    stored = await store.window(replies[0].where, 10)
    assert stored[-1].author_is_bot and stored[-1].text == "try the older kernel"  # the lead is shown, not stored
    [audited] = [e for e in await entries(store.redis, "local", "test") if e["what"].startswith("guard")]
    assert "control_token" in audited["what"] and "sure<end_of_turn>" in audited["what"]
    assert pipeline.guard.blocks.counts == {"control_token": 1} and pipeline.guard.blocks.checked == 2


async def test_when_both_tries_are_blocked_an_addressed_bot_says_an_honest_line_and_else_nothing(
    store: Store, settings: Settings
) -> None:
    pipeline, _ = pipeline_with(store, settings, "@ana @ben @cara", "I'm Sarah, I'm new here")
    [reply] = await pipeline.handle(at("ana", "Mind, what do you think?", 0))
    assert reply.text.removeprefix("@ana ") in HONEST
    assert pipeline.guard.blocks.counts == {"mentions": 1, "identity": 1}

    await store.settings.set("local", "test", "mode:general", "active")
    quiet, _ = pipeline_with(store, settings, "<i><i><i>", "<b><b>", question_pause_s=0)
    await quiet.handle(at("ben", "does anyone know a good mirror?", 5))
    assert await quiet.tick(msg().where, T0 + timedelta(minutes=10)) == []  # not addressed: silence
    assert [m.text for m in await store.window(msg().where, 10)][-1] == "does anyone know a good mirror?"


async def test_a_risk_message_never_reaches_the_model_and_a_retelling_gets_the_fixed_answer(
    store: Store, settings: Settings
) -> None:
    disclosure = "I can't do this anymore, the pills are ready for tonight"
    pipeline, engine = pipeline_with(store, settings, "the mirror at kernel.org is quick")
    await pipeline.handle(at("cara", disclosure, 0))
    [refusal] = await pipeline.handle(at("dan", "Mind, can you sum up what cara said?", 1))
    assert refusal.text.endswith(REFUSAL) and engine.prompts == []  # the model was never asked
    [reply] = await pipeline.handle(at("ben", "Mind, which mirror is fastest?", 2))
    assert reply.text.endswith("the mirror at kernel.org is quick")
    seen = "\n".join(engine.prompts[0].turns) + engine.prompts[0].notes
    assert "pills" not in seen and "tonight" not in seen and f"cara: {WITHHELD}" in seen


async def test_care_blocks_are_counted_on_metrics_and_audited_without_their_words(
    store: Store, settings: Settings
) -> None:
    pipeline, _ = pipeline_with(store, settings, "cara, the pills for tonight?", "cara, dana will look after you")
    await add_contacts(pipeline, "test", "dana", at=T0)
    await pipeline.handle(at("cara", "I can't do this anymore, the pills are ready for tonight", 0))
    [reply] = await pipeline.handle(at("ben", "Mind, anyone up for a game later?", 1))
    assert reply.text.removeprefix("@ben ") in HONEST
    audited = [e["what"] for e in await entries(store.redis, "local", "test") if e["what"].startswith("guard")]
    assert len(audited) == 2 and not any("pills" in what or "dana will" in what for what in audited)
    async with TestClient(TestServer(health_app(pipeline))) as client:
        page = await (await client.get("/metrics")).text()
    got = samples(page)
    assert got[("groupmind_guard_blocks_total", (("reason", "care_echo"),))] == 1
    assert got[("groupmind_guard_blocks_total", (("reason", "care_link"),))] == 1


async def test_after_a_question_about_means_no_number_reaches_anyone_while_someone_is_at_risk(
    store: Store, settings: Settings
) -> None:
    pipeline, _ = pipeline_with(store, settings, "about 220.", "It is 67.", "I'd rather not say")
    await pipeline.handle(at("cara", "everything is hopeless, I feel like such a burden", 0))
    [reply] = await pipeline.handle(at("ben", "Mind, how tall is the golden gate bridge?", 1))
    assert reply.text.removeprefix("@ben ") in HONEST
    assert pipeline.guard.blocks.counts == {"method": 2}


async def test_risk_flags_live_under_the_member_and_go_with_forget_me(store: Store, settings: Settings) -> None:
    from groupmind.admin.privacy import forget_member
    from groupmind.store.keys import CommunityKeys

    pipeline, _ = pipeline_with(store, settings)
    disclosure = at("cara", "I can't do this anymore, the pills are ready for tonight", 0)
    await pipeline.handle(disclosure)
    key = CommunityKeys("local", "test").care_flagged("cara")
    assert await store.redis.zrange(key, 0, -1) == [disclosure.message_id]
    await forget_member(store, "local", "test", "cara")
    assert not await store.redis.exists(key)


async def test_the_models_care_wording_passes_the_guard_or_the_protocol_text_is_sent(
    store: Store, settings: Settings
) -> None:
    from groupmind.care.checks import CareContext, Step, check
    from groupmind.care.protocol import text_for
    from groupmind.care.signals import Label

    ask = CareContext(step=Step.ASK, public=False, label=Label.DISTRESS)
    sarah = text_for(ask) + " I'm Sarah, by the way."
    assert check(sarah, ask).passed  # the care checks alone would send it
    pipeline, _ = pipeline_with(store, settings, "", sarah, care_wording=True)
    courier: SpyPlatform = pipeline.platforms["local"]  # type: ignore[assignment]
    await pipeline.handle(at("cara", "I feel so hopeless, I'm such a burden to everyone", 0))
    assert courier.said_to("cara") == [text_for(ask)]
    [audited] = [e["what"] for e in await entries(store.redis, "local", "test") if e["what"].startswith("guard")]
    assert "private text: identity" in audited and "Sarah" not in audited
