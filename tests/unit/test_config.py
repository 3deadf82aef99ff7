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


def test_the_discord_token_is_secret_and_dev_guilds_read_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPMIND_DISCORD_TOKEN", "MTIz.secret-token")
    monkeypatch.setenv("GROUPMIND_DISCORD_DEV_GUILDS", "123, 456")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "MTIz.secret-token"
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.model_dump())
    assert settings.discord_dev_guilds == [123, 456]
    monkeypatch.setenv("GROUPMIND_DISCORD_DEV_GUILDS", "[789]")
    assert Settings(_env_file=None).discord_dev_guilds == [789]  # type: ignore[call-arg]


def test_a_blank_discord_token_means_none_and_a_bad_guild_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPMIND_DISCORD_TOKEN", "  ")
    assert Settings(_env_file=None).discord_token is None  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="discord_dev_guilds"):
        Settings(_env_file=None, discord_dev_guilds="12,general")  # type: ignore[call-arg]
