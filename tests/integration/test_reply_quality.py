"""Silence over nonsense, through the pipeline against a real Redis: what the model's bad candidates leave in the channel.

The model's words are what these tests vary (the real default model cannot be
made to write a row of names on cue), so a scripted engine says one line per
request, as in test_guard_pipeline; the quality bench runs the same path with the real model.
"""

from __future__ import annotations

from datetime import timedelta

from groupmind.config import Settings
from groupmind.guard.write import HONEST
from groupmind.store import Store
from tests.helpers import msg
from tests.integration.test_guard_pipeline import T0, at, pipeline_with

ROOM = msg().where


async def shown_and_stored(pipeline, store: Store) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    shown = list(pipeline.platforms["local"].texts)
    stored = [m.text for m in await store.window(ROOM, 50) if m.author_is_bot]
    return shown, stored


async def test_an_addressed_bot_with_only_bad_candidates_says_a_short_honest_line(store: Store, settings: Settings) -> None:
    pipeline, engine = pipeline_with(store, settings, "@frank @carol @carol @carol", "The weather in Lisbon is lovely.")
    await pipeline.handle(at("carol", "anyone up for pizza later?", 0))
    [reply] = await pipeline.handle(at("frank", "Mind, what is 2+2?", 1))
    shown, stored = await shown_and_stored(pipeline, store)
    assert shown == [reply.text] and reply.text.startswith("@frank ")
    [said] = stored
    assert said in HONEST and reply.text.endswith(" " + said)  # stored without its leads; no candidate stored
    assert len(engine.prompts) == 2  # names only, then off-topic: both withheld, nothing half-posted
    assert pipeline.guard.blocks.counts == {"mentions": 1, "ungrounded": 1}


async def test_a_bot_not_addressed_stays_silent_over_off_topic_and_empty_candidates(
    store: Store, settings: Settings
) -> None:
    await store.settings.set("local", "test", "mode:general", "active")
    pipeline, engine = pipeline_with(store, settings, "The weather in Lisbon is lovely.", "", question_pause_s=0)
    await pipeline.handle(at("ben", "does anyone know a good bike mechanic?", 0))
    assert await pipeline.tick(ROOM, T0 + timedelta(minutes=5)) == []
    assert await shown_and_stored(pipeline, store) == ([], [])
    assert len(engine.prompts) == 2 and pipeline.guard.blocks.counts == {"ungrounded": 1}


async def test_an_addressed_bot_whose_model_writes_nothing_usable_says_so(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings, "   ")
    [reply] = await pipeline.handle(at("ana", "Mind, what is a good first houseplant?", 0))
    assert reply.text.removeprefix("@ana ") in HONEST


async def test_a_repeat_is_withheld_and_honest_lines_never_come_twice_in_a_row(store: Store, settings: Settings) -> None:
    first = "a pothos houseplant is hard to kill"
    pipeline, _ = pipeline_with(
        store, settings, first, first, "@eve @eve", first, "lovely weather", rate_limit_replies=10
    )
    await pipeline.handle(at("eve", "Mind, what is a good first houseplant?", 0))
    await pipeline.handle(at("eve", "Mind, which houseplant would you pick?", 1))  # the same answer again: a repeat
    await pipeline.handle(at("fay", "Mind, and which houseplant for a dark room?", 2))
    shown, stored = await shown_and_stored(pipeline, store)
    assert stored[0] == first and stored.count(first) == 1
    assert stored[1] in HONEST and stored[2] in HONEST and stored[1] != stored[2]
    assert all("@" not in text for text in stored)  # the transcript keeps the bot's words without leads


async def test_a_grounded_reply_is_shown_with_at_most_two_leads_and_stored_without_them(
    store: Store, settings: Settings
) -> None:
    answer = "the north car park at nine, Ben drives from the station and Cleo brings sandwiches"
    pipeline, _ = pipeline_with(store, settings, answer)
    await pipeline.handle(at("ben", "I can drive from the station", 0))
    await pipeline.handle(at("cleo", "I'll bring sandwiches", 0.1))
    await pipeline.handle(at("dan", "I'll bring water", 0.2))
    [reply] = await pipeline.handle(at("ana", "Mind, can you sum up the plan? north car park at nine", 0.3))
    shown, stored = await shown_and_stored(pipeline, store)
    lead = reply.text.removesuffix(answer).split()
    assert shown == [reply.text] and 1 <= len(lead) <= 2 and all(word.startswith("@") for word in lead)
    assert stored == [answer]


async def test_a_short_reply_gets_no_more_leads_than_it_has_words(store: Store, settings: Settings) -> None:
    pipeline, _ = pipeline_with(store, settings, "2+2")
    await pipeline.handle(at("carol", "anyone up for pizza later?", 0))
    await pipeline.handle(at("dave", "pepperoni again?", 0.1))
    [reply] = await pipeline.handle(at("frank", "Mind, what is 2+2?", 0.2))
    assert reply.text == "@frank 2+2"


async def test_the_bots_notes_never_reach_the_channel(store: Store, settings: Settings) -> None:
    pipeline, engine = pipeline_with(store, settings, "[The room now: ana asked about pizza]", "The room now: ana and ben talk")
    await pipeline.handle(at("ben", "pizza tonight?", 0))
    [reply] = await pipeline.handle(at("ana", "Mind, pizza or pasta tonight?", 1))
    assert engine.prompts[0].notes.startswith("[The room now:")  # the model did read notes
    assert "room now" not in reply.text.casefold() and any(reply.text.endswith(line) for line in HONEST)
    assert pipeline.guard.blocks.counts == {"notes_leak": 2}
