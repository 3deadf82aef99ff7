from pathlib import Path

import pytest
from pydantic import ValidationError

from groupmind.config import Settings


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("GROUPMIND_BOT_NAME=Sage\nGROUPMIND_N_CTX=4096\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GROUPMIND_N_GPU_LAYERS", "-1")
    settings = Settings()
    assert (settings.bot_name, settings.n_ctx, settings.n_gpu_layers) == ("Sage", 4096, -1)
    assert settings.redis_url == "" and settings.model == ""


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.bot_name == "Mind"
    assert settings.n_threads >= 1


def test_bot_name_cannot_carry_a_colon() -> None:
    assert Settings(_env_file=None, bot_name="Mind: x").bot_name == "Mind x"  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, bot_name=":::")  # type: ignore[call-arg]
