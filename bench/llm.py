"""How fast the model answers: prefix reuse, many channels, decode overhead, a server for comparison.

Replays real `#ubuntu` conversations (../shared/data/ubuntu-irc/dev), two
channels per log, each shown to the model as a 40-message window with the we
model's notes on the room, as the pipeline builds them. Every figure
is a ratio against a baseline measured in the same run, or a latency reported
as is:

- warm/cold TTFT: a new message in a channel the engine has context for, against
  the same prompt with no context (goal <= 0.25);
- the same with 20 channels interleaved in their logs' own time order and the
  state cache bound to 8 channels' states (cold baseline sampled every third
  message, on the same prompt);
- decode tokens/s through LocalEngine against llama-cpp-python called directly
  on the same prompt (goal >= 0.95);
- p50/p95 request-to-complete-reply latency of the interleaved replay, and peak
  RSS (one model loaded);
- the same replay against `python -m llama_cpp.server` (its `--cache` on, bound
  to the same 8 channels; `cache_prompt` is sent too, for llama.cpp's own
  server), through RemoteEngine, taking turns with LocalEngine request by request.

Run: PYTHONPATH=. python bench/llm.py [--events 30]. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Sequence

from groupmind.config import Settings
from groupmind.events import ChatMessage
from groupmind.llm import Engine, LocalEngine, ModelLoadError, Prompt, RemoteEngine
from groupmind.llm.models import resolve_model
from groupmind.prompt import build_prompt
from groupmind.replay import read_irc
from groupmind.we.group import build_group
from groupmind.we.threads import Linked, link_message

IRC_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu-irc" / "dev"
WINDOW = 40
BOT = "Mind"
REPLY_TOKENS = 16


@dataclass
class Channel:
    """One replayed conversation: its messages, renamed so each channel is distinct."""

    name: str
    messages: list[ChatMessage]
    linked: list[Linked] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for msg in self.messages:
            self.linked.append(Linked(msg, link_message(msg, self.linked[-WINDOW:])))

    def prompt(self, upto: int, budget_chars: int) -> Prompt:
        """The bot's prompt after message `upto` (exclusive) arrived, room notes included."""
        start = max(0, upto - WINDOW)
        window = self.messages[start:upto]
        group = build_group(self.linked[start:upto], {}, window[-1].ts, BOT).render()
        return build_prompt(BOT, window, channel=self.name, budget_chars=budget_chars, max_turns=WINDOW, group=group)


