"""Huge, empty, binary and malformed messages: stored safely or refused with a reason, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groupmind.events import MAX_TEXT_CHARS, ChannelRef
from tests.hostile.conftest import groupmind, replay_files, room_script

pytestmark = pytest.mark.model
JSONL = ChannelRef(platform="local", community="hostile", channel="general")


def _jsonl(message_id: str, text: object, **extra: object) -> str:
    return json.dumps({
        "platform": "local", "community": "hostile", "channel": "general", "message_id": message_id,
        "author_id": "u1", "author_name": "ana", "text": text, "ts": "2026-03-01T10:00:00Z", **extra,
    })  # fmt: skip


@pytest.mark.parametrize(
    "script, kept",
    [
        pytest.param(b"", [], id="empty-file"),
        pytest.param(b"\n\n   \n\t\n", [], id="only-blank-lines"),
        pytest.param(b"alice: \nbob:    \ncarol: real words\n", ["real words"], id="blank-texts-skipped"),
        pytest.param(b"alice: caf\xc3\xa9 \xff\xfe broken\n", ["caf\u00e9 \ufffd\ufffd broken"], id="invalid-utf8"),
        pytest.param(b"alice: nul\x00byte and bell\x07\n", ["nulbyte and bell"], id="nul-and-controls"),
        pytest.param(b"alice: \xde\xad\xbe\xef\x00\x01\x02\x03 tail\n", ["\u07ad\ufffd\ufffd tail"], id="binary"),
        pytest.param(b"\xef\xbb\xbfalice: after a byte-order mark\n", ["after a byte-order mark"], id="bom"),
        pytest.param(b"alice: one\r\nbob: two\r\n", ["one", "two"], id="crlf"),
    ],
)
def test_odd_bytes_in_the_room_are_cleaned_and_kept(
    tmp_path: Path, hostile_env: dict[str, str], script: bytes, kept: list[str]
) -> None:
    run = room_script(tmp_path, hostile_env, script)
    run.assert_clean()
    assert [m.text for m in run.stored()] == kept


def test_a_huge_message_is_stored_truncated_with_a_marker(tmp_path: Path, hostile_env: dict[str, str]) -> None:
    huge = "word " * 200_000  # a megabyte on one line
    run = room_script(tmp_path, hostile_env, f"alice: {huge}\nbob: still here\n")
    run.assert_clean()
    first, second = run.stored()
    assert len(first.text) < MAX_TEXT_CHARS + 64 and first.text.endswith("characters]")
    assert second.text == "still here"
    assert len(run.stdout) < 3 * MAX_TEXT_CHARS  # the echo is bounded too, not a megabyte of terminal


def test_thousands_of_lines_lose_none(tmp_path: Path, hostile_env: dict[str, str]) -> None:
    lines = "".join(f"member{i % 7}: message number {i}\n" for i in range(2000))
    run = room_script(tmp_path, hostile_env, lines)
    run.assert_clean()
    assert [m.text for m in run.stored(count=5000)] == [f"message number {i}" for i in range(2000)]


def test_malformed_jsonl_lines_are_named_and_the_rest_is_stored(tmp_path: Path, hostile_env: dict[str, str]) -> None:
    log = tmp_path / "hostile.jsonl"
    log.write_text(
        "\n".join([
            _jsonl("m1", "first"),
            "{not json at all",
            json.dumps([1, 2, 3]),
            _jsonl("m2", {"nested": "object"}),
            _jsonl("m3", "x" * 100_000),
            '{"platform": "local"}',
            _jsonl("m4", "last"),
            "\x00\x01\x02 binary junk",
        ]) + "\n"
    )  # fmt: skip
    run = replay_files(hostile_env, log)
    run.assert_clean()
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["messages"] == 3
    stored = run.stored(JSONL)
    assert [m.message_id for m in stored] == ["m1", "m3", "m4"]
    assert stored[1].text.endswith("characters]") and len(stored[1].text) < MAX_TEXT_CHARS + 64
    skipped = [line for line in run.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 5 and all(line.startswith(f"{log}:") for line in skipped)


def test_an_irc_log_of_garbage_stores_what_parses(tmp_path: Path, hostile_env: dict[str, str]) -> None:
    log = tmp_path / "2026-03-01_00.txt"
    log.write_bytes(
        b"[10:00] <ana> hello\n"
        b"\xff\xfe\x00garbage line\n"
        b"[10:01] <bob> caf\xc3\xa9 \xff ok\n"
        b"[10:02] * ana waves\n"
        b"[10:03] <" + b"n" * 5000 + b"> long nick\n"
    )
    run = replay_files(hostile_env, log)
    run.assert_clean()
    stored = run.stored(ChannelRef(platform="irc", community="ubuntu", channel="2026-03-01_00"))
    assert [m.text for m in stored] == ["hello", "caf\u00e9 \ufffd ok", "long nick"]


def test_a_directory_or_unreadable_path_is_a_clear_error(tmp_path: Path, hostile_env: dict[str, str]) -> None:
    run = groupmind(["replay", "--json", "--no-reply", str(tmp_path)], hostile_env)
    run.assert_clean(returncode=2)
    assert "no such file" in run.stderr
