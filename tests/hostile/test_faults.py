"""Faults a self-hoster meets: the embedded Redis dies under a live room or a replay, messages come twice.

The room and the replay run as the real `python -m groupmind` subprocesses. A
test SIGKILLs their valkey-server child at a chosen moment (before the first
message, mid-burst, while the model is answering, twice, while the room is
idle, during a care disclosure) and then judges what a person would: the
process goes on and exits 0 with no traceback, and every line typed is stored
exactly once (read back from the data dir afterwards).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis as sync_redis

from groupmind.events import ChannelRef, ChatMessage
from groupmind.store.keys import CommunityKeys
from tests.hostile.conftest import ROOM, Run, groupmind, replay_files, room_script

ROOM_LOG = CommunityKeys("local", "local").log("room")
REPLAY = ChannelRef(platform="local", community="hostile", channel="general")
REPLY_START = re.compile(r"^(?:> )*Mind: ", re.MULTILINE)
"""The bot's reply as the room prints it (after any `> ` input prompts on the line)."""
_WAIT_S = 120.0


class Live:
    """A `python -m groupmind ARGS` still running: lines in as a person types them, output read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.data_dir = Path(env["GROUPMIND_DATA_DIR"])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "groupmind", *args],
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._out = {"stdout": "", "stderr": ""}
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(name,), daemon=True) for name in ("stdout", "stderr")
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str) -> None:
        stream = getattr(self.proc, name)
        for raw in iter(stream.readline, b""):
            with self._lock:
                self._out[name] += raw.decode("utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        with self._lock:
            return self._out["stdout"]

    def type(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines).encode("utf-8"))
        self.proc.stdin.flush()

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float = _WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                pytest.fail(f"groupmind exited ({self.proc.returncode}) waiting for {what}:\n{self._out}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout}s:\n{self._out}")
            time.sleep(0.05)

    def server_pid(self) -> int:
        """The valkey-server this process runs now (it starts a new one after a kill)."""
        found: list[int] = []

        def look() -> bool:
            try:
                found[:] = [
                    int(child)
                    for task in Path(f"/proc/{self.proc.pid}/task").iterdir()
                    for child in (task / "children").read_text().split()
                    if Path(f"/proc/{child}/comm").read_text().strip() == "valkey-server"
                ]
            except FileNotFoundError:  # a thread or a child ended while we looked
                return False
            return bool(found)

        self.wait_until("embedded Redis server", look)
        return found[0]

    def stored_count(self, key: str = ROOM_LOG) -> int:
        """How many entries `key` holds now, asked of the running server; 0 while it is down."""
        socket = self.data_dir / "redis" / "redis.sock"
        try:
            with sync_redis.Redis(unix_socket_path=str(socket), socket_timeout=1) as client:
                return int(client.xlen(key))
        except (sync_redis.RedisError, OSError):
            return 0

    def kill_redis(self) -> int:
        """SIGKILL the embedded server, as a crash would; returns the pid it had."""
        pid = self.server_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def finish(self, timeout: float = 300) -> Run:
        """End of input (the person leaves): the process winds down; returns the finished run."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(10)
        return Run(self.proc.returncode, self._out["stdout"], self._out["stderr"], self.data_dir)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def live(hostile_env: dict[str, str]) -> Iterator[Callable[..., Live]]:
    """Start live processes on the hostile env; any still running at the end are killed."""
    started: list[Live] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Live:
        process = Live(list(args), {**hostile_env, **(env or {})})
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def room(live: Callable[..., Live]) -> Live:
    """An interactive room that settles a burst after 1 s of silence, ready for typing."""
    process = live("room", env={"GROUPMIND_BURST_SETTLE_S": "1"})
    process.wait_until("room banner", lambda: "groupmind room:" in process.stdout)
    return process


def members_said(run: Run, where: ChannelRef = ROOM) -> list[str]:
    return [m.text for m in run.stored(where) if not m.author_is_bot]


REVIVED = "the embedded Redis server stopped answering; starting it again"


