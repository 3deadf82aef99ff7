"""The model catalog (`models/catalog.toml`): recommended models by tier, and where a pulled one lives.

The TOML is data people edit; this module validates it once per read, so a
typo in the catalog is one clear error naming the entry, never a KeyError at
pull time. `groupmind/llm/catalog.toml` is a link to `models/catalog.toml`, so
the same file is package data in an installed wheel.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CATALOG_FILE = Path(__file__).with_name("catalog.toml")
TIERS = {
    "default": "shipped default (CPU, offline)",
    "cpu": "small instruct models for CPU (1-4B)",
    "gpu": "instruct models for one GPU (7-14B)",
    "server": "a model server for many communities",
}
_SHA256 = r"^[0-9a-f]{64}$"


class CatalogError(ValueError):
    """The catalog file is missing or malformed, or a name is not in it."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    licence: str
    context: int = Field(gt=0)
    vram_gb: float = Field(gt=0)
    chat_template: bool
    why: str


class GGUFModel(_Entry):
    """A GGUF file groupmind loads in-process: shipped in a PyPI package, or pulled from the Hub."""

    tier: Literal["default", "cpu", "gpu"]
    file: str = Field(pattern=r"^[^/\\]+\.gguf$")
    repo: str | None = Field(None, pattern=r"^[\w.-]+/[\w.-]+$")
    package: str | None = None
    revision: str | None = None
    size: int | None = Field(None, gt=0, description="Exact bytes; None: unpinned, taken from the Hub.")
    sha256: str | None = Field(None, pattern=_SHA256, description="None: unpinned, taken from the Hub.")
    approx_size_gb: float = Field(gt=0)
    ram_gb: float = Field(gt=0)

    @property
    def pinned(self) -> bool:
        return self.sha256 is not None


class ServerModel(_Entry):
    """A model behind an OpenAI-compatible server, reached through RemoteEngine."""

    tier: Literal["server"]
    server: str
    url: str
    engine_api: Literal["completions", "chat"]
    engine_model: str
    start: str


Entry = GGUFModel | ServerModel


class Catalog:
    """The entries by name, in the file's order (tier by tier)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = {entry.name: entry for entry in entries}

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def get(self, name: str) -> Entry:
        """The entry called `name`; an unknown name says what was meant, or where the names are."""
        if name in self.entries:
            return self.entries[name]
        close = difflib.get_close_matches(name, list(self.entries), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "`groupmind models list` shows the names"
        raise CatalogError(f"no model called {name!r} in the catalog; {hint}")

    @property
    def default(self) -> GGUFModel:
        return next(e for e in self.entries.values() if isinstance(e, GGUFModel) and e.tier == "default")


def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """Read and validate a catalog file; anything wrong is one CatalogError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read the model catalog {path}: {exc}") from None
    entries: list[Entry] = []
    for section, kind in (("model", GGUFModel), ("server", ServerModel)):
        for name, fields in data.get(section, {}).items():
            try:
                entries.append(kind.model_validate({**fields, "name": name}))  # type: ignore[attr-defined]
            except (ValidationError, TypeError) as exc:
                raise CatalogError(f"model catalog {path}, entry {section}.{name!r}: {exc}") from None
    catalog = Catalog(entries)
    if len(catalog.entries) != len(entries) or sum(e.tier == "default" for e in entries) != 1:
        raise CatalogError(f"model catalog {path}: names must be unique and exactly one entry the default")
    return catalog


def models_dir(data_dir: Path) -> Path:
    """Where models live in the data dir: the assembled default and every pulled file."""
    return Path(data_dir) / "models"


def pulled_path(entry: GGUFModel, data_dir: Path) -> Path:
    return models_dir(data_dir) / entry.file


def record_path(entry: GGUFModel, data_dir: Path) -> Path:
    """The record `pull` writes beside a verified file: what it is, its size and sha256."""
    return models_dir(data_dir) / f"{entry.file}.pulled.json"


class PulledRecord(BaseModel):
    """What `pull` verified, kept so a later start can check the file cheaply (its size)."""

    name: str
    repo: str
    file: str
    commit: str | None
    size: int
    sha256: str = Field(pattern=_SHA256)
    verified_against: Literal["catalog", "hub"]
    pulled_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


def read_record(entry: GGUFModel, data_dir: Path) -> PulledRecord | None:
    try:
        return PulledRecord.model_validate(json.loads(record_path(entry, data_dir).read_text()))
    except (OSError, ValueError):
        return None


def write_record(record: PulledRecord, entry: GGUFModel, data_dir: Path) -> None:
    path = record_path(entry, data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(record.model_dump_json(indent=1) + "\n")
    tmp.replace(path)


def pulled_record(entry: GGUFModel, data_dir: Path) -> PulledRecord | None:
    """The record of a pulled file that is there whole (its size as when it was verified), else None."""
    record = read_record(entry, data_dir)
    path = pulled_path(entry, data_dir)
    if record is None or not path.is_file() or path.stat().st_size != record.size:
        return None
    return record


def pulled_file(entry: GGUFModel, data_dir: Path) -> Path | None:
    """The pulled file if it is there whole, else None."""
    return pulled_path(entry, data_dir) if pulled_record(entry, data_dir) else None
