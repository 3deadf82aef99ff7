"""`RemoteEngine`: a model behind any OpenAI-compatible server, for scale-out.

Speaks `/v1/completions` (a transcript for a base model to continue) or
`/v1/chat/completions`, always with `stream: true`, reading the server-sent
events as they come. Works with llama.cpp's `llama-server` (`cache_prompt`
keeps each slot's prefix) and `python -m llama_cpp.server`.

With `engine_slots` set, every request of one conversation names the same
server slot (`id_slot`, from a stable hash of the conversation), so llama-server
finds that conversation's prompt already evaluated in the slot and evaluates
only what is new; each bot process, and each worker, picks the same slot for it.

Such a server tokenizes the text it is sent itself, and both of those parse
special tokens in it: llama-server tokenizes a completion prompt, and the chat
messages it renders through the model's template, with special tokens on, and
llama_cpp.server's completion does what `Llama.create_completion` does with a
text prompt (special=True). A member typing `<end_of_turn>` or `<|im_start|>`
would end the turn or forge one. Tokens cannot be sent over the OpenAI API, so
the text is neutralised instead (`defuse_control_text`): whatever is shaped like
a control token of any model family gets a word joiner after its opening
bracket, which no tokenizer matches as that token, and a reader does not see.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import Any, AsyncIterator

import aiohttp

from groupmind.config import Settings
from groupmind.llm.engine import Engine, EngineError, GenerationTimeout, ModelLoadError, Prompt, Sampling

_EXCERPT_CHARS = 300

_CONTROL_SHAPED = re.compile(r"<(?=[^<>\s]{1,48}>)|\[(?=/?[A-Z][A-Z_]{2,31}\])")
"""The opening bracket of `<...>` without spaces (`<eos>`, `</s>`, `<|im_start|>`,
`<start_of_turn>`, `<｜User｜>`, `<<SYS>>`) or of an upper-case `[INST]`, `[/INST]`."""
_WORD_JOINER = "\u2060"


def slot_for(key: str, slots: int) -> int:
    """The server slot of conversation `key`: the same in every process and every run."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % slots


def defuse_control_text(text: str) -> str:
    """`text` with no substring a model server could parse as a special token."""
    return _CONTROL_SHAPED.sub(lambda bracket: bracket[0] + _WORD_JOINER, text)


class RemoteEngine(Engine):
    """An OpenAI-compatible completion server at `settings.engine_url`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.engine_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    @property
    def name(self) -> str:
        return f"{self.settings.engine_model or 'model'} at {self.url}"

    @property
    def ready(self) -> bool:
        return self._session is not None

    async def start(self) -> None:
        """Open the connection pool and check that the server answers."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.settings.engine_connect_timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
        try:
            async with asyncio.timeout(self.settings.engine_connect_timeout_s):
                async with self._session.get(f"{self.url}/v1/models") as resp:
                    await _check(resp, self.url)
        except (aiohttp.ClientError, TimeoutError, EngineError) as exc:
            await self.close()
            raise ModelLoadError(f"model server not usable: {_describe(exc, self.url)}") from exc

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _body(
        self, prompt: Prompt, max_tokens: int, sampling: Sampling | None = None, key: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature if sampling is None else sampling.temperature,
            "stop": list(prompt.stop),
            "stream": True,
            "cache_prompt": True,
        }
        if self.settings.engine_model:
            body["model"] = self.settings.engine_model
        if key is not None and self.settings.engine_slots:
            body["id_slot"] = slot_for(key, self.settings.engine_slots)
        seed = self.settings.seed if sampling is None else sampling.seed
        if seed is not None and seed >= 0:
            body["seed"] = seed
        if self.settings.engine_api == "chat":
            body["messages"] = [
                {**message, "content": defuse_control_text(message["content"])} for message in prompt.as_messages()
            ]
        else:
            body["prompt"] = defuse_control_text(prompt.as_text())
        return body

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int,
        timeout: float,
        key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:
        """Stream from the server; `key` (the conversation) picks the server slot that keeps its prefix."""
        if self._session is None:
            raise EngineError("engine not started")
        path = "/v1/chat/completions" if self.settings.engine_api == "chat" else "/v1/completions"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        async def within(step: Any) -> Any:
            try:
                return await asyncio.wait_for(step, max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise GenerationTimeout(f"no complete reply from {self.url} within {timeout:g}s") from None

        try:
            resp = await within(self._session.post(f"{self.url}{path}", json=self._body(prompt, max_tokens, sampling, key)))
            async with resp:
                await _check(resp, self.url)
                while line := await within(resp.content.readline()):
                    event = _event(line)
                    if event is None:
                        continue
                    if event == "[DONE]":
                        return
                    if text := _text(event, self.url):
                        yield text
        except aiohttp.ClientError as exc:
            raise EngineError(_describe(exc, self.url)) from exc


async def _check(resp: aiohttp.ClientResponse, url: str) -> None:
    if resp.status >= 400:
        body = (await resp.text(errors="replace")).strip()
        raise EngineError(f"{url} answered HTTP {resp.status}: {body[:_EXCERPT_CHARS] or resp.reason}")


def _event(line: bytes) -> str | None:
    """The data of one server-sent-event line, or None for comments, blanks and other fields."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text.startswith("data:"):
        return None
    return text[len("data:") :].strip()


def _text(event: str, url: str) -> str:
    """The generated text in one streamed chunk (completion or chat delta)."""
    try:
        chunk = json.loads(event)
        if "error" in chunk:
            raise EngineError(f"{url} reported an error: {str(chunk['error'])[:_EXCERPT_CHARS]}")
        choice = chunk["choices"][0] if chunk["choices"] else {}
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineError(f"{url} sent a malformed stream chunk: {event[:_EXCERPT_CHARS]!r}") from exc
    if "delta" in choice:
        return choice["delta"].get("content") or ""
    return choice.get("text") or ""


def _describe(exc: BaseException, url: str) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {url}: {exc.os_error or exc}"
    if isinstance(exc, TimeoutError):
        return f"{url} did not answer in time"
    if isinstance(exc, EngineError):
        return str(exc)
    return f"{url}: {type(exc).__name__}: {exc}"