def assert_each_once(run: Run, expected: list[str], where: ChannelRef = ROOM, *, revived: int = 1) -> list[ChatMessage]:
    """The run ended cleanly, brought its server back `revived` times, and stored each expected line once, in order."""
    run.assert_clean()
    assert run.stderr.count(REVIVED) == revived, run.stderr
    stored = run.stored(where)
    ids = [m.message_id for m in stored]
    assert len(ids) == len(set(ids)), ids
    assert [m.text for m in stored if not m.author_is_bot] == expected
    return stored


def lines(prefix: str, count: int, who: str = "ana") -> list[str]:
    return [f"{who}: {prefix} {i}" for i in range(count)]


def texts(typed: list[str]) -> list[str]:
    return [line.split(": ", 1)[1] for line in typed]


# --- the room -------------------------------------------------------------------------------------


@pytest.mark.model
def test_redis_killed_before_the_first_message(room: Live) -> None:
    room.kill_redis()
    typed = lines("first words after the crash", 5)
    room.type(*typed)
    assert_each_once(room.finish(), texts(typed))


@pytest.mark.model
def test_redis_killed_mid_burst(room: Live) -> None:
    typed = lines("burst line", 30)
    room.type(*typed)
    room.wait_until("a few stored lines", lambda: room.stored_count() >= 5)
    room.kill_redis()
    after = lines("after the crash", 5, who="ben")
    room.type(*after)
    assert_each_once(room.finish(), texts(typed + after))


@pytest.mark.model
def test_redis_killed_while_the_model_answers(room: Live) -> None:
    room.type("ana: Mind, what is a good name for a cat?")
    room.wait_until("the reply to start", lambda: REPLY_START.search(room.stdout) is not None)
    room.kill_redis()
    room.type("ben: did it answer?")
    run = room.finish()
    stored = assert_each_once(run, ["Mind, what is a good name for a cat?", "did it answer?"])
    shown = REPLY_START.split(run.stdout, maxsplit=1)[1].splitlines()[0].strip()
    kept = [m.text.strip() for m in stored if m.author_is_bot][:1]
    assert kept and shown.endswith(kept[0])  # what was shown was kept (the shown `@` lead is not stored)


@pytest.mark.model
def test_redis_killed_twice(room: Live) -> None:
    first, second, third = lines("one", 4), lines("two", 4, who="ben"), lines("three", 4, who="cy")
    room.type(*first)
    room.wait_until("the first lines", lambda: room.stored_count() >= 4)
    killed = room.kill_redis()
    room.type(*second)
    room.wait_until("the second lines on a new server", lambda: room.stored_count() >= 8)
    assert room.kill_redis() != killed
    room.type(*third)
    assert_each_once(room.finish(), texts(first + second + third), revived=2)


@pytest.mark.model
def test_redis_killed_while_the_room_waits_to_answer(room: Live) -> None:
    """Nobody types after the kill: the room's own tick meets the dead server, and the reply still comes."""
    room.type("ana: Mind, are you still there?")
    room.wait_until("the line stored", lambda: room.stored_count() >= 1)
    room.kill_redis()
    room.wait_until("the reply", lambda: REPLY_START.search(room.stdout) is not None)
    run = room.finish()
    stored = assert_each_once(run, ["Mind, are you still there?"])
    assert any(m.author_is_bot for m in stored)


@pytest.mark.model
def test_redis_killed_before_an_admin_command(live: Callable[..., Live]) -> None:
    room = live("room", "--admin", "ana")
    room.wait_until("room banner", lambda: "groupmind room:" in room.stdout)
    room.type(*lines("before", 3))
    room.wait_until("the lines", lambda: room.stored_count() >= 3)
    room.kill_redis()
    room.type("ana: /gm status")
    room.wait_until("the status", lambda: "messages stored: room 3" in room.stdout)
    assert_each_once(room.finish(), texts(lines("before", 3)))


@pytest.mark.model
def test_redis_killed_before_a_disclosure(room: Live) -> None:
    """Care after a crash: the disclosure is stored once, acknowledged, and the private talk begins."""
    room.type("ana: hey all")
    room.wait_until("the first line", lambda: room.stored_count() >= 1)
    room.kill_redis()
    room.type("ben: honestly everyone would be better off without me")
    run = room.finish()
    assert_each_once(run, ["hey all", "honestly everyone would be better off without me"])
    assert "[private to ben]" in run.stdout


