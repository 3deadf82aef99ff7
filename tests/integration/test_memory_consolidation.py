"""Consolidating the group memory in a quiet spell, through the one scheduler, with the real model or without it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from groupmind.admin import Admin
from groupmind.config import Settings
from groupmind.llm.engine import GenerationTimeout
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.keys import CommunityKeys
from groupmind.we.consolidate import MAX_SUMMARY_CHARS, Consolidator
from tests.admin_helpers import command
from tests.helpers import Scripted, msg
from tests.integration.test_group_memory import SCRIPT, T0, replayed

KEYS = CommunityKeys("local", "test")


class JsonSays(Scripted):
    """A model stand-in whose constrained output is `answer` (or that times out when it is None)."""

    def __init__(self, answer: Any) -> None:
        super().__init__("")
        self.answer = answer

    async def complete_json(self, text: str, schema: dict[str, Any], *, max_tokens: int, timeout: float) -> Any:
        if self.answer is None:
            raise GenerationTimeout("no answer within 1s")
        return self.answer


def consolidator(store: Store, engine: Any) -> Consolidator:
    return Consolidator(store, engine, store.due, bot_name="Mind", quiet_s=1800, timeout_s=120)


async def test_the_scheduler_consolidates_once_the_group_is_quiet(store: Store, settings: Settings) -> None:
    pipeline = await replayed(store, settings)
    last = T0 + timedelta(seconds=30 * (len(SCRIPT) - 1))
    quiet = timedelta(seconds=settings.memory_quiet_s)
    assert await pipeline.scheduler.run_due(T0 + quiet / 2) == 0  # armed by the first message, not due yet
    # Due a quiet spell after the first message, but the group spoke since: it moves past the last one.
    assert await pipeline.scheduler.run_due(T0 + quiet) == 1
    assert await store.redis.get(KEYS.we("summary")) is None
    assert await pipeline.scheduler.run_due(last + quiet - timedelta(seconds=1)) == 0
    assert await pipeline.scheduler.run_due(last + quiet) == 1
    kept = json.loads(await store.redis.get(KEYS.we("summary")))
    assert kept["by"] == "rules" and "wifi" in kept["topics"]  # listen-only: no model, the rules' summary
    # A later message arms it again.
    later = last + 3 * quiet
    await pipeline.handle(msg("ana", "knitting patterns anyone? knitting is great", message_id="late", ts=later))
    assert await pipeline.scheduler.run_due(later + quiet) == 1
    assert json.loads(await store.redis.get(KEYS.we("summary")))["at"] == (later + quiet).isoformat()


@pytest.mark.parametrize(
    "answer",
    [None, {"summary": 5, "topics": []}, {"summary": "ok"}, {"summary": "x" * (MAX_SUMMARY_CHARS + 1), "topics": []},
     "not json at all", {"summary": "I am a human, not an AI, and I run this group.", "topics": []}],
    ids=["timeout", "wrong type", "too short", "too long", "not an object", "guard blocks"],
)
async def test_unusable_model_output_keeps_the_deterministic_model(
    store: Store, settings: Settings, answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await replayed(store, settings)
    with caplog.at_level(logging.WARNING, logger="groupmind.we.consolidate"):
        kept = await consolidator(store, JsonSays(answer)).consolidate("local", "test", T0 + timedelta(hours=2))
    assert kept["by"] == "rules" and kept["summary"] == "" and "wifi" in kept["topics"]
    assert "keeping the rules'" in caplog.text or "guard blocked" in caplog.text
    shown = (await Admin(store, model="t").execute(command("we", "ana"))).text
    assert "wifi" in shown and "human" not in shown


async def test_a_valid_summary_is_kept_and_shown_first(store: Store, settings: Settings) -> None:
    await replayed(store, settings)
    said = {"summary": "A friendly Linux help group where bob fixes wifi drivers.", "topics": ["wifi", "grub"]}
    kept = await consolidator(store, JsonSays(said)).consolidate("local", "test", T0 + timedelta(hours=2))
    assert kept["by"] == "model" and kept["summary"] == said["summary"]
    shown = (await Admin(store, model="t").execute(command("we", "ana"))).text
    assert shown.splitlines()[0] == said["summary"]


async def test_the_real_model_summarises_under_the_schema(store: Store, settings: Settings, engine: LocalEngine) -> None:
    await replayed(store, settings)
    kept = await consolidator(store, engine).consolidate("local", "test", T0 + timedelta(hours=2))
    stored = json.loads(await store.redis.get(KEYS.we("summary")))
    assert stored == kept
    if kept["by"] == "model":  # the small default model may write something the schema or guard refuses
        assert 10 <= len(str(kept["summary"])) <= MAX_SUMMARY_CHARS and isinstance(kept["topics"], list)
    assert kept["by"] == "model", f"the default model gave no usable summary: {kept}"
