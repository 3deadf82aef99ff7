"""`LocalEngine`: a GGUF model in this process, through llama-cpp-python.

A llama.cpp context is not thread-safe, so one worker thread owns the model and
every request waits its turn in a fair queue (`schedule.FairQueue`); the event
loop only ever awaits. Tokens cross back to the loop as they are produced, so
replies stream. Each conversation's evaluated prompt is kept (`states`), so a
new message costs its own tokens, not the whole transcript again.

Prompts are handed to llama.cpp as tokens, never as text: llama-cpp-python
tokenizes a text prompt (and a rendered chat template) with special tokens
parsed, so a member typing `<end_of_turn>` or `<|im_start|>` would end the turn
or forge one. What members, admins and the bot wrote is tokenized as plain text;
only the chat template's own markup becomes control tokens (`ChatTokens`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

from groupmind.config import Settings
from groupmind.llm.engine import (
    Engine,
    EngineError,
    GenerationTimeout,
    ModelLoadError,
    Prompt,
    Sampling,
    Superseded,
)
from groupmind.llm.schedule import FairQueue
from groupmind.llm.states import StateCache, restore, snapshot

_GGUF_MAGIC = b"GGUF"
_DONE = object()
_anonymous = itertools.count()


def plain_tokens(llm: Any, text: str) -> list[int]:
    """`text` as the model's tokens, read as plain text: no control token can come from it.

    Starts with BOS when the model's vocabulary asks for one, as a text prompt would.
    """
    return llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)


_STAND_IN = "\ue000{}\ue001"
_STAND_INS = re.compile("\ue000(\\d+)\ue001")
"""Private-use characters no chat template writes: they mark where each message's content goes."""


class ChatTokens:
    """The GGUF's chat template (`tokenizer.chat_template`), rendered into tokens.

    The template is rendered by llama-cpp-python's own Jinja2 formatter with a
    stand-in for each message's content; the template's text becomes tokens with
    special tokens parsed (its turn markers), each content as plain text.
    """

    def __init__(self, llm: Any, template: str) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        eos, bos = (
            llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""
            for token in (llm.token_eos(), llm.token_bos())
        )
        self._llm = llm
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True)
        self.stop = [eos] if eos else []
        """Text that ends the model's turn, as llama-cpp-python's chat completion stops on it."""

    def __call__(self, messages: list[dict[str, str]]) -> list[int]:
        """The tokens of `messages` in the template, ending where the model's turn starts.

        Contents are stripped first, as templates trim them; raises EngineError
        if the template dropped or altered a content, which would leave nothing
        safe to tokenize.
        """
        stand_ins = [{**message, "content": _STAND_IN.format(i)} for i, message in enumerate(messages)]
        parts = _STAND_INS.split(self._format(messages=stand_ins).prompt)
        if {int(i) for i in parts[1::2]} != set(range(len(messages))):
            raise EngineError("the chat template dropped or altered a message; set chat_template off for this model")
        tokens: list[int] = []
        for index, part in enumerate(parts):
            if index % 2:
                content = messages[int(part)]["content"].strip()
                tokens += self._llm.tokenize(content.encode("utf-8"), add_bos=False, special=False)
            elif part:
                tokens += self._llm.tokenize(part.encode("utf-8"), add_bos=False, special=True)
        return tokens


@dataclass
class _Job:
    """One generation request, as the worker thread sees it."""

    key: str
    shared: bool  # False: a keyless request, nothing kept for it
    prompt: Prompt
    max_tokens: int
    post: Callable[[object], None]
    cancelled: threading.Event = field(default_factory=threading.Event)
    sampling: Sampling | None = None


def check_gguf(path: Path) -> None:
    """Raise ModelLoadError naming `path` unless it looks like a GGUF file."""
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    with path.open("rb") as fh:
        if fh.read(4) != _GGUF_MAGIC:
            raise ModelLoadError(f"not a GGUF model file (bad header): {path}")


