"""`groupmind models list | pull | use` as a user runs them: a real process, HF_ENDPOINT at a fake Hub on loopback.

The fake Hub serves a tiny GGUF (written with `gguf`) under a real catalog
entry's repo and file, so the shipped catalog is what the commands read.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from groupmind.config import Settings
from groupmind.llm.catalog import GGUFModel, load_catalog
from groupmind.llm.models import resolve_model
from tests.fake_hub import FakeHub, run_fake_hub, write_tiny_gguf

CHECKOUT = Path(__file__).resolve().parents[2]
NAME = "qwen2.5-1.5b"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    yield from run_fake_hub()


@pytest.fixture
def env(tmp_path: Path, hub: FakeHub) -> dict[str, str]:
    return {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GROUPMIND_DATA_DIR": str(tmp_path / "data"),
        "GROUPMIND_MODEL": "",
        "GROUPMIND_ENGINE_URL": "",
        "COLUMNS": "160",
    }


def groupmind(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPMIND_", "HF_"))}
    environ["PYTHONPATH"] = str(CHECKOUT)  # run from another folder: this checkout's groupmind, whatever is installed
    return subprocess.run(
        [sys.executable, "-m", "groupmind", *args],
        env={**environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _serve(hub: FakeHub, tmp_path: Path) -> tuple[GGUFModel, bytes]:
    entry = load_catalog().get(NAME)
    assert isinstance(entry, GGUFModel) and entry.repo and entry.sha256 is None  # unpinned: the Hub's sha256 is used
    data = write_tiny_gguf(tmp_path / "tiny.gguf")
    hub.serve(entry.repo, entry.file, data)
    return entry, data


def test_pull_then_use_then_the_settings_load_the_pulled_file(
    tmp_path: Path, hub: FakeHub, env: dict[str, str]
) -> None:
    entry, data = _serve(hub, tmp_path)
    room = tmp_path / "room"
    room.mkdir()
    (room / ".env").write_text("# my settings\nGROUPMIND_BOT_NAME=Ada\nGROUPMIND_MODEL=/old/model.gguf\n")

    pulled = groupmind(["models", "pull", NAME], env, room)
    assert pulled.returncode == 0, pulled.stderr
    target = tmp_path / "data" / "models" / entry.file
    sha = hashlib.sha256(data).hexdigest()
    said = f"pulled {NAME}: {target} ({len(data):,} bytes, sha256 {sha}, matches the sha256 the Hub reported)"
    assert said in pulled.stdout
    assert target.read_bytes() == data
    assert f"{entry.file} ━" in pulled.stderr  # the progress bar

    used = groupmind(["models", "use", NAME], env | {"GROUPMIND_MODEL": ""}, room)
    assert used.returncode == 0, used.stderr
    assert f".env: GROUPMIND_MODEL={NAME}" in used.stdout
    assert (room / ".env").read_text() == f"# my settings\nGROUPMIND_BOT_NAME=Ada\nGROUPMIND_MODEL={NAME}\n"

    settings = Settings(_env_file=room / ".env", data_dir=tmp_path / "data")  # type: ignore[call-arg]
    assert settings.model == NAME and settings.bot_name == "Ada"
    assert resolve_model(settings, print) == target

    listed = groupmind(["models", "list"], {k: v for k, v in env.items() if k != "GROUPMIND_MODEL"}, room)
    row = next(line for line in listed.stdout.splitlines() if NAME in line)
    assert "in use" in row


def test_pull_refuses_a_checksum_mismatch_with_a_clear_line(tmp_path: Path, hub: FakeHub, env: dict[str, str]) -> None:
    entry, _ = _serve(hub, tmp_path)
    hub.reported_sha[(entry.repo or "", entry.file)] = hashlib.sha256(b"something else").hexdigest()
    done = groupmind(["models", "pull", NAME], env, tmp_path)
    assert done.returncode == 1
    assert f"error: {entry.file} failed its checksum" in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in (tmp_path / "data" / "models").iterdir() if p.suffix != ".lock"] == []


def test_unknown_names_and_unpulled_models_are_clear_errors(tmp_path: Path, env: dict[str, str]) -> None:
    done = groupmind(["models", "pull", "qwen2.5-1.5"], env, tmp_path)
    assert done.returncode == 2 and "no model called 'qwen2.5-1.5' in the catalog; did you mean" in done.stderr
    used = groupmind(["models", "use", NAME], env, tmp_path)
    assert used.returncode == 1 and f"run `groupmind models pull {NAME}` first (nothing was changed)" in used.stderr
    assert not (tmp_path / ".env").exists()
    server = groupmind(["models", "pull", "ollama-qwen2.5-7b"], env, tmp_path)
    assert server.returncode == 2 and "is a model server, there is nothing to pull" in server.stderr
    shipped = groupmind(["models", "pull", "gemma3-270m"], env, tmp_path)
    assert shipped.returncode == 0 and "ships with groupmind" in shipped.stdout


def test_use_of_a_server_entry_writes_the_engine_settings(tmp_path: Path, env: dict[str, str]) -> None:
    done = groupmind(["models", "use", "ollama-qwen2.5-7b"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    settings = Settings(_env_file=tmp_path / ".env")  # type: ignore[call-arg]
    assert (settings.engine_url, settings.engine_api, settings.engine_model) == (
        "http://localhost:11434",
        "chat",
        "qwen2.5:7b",
    )


def test_list_shows_this_machine_and_every_entry(tmp_path: Path, env: dict[str, str]) -> None:
    done = groupmind(["models", "list"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"This machine: {len(os.sched_getaffinity(0))} cores, ") and "GB RAM" in first
    for entry in load_catalog():
        assert entry.name in done.stdout
    default_row = next(line for line in done.stdout.splitlines() if "gemma3-270m" in line)
    assert "yes" in default_row and "in use" in default_row  # the default fits any machine the tests run on


def test_the_built_wheel_carries_the_catalog(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(CHECKOUT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = dist.glob("groupmind-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("groupmind/llm/catalog.toml")
        zf.extractall(tmp_path / "site")
    assert shipped == (CHECKOUT / "models" / "catalog.toml").read_bytes()
    probe = "from groupmind.llm.catalog import CATALOG_FILE as f, load_catalog; print(f.resolve()); load_catalog()"
    done = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "site" / "groupmind" / "llm" / "catalog.toml")


@pytest.mark.model
def test_the_room_on_the_default_model_says_once_that_it_is_a_demo(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "s.txt"
    script.write_text("alice: hi all\n")
    room = env | {"GROUPMIND_REDIS_URL": "", "GROUPMIND_N_THREADS": "2", "GROUPMIND_MAX_REPLY_TOKENS": "8"}
    first = groupmind(["room", "--script", str(script)], room, tmp_path)
    assert first.returncode == 0, first.stderr
    notes = [line for line in first.stderr.splitlines() if "tiny demo model" in line]
    assert len(notes) == 1 and "groupmind models pull NAME" in notes[0]
    assert "tiny demo model" not in first.stdout  # the transcript stays the transcript
    again = groupmind(["room", "--script", str(script)], room, tmp_path)
    assert again.returncode == 0 and "tiny demo model" not in again.stderr


def test_hostile_names_and_settings_files_get_one_clear_line(tmp_path: Path, env: dict[str, str]) -> None:
    marked = groupmind(["models", "pull", "[red]x\x1b[2J" + "y" * 5000], env, tmp_path)
    assert marked.returncode == 2 and "error: no model called '[red]x\\x1b[2J" in marked.stderr
    assert "\x1b[2J" not in marked.stderr and "Traceback" not in marked.stderr
    folder = tmp_path / "a-folder"
    folder.mkdir()
    into_dir = groupmind(["models", "use", "gemma3-270m", "--env-file", str(folder)], env, tmp_path)
    assert into_dir.returncode == 1 and f"cannot write the settings file {folder}" in into_dir.stderr
    binary = tmp_path / "binary.env"
    binary.write_bytes(b"\xff\xfe\x00GROUPMIND_MODEL=\x80\n")
    garbled = groupmind(["models", "use", "gemma3-270m", "--env-file", str(binary)], env, tmp_path)
    assert garbled.returncode == 1 and "cannot write the settings file" in garbled.stderr
    assert binary.read_bytes() == b"\xff\xfe\x00GROUPMIND_MODEL=\x80\n"  # left as it was


@pytest.mark.model
def test_check_prints_the_speed_and_whether_the_model_fits(tmp_path: Path, env: dict[str, str]) -> None:
    done = groupmind(["models", "check", "--tokens", "4"], env | {"GROUPMIND_MODEL": "gemma3-270m"}, tmp_path)
    assert done.returncode == 0, done.stderr
    speed, fits = done.stdout.strip().splitlines()[-2:]
    assert ": ok: " in speed and " tokens/s decode, loaded in " in speed
    assert fits.startswith("gemma3-270m fits in RAM (0.6 of ") and "; this machine: " in fits


def test_a_pull_stopped_with_ctrl_c_resumes_on_the_next_run(tmp_path: Path, hub: FakeHub, env: dict[str, str]) -> None:
    entry = load_catalog().get(NAME)
    assert isinstance(entry, GGUFModel) and entry.repo
    data = write_tiny_gguf(tmp_path / "big.gguf", rows=48 * 1024)  # 24 MiB: past huggingface_hub's 10 MiB chunk
    hub.serve(entry.repo, entry.file, data)
    hub.stall_after = 15 * 2**20
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPMIND_", "HF_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "groupmind", "models", "pull", NAME],
        env={**environ, **env, "PYTHONPATH": str(CHECKOUT)}, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    models = tmp_path / "data" / "models"
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size >= 10 * 2**20 for p in models.glob("*.part")) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    hub.released.set()
    assert proc.returncode == 130 and f"stopped; run `groupmind models pull {NAME}` again to resume" in stderr
    assert not (models / entry.file).exists()

    hub.requests.clear()
    again = groupmind(["models", "pull", NAME], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"resuming {entry.file} at {10 * 2**20:,} of {len(data):,} bytes" in again.stderr
    assert hub.gets() == [(f"/cdn/{entry.repo}/{entry.file}", f"bytes={10 * 2**20}-")]
    assert (models / entry.file).read_bytes() == data
