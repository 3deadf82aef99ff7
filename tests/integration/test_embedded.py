"""The embedded default server: persistence across restarts, sharing, clean shutdown."""

import os
from pathlib import Path

from groupmind.store import Store, open_redis
from groupmind.store.embedded import EmbeddedServer
from tests.helpers import msg


async def test_history_survives_a_restart_of_the_embedded_server(tmp_path: Path) -> None:
    async with open_redis("", tmp_path) as redis:
        await Store(redis).append_many(msg("alice", f"line {i}") for i in range(5))
    assert (tmp_path / "redis" / "appendonlydir").is_dir()
    async with open_redis("", tmp_path) as redis:
        texts = [m.text for m in await Store(redis).window(msg().where, 10)]
    assert texts == [f"line {i}" for i in range(5)]


async def test_second_process_on_the_same_data_dir_shares_the_server(tmp_path: Path) -> None:
    first = EmbeddedServer(tmp_path)
    first.start()
    try:
        second = EmbeddedServer(tmp_path)
        second.start()
        assert first.owned and not second.owned
        second.stop()  # not its server: must not stop it
        async with open_redis(first.url, tmp_path) as redis:
            assert await redis.ping()
    finally:
        first.stop()


def test_stop_ends_the_server_process(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    server.start()
    pid = server._proc.pid if server._proc else 0
    server.stop()
    assert pid and not Path(f"/proc/{pid}").exists() or _is_zombie_free(pid)


def _is_zombie_free(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
