"""Two `groupmind worker` processes on one Redis: kill the one mid-message, the other answers it once.

The killed worker's lease on the message's partition runs out, the survivor takes
the partition over with the job left pending in it, and answers from there.

The model is a small OpenAI-compatible server on loopback whose first
completion never ends, so the worker that takes the message is caught in the
middle of generating its reply when it is killed. Replies go to the fake Slack
through the survivor's own Web API client.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from groupmind.events import ChatMessage
from groupmind.store import Store
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.work_queue import GROUP, PARTITIONS, WORKERS, WorkQueue, dead, inbox, marker_key, partition_of
from tests.e2e.fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack, wait_for

CLAIM_IDLE_MS = 1_500


class StallingModel:
    """An OpenAI-compatible completion server whose first request hangs; later ones answer at once."""

    def __init__(self) -> None:
        self.requests = 0
        self.stalled = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/completions", self._complete)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        self._release.set()  # aiohttp does not cancel a handler whose client died
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.requests == 1:
            self.stalled.set()
            await self._release.wait()  # the worker asking is killed meanwhile
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in ("hello", " there"):
            await resp.write(f"data: {json.dumps({'choices': [{'text': piece}]})}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp


@pytest.fixture
async def model() -> AsyncIterator[StallingModel]:
    server = StallingModel()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def workers(
    tmp_path: Path, redis_server: EmbeddedServer, fake: FakeSlack, model: StallingModel
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Workers "a" and "b", each its own process, sharing the test's Redis."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name in ("a", "b"):
        env = {
            **os.environ,
            "GROUPMIND_REDIS_URL": redis_server.url,
            "GROUPMIND_DATA_DIR": str(tmp_path / name),
            "GROUPMIND_ENGINE_URL": model.url,
            "GROUPMIND_SLACK_BOT_TOKEN": BOT_TOKEN,
            "GROUPMIND_SLACK_API_URL": fake.base_url,
            "GROUPMIND_BURST_SETTLE_S": "0",
            "GROUPMIND_GROUNDING_MIN": "0",  # the fake model's fixed "hello there" is judged for where it goes
            "GROUPMIND_WORK_CLAIM_IDLE_MS": str(CLAIM_IDLE_MS),
            "GROUPMIND_WORKER_NAME": name,
        }
        log = (tmp_path / f"{name}.log").open("wb")
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "groupmind", "worker"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def question() -> ChatMessage:
    return ChatMessage(
        platform="slack",
        community=TEAM,
        channel="C1",
        message_id="1700000000.000100",
        author_id="U1",
        author_name="alice",
        text=f"<@{BOT_USER}> are you there?",
        mentions=(BOT_USER,),
        mentions_bot=True,
    )


async def _both(redis: Redis) -> bool:
    """Both workers have joined and hold their shares of the partitions."""
    holders = await redis.mget([f"gm:{{work:{k}}}:lease" for k in range(PARTITIONS)])
    return set(await redis.zrange(WORKERS, 0, -1)) == {"a", "b"} and set(holders) == {"a", "b"}


async def test_a_killed_workers_message_is_answered_once_by_the_other(
    redis: Redis, fake: FakeSlack, model: StallingModel, workers: dict[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    await wait_for(lambda: _both(redis), timeout=60)
    said = question()
    await WorkQueue(redis).submit(said)  # a channel message: answered in a thread on it (slack_reply_in_thread)

    await asyncio.wait_for(model.stalled.wait(), 30)  # one worker is mid-reply now
    stream = inbox(partition_of(said, PARTITIONS))
    (pending,) = await redis.xpending_range(stream, GROUP, min="-", max="+", count=10)
    holder = pending["consumer"]
    workers[holder].send_signal(signal.SIGKILL)
    workers[holder].wait(timeout=10)
    survivor = "b" if holder == "a" else "a"

    await wait_for(lambda: fake.posted, timeout=30)
    await wait_for(lambda: _drained(redis, stream), timeout=30)
    await asyncio.sleep(2 * CLAIM_IDLE_MS / 1000)  # room for a second answer, if there were one

    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in workers}
    assert workers[survivor].poll() is None, logs[survivor]
    assert [(p["channel"], p["thread_ts"]) for p in fake.posted] == [("C1", said.message_id)], logs
    assert "hello there" in fake.posted[0]["text"]
    assert model.requests == 2
    stored = await Store(redis).window(said.where, 10)
    assert [(m.author_id, m.message_id == said.message_id) for m in stored] == [("U1", True), ("bot:Mind", False)]
    assert await redis.get(marker_key(said)) == "done"
    assert sum([await redis.xlen(dead(k)) for k in range(PARTITIONS)]) == 0


async def _drained(redis: Redis, stream: str) -> bool:
    return (await redis.xpending(stream, GROUP))["pending"] == 0 and await redis.xlen(stream) == 0