def load_channels(count: int, length: int) -> list[Channel]:
    """`count` channels of `length` messages: the start and the middle of each dev log."""
    logs = sorted(IRC_DEV.glob("*.raw.txt"))
    if not logs:
        sys.exit(f"bench/llm.py: no IRC logs in {IRC_DEV} (see ../shared/data/README.md)")
    channels = []
    for part in range(2):
        for log in logs:
            messages = list(read_irc(log))
            start = part * (len(messages) // 2)
            name = f"{log.name.split('.')[0]}-{part}"
            chunk = [m.model_copy(update={"channel": name}) for m in messages[start : start + length]]
            channels.append(Channel(name, chunk))
    return channels[:count]


def interleaved(channels: Sequence[Channel], events: int) -> list[tuple[Channel, int]]:
    """(channel, message index) of each new message, in the logs' own time order."""
    timeline = []
    for order, channel in enumerate(channels):
        origin = channel.messages[0].ts
        for index in range(WINDOW, len(channel.messages)):
            offset = (channel.messages[index].ts - origin).total_seconds()
            timeline.append((offset, order, index, channel))
    timeline.sort(key=lambda item: item[:3])
    return [(channel, index) for _, _, index, channel in timeline[:events]]


async def timed(engine: Engine, prompt: Prompt, key: str | None, max_tokens: int) -> tuple[float, float]:
    """(seconds to the first piece or the end, seconds to the complete reply)."""
    started = time.perf_counter()
    first = None
    async for _ in engine.stream(prompt, max_tokens=max_tokens, timeout=600, key=key):
        first = first or time.perf_counter()
    done = time.perf_counter()
    return (first or done) - started, done - started


FLUSH = Prompt(system="Unrelated.", turns=(), speaker="x")


async def timed_cold(engine: Engine, prompt: Prompt, max_tokens: int) -> float:
    """TTFT of `prompt` with nothing to reuse: no key, after an unrelated prompt."""
    await timed(engine, FLUSH, None, 1)
    return (await timed(engine, prompt, None, max_tokens))[0]


async def warm_vs_cold(engine: LocalEngine, channels: Sequence[Channel], steps: int, budget: int) -> float:
    """Mean TTFT of new messages in channels with context, over the same prompts cold."""
    for channel in channels:
        await timed(engine, channel.prompt(WINDOW, budget), channel.name, 1)
    warm, cold = [], []
    for step in range(1, steps + 1):
        for channel in channels:
            warm.append((await timed(engine, channel.prompt(WINDOW + step, budget), channel.name, 1))[0])
        for channel in channels:
            cold.append(await timed_cold(engine, channel.prompt(WINDOW + step, budget), 1))
    print(f"warm TTFT mean {statistics.mean(warm):.3f}s, cold {statistics.mean(cold):.3f}s", file=sys.stderr)
    return statistics.mean(warm) / statistics.mean(cold)


@dataclass
class Replay:
    """One engine's figures from the interleaved replay."""

    ttfts: list[float]
    latencies: list[float]


async def replay(
    engines: Sequence[Engine], channels: Sequence[Channel], events: Sequence[tuple[Channel, int]], budget: int
) -> tuple[list[Replay], list[float], list[float]]:
    """Prime every channel, then answer each new message with every engine in turn.

    Taking turns request by request means a noisy neighbour on the machine
    slows them alike. Every third event is also answered cold by the first
    engine (`timed_cold`), for the TTFT baseline on the same prompts: returns
    (per engine, those warm TTFTs, their cold TTFTs).
    """
    for channel in channels:
        for engine in engines:
            await timed(engine, channel.prompt(WINDOW, budget), channel.name, 1)
    results = [Replay([], []) for _ in engines]
    warm, cold = [], []
    for number, (channel, index) in enumerate(events):
        prompt = channel.prompt(index + 1, budget)
        for result, engine in zip(results, engines):
            first, total = await timed(engine, prompt, channel.name, REPLY_TOKENS)
            result.ttfts.append(first)
            result.latencies.append(total)
        if number % 3 == 0:
            warm.append(results[0].ttfts[-1])
            cold.append(await timed_cold(engines[0], prompt, REPLY_TOKENS))
    for engine, result in zip(engines, results):
        print(f"{engine.name}: interleaved TTFT mean {statistics.mean(result.ttfts):.3f}s", file=sys.stderr)
    print(f"sampled warm TTFT mean {statistics.mean(warm):.3f}s, cold {statistics.mean(cold):.3f}s", file=sys.stderr)
    return results, warm, cold


def decode_rate(pieces_at: list[float]) -> float:
    return (len(pieces_at) - 1) / (pieces_at[-1] - pieces_at[0])


async def decode_ratio(engine: LocalEngine, model: Path, settings: Settings, prompt: Prompt) -> float:
    """Decode tokens/s through the engine over llama-cpp-python direct, same prompt, best of 3."""
    from llama_cpp import Llama

    direct = Llama(
        model_path=str(model), n_ctx=settings.n_ctx, n_threads=settings.n_threads,
        n_threads_batch=settings.n_threads, n_gpu_layers=settings.n_gpu_layers, verbose=False,
    )
    text = prompt.as_text()
    ours, theirs = [], []
    for _ in range(3):
        stamps = [time.perf_counter() for c in direct.create_completion(
            text, max_tokens=48, temperature=0.0, stop=[], stream=True) if c["choices"][0]["text"]]
        theirs.append(decode_rate(stamps))
        stamps = [time.perf_counter() async for _ in engine.stream(prompt, max_tokens=48, timeout=600, key="decode")]
        ours.append(decode_rate(stamps))
    direct.close()
    print(f"decode tok/s: engine {max(ours):.1f}, direct {max(theirs):.1f}", file=sys.stderr)
    return max(ours) / max(theirs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def llama_server(model: Path, settings: Settings, cache_bytes: int) -> AsyncIterator[RemoteEngine]:
    """llama-cpp-python's server (its state cache on, bound like ours), through RemoteEngine."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", str(settings.n_ctx), "--n_threads", str(settings.n_threads),
         "--n_threads_batch", str(settings.n_threads), "--n_gpu_layers", str(settings.n_gpu_layers),
         "--cache", "true", "--cache_size", str(cache_bytes), "--verbose", "false"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    remote = RemoteEngine(settings.model_copy(update={"engine_url": f"http://127.0.0.1:{port}"}))
    try:
        for _ in range(240):
            try:
                await remote.start()
                break
            except ModelLoadError:
                if proc.poll() is not None:
                    sys.exit(f"llama_cpp.server exited; see {log.name}")
                await asyncio.sleep(0.5)
        yield remote
    finally:
        await remote.close()
        proc.terminate()
        proc.wait(timeout=60)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=30, help="new messages in the interleaved replay")
    parser.add_argument("--steps", type=int, default=5, help="new messages per channel for warm/cold")
    args = parser.parse_args()
    base = Settings()
    settings = base.model_copy(update={"temperature": 0.0, "seed": 7})
    model = resolve_model(settings, lambda text: print(text, file=sys.stderr))
    budget = (settings.n_ctx - REPLY_TOKENS) * 3
    channels = load_channels(20, WINDOW + args.events + args.steps)
    print(f"model {model.name}, n_threads {settings.n_threads}, n_gpu_layers {settings.n_gpu_layers}", file=sys.stderr)

    engine = LocalEngine(model, settings)
    await engine.start()
    ratio = await warm_vs_cold(engine, channels[:3], args.steps, budget)
    per_channel = engine.states.nbytes / max(1, len(engine.states))
    await engine.close()

    cache_mb = math.ceil(8 * per_channel / 2**20)
    engine = LocalEngine(model, settings.model_copy(update={"prefix_cache_mb": cache_mb}))
    await engine.start()
    events = interleaved(channels, args.events)
    async with llama_server(model, settings, cache_mb * 2**20) as server:
        (ours, theirs), warm, cold = await replay([engine, server], channels, events, budget)
    print(
        f"cache bound {cache_mb} MB for 8 channels: hits {engine.cache_hits}, misses {engine.cache_misses}, "
        f"evictions {engine.states.evictions}",
        file=sys.stderr,
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    decode = await decode_ratio(engine, model, settings, channels[0].prompt(WINDOW, budget))
    await engine.close()

    figures = {
        "warm_cold_ttft_ratio": round(ratio, 3),
        "interleaved_ttft_ratio": round(statistics.mean(warm) / statistics.mean(cold), 3),
        "decode_ratio": round(decode, 3),
        "p50_s": round(percentile(ours.latencies, 0.5), 3),
        "p95_s": round(percentile(ours.latencies, 0.95), 3),
        "rss_mb": round(rss_mb),
        "server_p50_s": round(percentile(theirs.latencies, 0.5), 3),
        "server_p95_s": round(percentile(theirs.latencies, 0.95), 3),
        "ttft_mean_s": round(statistics.mean(ours.ttfts), 3),
        "server_ttft_mean_s": round(statistics.mean(theirs.ttfts), 3),
        "events": len(events),
        "n_threads": settings.n_threads,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
