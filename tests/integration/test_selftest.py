"""The start-up self-test: a child process proves the model runs before anyone is served."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from groupmind.config import Settings
from groupmind.llm import selftest
from groupmind.llm.engine import ModelLoadError
from groupmind.llm.selftest import Machine, ensure_model_runs, verdict_key

CRASHING_LLAMA = "import ctypes\nctypes.string_at(0)  # a real segmentation fault in native code\n"


def _settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, cache_dir=tmp_path / "cache", n_threads=2)  # type: ignore[call-arg]


@pytest.mark.model
def test_the_model_passes_and_the_verdict_is_kept(tmp_path: Path, model_path: Path, monkeypatch) -> None:
    settings = _settings(tmp_path)
    verdict = ensure_model_runs(model_path, settings)
    assert verdict.ok and verdict.tokens == 1 and verdict.load_s > 0
    assert (settings.cache_dir / "selftest" / "verdicts.json").is_file()

    def no_second_child(*args: object, **kwargs: object) -> selftest.Verdict:
        raise AssertionError("a kept verdict must not run the child again")

    monkeypatch.setattr(selftest, "run_child", no_second_child)
    assert ensure_model_runs(model_path, settings) == verdict


@pytest.mark.model
def test_a_native_crash_in_the_child_is_one_line_naming_model_cpu_and_fix(tmp_path: Path, model_path: Path) -> None:
    """A llama_cpp that segfaults on import stands in for a build this CPU cannot run (AMX, SIGILL)."""
    fake = tmp_path / "fake" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(CRASHING_LLAMA)
    settings = _settings(tmp_path)
    machine = Machine.here()
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    verdict = selftest.run_child(model_path, settings, 1, machine, env=env)
    assert not verdict.ok
    assert "crashed (SIGSEGV)" in verdict.detail and model_path.name in verdict.detail
    assert machine.cpu in verdict.detail and "deploy/llama-flags" in verdict.detail
    assert "\n" not in verdict.detail


@pytest.mark.model
def test_the_room_refuses_to_start_on_a_model_that_crashes(tmp_path: Path, model_path: Path) -> None:
    fake = tmp_path / "fake" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(CRASHING_LLAMA)
    script = tmp_path / "s.txt"
    script.write_text("alice: Mind, are you there?\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(fake.parent),
        "GROUPMIND_DATA_DIR": str(tmp_path / "data"),
        "GROUPMIND_CACHE_DIR": str(tmp_path / "cache"),
        "GROUPMIND_REDIS_URL": "",
        "GROUPMIND_MODEL": str(model_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "groupmind", "room", "--script", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    error = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(error) == 1 and "crashed (SIGSEGV)" in error[0] and model_path.name in error[0], done.stderr
    assert "deploy/llama-flags" in error[0]  # the fix, on the same line however long it is
    # a crash is kept too: the next start says the same at once, without a child
    again = subprocess.run(
        [sys.executable, "-m", "groupmind", "room", "--script", str(script)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 1 and "crashed (SIGSEGV)" in again.stderr


def test_the_verdict_is_per_model_build_and_cpu(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    settings = _settings(tmp_path)
    machine = Machine(cpu="Example CPU", features=("avx2", "fma"), build="0.3.36 abc")
    key = verdict_key(model, machine, settings)
    assert key == verdict_key(model, machine, settings)
    assert key != verdict_key(model, replace(machine, features=("avx2", "fma", "amx_tile")), settings)
    assert key != verdict_key(model, replace(machine, build="0.3.36 def"), settings)
    assert key != verdict_key(model, machine, settings.model_copy(update={"n_gpu_layers": -1}))
    model.write_bytes(b"GGUF" + b"\1" * 65)
    assert key != verdict_key(model, machine, settings)


def test_a_child_that_cannot_load_the_model_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "broken.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelLoadError) as failed:
        ensure_model_runs(model, _settings(tmp_path))
    assert "broken.gguf" in str(failed.value) and "failed" in str(failed.value)
    # a load failure is not a crash: the next start tries again rather than trusting a stale verdict
    assert not (tmp_path / "cache" / "selftest" / "verdicts.json").exists()
