"""`docker-compose config` validates deploy/compose.yaml and its GPU override, as a user would run them.

The compose files read `../.env`; the check runs on a copy beside a `.env` made from
`.env.example`, so a developer's own `.env` (with real tokens) is never read.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")

pytestmark = pytest.mark.skipif(
    COMPOSE is None, reason="docker-compose is not installed (apt-get install docker-compose); compose files unchecked"
)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(env.replace("GROUPMIND_DISCORD_TOKEN=", "GROUPMIND_DISCORD_TOKEN=secret-token"))
    return tmp_path


def config(where: Path, *args: str) -> dict[str, Any]:
    assert COMPOSE is not None
    done = subprocess.run([COMPOSE, *args, "config"], cwd=where, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_cpu_compose_runs_the_bot_on_a_durable_private_redis(checkout: Path) -> None:
    services = config(checkout, "-f", "deploy/compose.yaml")["services"]
    redis, bot = services["redis"], services["bot"]
    assert redis["command"][1:] == ["--appendonly", "yes", "--appendfsync", "everysec"]
    assert "ports" not in redis and redis["volumes"] == ["redis-data:/data:rw"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile" and bot["build"]["context"] == str(checkout)
    assert bot["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert bot["restart"] == "unless-stopped" == redis["restart"]
    assert bot["volumes"] == [f"{checkout}/deploy/models:/models:ro"]
    assert bot["environment"]["GROUPMIND_REDIS_URL"] == "redis://redis:6379/0", "the compose redis, not the embedded one"
    assert bot["environment"]["GROUPMIND_DISCORD_TOKEN"] == "secret-token", ".env reaches the bot"
    assert bot["logging"]["options"] == {"max-size": "10m", "max-file": "5"} == redis["logging"]["options"]


def test_gpu_override_reserves_the_gpu_and_the_profile_adds_a_model_server(checkout: Path) -> None:
    files = ("-f", "deploy/compose.yaml", "-f", "deploy/compose.gpu.yaml")
    plain = config(checkout, *files)["services"]
    assert "model-server" not in plain or plain["model-server"]["profiles"] == ["model-server"]
    services = config(checkout, *files, "--profile", "model-server")["services"]
    bot, server = services["bot"], services["model-server"]
    gpu = [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert bot["deploy"]["resources"]["reservations"]["devices"] == gpu == server["deploy"]["resources"]["reservations"]["devices"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile.cuda" and bot["environment"]["GROUPMIND_N_GPU_LAYERS"] == "-1"
    assert bot["environment"]["GROUPMIND_REDIS_URL"] == "redis://redis:6379/0"
    assert server["image"] == "ghcr.io/ggml-org/llama.cpp:server-cuda"
    assert server["environment"]["LLAMA_ARG_MODEL"] == "/models/model.gguf"
    assert server["environment"]["LLAMA_ARG_PORT"] == "8080" and server["environment"]["LLAMA_ARG_ENDPOINT_METRICS"] == "1"
    assert not any(k.startswith("GROUPMIND_") for k in server["environment"]), "no bot token reaches the model server"


def test_a_missing_env_file_is_named(checkout: Path) -> None:
    (checkout / ".env").unlink()
    assert COMPOSE is not None
    done = subprocess.run([COMPOSE, "-f", "deploy/compose.yaml", "config"], cwd=checkout, capture_output=True, text=True)
    assert done.returncode != 0 and ".env" in done.stderr
