"""RemoteEngine keeps each conversation on one llama-server slot, against a fake OpenAI-compatible server.

The fake records every completion request's body and streams a fixed reply; what is
checked is what the engine sent (`id_slot`, `cache_prompt`), which is all a real
llama-server needs to reuse a conversation's prefix.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from aiohttp import web

from groupmind.config import Settings
from groupmind.llm import Prompt, RemoteEngine

PROMPT = Prompt(system="A group chat.", turns=("ana: hi all",), speaker="Mind")


class RecordingServer:
    """`/v1/models` and a streaming `/v1/completions` that keeps each request body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(f"data: {json.dumps({'choices': [{'text': 'hello'}]})}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/completions", self._complete)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


@asynccontextmanager
async def engine_at(url: str, slots: int) -> AsyncIterator[RemoteEngine]:
    engine = RemoteEngine(Settings(_env_file=None, engine_url=url, engine_slots=slots))  # type: ignore[call-arg]
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


async def reply(engine: RemoteEngine, key: str | None) -> str:
    return "".join([piece async for piece in engine.stream(PROMPT, max_tokens=4, timeout=10, key=key)])


async def test_a_conversation_keeps_its_slot_and_conversations_spread() -> None:
    server = RecordingServer()
    conversations = [f"slack:T1:C{n}" for n in range(32)]
    async with server.serving() as url:
        async with engine_at(url, slots=4) as engine:
            for _ in range(3):  # three turns of each conversation
                for key in conversations:
                    assert await reply(engine, key) == "hello"
        async with engine_at(url, slots=4) as restarted:  # another process, or this one restarted
            assert await reply(restarted, conversations[0]) == "hello"
    slots_of: dict[int, set[int]] = {}
    for n, body in enumerate(server.bodies[:-1]):
        assert body["cache_prompt"] is True
        slots_of.setdefault(n % len(conversations), set()).add(body["id_slot"])
    assert all(len(slots) == 1 for slots in slots_of.values())  # the same slot on every turn
    assert server.bodies[-1]["id_slot"] == next(iter(slots_of[0]))
    used = [next(iter(slots)) for slots in slots_of.values()]
    assert set(used) == {0, 1, 2, 3}  # all slots used, none past the server's count
    assert max(used.count(slot) for slot in range(4)) <= 16  # no slot takes half of 32 conversations


async def test_without_slots_or_a_conversation_the_server_picks() -> None:
    server = RecordingServer()
    async with server.serving() as url:
        async with engine_at(url, slots=0) as engine:
            await reply(engine, "slack:T1:C1")
        async with engine_at(url, slots=4) as engine:
            await reply(engine, None)  # a one-off (a self-test): no conversation to keep
    assert ["id_slot" in body for body in server.bodies] == [False, False]
    assert all(body["cache_prompt"] is True for body in server.bodies)
