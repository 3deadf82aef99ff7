"""Hardware detection: canned nvidia-smi output, a fake nvidia-smi on PATH, and this machine."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from groupmind.llm.catalog import GGUFModel, load_catalog
from groupmind.llm.hardware import Gpu, Hardware, detect, fit, parse_nvidia_smi

# `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`
# on a two-GPU box; the third row is a GPU it could not measure (MIG or a lost device).
CANNED = """0, NVIDIA GeForce RTX 4090, 24564, 23800
1, NVIDIA H200, 143771, 140000
2, NVIDIA A100-SXM4-40GB, [N/A], [N/A]
"""


def test_nvidia_smi_rows_become_gpus_with_their_memory() -> None:
    gpus = parse_nvidia_smi(CANNED)
    assert [(g.index, g.name) for g in gpus] == [(0, "NVIDIA GeForce RTX 4090"), (1, "NVIDIA H200")]
    assert round(gpus[0].vram_gb, 1) == 24.0 and round(gpus[1].vram_gb) == 140
    assert parse_nvidia_smi("") == () and parse_nvidia_smi("No devices were found\n") == ()


def test_a_fake_nvidia_smi_on_the_path_is_found_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "nvidia-smi"
    query = "--query-gpu=index,name,memory.total,memory.free"
    smi.write_text(f"#!/bin/sh\n[ \"$1\" = {query} ] || exit 9\ncat <<'X'\n{CANNED}X\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    hw = detect()
    assert [g.name for g in hw.gpus] == ["NVIDIA GeForce RTX 4090", "NVIDIA H200"]
    assert "GPU 1 NVIDIA H200 (140 GB)" in hw.describe()


def test_a_failing_nvidia_smi_means_no_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "nvidia-smi"
    said = "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver"
    smi.write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 9\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert detect().gpus == ()


def test_this_machine_is_read() -> None:
    hw = detect()
    assert hw.cores == len(os.sched_getaffinity(0))
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    assert hw.ram_gb <= int(meminfo["MemTotal"].split()[0]) / 2**20 + 0.01 and hw.ram_gb > 0.1
    assert 0 < hw.ram_available_gb <= hw.ram_gb
    if shutil.which("nvidia-smi") is None:
        assert hw.gpus == () and "no NVIDIA GPU" in hw.describe()


def _model(name: str) -> GGUFModel:
    entry = load_catalog().get(name)
    assert isinstance(entry, GGUFModel)
    return entry


def test_fit_prefers_a_gpu_with_room_then_ram() -> None:
    big = _model("qwen2.5-14b")
    small_box = Hardware(cores=2, ram_gb=8.0, ram_available_gb=6.0)
    assert fit(big, small_box).where == "no" and "needs 12 GB RAM or a 11 GB GPU" in fit(big, small_box).text
    assert fit(big, Hardware(4, 32.0, 30.0)).where == "ram"
    assert "slow without a GPU" in fit(big, Hardware(4, 32.0, 30.0)).text
    with_gpus = Hardware(4, 8.0, 6.0, parse_nvidia_smi(CANNED))
    assert fit(big, with_gpus).where == "gpu"
    assert fit(big, Hardware(4, 8.0, 6.0, (Gpu(0, "small", 8.0, 8.0),))).where == "no"
    assert fit(_model("gemma3-270m"), small_box).where == "ram"
    server = load_catalog().get("vllm-qwen2.5-14b-awq")
    assert fit(server, small_box).where == "server" and fit(server, with_gpus).where == "gpu"


def test_list_marks_what_fits_a_machine_with_a_gpu(tmp_path: Path) -> None:
    from rich.console import Console

    from groupmind.config import Settings
    from groupmind.model_commands import list_models

    out = Console(file=io.StringIO(), width=220)
    box = Hardware(cores=8, ram_gb=8.0, ram_available_gb=7.0, gpus=(Gpu(0, "NVIDIA RTX 3060", 12.0, 11.5),))
    assert list_models(Settings(_env_file=None, data_dir=tmp_path), out, box) == 0  # type: ignore[call-arg]
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert text.startswith("This machine: 8 cores, 8.0 GB RAM (7.0 GB available), GPU 0 NVIDIA RTX 3060 (12 GB)")
    rows = {line.split()[1]: line for line in text.splitlines() if line.startswith("│ ") and line.split()[1][:1].isalpha()}
    assert "yes GPU 0 (9 of 12 GB)" in rows["mistral-nemo-12b"]
    assert "yes GPU 0 (11 of 12 GB)" in rows["qwen2.5-14b"]
    assert "on a server with a 16 GB GPU" in rows["vllm-qwen2.5-14b-awq"]  # too big for this GPU
    assert "yes GPU 0 (6 of 12 GB)" in rows["ollama-qwen2.5-7b"]  # this machine could host the server
    assert "in use" in rows["gemma3-270m"] and "pulled" not in text
