"""The llama.cpp build is portable: explicit CPU level, no AMX, never -march=native, cache keyed by flags."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
FLAGS = CHECKOUT / "deploy" / "llama-flags"


def flags(*args: str, cmake_args: str = "") -> str:
    env = {**os.environ, "CMAKE_ARGS": cmake_args}
    return subprocess.run([str(FLAGS), *args], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_the_portable_flags_name_a_cpu_level_and_leave_amx_and_native_out() -> None:
    args = flags().split()
    assert "-DGGML_NATIVE=OFF" in args and not any("march=native" in a or a == "-DGGML_NATIVE=ON" for a in args)
    if platform.machine() in ("x86_64", "AMD64"):
        for on in ("AVX", "AVX2", "FMA", "F16C", "BMI2", "SSE42"):
            assert f"-DGGML_{on}=ON" in args
        for off in ("AMX_TILE", "AMX_INT8", "AMX_BF16", "AVX512"):
            assert f"-DGGML_{off}=OFF" in args


def test_extra_cmake_args_come_last_and_change_the_cache_key() -> None:
    gpu = flags(cmake_args="-DGGML_CUDA=on")
    assert gpu.endswith(" -DGGML_CUDA=on") and gpu.startswith(flags())
    key = flags("--key", "0.3.36")
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert key == flags("--key", "0.3.36")
    assert key != flags("--key", "0.3.36", cmake_args="-DGGML_CUDA=on")
    assert key != flags("--key", "0.3.37")


def test_dev_and_both_images_build_with_these_flags() -> None:
    dev = (CHECKOUT / "dev").read_text()
    assert "$(deploy/llama-flags)" in dev and 'deploy/llama-flags --key' in dev and "--no-cache-dir" in dev
    for dockerfile in ("Dockerfile", "Dockerfile.cuda"):
        text = (CHECKOUT / "deploy" / dockerfile).read_text()
        assert "COPY deploy/llama-flags" in text and "sh deploy/llama-flags)" in text, dockerfile
        assert "march=native" not in text and "GGML_NATIVE=ON" not in text
