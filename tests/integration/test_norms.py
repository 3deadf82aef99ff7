"""Norms the group teaches, end to end against a real Redis: what members see after a correction, what is kept
(with its source), the admins' commands, conflicts, reactions, opt-out and forget-me.

The model's words are what these tests vary, so the engine says scripted lines (the guard must mend or block
them); bench/norms.py runs the same path with the real default model.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from adapters.local.room import LocalRoom, RoomClock, RoomScreen
from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.events import Reaction
from groupmind.ingress import Directory, reaction_ingress
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from groupmind.store.norms import MAX_NORMS, MemoryNorms, Norm, Source
from tests.admin_helpers import command
from tests.helpers import SpyPlatform, msg
from tests.integration.test_guard_pipeline import Scripted

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def pipeline_with(store: Store, settings: Settings, *replies: str) -> tuple[Pipeline, Scripted]:
    engine = Scripted(list(replies))
    # The scripted replies are about the norms, not the question: grounding (tested in test_reply_quality) is off.
    update = {"burst_settle_s": 0, "care_wording": False, "grounding_min": 0.0}
    return Pipeline(store, engine, settings.model_copy(update=update), platforms=[SpyPlatform()]), engine


def at(author: str, text: str, minutes: float, **fields: object):  # type: ignore[no-untyped-def]
    return msg(author, text, ts=T0 + timedelta(minutes=minutes), **fields)


def shown(pipeline: Pipeline) -> list[str]:
    return pipeline.platforms["local"].texts  # type: ignore[attr-defined]


async def test_a_correction_changes_what_members_see_and_is_kept_with_its_source(store: Store, settings: Settings) -> None:
    answer = ("I think @ben has the answer 🎉, it's the second mirror. It is fast and close to you. Also the older "
              "kernel works fine for most people here and the update can wait until next week when the fix lands.")
    again = ("Ask @dan 😀, he set up the mirror list. The third one is closest to you. Its maintainers answer mail "
             "within a day, they publish checksums for each image, and they kept it online through last winter's outage.")
    pipeline, engine = pipeline_with(store, settings, answer, "sorry about that!", again)
    [before] = await pipeline.handle(at("ana", "Mind, which mirror is fastest?", 0))
    assert before.text.startswith("@ana ") and "🎉" in before.text
    correction = at("ana", "Mind, stop pinging people, no emoji and shorter please", 1)
    await pipeline.handle(correction)
    [after] = await pipeline.handle(at("cara", "Mind, which mirror again?", 2))
    assert "@" not in after.text and "🎉" not in after.text and len(after.text) <= 200
    assert after.text == "Ask dan, he set up the mirror list. The third one is closest to you."
    assert "House rules here" in engine.prompts[-1].system and "no emoji" in engine.prompts[-1].system
    kept = {n.key: n for n in await store.norms.all("local", "test")}
    assert set(kept) == {"no_mentions:", "no_emoji:", "max_length:200"}
    source = kept["no_emoji:"].sources[0]
    assert (source.member_id, source.platform, source.message_id) == ("ana", "local", correction.message_id)
    assert source.ts == correction.ts.timestamp() and source.vote == 1
    raw = await store.redis.hgetall(CommunityKeys("local", "test").norms)
    assert set(raw) == set(kept)  # one hash under the community's tag


async def test_a_reply_that_cannot_be_mended_is_written_again_and_else_not_shown(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings, "ok", "That is the best way to do it for everyone here",
                                "Es la mejor manera de hacerlo para todos")  # fmt: skip
    await pipeline.handle(at("ana", "Mind, please reply in Spanish", 0))
    [reply] = await pipeline.handle(at("ben", "Mind, how should we do it?", 1))
    assert reply.text.endswith("Es la mejor manera de hacerlo para todos")
    assert pipeline.guard.blocks.counts == {"norm": 1}
    silent, _ = pipeline_with(store, settings, "That is the best way for everyone", "I would say that is the way")
    assert await silent.handle(at("ben", "Mind, and now?", 2)) == []  # an English honest line would break it too


async def test_admins_norms_win_over_the_groups_and_members_see_the_list(store: Store, settings: Settings) -> None:
    admin = Admin(store, model="scripted", clock=lambda: T0)
    refused = await admin.execute(command("norm add language english", "carol", admin=False))
    assert not refused.ok and "only" in refused.text and await store.norms.all("local", "test") == []
    added = await admin.execute(command("norm add language english"))
    assert added.ok and "reply in English" in added.text
    pipeline, engine = pipeline_with(store, settings, "Sure thing, the second mirror is the fastest one")
    for minute, who in enumerate(("ana", "ben", "cara")):
        await pipeline.handle(at(who, "Mind, please answer in Spanish", minute, message_id=f"es{minute}"))
    held = await pipeline.norms.in_force("local", "test", T0 + timedelta(minutes=5))
    assert [n.key for n in held] == ["language:English"]
    listing = await admin.execute(command("norms", "dan", admin=False))
    assert listing.ok and not listing.private
    assert "✓ 1. reply in English" in listing.text and "· 2. reply in Spanish" in listing.text
    assert "3 voices, weight 3.0 for / 0.0 against), from ana, ben, cara" in listing.text
    bad = await admin.execute(command("norm add max_length lots"))
    assert not bad.ok and "number of characters" in bad.text
    assert not (await admin.execute(command("norm remove 9"))).ok


async def test_pin_and_remove(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings, "fine", "sure", "ok")
    await pipeline.handle(at("ana", "Mind, no emoji please", 0))
    await pipeline.handle(at("ben", "Mind, emoji are fine", 1))
    admin = Admin(store, model="scripted", clock=lambda: T0 + timedelta(minutes=3))
    assert "✓ 1. no emoji" in (await admin.execute(command("norms"))).text  # a tie keeps the restriction
    await pipeline.handle(at("cara", "Mind, you can use emoji", 2))
    assert "· 1. no emoji" in (await admin.execute(command("norms"))).text  # two against one lift it
    assert (await admin.execute(command("norm pin no_emoji"))).ok
    assert "✓ 1. no emoji" in (await admin.execute(command("norms"))).text
    assert (await admin.execute(command("norm remove 1"))).ok
    assert await store.norms.all("local", "test") == []


async def test_quiet_keeps_the_bot_out_unless_addressed(store: Store, settings: Settings) -> None:
    await store.settings.set("local", "test", "mode:general", "active")
    pipeline, _ = pipeline_with(store, settings, "sure", "the answer is 42", "hello ana")
    await pipeline.handle(at("ana", "Mind, only speak when you're asked", 0))
    assert await pipeline.handle(at("ben", "does anyone know a good mirror?", 1)) == []
    assert await pipeline.settle(msg().where) == []
    [reply] = await pipeline.handle(at("ana", "Mind, hello?", 3))
    assert reply.text


async def test_a_reaction_on_the_bots_message_is_a_weaker_vote_delivered_once(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings)
    long = "This is a long answer about mirrors and kernels. " * 8
    down = Reaction(platform="local", community="test", channel="general", message_id="b1", member_id="ana",
                    emoji="👎", on_bot=True, text=long, ts=T0)  # fmt: skip
    assert await reaction_ingress(pipeline, down) == 1
    assert await reaction_ingress(pipeline, down) == 0  # redelivered
    [norm] = await store.norms.all("local", "test")
    assert norm.key == "max_length:200" and norm.sources[0].weight == 0.5 and norm.sources[0].message_id == "b1"
    on_member = down.model_copy(update={"on_bot": False, "message_id": "m9"})
    assert await reaction_ingress(pipeline, on_member) == 0


async def test_opted_out_members_feedback_is_not_recorded(store: Store, settings: Settings) -> None:
    await store.settings.opt_out("local", "test", "ana")
    pipeline, _ = pipeline_with(store, settings, "ok")
    await pipeline.handle(at("ana", "Mind, no emoji please", 0))
    react = Reaction(platform="local", community="test", channel="general", message_id="b1", member_id="ana",
                     emoji="📏", on_bot=True, text="x", ts=T0)  # fmt: skip
    assert await reaction_ingress(pipeline, react) == 0
    assert await store.norms.all("local", "test") == []


async def test_forget_me_takes_the_member_out_of_every_norms_sources(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings, "ok", "ok", "ok")
    await pipeline.handle(at("ana", "Mind, no emoji please", 0))
    await pipeline.handle(at("ben", "Mind, no emoji and don't talk about crypto", 1))
    await pipeline.handle(at("ana", "Mind, stop using bullet lists", 2))
    admin = Admin(store, model="scripted")
    await admin.execute(command("norm pin no_lists"))
    done = await admin.execute(command("forget-me", "ana", admin=False))
    assert done.ok and "votes out of the house rules" in done.text
    kept = {n.key: n for n in await store.norms.all("local", "test")}
    assert set(kept) == {"no_emoji:", "avoid_topic:crypto", "no_lists:"}  # pinned stays; ben's stay
    assert kept["no_lists:"].sources == () and kept["no_lists:"].pinned
    raw = await store.redis.hgetall(CommunityKeys("local", "test").norms)
    assert all('"ana"' not in value for value in raw.values())
    await admin.execute(command("forget-me", "ben", admin=False))
    assert [n.key for n in await store.norms.all("local", "test")] == ["no_lists:"]


async def test_the_norms_stay_bounded(store: Store) -> None:
    for i in range(MAX_NORMS + 15):
        await store.norms.put("local", "test", Norm("avoid_topic", f"topic{i}", (Source("ana", "local", "m", i),),
                                                    created=float(i)))  # fmt: skip
    await store.norms.put("local", "test", Norm("no_emoji", pinned=True, created=0.0))
    kept = await store.norms.all("local", "test")
    assert len(kept) == MAX_NORMS and "no_emoji:" in {n.key for n in kept}
    assert "avoid_topic:topic0" not in {n.key for n in kept}  # the oldest went first


async def test_the_local_room_reacts_with_a_line_and_lists_the_norms(store: Store, settings: Settings) -> None:
    out = io.StringIO()
    clock = RoomClock()
    room_settings = settings.model_copy(update={"burst_settle_s": 0, "care_wording": False})
    screen = RoomScreen(out, settings.bot_name, seen=Directory(store).seen)
    pipeline = Pipeline(store, Scripted(["Well 🎉 " + "that is a long story about bread. " * 12]), room_settings, clock,
                        platforms=[screen])  # fmt: skip
    room = LocalRoom(pipeline, clock)
    await room.run_script([
        "[2026-11-02 12:00] ana (reacts): 👎",
        "[2026-11-02 12:01] ana: Mind, tell us about bread",
        "[2026-11-02 12:02] ben (reacts): 👎",
        "[2026-11-02 12:03] cara: /gm norms",
    ])  # fmt: skip
    lines = out.getvalue().splitlines()
    assert "[gm] ana's reaction: no message of mine to react to." in lines
    assert "ben (reacts): 👎" in lines
    listed = "\n".join(lines[lines.index("cara: /gm norms") + 1 :])
    assert "keep replies under 200 characters" in listed and "no emoji" in listed and "from ben" in listed


@pytest.mark.parametrize("twin", ["redis", "memory"])
async def test_the_redis_norms_and_their_in_memory_twin_keep_the_same_contract(store: Store, twin: str) -> None:
    repo = store.norms if twin == "redis" else MemoryNorms()
    ana, ben = Source("ana", "local", "m1", 1.0), Source("ben", "local", "m2", 2.0)
    await repo.put("local", "c", Norm("no_emoji", sources=(ana, ben), created=1.0))
    await repo.put("local", "c", Norm("avoid_topic", "crypto", sources=(ana,), created=2.0))
    await repo.put("local", "c", Norm("no_lists", sources=(ana,), pinned=True, created=3.0, pinned_at=3.0))
    await repo.put("local", "other", Norm("no_emoji", sources=(ana,), created=1.0))
    assert await repo.forget_member("local", "c", "ana") == 3
    kept = await repo.all("local", "c")
    assert [(n.key, [s.member_id for s in n.sources], n.pinned) for n in kept] == [
        ("no_emoji:", ["ben"], False), ("no_lists:", [], True)]  # fmt: skip
    assert [n.key for n in await repo.all("local", "other")] == ["no_emoji:"]  # another community is untouched
    assert (await repo.remove("local", "c", "no_lists:")).pinned and await repo.remove("local", "c", "nope:") is None


async def test_the_norms_are_in_the_communitys_export(store: Store) -> None:
    from groupmind.admin.privacy import export

    await store.norms.put("local", "test", Norm("no_emoji", sources=(Source("ana", "local", "m1", 1.0),)))
    exported = await export(store, "local", "test", T0)
    assert '"member_id":"ana"' in exported["keys"][CommunityKeys("local", "test").norms]["no_emoji:"]  # type: ignore[index]
