"""The one-line notice that the default model is a tiny demo, said once per data dir."""

from __future__ import annotations

from pathlib import Path

from groupmind.config import Settings
from groupmind.llm.models import first_start_notice


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]


def test_the_default_model_is_named_a_demo_once(tmp_path: Path) -> None:
    notice = first_start_notice(_settings(tmp_path, bot_name="Ada"))
    assert notice is not None and "\n" not in notice
    assert notice.startswith("note: Ada runs on Gemma 3 270M") and "a tiny demo model" in notice
    assert "`groupmind models pull NAME`" in notice and "`groupmind models list`" in notice
    assert first_start_notice(_settings(tmp_path)) is None  # said once, not on every start


def test_the_default_chosen_by_its_catalog_name_counts_too(tmp_path: Path) -> None:
    assert first_start_notice(_settings(tmp_path, model="gemma3-270m")) is not None


def test_no_notice_for_a_chosen_model_or_a_server(tmp_path: Path) -> None:
    assert first_start_notice(_settings(tmp_path, model="qwen2.5-7b")) is None
    assert first_start_notice(_settings(tmp_path, model=str(tmp_path / "mine.gguf"))) is None
    assert first_start_notice(_settings(tmp_path, engine_url="http://127.0.0.1:8080")) is None
    assert not (tmp_path / "models" / "demo-notice-shown").exists()  # still owed for when the default runs
