"""Decode speed of the portable llama.cpp build against another build, in one run.

The portable build (deploy/llama-flags: x86-64-v3, no AVX-512, no AMX) is what
./dev and the Docker images install. The baseline is a second virtualenv whose
llama-cpp-python was built another way, usually `-DGGML_NATIVE=ON` on this
machine. Both run the start-up self-test's child (load the default model,
decode greedily), alternating, so machine noise falls on both alike. A child
that crashes (the native AMX build on some CPUs) is reported, not raised.

    CMAKE_ARGS="-DGGML_NATIVE=ON" python -m pip wheel --no-cache-dir --no-deps -w /tmp/native llama-cpp-python==VERSION
    python -m venv /tmp/native-venv && /tmp/native-venv/bin/pip install --find-links /tmp/native -e .
    .venv/bin/python -m bench.cpu_build --baseline-python /tmp/native-venv/bin/python [--rounds 5 --tokens 128]

Last line: {"portable_tps", "baseline_tps", "ratio", ...}; ratio = portable / baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from groupmind.config import Settings
from groupmind.llm.models import assemble_default_model
from groupmind.llm.selftest import Machine, run_child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-python", required=True, help="python of the venv with the other build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    model = assemble_default_model(Path(tempfile.gettempdir()) / "groupmind-bench", print)
    machine = Machine.here()
    speeds: dict[str, list[float]] = {"portable": [], "baseline": []}
    failures: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, python in (("portable", sys.executable), ("baseline", args.baseline_python)):
            verdict = run_child(model, settings, args.tokens, machine, python=python)
            if verdict.ok:
                speeds[name].append(verdict.decode_tps)
            else:
                failures[name] = verdict.detail
    portable = statistics.median(speeds["portable"]) if speeds["portable"] else 0.0
    baseline = statistics.median(speeds["baseline"]) if speeds["baseline"] else 0.0
    print(json.dumps({
        "portable_tps": round(portable, 2),
        "baseline_tps": round(baseline, 2),
        "ratio": round(portable / baseline, 3) if baseline else None,
        "rounds": args.rounds,
        "tokens": args.tokens,
        "threads": settings.n_threads,
        "cpu_features": " ".join(machine.features),
        "failures": failures,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
