"""The `groupmind` command end to end, in a subprocess, as a newcomer would run it."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from groupmind.events import ChannelRef
from groupmind.store import Store, open_redis
from tests.conftest import IRC_DEV


def groupmind(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groupmind", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def env(tmp_path: Path, model_path: Path) -> dict[str, str]:
    """Embedded defaults (no Redis URL: the room starts its own server) in a fresh data dir."""
    return {
        "GROUPMIND_DATA_DIR": str(tmp_path / "data"),
        "GROUPMIND_REDIS_URL": "",
        "GROUPMIND_MODEL": str(model_path),
        "GROUPMIND_N_THREADS": "2",
        "GROUPMIND_SEED": "3",
        "GROUPMIND_MAX_REPLY_TOKENS": "24",
    }


@pytest.mark.model
def test_room_script_prints_the_transcript_with_a_bot_reply(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "demo.txt"
    script.write_text(
        "# a comment\n"
        "alice: hey all, the release is out!\n"
        "bob: finally. what a week\n"
        "this line has no speaker\n"
        "carol: Mind, how should we celebrate the release?\n"
    )
    result = groupmind(["room", "--script", str(script)], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "alice: hey all, the release is out!",
        "bob: finally. what a week",
        "carol: Mind, how should we celebrate the release?",
    ]
    assert len(lines) == 4 and lines[3].startswith("Mind: ") and len(lines[3]) > len("Mind: ")
    assert "script line 4: expected 'name: text', skipped" in result.stderr


@pytest.mark.model
def test_room_history_survives_a_restart(tmp_path: Path, env: dict[str, str]) -> None:
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text("alice: the password for the wifi is on the fridge\n")
    second.write_text("bob: hello again\n")
    assert groupmind(["room", "--script", str(first)], env).returncode == 0
    assert groupmind(["room", "--script", str(second)], env).returncode == 0

    async def stored() -> list[str]:
        async with open_redis("", Path(env["GROUPMIND_DATA_DIR"])) as redis:
            window = await Store(redis).window(ChannelRef(platform="local", community="local", channel="room"), 10)
            return [m.text for m in window]

    assert asyncio.run(stored()) == ["the password for the wifi is on the fridge", "hello again"]


def test_room_reads_lines_from_a_terminal_like_stdin(env: dict[str, str]) -> None:
    result = groupmind(["room", "--as", "dana"], env, stdin="hello there\nerin: hi dana\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "type 'name: text'" in result.stdout


def test_replay_of_a_real_irc_log_prints_a_json_summary(env: dict[str, str]) -> None:
    if not IRC_DEV.is_dir():
        pytest.skip(f"shared IRC data not found at {IRC_DEV}")
    log = IRC_DEV / "2004-11-15_03.raw.txt"
    expected = sum(1 for line in log.read_text(errors="replace").splitlines() if line.startswith("["))
    result = groupmind(["replay", "--no-reply", "--json", str(log)], env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["messages"] == expected and summary["replies"] == 0
    assert summary["msgs_per_s"] > 0 and summary["seconds"] > 0


def test_missing_model_fails_naming_the_path(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "s.txt"
    script.write_text("alice: hi\n")
    missing = tmp_path / "models" / "missing.gguf"
    result = groupmind(["room", "--script", str(script)], {**env, "GROUPMIND_MODEL": str(missing)})
    assert result.returncode == 1
    assert f"model file not found: {missing}" in result.stderr.replace("\n", "")


def test_unreachable_redis_fails_naming_the_url(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "s.txt"
    script.write_text("alice: hi\n")
    result = groupmind(["room", "--script", str(script)], {**env, "GROUPMIND_REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in result.stderr.replace("\n", "")
    assert "s3cret" not in result.stderr + result.stdout


def test_missing_script_is_a_clear_error(env: dict[str, str]) -> None:
    result = groupmind(["room", "--script", "/nonexistent/script.txt"], env)
    assert result.returncode == 2 and "script not found: /nonexistent/script.txt" in result.stderr