class LocalEngine(Engine):
    """llama-cpp-python on one worker thread; `n_gpu_layers` offloads on a CUDA build."""

    def __init__(self, model_path: Path, settings: Settings) -> None:
        self.model_path = Path(model_path)
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groupmind-llm")
        self._llm: Any = None
        self._chat: ChatTokens | None = None
        """The chat template, when the model has one and `settings.chat_template` is on."""
        self._grammars: dict[str, Any] = {}
        """Compiled grammars by JSON schema text; building one is slower than using it."""
        self._queue: FairQueue[_Job] = FairQueue()
        self.states = StateCache(settings.prefix_cache_mb * 2**20)
        """Saved contexts of the conversations that are not live."""
        self._live: str | None = None
        self.pending = 0
        """Requests queued or running: the engine's queue depth."""
        self.cache_hits = 0
        """Requests whose conversation was live or restored from `states`."""
        self.cache_misses = 0
        """Requests for a conversation the engine had no context for."""
        self.superseded = 0
        """Queued requests replaced by a newer one for the same conversation."""

    @property
    def name(self) -> str:
        return self.model_path.name

    @property
    def ready(self) -> bool:
        return self._llm is not None

    @property
    def uses_chat_template(self) -> bool:
        return self._chat is not None

    async def start(self) -> None:
        if self._llm is None:
            self._llm = await asyncio.get_running_loop().run_in_executor(self._executor, self._load)
            template = self._llm.metadata.get("tokenizer.chat_template")
            self._chat = ChatTokens(self._llm, template) if template and self.settings.chat_template else None

    def _load(self) -> Any:
        check_gguf(self.model_path)
        from llama_cpp import Llama  # heavy import, done on the worker thread

        try:
            return Llama(
                model_path=str(self.model_path),
                n_ctx=self.settings.n_ctx,
                n_threads=self.settings.n_threads,
                n_threads_batch=self.settings.n_threads,
                n_gpu_layers=self.settings.n_gpu_layers,
                seed=self.settings.seed if self.settings.seed >= 0 else 0xFFFFFFFF,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(f"cannot load model {self.model_path}: {exc}") from exc

    async def close(self) -> None:
        llm, self._llm = self._llm, None
        self._chat = None
        self.states.clear()
        self._live = None
        if llm is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, llm.close)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _switch_to(self, llm: Any, job: _Job) -> None:
        """Worker thread: make `job`'s conversation the live context, saving the one it replaces."""
        if job.shared and job.key == self._live:
            self.cache_hits += 1
            return
        if self._live is not None and llm.n_tokens > 0:
            self.states.put(self._live, snapshot(llm))
        self._live = job.key if job.shared else None
        saved = self.states.take(job.key) if job.shared else None
        if saved is None:
            self.cache_misses += 1
            return
        restore(llm, saved)
        self.cache_hits += 1

    def _pieces(self, llm: Any, prompt: Prompt, max_tokens: int, sampling: Sampling | None = None) -> Iterator[str]:
        """Worker thread: the raw text pieces of one generation."""
        chat = self._chat
        tokens = chat(prompt.as_messages()) if chat is not None else plain_tokens(llm, prompt.as_text())
        stop = list(prompt.stop) + (chat.stop if chat is not None else [])
        temperature = self.settings.temperature if sampling is None else sampling.temperature
        seed = {"seed": sampling.seed} if sampling is not None and sampling.seed is not None else {}
        for chunk in llm.create_completion(
            prompt=tokens, max_tokens=max_tokens, temperature=temperature, stop=stop, stream=True, **seed
        ):
            if text := chunk["choices"][0]["text"]:
                yield text

    async def complete_json(self, text: str, schema: dict[str, Any], *, max_tokens: int, timeout: float) -> Any:
        """Continue `text` with output constrained by a llama.cpp grammar to JSON matching `schema`.

        Runs on the engine's worker thread like `stream`; raises GenerationTimeout
        after `timeout` seconds (queue wait included) and EngineError on failure.
        """
        if self._llm is None:
            raise EngineError("engine not started")

        key = json.dumps(schema, sort_keys=True)
        timed_out = threading.Event()

        def work() -> str:
            from llama_cpp import LlamaGrammar

            if timed_out.is_set():
                return ""
            if (grammar := self._grammars.get(key)) is None:
                grammar = self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            self._live = None  # the context now holds the judge's prompt, no conversation's
            pieces = []
            for chunk in self._llm.create_completion(
                prompt=plain_tokens(self._llm, text), max_tokens=max_tokens, temperature=self.settings.temperature, grammar=grammar, stream=True
            ):
                if timed_out.is_set():  # nobody waits for it: free the worker for the next request
                    break
                pieces.append(chunk["choices"][0]["text"])
            return "".join(pieces)

        self.pending += 1
        job = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            raw = await asyncio.wait_for(asyncio.shield(job), timeout)
        except TimeoutError:
            timed_out.set()
            job.cancel()  # drops it from the queue if it has not started yet
            raise GenerationTimeout(f"no constrained reply within {timeout:g}s") from None
        except Exception as exc:
            raise EngineError(f"constrained generation failed: {exc}") from exc
        finally:
            self.pending -= 1
        try:
            return json.loads(raw)
        except ValueError as exc:  # max_tokens cut the JSON short
            raise EngineError(f"model output is not complete JSON: {raw[:80]!r}") from exc

    def _run_next(self) -> None:
        """Worker thread: run whichever job is next in fair order (a no-op if it was withdrawn)."""
        job = self._queue.take()
        if job is None or job.cancelled.is_set():
            return
        llm = self._llm  # close() may clear it while this job waited
        if llm is None:
            job.post(EngineError("engine closed before this request ran"))
            job.post(_DONE)
            return
        try:
            self._switch_to(llm, job)
            for piece in self._pieces(llm, job.prompt, job.max_tokens, job.sampling):
                if job.cancelled.is_set():
                    return
                job.post(piece)
        except Exception as exc:  # crosses the thread boundary as a value
            job.post(EngineError(f"generation failed: {exc}"))
        finally:
            job.post(_DONE)

    def forget(self, key: str) -> None:
        """Drop `key`'s saved context, and the live one if it is `key`'s; runs on the worker thread, in queue order."""

        def drop() -> None:
            self.states.take(key)
            if self._live == key:
                self._live = None
                if self._llm is not None:
                    self._llm.reset()

        self._executor.submit(drop)

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int,
        timeout: float,
        key: str | None = None,
        sampling: Sampling | None = None,
    ) -> AsyncIterator[str]:
        if self._llm is None:
            raise EngineError("engine not started")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        cancelled = threading.Event()

        def post(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone; nobody is listening
                cancelled.set()

        job = _Job(
            key=key if key is not None else f"anonymous-{next(_anonymous)}",
            shared=key is not None,
            prompt=prompt,
            max_tokens=max_tokens,
            post=post,
            cancelled=cancelled,
            sampling=sampling,
        )
        if (older := self._queue.put(job.key, job)) is not None:
            older.cancelled.set()
            older.post(Superseded("a newer message in this conversation replaced this request"))
            self.superseded += 1
        self.pending += 1
        # One run per request; each takes whatever is next in fair order when the worker is free.
        loop.run_in_executor(self._executor, self._run_next)
        deadline = loop.time() + timeout
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise GenerationTimeout(f"no complete reply within {timeout:g}s") from None
                if item is _DONE:
                    return
                if isinstance(item, EngineError):
                    raise item
                yield str(item)
        finally:
            cancelled.set()
            self._queue.discard(job.key, job)
            self.pending -= 1
