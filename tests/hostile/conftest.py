"""The hostile battery's harness: the real `groupmind room` and `replay`, as subprocesses.

Each case runs the command a self-hoster would run, on the embedded defaults
(its own Valkey in a fresh data dir, the default model), and judges what a
person would see: what was printed, and what was stored.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from groupmind.events import ChannelRef, ChatMessage
from groupmind.store import Store, open_redis

ROOM = ChannelRef(platform="local", community="local", channel="room")
MASS_MENTION = re.compile(r"@(everyone|here|channel)\b|<!(everyone|here|channel)[^>]*>|<@&\d+>", re.IGNORECASE)


@dataclass
class Run:
    """One finished command: its exit status and both output streams."""

    returncode: int
    stdout: str
    stderr: str
    data_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_clean(self, *, returncode: int = 0) -> None:
        """No traceback anywhere, and the exit status expected."""
        assert "Traceback" not in self.output, self.output[-3000:]
        assert self.returncode == returncode, self.output[-3000:]

    def stored(self, where: ChannelRef = ROOM, count: int = 1000) -> list[ChatMessage]:
        """What the run left in Redis for `where`, read back through the embedded server."""

        async def read() -> list[ChatMessage]:
            async with open_redis("", self.data_dir) as redis:
                return await Store(redis).window(where, count)

        return asyncio.run(read())


def embedded_env(data_dir: Path, model_path: Path) -> dict[str, str]:
    """Embedded defaults in `data_dir`, with a short reply budget."""
    return {
        "GROUPMIND_DATA_DIR": str(data_dir),
        "GROUPMIND_REDIS_URL": "",
        "GROUPMIND_MODEL": str(model_path),
        "GROUPMIND_N_THREADS": "2",
        "GROUPMIND_SEED": "3",
        "GROUPMIND_MAX_REPLY_TOKENS": "16",
    }


@pytest.fixture
def hostile_env(tmp_path: Path, model_path: Path) -> dict[str, str]:
    """Embedded defaults in a fresh data dir, with a short reply budget."""
    return embedded_env(tmp_path / "data", model_path)


def groupmind(args: list[str], env: dict[str, str], *, stdin: str | bytes | None = None, timeout: float = 900) -> Run:
    """Run `python -m groupmind ARGS` to the end; bytes on stdin pass through undecoded."""
    raw = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, "-m", "groupmind", *args],
        env={**os.environ, **env},
        input=raw,
        capture_output=True,
        timeout=timeout,
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", errors="replace"),
        done.stderr.decode("utf-8", errors="replace"),
        Path(env["GROUPMIND_DATA_DIR"]),
    )


def room_script(tmp_path: Path, env: dict[str, str], script: str | bytes, *args: str) -> Run:
    """`groupmind room --script` over `script` (text or raw bytes)."""
    path = tmp_path / "script.txt"
    if isinstance(script, bytes):
        path.write_bytes(script)
    else:
        path.write_text(script, encoding="utf-8")
    return groupmind(["room", "--script", str(path), *args], env)


def replay_files(env: dict[str, str], *paths: Path, reply: bool = False) -> Run:
    """`groupmind replay --json` over `paths` (`--no-reply` unless `reply`)."""
    return groupmind(["replay", "--json", *([] if reply else ["--no-reply"]), *map(str, paths)], env)
