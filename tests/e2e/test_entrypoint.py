"""The container's command, run outside Docker: `groupmind run` serves /healthz and /metrics.

The argv comes from deploy/Dockerfile's ENTRYPOINT, CMD and HEALTHCHECK, so the test
follows the image. Slack is the fake on loopback; Redis is the embedded server the
process starts itself in its data dir.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.fake_slack import BOT_USER, FakeSlack, message_event, model_run_env, wait_for

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile"


def dockerfile_argv(instruction: str) -> list[str]:
    """The exec-form argv of the Dockerfile's last `instruction` (HEALTHCHECK: its CMD)."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(f"{instruction} ")]
    assert lines, f"no {instruction} in {DOCKERFILE}"
    return json.loads(re.search(r"(\[.*\])\s*$", lines[-1])[1])  # type: ignore[index]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_module(argv: list[str]) -> list[str]:
    assert argv[0] == "groupmind"
    return [sys.executable, "-m", "groupmind", *argv[1:]]


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


def metric(page: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", page, re.MULTILINE)
    assert found, f"{name} missing from /metrics"
    return float(found[1])


@pytest.mark.model
async def test_the_image_command_serves_health_and_metrics(tmp_path: Path, fake: FakeSlack, model_path: Path) -> None:
    command = as_module(dockerfile_argv("ENTRYPOINT") + dockerfile_argv("CMD"))
    health_command = as_module(dockerfile_argv("HEALTHCHECK"))
    port = free_port()
    # No GROUPMIND_REDIS_URL: the process starts the embedded server in its data dir.
    env = model_run_env(
        tmp_path, fake, model_path, GROUPMIND_HEALTH_PORT=str(port), GROUPMIND_MAX_REPLY_TOKENS="16"
    )
    base = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(*command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        await wait_for(lambda: fake.connections, timeout=120)
        status, body = await fetch(f"{base}/healthz")
        assert status == 200 and json.loads(body) == {"ready": True, "redis": True, "model": True}
        checked = subprocess.run(health_command, env=env, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0 and json.loads(checked.stdout)["ready"] is True

        await fake.send_event(message_event(f"<@{BOT_USER}> Mind, say hello!", ts=fake.next_ts(), type="app_mention"))
        await wait_for(lambda: fake.posted, timeout=120)

        async def replied() -> str | None:
            page = (await fetch(f"{base}/metrics"))[1]
            return page if metric(page, "groupmind_replies_total") == 1 else None

        page = await wait_for(replied, timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 30)
    assert metric(page, "groupmind_messages_handled_total") == 1
    assert metric(page, "groupmind_reply_latency_seconds_count") == 1
    assert metric(page, "groupmind_prefix_cache_hits_total") + metric(page, "groupmind_prefix_cache_misses_total") >= 1
    assert metric(page, "groupmind_engine_queue_depth") == 0
    assert 'groupmind_care_alerts{state="open"} 0.0' in page

    stopped = subprocess.run(health_command, env=env, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 1 and "no answer at" in stopped.stdout
