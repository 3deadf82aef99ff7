"""Prove the model really runs on this machine before anyone is served.

llama.cpp is native code: a build whose instructions this CPU lacks (SIGILL) or
a kernel that crashes on it (the AMX kernels on Sapphire Rapids, SIGSEGV) kills
the whole process on the first reply, long after start-up looked fine. So a
child process loads the model and decodes first; a crash there becomes one
clear line naming the model, the CPU's features and the fix.

The verdict is kept per model file, llama.cpp build and CPU (`verdicts.json` in
the cache dir), so later starts on the same machine do not pay for it again.
`groupmind models check` runs the same test with more tokens and prints the
decode speed.

Run as a module (`python -m groupmind.llm.selftest MODEL THREADS GPU_LAYERS
TOKENS`), it is the child: it prints one JSON line of timings.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata, util
from pathlib import Path

from groupmind.config import Settings
from groupmind.llm.engine import ModelLoadError

FEATURES = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx_vnni",
    "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "amx_tile", "amx_int8", "amx_bf16", "asimd", "asimddp", "sve", "i8mm",
)  # fmt: skip
"""The CPU flags that decide which llama.cpp kernels can run (x86 and arm64 names)."""

CHILD_TIMEOUT_S = 300.0
FIX = (
    "rebuild llama-cpp-python with the portable flags: remove .venv and the wheel cache "
    "(~/.cache/groupmind/wheels, or $GROUPMIND_WHEELHOUSE) and run ./dev again; "
    "the flags are in deploy/llama-flags (README, 'Which CPUs')"
)


@dataclass(frozen=True)
class Machine:
    """What the verdict depends on besides the model: this CPU and this llama.cpp build."""

    cpu: str
    features: tuple[str, ...]
    build: str

    @classmethod
    def here(cls) -> Machine:
        return cls(*_cpu(), _build())

    def describe(self) -> str:
        return f"CPU {self.cpu} ({' '.join(self.features) or 'no listed features'})"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one self-test: passed, or the one line that says why not."""

    ok: bool
    detail: str
    load_s: float = 0.0
    decode_tps: float = 0.0
    tokens: int = 0


def _cpu() -> tuple[str, tuple[str, ...]]:
    """The CPU's model name and the flags of FEATURES it has, from /proc/cpuinfo where there is one."""
    name, flags = platform.processor() or platform.machine(), set[str]()
    try:
        info = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        info = ""
    for line in info.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            name = value.strip()
        elif key in ("flags", "Features"):
            flags |= set(value.split())
    return name, tuple(f for f in FEATURES if f in flags)


def _build() -> str:
    """llama-cpp-python's version and its native libraries' sizes and mtimes, read without loading them.

    Loading the library could itself crash on a CPU it was not built for, so
    the parent never does that before the child has run.
    """
    try:
        version = metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return "llama-cpp-python not installed"
    spec = util.find_spec("llama_cpp")
    libs = sorted(Path(next(iter(spec.submodule_search_locations or []), ".")).glob("lib/*")) if spec else []
    stamps = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in libs if p.is_file()]
    return f"{version} {hashlib.sha256(' '.join(stamps).encode()).hexdigest()[:16]}"


def verdict_key(model: Path, machine: Machine, settings: Settings) -> str:
    stat = model.stat()
    parts = [str(model.resolve()), str(stat.st_size), str(stat.st_mtime_ns), machine.cpu, *machine.features]
    parts += [machine.build, str(settings.n_gpu_layers)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def run_child(
    model: Path,
    settings: Settings,
    tokens: int,
    machine: Machine,
    env: dict[str, str] | None = None,
    python: str = sys.executable,
) -> Verdict:
    """Load `model` and decode `tokens` tokens in a child process; never raises for the child's failure.

    `python` picks the interpreter, and with it the llama.cpp build (the bench
    compares two builds this way).
    """
    argv = [python, "-m", "groupmind.llm.selftest", str(model)]
    argv += [str(settings.n_threads), str(settings.n_gpu_layers), str(tokens)]
    where = f"model {model.name} on {machine.describe()}, llama-cpp-python {machine.build.split()[0]}"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        return Verdict(False, f"the self-test of {where} did not finish in {CHILD_TIMEOUT_S:g}s")
    if done.returncode < 0:
        crash = _signal_name(done.returncode)
        return Verdict(False, f"llama.cpp crashed ({crash}) running {where}; fix: {FIX}")
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        timings = json.loads(last)
    except ValueError:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return Verdict(False, f"the self-test of {where} failed (exit {done.returncode}): {said}")
    return Verdict(True, f"{where}: ok", timings["load_s"], timings["decode_tps"], timings["tokens"])


def _read_verdicts(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _keep(path: Path, key: str, verdict: Verdict) -> None:
    """Record a verdict; a cache that cannot be written only costs the next start another test."""
    verdicts = _read_verdicts(path)
    verdicts[key] = asdict(verdict)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(verdicts, indent=1))
        tmp.replace(path)
    except OSError:
        pass


def ensure_model_runs(model: Path, settings: Settings, *, tokens: int = 1, fresh: bool = False) -> Verdict:
    """The self-test (`tokens` decoded), or its kept verdict unless `fresh`; raise ModelLoadError if it failed.

    A timeout is not kept (the machine may only have been busy); a pass or a
    crash is, until the model file, the build or the CPU changes.
    """
    machine = Machine.here()
    path = settings.cache_dir / "selftest" / "verdicts.json"
    key = verdict_key(model, machine, settings)
    kept = None if fresh else _read_verdicts(path).get(key)
    if isinstance(kept, dict):
        verdict = Verdict(**kept)  # type: ignore[arg-type]
    else:
        verdict = run_child(model, settings, tokens, machine)
        if verdict.ok or "crashed" in verdict.detail:
            _keep(path, key, verdict)
    if not verdict.ok:
        raise ModelLoadError(verdict.detail)
    return verdict


def _child(model: str, threads: int, gpu_layers: int, tokens: int) -> None:
    """Load the model, decode `tokens` tokens greedily, print the timings as one JSON line."""
    from llama_cpp import Llama

    started = time.perf_counter()
    llm = Llama(model, n_ctx=256, n_threads=threads, n_threads_batch=threads, n_gpu_layers=gpu_layers, verbose=False)
    loaded = time.perf_counter()
    prompt = llm.tokenize(b"The group chat was quiet until", add_bos=True, special=False)
    decoded, first = 0, loaded
    for _ in llm.generate(prompt, temp=0.0):
        decoded += 1
        if decoded == 1:
            first = time.perf_counter()  # the prompt's evaluation ends with the first token
        if decoded >= tokens:
            break
    done = time.perf_counter()
    rate = (decoded - 1) / (done - first) if decoded > 1 and done > first else 0.0
    print(json.dumps({"load_s": round(loaded - started, 3), "decode_tps": round(rate, 2), "tokens": decoded}))


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
