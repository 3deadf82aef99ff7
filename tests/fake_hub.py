"""A fake Hugging Face Hub on loopback, and tiny GGUF files written with `gguf`, for `models pull` tests.

It answers the way the Hub does for an LFS file, as huggingface_hub reads it:
`HEAD /{repo}/resolve/{revision}/{file}` is a 302 to a CDN URL with the file's
commit (X-Repo-Commit), sha256 (X-Linked-Etag) and size (X-Linked-Size);
`GET` on the CDN URL streams the bytes and honours `Range`. An unknown repo or
file is a 404 with the Hub's X-Error-Code. Faults are set per test: drop the
connection partway through a download, or report a sha256 the bytes do not have.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import gguf
import numpy as np

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def write_tiny_gguf(path: Path, name: str = "tiny-test-model", rows: int = 128) -> bytes:
    """A small valid GGUF (one `rows`x128 float tensor: 66 KB by default); returns its bytes."""
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name(name)
    writer.add_context_length(128)
    writer.add_tensor("token_embd.weight", np.arange(rows * 128, dtype=np.float32).reshape(rows, 128))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@dataclass
class FakeHub:
    """What the fake Hub serves, the faults to inject, and every request it saw."""

    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    reported_sha: dict[tuple[str, str], str] = field(default_factory=dict)
    reported_size: dict[tuple[str, str], int] = field(default_factory=dict)
    drop_after: int | None = None
    """Bytes of the next download to send before the connection drops (once)."""
    down_after_drop: bool = False
    """After the drop, the CDN answers 503 (the network is gone) until a test sets `down` back."""
    down: bool = False
    stall_after: int | None = None
    """Bytes of a download to send before the CDN stalls until `released` (a slow link, to interrupt)."""
    released: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""
    cdn_url: str = ""
    """The CDN is another origin, as on the Hub, so huggingface_hub reads the metadata off the redirect."""

    def serve(self, repo: str, file: str, data: bytes) -> str:
        self.files[(repo, file)] = data
        return hashlib.sha256(data).hexdigest()

    def sha(self, key: tuple[str, str]) -> str:
        return self.reported_sha.get(key) or hashlib.sha256(self.files[key]).hexdigest()

    def gets(self) -> list[tuple[str, str | None]]:
        return [(path, rng) for method, path, rng in self.requests if method == "GET"]


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _not_found(self, code: str) -> None:
            self.send_response(404)
            self.send_header("X-Error-Code", code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _resolve(self) -> None:
            parts = self.path.split("/")  # "", org, repo, "resolve", revision, file
            if len(parts) != 6 or parts[3] != "resolve":
                return self._not_found("RepoNotFound")
            repo, file = f"{parts[1]}/{parts[2]}", parts[5]
            if not any(r == repo for r, _ in hub.files):
                return self._not_found("RepoNotFound")
            if (repo, file) not in hub.files:
                return self._not_found("EntryNotFound")
            sha = hub.sha((repo, file))
            self.send_response(302)
            self.send_header("Location", f"{hub.cdn_url}/cdn/{repo}/{file}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{sha}"')
            size = hub.reported_size.get((repo, file), len(hub.files[(repo, file)]))
            self.send_header("X-Linked-Size", str(size))
            self.send_header("ETag", '"a-git-blob-id"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _cdn(self) -> None:
            _, _, org, name, file = self.path.split("/", 4)
            data = hub.files[(f"{org}/{name}", file)]
            if hub.down:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                start = int(rng.removeprefix("bytes=").split("-")[0])
            body = data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            stall = hub.stall_after
            if stall is not None and stall < len(body):
                hub.stall_after = None
                self.wfile.write(body[:stall])
                self.wfile.flush()
                hub.released.wait(60)
                body = body[stall:]
            drop = hub.drop_after
            if drop is not None and drop < len(body):
                hub.drop_after, hub.down = None, hub.down_after_drop
                self.wfile.write(body[:drop])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(body)

        def _any(self) -> None:
            hub.requests.append((self.command, self.path, self.headers.get("Range")))
            if self.path.startswith("/cdn/"):
                self._cdn()
            else:
                self._resolve()

        do_HEAD = do_GET = _any

    return Handler


def run_fake_hub() -> Iterator[FakeHub]:
    """Serve a FakeHub (the Hub and its CDN, two loopback ports) for a test (use as a fixture's body)."""
    hub = FakeHub()
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub)) for _ in range(2)]
    hub.url, hub.cdn_url = (f"http://127.0.0.1:{server.server_address[1]}" for server in servers)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield hub
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