@pytest.mark.model
def test_a_room_killed_outright_keeps_what_it_stored(room: Live, hostile_env: dict[str, str], tmp_path: Path) -> None:
    """The whole room process dies (its server with it); the next room on the data dir has every stored line."""
    typed = lines("kept", 6)
    room.type(*typed)
    room.wait_until("the lines", lambda: room.stored_count() >= 6)
    room.proc.send_signal(signal.SIGKILL)
    room.proc.wait(30)
    later = room_script(tmp_path, hostile_env, "ben: back again\n")
    assert_each_once(later, texts(typed) + ["back again"], revived=0)


@pytest.mark.model
def test_a_replay_sharing_the_rooms_server_outlives_the_room(
    room: Live, live: Callable[..., Live], tmp_path: Path
) -> None:
    """Two processes, one data dir: the room started the server and exits; the replay brings it back."""
    replay = live("replay", "--json", "--no-reply", str(jsonl(tmp_path / "big.jsonl", 9000)))
    log = CommunityKeys("local", "hostile").log("general")
    replay.wait_until("the replay under way", lambda: replay.stored_count(log) > 0)
    room.finish().assert_clean()  # the room's server stops with it
    assert replay.proc.poll() is None, "the replay ended before the room: nothing was tested"
    run = replay.finish()
    run.assert_clean()
    assert run.stderr.count(REVIVED) == 1
    # Every message is stored once; the count may miss part of the batch the server stopped in.
    assert 8000 <= json.loads(run.stdout.splitlines()[-1])["messages"] <= 9000
    assert [m.message_id for m in run.stored(REPLAY, 10_000)] == [f"h{i}" for i in range(9000)]


# --- replays --------------------------------------------------------------------------------------


def jsonl(path: Path, count: int, *, repeat_every: int = 0) -> Path:
    """`count` distinct messages as JSONL; with `repeat_every`, every n-th line comes again (same id, new text)."""
    out = []
    for i in range(count):
        fields = dict(
            platform="local", community="hostile", channel="general", message_id=f"h{i}",
            author_id=f"u{i % 7}", author_name=f"user {i % 7}", text=f"message {i}",
            ts=f"2026-05-01T{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
        )  # fmt: skip
        out.append(json.dumps(fields))
        if repeat_every and i % repeat_every == 0:
            out.append(json.dumps({**fields, "text": f"message {i}, sent again"}))
            out.append(json.dumps(fields))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_redis_killed_during_a_replay(live: Callable[..., Live], tmp_path: Path) -> None:
    # Big enough that the kill lands mid-replay (batched ingest stores thousands a second), and under the
    # stream's MAXLEN (10,000), so every message stays readable.
    replay = live("replay", "--json", "--no-reply", str(jsonl(tmp_path / "log.jsonl", 9500)))
    log = CommunityKeys("local", "hostile").log("general")
    replay.wait_until("the replay under way", lambda: replay.stored_count(log) >= 1000)
    replay.kill_redis()
    run = replay.finish()
    run.assert_clean()
    assert run.stderr.count(REVIVED) == 1
    stored = run.stored(REPLAY, 10_000)
    assert [m.message_id for m in stored] == [f"h{i}" for i in range(9500)]
    assert 8500 <= json.loads(run.stdout.splitlines()[-1])["messages"] <= 9500  # less a partly stored batch


def test_redis_killed_twice_during_a_replay(live: Callable[..., Live], tmp_path: Path) -> None:
    replay = live("replay", "--json", "--no-reply", str(jsonl(tmp_path / "log.jsonl", 9500)))
    log = CommunityKeys("local", "hostile").log("general")
    replay.wait_until("the replay under way", lambda: replay.stored_count(log) >= 1000)
    first = replay.kill_redis()
    replay.wait_until("the replay going on", lambda: replay.stored_count(log) >= 3000)
    assert replay.kill_redis() != first
    run = replay.finish()
    run.assert_clean()
    assert run.stderr.count(REVIVED) == 2
    assert [m.message_id for m in run.stored(REPLAY, 10_000)] == [f"h{i}" for i in range(9500)]


