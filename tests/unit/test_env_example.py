"""`.env.example` documents every setting, and every line of it is a valid value."""

from __future__ import annotations

import re
from pathlib import Path

from groupmind.config import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
_LINE = re.compile(r"^#? ?(GROUPMIND_[A-Z0-9_]+)=(.*)$")


def example_lines() -> dict[str, str]:
    """Each GROUPMIND_ variable the file names (set or commented out) and its example value."""
    found: dict[str, str] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if match := _LINE.match(line):
            found[match[1]] = match[2]
    return found


def test_every_setting_is_documented_and_nothing_else() -> None:
    named = {name.removeprefix("GROUPMIND_").lower() for name in example_lines()}
    fields = set(Settings.model_fields)
    assert fields - named == set(), "settings missing from .env.example"
    assert named - fields == set(), ".env.example names settings that do not exist"


def test_a_copied_env_example_changes_no_default() -> None:
    copied = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert copied == defaults


def test_every_example_value_is_valid(tmp_path: Path) -> None:
    uncommented = tmp_path / ".env"
    uncommented.write_text("".join(f"{k}={v}\n" for k, v in example_lines().items()), encoding="utf-8")
    settings = Settings(_env_file=uncommented)  # type: ignore[call-arg]
    assert settings.discord_dev_guilds == [123456789012345678, 234567890123456789]
    assert settings.engine_url == "http://model-server:8080" and settings.health_port == 9464
