"""What this machine offers a model: CPU cores, RAM, and NVIDIA GPUs with their memory.

Read from the OS without extra packages: cores from the scheduler affinity,
RAM from /proc/meminfo (capped by a cgroup limit, as in a container), GPUs from
`nvidia-smi`. Anything missing reads as none, never as an error: most machines
have no GPU, and some no /proc.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from groupmind.llm.catalog import Entry, GGUFModel

GPU_QUERY = ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"]
_GIB = 1024**3


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    vram_gb: float
    free_gb: float


@dataclass(frozen=True)
class Hardware:
    cores: int
    ram_gb: float
    ram_available_gb: float
    gpus: tuple[Gpu, ...] = ()

    def describe(self) -> str:
        gpus = ", ".join(f"GPU {g.index} {g.name} ({g.vram_gb:.0f} GB)" for g in self.gpus) or "no NVIDIA GPU"
        return (
            f"{self.cores} cores, {self.ram_gb:.1f} GB RAM ({self.ram_available_gb:.1f} GB available), {gpus}"
        )


@dataclass(frozen=True)
class Fit:
    """Where a model runs on this machine: fully on a GPU, on the CPU from RAM, on a server, or not here."""

    where: Literal["gpu", "ram", "server", "no"]
    text: str

    @property
    def fits(self) -> bool:
        return self.where in ("gpu", "ram")


def parse_nvidia_smi(text: str) -> tuple[Gpu, ...]:
    """GPUs from `nvidia-smi` GPU_QUERY output (MiB); a row it could not measure ([N/A]) is left out."""
    gpus = []
    for row in text.splitlines():
        cells = [cell.strip() for cell in row.split(",")]
        if len(cells) < 4:
            continue
        index, *name, total, free = cells
        try:
            gpus.append(Gpu(int(index), ", ".join(name), float(total) / 1024, float(free) / 1024))
        except ValueError:
            continue
    return tuple(gpus)


def _meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """/proc/meminfo in bytes, or empty where there is none."""
    values = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return values


def _cgroup_limit() -> int | None:
    """A container's memory limit (cgroup v2 or v1), where one is set."""
    for path in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _ram() -> tuple[int, int]:
    info = _meminfo()
    total = info.get("MemTotal") or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    available = info.get("MemAvailable", total)
    if (limit := _cgroup_limit()) is not None:
        total, available = min(total, limit), min(available, limit)
    return total, available


def _nvidia_gpus(run: Callable[..., subprocess.CompletedProcess[str]]) -> tuple[Gpu, ...]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return ()
    try:
        done = run([smi, *GPU_QUERY], capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return ()
    return parse_nvidia_smi(done.stdout) if done.returncode == 0 else ()


def detect(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> Hardware:
    total, available = _ram()
    return Hardware(_cores(), total / _GIB, available / _GIB, _nvidia_gpus(run))


def fit(entry: Entry, hw: Hardware) -> Fit:
    """Whether `entry` runs here: a GPU with room for every layer first, else RAM for the CPU."""
    gpu = max(hw.gpus, key=lambda g: g.vram_gb, default=None)
    if gpu is not None and entry.vram_gb <= gpu.vram_gb:
        return Fit("gpu", f"GPU {gpu.index} ({entry.vram_gb:g} of {gpu.vram_gb:.0f} GB)")
    if not isinstance(entry, GGUFModel):
        return Fit("server", f"on a server with a {entry.vram_gb:g} GB GPU")
    if entry.ram_gb <= hw.ram_gb:
        slow = ", slow without a GPU" if entry.tier == "gpu" else ""
        return Fit("ram", f"RAM ({entry.ram_gb:g} of {hw.ram_gb:.0f} GB{slow})")
    return Fit("no", f"needs {entry.ram_gb:g} GB RAM or a {entry.vram_gb:g} GB GPU")