def test_duplicate_ids_in_a_jsonl_replay_are_stored_once(hostile_env: dict[str, str], tmp_path: Path) -> None:
    run = replay_files(hostile_env, jsonl(tmp_path / "dupes.jsonl", 300, repeat_every=10))
    run.assert_clean()
    stored = run.stored(REPLAY, 1000)
    assert [m.message_id for m in stored] == [f"h{i}" for i in range(300)]
    assert [m.text for m in stored] == [f"message {i}" for i in range(300)]  # the first one counts
    assert json.loads(run.stdout.splitlines()[-1])["messages"] == 300


def test_the_same_log_replayed_twice_adds_nothing(hostile_env: dict[str, str], tmp_path: Path) -> None:
    log = jsonl(tmp_path / "again.jsonl", 200)
    first, second = replay_files(hostile_env, log), replay_files(hostile_env, log)
    second.assert_clean()
    assert [json.loads(r.stdout.splitlines()[-1])["messages"] for r in (first, second)] == [200, 0]
    assert len(second.stored(REPLAY, 1000)) == 200


def test_the_same_id_in_two_channels_is_two_messages(hostile_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    one = json.loads(jsonl(tmp_path / "one.jsonl", 1).read_text())
    path.write_text(json.dumps(one) + "\n" + json.dumps({**one, "channel": "random"}) + "\n", encoding="utf-8")
    run = replay_files(hostile_env, path)
    run.assert_clean()
    assert [len(run.stored(REPLAY)), len(run.stored(REPLAY.model_copy(update={"channel": "random"})))] == [1, 1]


# --- care contacts who ask to be forgotten --------------------------------------------------------

CARE_SCRIPT = """\
[2026-05-04 09:00] carol: morning all
[2026-05-04 09:01] Ana: hi carol
[2026-05-04 09:02] Ana: /gm care contacts add carol
[2026-05-04 09:05] ben: I wrote my goodbye note and I'm going to end it tonight
[2026-05-04 09:10] carol: /gm alerts ack 1
[2026-05-04 09:20] carol: /gm alerts resolve 1 called ben, his sister is with him now
[2026-05-04 09:30] carol: /gm forget-me
[2026-05-04 09:31] Ana: /gm alerts list all
[2026-05-04 09:32] Ana: /gm status
"""


@pytest.mark.model
def test_a_care_contact_who_forgets_themselves_leaves_no_trace_and_the_admin_is_told(
    tmp_path: Path, hostile_env: dict[str, str]
) -> None:
    run = room_script(tmp_path, hostile_env, CARE_SCRIPT, "--admin", "Ana")
    run.assert_clean()
    out = run.stdout
    after_forget = out.split("carol: /gm forget-me", 1)[1]
    assert "[care-alert] to carol:" in out.split("carol: /gm forget-me", 1)[0]  # she did get the alert
    assert re.search(r"^\[private to Ana\] .*no care contact", after_forget, re.MULTILINE | re.IGNORECASE), out
    listed = after_forget.split("Ana: /gm alerts list all", 1)[1].split("Ana: /gm status", 1)[0]
    assert "#1 [resolved" in listed and "carol" not in listed.casefold()
    status = after_forget.split("Ana: /gm status", 1)[1]
    assert re.search(r"no care contact", status, re.IGNORECASE), status
    export = groupmind(["room", "--script", str(write(tmp_path / "export.txt", "Ana: /gm export\n")), "--admin", "Ana"],
                       hostile_env)  # fmt: skip
    export.assert_clean()
    saved = Path(re.findall(r"file: (\S+)", export.stdout)[-1]).read_text(encoding="utf-8")
    alerts = next(v for k, v in json.loads(saved)["keys"].items() if k.endswith(":alerts"))
    assert "a former care contact" in alerts["1"]
    assert "carol" not in alerts["1"].casefold() and "sister" not in alerts["1"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
