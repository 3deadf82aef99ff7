"""Every admin command through `groupmind room --script`, in a subprocess, with the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from redis.asyncio import Redis

from groupmind.admin.grammar import SPECS
from groupmind.store.care_alerts import AlertStore
from groupmind.events import ChannelRef, Member
from groupmind.store.embedded import EmbeddedServer
from groupmind.store.keys import CommunityKeys
from tests.admin_helpers import VALID_ARGS

ROOM = ChannelRef(platform="local", community="local", channel="room")
KEYS = CommunityKeys("local", "local")


def run_room(script: str, tmp_path: Path, model_path: Path, redis_url: str, *admins: str) -> list[str]:
    """Run the room on `script` in a subprocess; returns its stdout lines."""
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    env = {
        **os.environ,
        "GROUPMIND_DATA_DIR": str(tmp_path / "data"),
        "GROUPMIND_REDIS_URL": redis_url,
        "GROUPMIND_MODEL": str(model_path),
        "GROUPMIND_N_THREADS": "2",
        "GROUPMIND_TEMPERATURE": "0",
        "GROUPMIND_SEED": "7",
        "GROUPMIND_MAX_REPLY_TOKENS": "16",
    }
    args = [sys.executable, "-m", "groupmind", "room", "--script", str(path)]
    for name in admins:
        args += ["--admin", name]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def answer(lines: list[str], said: str) -> list[str]:
    """The `[gm]`/`[private ...]` lines printed right after the line `said`."""
    start = lines.index(said) + 1
    end = start
    while end < len(lines) and lines[end].startswith("["):
        end += 1
    return lines[start:end]


async def test_every_command_through_the_room_script(
    tmp_path: Path, redis: Redis, redis_server: EmbeddedServer, model_path: Path
) -> None:
    await redis.sadd(KEYS.members, "bob")  # bob has an alert before he speaks in this run
    await AlertStore(redis).create(member=Member(id="bob", display_name="Bob"), where=ROOM, why="hopelessness")
    refusals = {s.name: f"carol: /gm {s.name} {VALID_ARGS.get(s.name, '')}".rstrip() for s in SPECS if s.admin}
    script = "\n".join(
        [
            "alice: hello everyone",
            "Bob: hi all, rough week",
            "carol: morning",
            *refusals.values(),
            "alice: /gm status",
            "alice: /gm mode quiet",
            "Bob: Mind, are you there?",
            "alice: /gm mode loud",
            "alice: /gm persona set You love puns.",
            "alice: /gm persona show",
            "alice: /gm persona reset",
            "alice: /gm persona community set Be brief.",
            "alice: /gm persona show",
            "alice: /gm persona community reset",
            "alice: /gm care contacts add Bob",
            "alice: /gm care contacts add carol",
            "alice: /gm care contacts remove carol",
            "alice: /gm care contacts list",
            "alice: /gm care region gb",
            "alice: /gm care checkins off",
            "alice: /gm care sensitivity high",
            "alice: /gm alerts list",
            "alice: /gm alerts ack 1",
            "alice: /gm alerts resolve 1 talked, he is ok",
            "alice: /gm alerts list all",
            "alice: /gm export",
            "carol: /gm help",
            "carol: /gm optout",
            "carol: /gm optin",
            "Bob: /gm forget-me",
            "alice: /gm frobnicate",
            "alice: /gm mode mention",
            "alice: /gm status",
        ]
    )
    lines = run_room(script + "\n", tmp_path, model_path, redis_server.url, "alice")

    for name, line in refusals.items():
        who = "community admins and care contacts" if name.startswith("alerts") else "community admins"
        assert answer(lines, line) == [f"[private to carol] /gm {name} is for {who} only; nothing was changed."]
    status = answer(lines, "alice: /gm status")
    assert "[gm] messages stored: room 3" in status and "[gm] open care alerts: 1" in status
    assert answer(lines, "Bob: Mind, are you there?") == []
    assert not any(line.startswith("Mind:") for line in lines)
    assert answer(lines, "alice: /gm mode loud") == ["[private to alice] usage: /gm mode mention|active|quiet"]
    assert answer(lines, "alice: /gm persona show")[0] == "[gm] persona in #room: You love puns."
    assert answer(lines, "alice: /gm care contacts list") == ["[gm] care contacts: Bob"]
    listed = answer(lines, "alice: /gm alerts list")
    assert len(listed) == 1 and listed[0].startswith("[private to alice] #1 [open, medium] Bob in #room")
    assert answer(lines, "alice: /gm alerts ack 1") == ["[private to alice] alert #1: acknowledged."]
    assert answer(lines, "alice: /gm alerts resolve 1 talked, he is ok") == ["[private to alice] alert #1: resolved."]
    exported = answer(lines, "alice: /gm export")
    assert exported[0].startswith("[private to alice] export of ") and exported[1].startswith("[private to alice] file: ")
    export_path = Path(exported[1].split("file: ", 1)[1])
    assert export_path.parent == tmp_path / "data" / "exports"
    data = json.loads(export_path.read_text(encoding="utf-8"))
    assert data["keys"][KEYS.settings]["care.region"] == "GB"
    assert "Care contacts: Bob" in "\n".join(answer(lines, "carol: /gm help"))
    assert answer(lines, "carol: /gm optout")[0].startswith("[private to carol] opted out")
    assert answer(lines, "carol: /gm optin")[0].startswith("[private to carol] welcome back")
    forgot = answer(lines, "Bob: /gm forget-me")
    assert forgot[0].startswith("[private to Bob] forgotten: deleted 2 messages") and "1 care alerts" in forgot[0]
    assert answer(lines, "alice: /gm frobnicate")[0].startswith("[private to alice] usage: /gm status|mode|")

    settings = await redis.hgetall(KEYS.settings)
    assert settings == {
        "mode:room": "mention", "care.contacts": "[]", "care.region": "GB", "care.checkins": "off",
        "care.sensitivity": "high",
    }  # fmt: skip
    audit = [fields for _, fields in await redis.xrange(KEYS.audit)]
    assert {a["who"] for a in audit} == {"alice"} and len(audit) == 22
    assert not await redis.smembers(KEYS.optout)


def test_status_counts_the_same_after_the_room_restarts(tmp_path: Path, model_path: Path) -> None:
    """With no Redis URL the room runs its embedded server; a second run sees the same store."""
    first = run_room("alice: one\nbob: two\nalice: /gm status\n", tmp_path, model_path, "", "alice")
    second = run_room("alice: /gm status\n", tmp_path, model_path, "", "alice")
    counts = [line for line in answer(first, "alice: /gm status") if "uptime" not in line]
    assert "[gm] messages stored: room 2" in counts
    assert [line for line in answer(second, "alice: /gm status") if "uptime" not in line] == counts
