"""The lasting group model on a real Redis: learned per message, shown by /gm we and /gm me, corrected, forgotten."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from groupmind.admin import Admin
from groupmind.admin.audit import word
from groupmind.config import Settings
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.group_memory import CAPS
from groupmind.store.keys import CommunityKeys
from groupmind.we.recall import who_knows
from tests.admin_helpers import command
from tests.helpers import msg

T0 = datetime(2026, 11, 6, 18, 0, tzinfo=timezone.utc)  # a Friday
KEYS = CommunityKeys("local", "test")

SCRIPT = [
    ("ana", "how do i get my wifi driver working on the thinkpad?"),
    ("bob", "ana: install the broadcom wifi driver with ndiswrapper"),
    ("ana", "bob: that worked, thanks!"),
    ("cleo", "anyone know why grub shows a black screen after the kernel update?"),
    ("bob", "cleo: reinstall grub from a live cd and run update-grub"),
    ("dan", "bob: lol"),
    ("ana", "we have the release party every friday at 18:00"),
    ("cleo", "ok let's go with the weekly standup on monday at 10"),
    ("dan", "cleo: agreed"),
    ("bob", "call me Bobby by the way"),
    ("ana", "my wifi driver broke again after the update, any idea?"),
    ("bob", "ana: pin the broadcom wifi driver version, the new one is broken"),
]


async def replayed(store: Store, settings: Settings, script: list[tuple[str, str]] = SCRIPT) -> Pipeline:
    pipeline = Pipeline(store, None, settings)
    for second, (author, text) in enumerate(script):
        await pipeline.handle(msg(author, text, message_id=f"g{second}", ts=T0 + timedelta(seconds=30 * second)))
    return pipeline


async def test_each_message_teaches_the_group_model(store: Store, settings: Settings) -> None:
    await replayed(store, settings)
    admin = Admin(store, model="test", clock=lambda: T0 + timedelta(hours=1))
    shown = await admin.execute(command("we", "ana"))
    assert shown.ok and shown.private
    text = shown.text
    assert "wifi" in text and "driver" in text, text
    assert "Who helps with what: bob (" in text, text
    record = await store.group_memory.read("local", "test", T0 + timedelta(hours=1))
    assert [m for m, _ in who_knows(record, "who can help with wifi drivers?")] == ["bob"]
    assert [m for m, _ in who_knows(record, "grub black screen")] == ["bob"]
    assert who_knows(record, "knitting") == []
    assert "Fridays" in text and "every friday at 18:00" in text, text
    assert "let's go with the weekly standup on monday at 10" in text, text
    assert "English" in text, text
    experts = await store.redis.zrevrange(KEYS.we("expertise"), 0, -1)
    assert not any(e.endswith("\x1fana") for e in experts), "askers are not experts"
    decisions = [json.loads(d) for d in await store.redis.lrange(KEYS.we("decisions"), 0, -1)]
    assert decisions[0]["by"] == ["cleo", "dan"]


async def test_gm_we_is_for_admins_unless_shared(store: Store, settings: Settings) -> None:
    await replayed(store, settings)
    admin = Admin(store, model="test")
    refused = await admin.execute(command("we", "dan", admin=False))
    assert not refused.ok and "admins" in refused.text and "wifi" not in refused.text
    assert not (await admin.execute(command("we share on", "dan", admin=False))).ok
    assert (await admin.execute(command("we share on", "ana"))).ok
    shared = await admin.execute(command("we", "dan", admin=False))
    assert shared.ok and shared.private and "wifi" in shared.text


async def test_gm_me_shows_a_member_their_model_and_takes_corrections(store: Store, settings: Settings) -> None:
    await replayed(store, settings)
    admin = Admin(store, model="test", clock=lambda: T0 + timedelta(hours=1))
    mine = await admin.execute(command("me", "bob", admin=False))
    assert mine.ok and mine.private
    assert "I call you: Bobby" in mine.text and "you help others with:" in mine.text and "wifi" in mine.text
    assert "18:00" in mine.text
    others = await admin.execute(command("me", "cleo", admin=False))
    assert "Bobby" not in others.text and "grub" in others.text  # only their own
    assert "deleted: wifi" in (await admin.execute(command("me forget wifi", "bob", admin=False))).text
    assert "deleted: how I call you" in (await admin.execute(command("me forget name", "bob", admin=False))).text
    after = (await admin.execute(command("me", "bob", admin=False))).text
    assert "wifi" not in after and "Bobby" not in after
    experts = await store.redis.zrange(KEYS.we("expertise"), 0, -1)
    assert "wifi\x1fbob" not in experts, "the group model stops crediting a deleted item too"
    # The next message does not teach it back.
    pipeline = Pipeline(store, None, settings)
    await pipeline.handle(msg("ana", "my wifi is flaky", message_id="n1", ts=T0 + timedelta(minutes=20)))
    await pipeline.handle(msg("bob", "ana: reload the wifi module", message_id="n2", ts=T0 + timedelta(minutes=21)))
    assert "wifi" not in (await admin.execute(command("me", "bob", admin=False))).text
    assert "I will call you Sam" in (await admin.execute(command("me set name Sam", "bob", admin=False))).text
    assert (await admin.execute(command("me set expertise zfs pools", "bob", admin=False))).ok
    shown = (await admin.execute(command("me", "bob", admin=False))).text
    assert "I call you: Sam" in shown and "zfs pools" in shown
    assert "deleted everything" in (await admin.execute(command("me forget all", "bob", admin=False))).text
    assert "nothing yet" in (await admin.execute(command("me", "bob", admin=False))).text


async def test_gm_me_refuses_bad_input_clearly(store: Store, settings: Settings) -> None:
    admin = Admin(store, model="test")
    assert (await admin.execute(command("me set colour blue", "bob", admin=False))).text.startswith("usage: /gm me set")
    assert not (await admin.execute(command("me forget", "bob", admin=False))).ok
    huge = await admin.execute(command("me set interest " + "x" * 500, "bob", admin=False))
    assert not huge.ok and "1 to 40 characters" in huge.text
    blank = await admin.execute(command("me set name \u200b", "bob", admin=False))
    assert not blank.ok and "nothing was changed" in blank.text


async def test_opted_out_members_are_not_profiled(store: Store, settings: Settings) -> None:
    admin = Admin(store, model="test")
    await admin.execute(command("optout", "bob", admin=False))
    await replayed(store, settings)
    shown = (await admin.execute(command("me", "bob", admin=False))).text
    assert "you opted out" in shown and "nothing yet" in shown
    assert not [k for k in await store.redis.keys(KEYS.member("bob") + ":model:*")]
    assert not any(e.endswith("\x1fbob") for e in await store.redis.zrange(KEYS.we("expertise"), 0, -1))
    refused = await admin.execute(command("me set name Bobby", "bob", admin=False))
    assert not refused.ok and "opted out" in refused.text


async def test_forget_me_leaves_nothing_of_the_member_in_the_memory_or_profiles(store: Store, settings: Settings) -> None:
    await replayed(store, settings)
    admin = Admin(store, model="test", clock=lambda: T0 + timedelta(hours=1))
    pipeline = Pipeline(store, None, settings)
    await pipeline.consolidator.consolidate("local", "test", T0 + timedelta(hours=1))
    before = await traces(store, ("bob", "Bobby"))
    for part in ("we:expertise", "we:phrases", "we:jokes", "we:answerers", "member:bob:model"):
        assert any(part in t for t in before), (part, before)
    assert (await admin.execute(command("forget-me", "bob", admin=False))).ok
    assert await traces(store, ("bob", "Bobby")) == []
    still = (await admin.execute(command("we", "ana"))).text
    assert "bob" not in still.casefold() and "grub" in still  # the rest of the group model stays


async def traces(store: Store, words: tuple[str, ...]) -> list[str]:
    """Where any of `words` appears in the community's keys, outside the other members' own messages."""
    patterns = [word(w) for w in words]
    found = []
    for key in sorted(await store.redis.keys(KEYS.pattern)):
        kind = await store.redis.type(key)
        if kind == "stream":  # conversations: others' messages stay (they belong to their authors), bob's go
            values = [f["author"] for _, f in await store.redis.xrange(key)]
        elif kind == "hash":
            values = [f"{f}={v}" for f, v in (await store.redis.hgetall(key)).items()]
        elif kind == "zset":
            values = await store.redis.zrange(key, 0, -1)
        elif kind == "set":
            values = list(await store.redis.smembers(key))
        elif kind == "list":
            values = await store.redis.lrange(key, 0, -1)
        else:
            values = [await store.redis.get(key)]
        found += [f"{key}: {v!r}" for v in [key, *values] if v and any(p.search(v) for p in patterns)]
    return found


async def test_the_group_model_stays_bounded(store: Store, settings: Settings) -> None:
    script = [(f"m{i % 7}", f"topic{i} word{i} other{i} thing{i}? lol") for i in range(300)]
    script += [(f"m{i % 7}", f"m{(i + 1) % 7}: answer{i} uses tool{i}") for i in range(300)]
    await replayed(store, settings, script)
    assert await store.redis.zcard(KEYS.we("topics")) <= CAPS["topics"]
    assert await store.redis.zcard(KEYS.we("phrases")) <= CAPS["phrases"]
    assert await store.redis.hlen(KEYS.we("rhythm")) <= 168
    assert await store.redis.zcard(KEYS.member_model("m1", "interests")) <= 25


async def test_the_prompt_gets_the_part_of_the_memory_that_bears_on_the_conversation(
    store: Store, settings: Settings
) -> None:
    from tests.integration.test_guard_pipeline import pipeline_with

    await replayed(store, settings)
    pipeline, engine = pipeline_with(store, settings, "try the older driver", "sure", "ok", group_memory=True)
    later = T0 + timedelta(days=2)
    await pipeline.handle(msg("cleo", "Mind, my wifi driver died after the update", message_id="p1", ts=later))
    assert "bob often helps with wifi" in engine.prompts[-1].notes, engine.prompts[-1].notes
    await pipeline.handle(msg("cleo", "Mind, what should I cook tonight?", message_id="p2", ts=later + timedelta(hours=3)))
    assert "often help" not in engine.prompts[-1].notes  # nothing of the memory bears on cooking
    # bob deletes what he helps with: the notes stop naming him for it.
    await Admin(store, model="test").execute(command("me forget expertise wifi", "bob", admin=False))
    await pipeline.handle(msg("cleo", "Mind, wifi is down again", message_id="p4", ts=later + timedelta(hours=5)))
    assert "bob" not in engine.prompts[-1].notes
    off, quiet_engine = pipeline_with(store, settings, "ok", group_memory=False)
    await off.handle(msg("cleo", "Mind, my wifi driver died again", message_id="p3", ts=later + timedelta(hours=6)))
    assert "often help" not in quiet_engine.prompts[-1].notes


async def test_a_disclosure_never_becomes_a_topic_an_interest_or_a_line_of_gm_we(
    store: Store, settings: Settings
) -> None:
    disclosures = [
        ("eve", "honestly i keep thinking about ending my life, the pills are in my drawer"),
        ("eve", "i have been cutting again and nobody at the pharmacy noticed"),
        ("eve", "i feel like such a burden, everyone would be better off without me"),
    ]
    await replayed(store, settings, SCRIPT + disclosures * 3)
    admin = Admin(store, model="test", clock=lambda: T0 + timedelta(hours=1))
    shown = (await admin.execute(command("we", "ana"))).text.lower()
    mine = (await admin.execute(command("me", "eve", admin=False))).text.lower()
    held = ""
    for key in KEYS.community_keys + KEYS.member_keys("eve"):
        if (":we:" in key or ":model:" in key) and await store.redis.type(key) in ("zset", b"zset"):
            held += " ".join(map(str, await store.redis.zrange(key, 0, -1))).lower()
    assert "wifi" in held
    for word_ in ("pills", "drawer", "cutting", "pharmacy", "burden", "ending"):
        assert word_ not in shown and word_ not in mine and word_ not in held, word_
    assert "wifi" in shown  # the ordinary talk around it is still learned
