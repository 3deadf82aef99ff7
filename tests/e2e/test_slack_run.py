"""`groupmind run` in a subprocess: it refuses a half-configured Slack, and joins a configured one."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from groupmind.store.embedded import EmbeddedServer
from tests.e2e.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack, message_event, model_run_env, run_env, wait_for


def test_run_without_tokens_names_what_is_missing(tmp_path: Path) -> None:
    bare = subprocess.run([sys.executable, "-m", "groupmind", "run"], env=run_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert bare.returncode == 2 and "GROUPMIND_SLACK_BOT_TOKEN" in bare.stderr
    half = subprocess.run(
        [sys.executable, "-m", "groupmind", "run"],
        env=run_env(tmp_path, GROUPMIND_SLACK_BOT_TOKEN="xoxb-half-configured"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert half.returncode == 2 and "GROUPMIND_SLACK_APP_TOKEN" in half.stderr
    assert "xoxb-half-configured" not in half.stderr + half.stdout, "a token never reaches the output"


@pytest.mark.model
async def test_run_joins_slack_over_socket_mode_and_answers_a_mention(
    tmp_path: Path, fake: FakeSlack, redis: Redis, redis_server: EmbeddedServer, model_path: Path
) -> None:
    # `redis` flushes the shared server: a fresh fake reuses message ts values other tests claimed.
    env = model_run_env(
        tmp_path, fake, model_path, GROUPMIND_REDIS_URL=redis_server.url, GROUPMIND_MAX_REPLY_TOKENS="24"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "groupmind", "run", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        await wait_for(lambda: fake.connections, timeout=120)
        ts = fake.next_ts()
        await fake.send_event(message_event(f"<@{BOT_USER}> Mind, say hello to everyone!", ts=ts, type="app_mention"))
        reply = await wait_for(lambda: fake.posted, timeout=120)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert reply[0]["thread_ts"] == ts and reply[0]["text"].strip()
    assert BOT_TOKEN not in stderr.decode() and APP_TOKEN not in stderr.decode()
