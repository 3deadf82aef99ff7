"""RemoteEngine against llama-cpp-python's own OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from contextlib import asynccontextmanager
from typing import AsyncIterator, Iterator

import aiohttp
import aiohttp.test_utils
import pytest
from aiohttp import web

from groupmind.config import Settings
from groupmind.llm import EngineError, GenerationTimeout, ModelLoadError, Prompt, RemoteEngine
from groupmind.runtime import open_core
from tests.helpers import SpyPlatform, msg

pytestmark = pytest.mark.model

PROMPT = Prompt(
    system="A group chat in #ubuntu. Mind is an AI member.",
    turns=("ana: my wifi stopped working after the kernel update", "ben: which card is it?"),
    speaker="Mind",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` with the default model, up until the module is done."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    threads = str(min(2, os.cpu_count() or 1))
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", threads, "--n_threads_batch", threads],
        stdout=log.open("wb"),  # verbose: a pipe nobody reads would fill and stall it
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start listening within 120s")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def remote_settings(url: str, **fields: object) -> Settings:
    return Settings(_env_file=None, engine_url=url, temperature=0.0, seed=7, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def remote(server_url: str) -> AsyncIterator[RemoteEngine]:
    engine = RemoteEngine(remote_settings(server_url))
    await engine.start()
    yield engine
    await engine.close()


class Relay:
    """A loopback relay in front of the model server that keeps the raw body of every response it passes on.

    It lets a test compare what the engine made of one request with what the
    server actually sent for that same request, so nothing depends on two
    generations coming out the same.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._bodies: list[bytearray] = []

    @property
    def bodies(self) -> list[str]:
        """Each response's body as relayed so far, in the order the requests came."""
        return [body.decode("utf-8") for body in self._bodies]

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        body = bytearray()
        self._bodies.append(body)
        async with aiohttp.ClientSession() as session:
            async with session.request(
                request.method, self.upstream + request.path_qs, data=await request.read(),
                headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
            ) as upstream:  # fmt: skip
                response = web.StreamResponse(status=upstream.status)
                response.content_type = upstream.content_type
                await response.prepare(request)
                try:
                    async for chunk in upstream.content.iter_any():
                        body += chunk  # kept before it is passed on: the engine may hang up once it has it
                        await response.write(chunk)
                    await response.write_eof()
                except ConnectionResetError:
                    pass  # the engine had what it needed (a `[DONE]`, a status) and closed
                return response

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        server = aiohttp.test_utils.TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield str(server.make_url("")).rstrip("/")
        finally:
            await server.close()


def streamed_text(body: str) -> str:
    """The text a completion stream carries, read straight from its server-sent events."""
    events = [line.removeprefix("data:").strip() for line in body.splitlines() if line.startswith("data:")]
    assert events and events[-1] == "[DONE]", body[-500:]  # the whole stream, to its end
    return "".join(choice["text"] for event in events[:-1] for choice in json.loads(event)["choices"])


async def test_streamed_pieces_add_up_to_the_servers_whole_reply(server_url: str) -> None:
    relay = Relay(server_url)
    async with relay.serving() as url:
        engine = RemoteEngine(remote_settings(url))
        await engine.start()
        try:
            pieces = [p async for p in engine.stream(PROMPT, max_tokens=8, timeout=120, key="local:t:ubuntu")]
        finally:
            await engine.close()
    _, completion = relay.bodies  # start()'s model check, then the one completion request
    whole = streamed_text(completion)
    assert len(pieces) > 1  # streamed piece by piece, not in one block
    assert "".join(pieces) == whole and whole.strip()


async def test_the_chat_endpoint_streams_deltas(server_url: str) -> None:
    chat = RemoteEngine(remote_settings(server_url, engine_api="chat"))
    await chat.start()
    try:
        open_ended = Prompt(system=PROMPT.system, turns=PROMPT.turns, speaker="Mind", stop=())
        pieces = [p async for p in chat.stream(open_ended, max_tokens=6, timeout=120)]
    finally:
        await chat.close()
    assert len(pieces) > 1 and "".join(pieces).strip()


async def test_a_slow_reply_times_out(remote: RemoteEngine) -> None:
    endless = Prompt(system="A long story.", turns=("ana: tell me a long story",), speaker="Mind", stop=())
    with pytest.raises(GenerationTimeout, match="within 0.5s"):
        async for _ in remote.stream(endless, max_tokens=1500, timeout=0.5):
            pass
    # The server is still usable afterwards.
    assert [p async for p in remote.stream(PROMPT, max_tokens=2, timeout=120)]


async def test_http_errors_say_status_and_body(remote: RemoteEngine) -> None:
    with pytest.raises(EngineError, match=r"HTTP \d{3}: .*max_tokens"):
        async for _ in remote.stream(PROMPT, max_tokens=-5, timeout=60):
            pass


async def test_an_unreachable_server_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    engine = RemoteEngine(remote_settings(url, engine_connect_timeout_s=2))
    with pytest.raises(ModelLoadError, match=f"cannot connect to {url}"):
        await engine.start()
    # Streaming without a server is a clear error too, not a hang.
    engine._session = aiohttp.ClientSession()
    try:
        with pytest.raises(EngineError, match=f"cannot connect to {url}"):
            async for _ in engine.stream(PROMPT, max_tokens=2, timeout=5):
                pass
    finally:
        await engine.close()


async def test_a_pipeline_with_an_engine_url_answers_through_the_server(
    server_url: str, settings: Settings
) -> None:
    remote = settings.model_copy(update={"engine_url": server_url, "max_reply_tokens": 8})
    spy = SpyPlatform()
    async with open_core(remote) as core:
        pipeline = core.pipeline([spy])
        assert isinstance(pipeline.engine, RemoteEngine)
        replies = await pipeline.handle(msg("ana", "Mind, is the wifi back?"))
        window = await pipeline.store.window(msg().where, 10)
    assert "".join(spy.texts) == (replies[0].text if replies else "")
    assert window[0].text == "Mind, is the wifi back?" and len(window) == 1 + len(replies)
