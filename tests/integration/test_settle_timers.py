"""The per-conversation settle timer adapters use to tick the pipeline."""

import asyncio

from adapters.settle import SettleTimers
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.helpers import msg


async def test_each_message_rearms_one_timer_and_the_newest_context_wins(store: Store, settings: Settings) -> None:
    pipeline = Pipeline(store, None, settings.model_copy(update={"burst_settle_s": 0.1, "question_pause_s": 0.25}))
    fired: list[tuple[str, str, float]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def deliver(where: ChannelRef, context: str) -> None:
        fired.append((where.conversation, context, loop.time() - start))

    timers: SettleTimers[str] = SettleTimers(pipeline, deliver)
    general, other = msg().where, msg(channel="other").where
    timers.touch(general, "first")
    await asyncio.sleep(0.05)
    timers.touch(general, "second")  # re-arms: "first" never fires
    timers.touch(other, "elsewhere")
    await asyncio.sleep(0.5)
    await timers.close()
    assert sorted((c, ctx) for c, ctx, _ in fired) == [
        ("general", "second"), ("general", "second"), ("other", "elsewhere"), ("other", "elsewhere")
    ]  # once when the burst settles, once after the question pause
    assert all(t >= 0.1 for _, _, t in fired)


async def test_close_cancels_waiting_timers(store: Store, settings: Settings) -> None:
    pipeline = Pipeline(store, None, settings)
    fired: list[str] = []

    async def deliver(where: ChannelRef, context: str) -> None:
        fired.append(context)

    timers: SettleTimers[str] = SettleTimers(pipeline, deliver)
    timers.touch(msg().where, "never")
    await timers.close()
    await asyncio.sleep(0.05)
    assert fired == []
