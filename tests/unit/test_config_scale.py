"""Settings for running several workers: off by default, named per process, shards checked."""

import os
import socket

import pytest
from pydantic import ValidationError

from groupmind.config import Settings


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[arg-type]


def test_one_process_is_the_default_and_a_worker_is_named_by_host_and_pid() -> None:
    plain = settings()
    assert plain.work_queue is False
    assert plain.worker_name == f"{socket.gethostname()}-{os.getpid()}"
    assert (plain.discord_shard_id, plain.discord_shard_count) == (None, None)


def test_discord_shards_come_as_a_valid_pair() -> None:
    assert settings(discord_shard_id=1, discord_shard_count=2).discord_shard_id == 1
    with pytest.raises(ValidationError, match="together"):
        settings(discord_shard_id=0)
    with pytest.raises(ValidationError, match="below"):
        settings(discord_shard_id=2, discord_shard_count=2)


def test_a_claim_timeout_too_short_to_heartbeat_is_refused() -> None:
    with pytest.raises(ValidationError, match="work_claim_idle_ms"):
        settings(work_claim_idle_ms=10)
