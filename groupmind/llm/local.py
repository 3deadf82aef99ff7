"""`LocalEngine`: a GGUF model in this process, through llama-cpp-python.

A llama.cpp context is not thread-safe, so one worker thread owns the model and
every request waits its turn in that thread's queue; the event loop only ever
awaits. Tokens cross back to the loop as they are produced, so replies stream.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from groupmind.config import Settings
from groupmind.llm.engine import Engine, EngineError, GenerationTimeout, ModelLoadError, Prompt

_GGUF_MAGIC = b"GGUF"
_DONE = object()


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
        self._chat = False
        self._grammars: dict[str, Any] = {}
        """Compiled grammars by JSON schema text; building one is slower than using it."""
        self.pending = 0
        """Requests queued or running: the engine's queue depth."""

    @property
    def name(self) -> str:
        return self.model_path.name

    @property
    def uses_chat_template(self) -> bool:
        return self._chat

    async def start(self) -> None:
        if self._llm is None:
            self._llm = await asyncio.get_running_loop().run_in_executor(self._executor, self._load)
            template = self._llm.metadata.get("tokenizer.chat_template")
            self._chat = bool(template) and self.settings.chat_template

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
        if llm is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, llm.close)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _pieces(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        """Runs on the worker thread: the raw text pieces of one generation."""
        common = {
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature,
            "stop": list(prompt.stop),
            "stream": True,
        }
        if self._chat:
            for chunk in self._llm.create_chat_completion(messages=prompt.as_messages(), **common):
                if text := chunk["choices"][0]["delta"].get("content"):
                    yield text
        else:
            for chunk in self._llm.create_completion(prompt=prompt.as_text(), **common):
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

        def work() -> str:
            from llama_cpp import LlamaGrammar

            if (grammar := self._grammars.get(key)) is None:
                grammar = self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            out = self._llm.create_completion(
                prompt=text, max_tokens=max_tokens, temperature=self.settings.temperature, grammar=grammar
            )
            return str(out["choices"][0]["text"])

        self.pending += 1
        job = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            raw = await asyncio.wait_for(asyncio.shield(job), timeout)
        except TimeoutError:
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

    async def stream(self, prompt: Prompt, *, max_tokens: int, timeout: float) -> AsyncIterator[str]:
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

        def work() -> None:
            try:
                if cancelled.is_set():
                    return
                for piece in self._pieces(prompt, max_tokens):
                    if cancelled.is_set():
                        return
                    post(piece)
            except Exception as exc:  # crosses the thread boundary as a value
                post(EngineError(f"generation failed: {exc}"))
            finally:
                post(_DONE)

        self.pending += 1
        job = loop.run_in_executor(self._executor, work)
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
            job.cancel()  # drops it from the queue if it has not started yet
            self.pending -= 1
