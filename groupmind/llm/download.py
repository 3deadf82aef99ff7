"""`groupmind models pull`: fetch a catalog model from the Hugging Face Hub, verified, into the data dir.

huggingface_hub does the talking: `get_hf_file_metadata` asks the Hub (or
`HF_ENDPOINT`) for the file's commit, size and sha256 (an LFS file's ETag is its
sha256), and `http_get` streams it, resuming with a Range request when the
connection drops. The bytes go to a `.part` file named after the expected
sha256, so a pull stopped outright (Ctrl-C, a reboot) resumes where it stopped
the next time, and a partial file of another version is never continued.

Nothing unverified is ever loaded: the file takes its real name only after its
sha256 matched the catalog's pin, or, for an unpinned entry, the sha256 the Hub
reported. A mismatch deletes the download.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

import httpx2
from huggingface_hub import get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RemoteEntryNotFoundError, RepositoryNotFoundError
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import WeakFileLock
from rich.progress import Progress, TaskID

from groupmind.llm.catalog import (
    GGUFModel,
    PulledRecord,
    models_dir,
    pulled_path,
    pulled_record,
    write_record,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PullError(RuntimeError):
    """A pull that could not finish, in one line saying why and what to do."""


@dataclass(frozen=True)
class Pulled:
    path: Path
    record: PulledRecord
    already: bool


class _Bar:
    """The progress bar huggingface_hub's `http_get` drives, drawn as one rich task.

    `http_get` accepts any callable as its bar class; it calls it with tqdm's
    keyword arguments, then uses `update` and the context manager.
    """

    def __init__(self, progress: Progress, task: TaskID, *, total: int | None = None, initial: int = 0, **_: Any):
        self.progress, self.task = progress, task
        progress.update(task, total=total, completed=initial)

    def update(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _metadata(entry: GGUFModel, endpoint: str | None) -> tuple[str, str, int, str | None]:
    """The download URL, expected sha256 and size, and the commit, checked against the catalog's pins."""
    assert entry.repo is not None
    url = hf_hub_url(entry.repo, entry.file, revision=entry.revision, endpoint=endpoint)
    where = f"{entry.repo}/{entry.file}"
    try:
        meta = get_hf_file_metadata(url, endpoint=endpoint)  # the token, if any, is HF_TOKEN's
    except GatedRepoError:
        raise PullError(f"{entry.repo} is gated: accept its licence on the Hub, then set HF_TOKEN") from None
    except RepositoryNotFoundError:
        raise PullError(f"the Hub has no repository {entry.repo} (or it is private: set HF_TOKEN)") from None
    except RemoteEntryNotFoundError:
        raise PullError(f"the Hub has no file {where}") from None
    except (HfHubHTTPError, httpx2.HTTPError, OSError) as exc:
        raise PullError(f"cannot reach the Hub for {where}: {exc}".splitlines()[0]) from None
    hub_sha = meta.etag if meta.etag and _SHA256.match(meta.etag) else None
    expected = entry.sha256 or hub_sha
    if expected is None:
        raise PullError(f"no sha256 to verify {where} against: the catalog pins none and the Hub reported none")
    if entry.sha256 and hub_sha and hub_sha != entry.sha256:
        raise PullError(
            f"the Hub's {where} is not the file the catalog pins (sha256 {hub_sha[:12]}…, pinned "
            f"{entry.sha256[:12]}…): refusing it"
        )
    size = entry.size or meta.size
    if size is None:
        raise PullError(f"the Hub did not say how large {where} is")
    if entry.size and meta.size and meta.size != entry.size:
        raise PullError(f"the Hub's {where} has {meta.size} bytes, the catalog pins {entry.size}: refusing it")
    return meta.location, expected, size, meta.commit_hash


def pull(
    entry: GGUFModel,
    data_dir: Path,
    *,
    progress: Progress,
    say: Callable[[str], None],
    endpoint: str | None = None,
) -> Pulled:
    """Download `entry` into the data dir (resuming a partial one), verify its sha256, record it."""
    if entry.repo is None:
        raise PullError(f"{entry.name} ships in the {entry.package} package: there is nothing to pull")
    target = pulled_path(entry, data_dir)
    if record := pulled_record(entry, data_dir):
        return Pulled(target, record, already=True)

    url, expected, size, commit = _metadata(entry, endpoint)
    models_dir(data_dir).mkdir(parents=True, exist_ok=True)
    with WeakFileLock(target.with_name(f"{entry.file}.lock")):  # a second `pull` of it waits, then finds it done
        if record := pulled_record(entry, data_dir):
            return Pulled(target, record, already=True)
        return _download(entry, data_dir, url, expected, size, commit, progress, say)


def _download(
    entry: GGUFModel,
    data_dir: Path,
    url: str,
    expected: str,
    size: int,
    commit: str | None,
    progress: Progress,
    say: Callable[[str], None],
) -> Pulled:
    """Fetch into the `.part` file (resuming it), verify, record, and give the file its name."""
    assert entry.repo is not None
    target = pulled_path(entry, data_dir)
    part = target.with_name(f"{entry.file}.{expected[:16]}.part")
    for stale in target.parent.glob(f"{entry.file}.*.part"):
        if stale != part:
            stale.unlink()  # a partial download of another version is never continued
    resume = part.stat().st_size if part.exists() else 0
    if resume > size:
        part.unlink()
        resume = 0
    free = shutil.disk_usage(target.parent).free
    if free < size - resume:
        raise PullError(
            f"{entry.file} needs {(size - resume) / 1e9:,.1f} GB more in {target.parent}, "
            f"which has {free / 1e9:,.1f} GB free"
        )
    if resume:
        say(f"resuming {entry.file} at {resume:,} of {size:,} bytes")
    task = progress.add_task(entry.file, total=size, completed=resume)
    try:
        with part.open("r+b" if resume else "wb") as fh:
            fh.seek(resume)
            http_get(
                url,
                fh,
                resume_size=resume,
                expected_size=size,
                displayed_filename=entry.file,
                tqdm_class=partial(_Bar, progress, task),  # type: ignore[arg-type]
            )
    except (httpx2.HTTPError, HfHubHTTPError, OSError) as exc:
        got = part.stat().st_size if part.exists() else 0
        raise PullError(
            f"the download of {entry.file} stopped at {got:,} of {size:,} bytes ({str(exc).splitlines()[0]}); "
            f"run `groupmind models pull {entry.name}` again to resume"
        ) from None

    say(f"verifying the sha256 of {entry.file}…")
    actual = _sha256(part)
    if actual != expected:
        part.unlink()
        source = "the catalog's pin" if entry.sha256 else "the sha256 the Hub reported"
        raise PullError(
            f"{entry.file} failed its checksum: sha256 {actual} is not {source} {expected}; "
            "the download was deleted and nothing was changed"
        )
    record = PulledRecord(
        name=entry.name,
        repo=entry.repo,
        file=entry.file,
        commit=commit,
        size=part.stat().st_size,
        sha256=actual,
        verified_against="catalog" if entry.sha256 else "hub",
    )
    write_record(record, entry, data_dir)
    os.replace(part, target)
    return Pulled(target, record, already=False)
