"""`groupmind models use`: write the chosen model into the `.env` file the settings read.

python-dotenv (which pydantic-settings reads `.env` with) edits the file in
place: only the named keys change, every other line and comment stays.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import set_key

from groupmind.llm.catalog import Entry, GGUFModel


def settings_for(entry: Entry, *, url: str, engine_url_set: bool) -> dict[str, str]:
    """The `GROUPMIND_*` values that make groupmind run `entry`.

    A GGUF clears GROUPMIND_ENGINE_URL when one is set, or the remote server
    would still win over the in-process model; a server entry sets the engine.
    """
    if isinstance(entry, GGUFModel):
        values = {"GROUPMIND_MODEL": entry.name}
        if engine_url_set:
            values["GROUPMIND_ENGINE_URL"] = ""
        return values
    return {
        "GROUPMIND_ENGINE_URL": url,
        "GROUPMIND_ENGINE_API": entry.engine_api,
        "GROUPMIND_ENGINE_MODEL": entry.engine_model,
    }


def write_env(path: Path, values: dict[str, str]) -> None:
    """Set `values` in the .env at `path` (created if missing), leaving its other lines as they were."""
    for key, value in values.items():
        set_key(path, key, value, quote_mode="never")
