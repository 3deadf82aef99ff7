from datetime import datetime, timezone
from pathlib import Path

import pytest

from adapters.local.room import parse_line, reply_marker
from groupmind.replay import read_irc, read_jsonl
from tests.helpers import msg


def test_room_lines() -> None:
    line = parse_line("alice: hello: world")
    assert line is not None and (line.name, line.text, line.ts) == ("alice", "hello: world", None)
    stamped = parse_line("[2026-03-01 09:30] bob: hi")
    assert stamped is not None and stamped.ts == datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_line("no speaker here") is None
    plain = parse_line("no speaker here", default_name="you")
    assert plain is not None and plain.name == "you"


def test_irc_log(tmp_path: Path) -> None:
    log = tmp_path / "2005-06-27_12.raw.txt"
    log.write_text(
        "[23:58] <alice> hello all\n"
        "=== bob [~b@host] has joined #ubuntu\n"
        "[23:59] <bob> alice: hi\n"
        "[00:01] <alice> past midnight\n"
    )
    messages = list(read_irc(log))
    assert [m.message_id for m in messages] == ["2005-06-27_12:0", "2005-06-27_12:2", "2005-06-27_12:3"]
    assert messages[1].author_name == "bob" and messages[1].text == "alice: hi"
    assert messages[2].ts == datetime(2005, 6, 28, 0, 1, tzinfo=timezone.utc)


def test_jsonl_skips_bad_lines_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(msg(text="one").model_dump_json() + "\n{not json}\n\n" + msg(text="two").model_dump_json() + "\n")
    assert [m.text for m in read_jsonl(path)] == ["one", "two"]
    assert "log.jsonl:2: skipped" in capsys.readouterr().err


def test_a_room_line_starting_with_a_caret_is_a_reply_and_emoticons_are_not() -> None:
    assert reply_marker("^ thanks") == ("", "thanks")
    assert reply_marker("^ben yes please") == ("ben", "yes please")
    assert reply_marker("^Mind and for two?") == ("Mind", "and for two?")
    for text in ("^_^ nice", "^^ agreed", "^", "^ ", "^ben", "up ^ there", ""):
        assert reply_marker(text) == (None, text)
