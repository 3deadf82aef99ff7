"""Where `groupmind health` (the container HEALTHCHECK) looks for the running process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from groupmind.cli import app
from groupmind.config import Settings
from groupmind.observe.health import health_url


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:9464/healthz"),
        ("0.0.0.0", "http://127.0.0.1:9464/healthz"),  # listening everywhere answers on loopback
        ("::", "http://127.0.0.1:9464/healthz"),
        ("::1", "http://[::1]:9464/healthz"),
        ("bot.internal", "http://bot.internal:9464/healthz"),
    ],
)
def test_health_url_reaches_the_bound_address(host: str, url: str) -> None:
    assert health_url(settings(health_host=host)) == url


def test_health_port_is_checked() -> None:
    assert settings().health_host == "127.0.0.1" and settings().health_port == 9464
    with pytest.raises(ValueError, match="health_port"):
        settings(health_port=70000)


def test_health_command_says_when_the_server_is_off() -> None:
    done = CliRunner().invoke(app, ["health"], env={"GROUPMIND_HEALTH_PORT": "0"})
    assert done.exit_code == 2 and "GROUPMIND_HEALTH_PORT=0" in done.output
