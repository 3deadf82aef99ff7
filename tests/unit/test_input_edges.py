"""Pure pieces of issue 13's edges: room lines, names, terminal output, log times, settings errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.local.room import member_label, parse_line, room_member
from groupmind.names import same_name
from groupmind.cli import settings_problem
from groupmind.config import MIN_PROMPT_TOKENS, Settings
from groupmind.events import EARLIEST, LATEST, MAX_DISPLAY_NAME, clean_name, terminal_safe, ts_problem
from groupmind.replay import read_irc, read_jsonl
from tests.helpers import msg

UTC = timezone.utc


@pytest.mark.parametrize(
    "stamp",
    ["2026-02-30 10:00", "2026-13-01 25:61", "0001-01-01 00:00", "9999-12-31 23:59", "99999-01-01 10:00",
     "1969-12-31 23:59", "2100-01-01 00:00", "0001-01-01 00:30+05:00", "12-ab"],
)  # fmt: skip
def test_a_bad_script_time_keeps_the_line_and_says_why(stamp: str) -> None:
    line = parse_line(f"[{stamp}] alice: still here")
    assert line is not None and (line.name, line.text, line.ts) == ("alice", "still here", None)
    assert line.problem is not None and f"[{stamp}]" in line.problem


def test_script_times_at_the_edges_of_the_range_are_used() -> None:
    first, last = parse_line("[1970-01-01 00:00] a: x"), parse_line("[2099-12-31 23:59] a: x")
    assert first is not None and first.ts == EARLIEST and first.problem is None
    assert last is not None and last.ts == datetime(2099, 12, 31, 23, 59, tzinfo=UTC)
    shifted = parse_line("[2026-03-01T09:30+02:00] a: x")
    assert shifted is not None and shifted.ts == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)


def test_ts_problem_bounds() -> None:
    assert ts_problem(EARLIEST) is None and ts_problem(LATEST - timedelta(seconds=1)) is None
    assert ts_problem(LATEST) and ts_problem(EARLIEST - timedelta(seconds=1))


def test_a_long_or_blank_name_in_a_script_is_still_a_speaker() -> None:
    long = parse_line("x" * 10_000 + ": hello")
    assert long is not None and long.text == "hello" and len(long.name) == 10_000
    blank = parse_line("   : hello")
    assert blank is not None and (blank.name, blank.text) == ("", "hello")
    assert room_member(blank.name).display_name == "?"


def test_typed_long_or_blank_names_are_the_typists_prose() -> None:
    prose = "So here is the one thing I kept thinking about all afternoon, friends: cake"
    assert parse_line(prose, default_name="you") == parse_line("you: " + prose)
    assert parse_line(" : hi", default_name="you") == parse_line("you:  : hi")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("x" * 10_000, "x" * (MAX_DISPLAY_NAME - 1) + "…"), ("   ", "?"), ("\u200b\u200b\u2060", "?"), ("\u3164", "?"),
     ("ali\nce", "ali ce"), ("M\u200bind", "Mind"), ("\x00\x1b", "?"), ("👩\u200d💻 dev", "👩\u200d💻 dev")],
)  # fmt: skip
def test_names_are_cleaned_and_cut_never_refused(raw: str, shown: str) -> None:
    assert clean_name(raw) == shown
    assert msg(author_name=raw).author_name == shown


def test_room_member_ids_fit_even_when_casefolding_grows_the_name() -> None:
    member = room_member("ß" * 128)  # casefolds to "ss" * 128
    assert len(member.id) == 128 and member.display_name == "ß" * 128


@pytest.mark.parametrize(("name", "label"), [
    ("Mind", "Mind (member)"), ("mInD", "mInD (member)"), ("M i n d", "M i n d (member)"),
    ("[gm] system", "gm] system (member)"), ("[care-alert] to bob", "care-alert] to bob (member)"),
    ("[private to bob]", "private to bob] (member)"), ("[why]", "why] (member)"), ("[", "? (member)"),
    ("Mindy", "Mindy"), ("alice", "alice"),
])  # fmt: skip
def test_member_labels_never_pass_for_the_bot_or_a_room_tag(name: str, label: str) -> None:
    assert member_label(name, "Mind") == label


def test_same_name_ignores_case_and_spacing_only() -> None:
    assert same_name(" MIND ", "Mind") and same_name("Mi nd", "Mind")
    assert not same_name("Mindy", "Mind")


@pytest.mark.parametrize(("raw", "safe"), [
    ("a\x1b[2Jb", "ab"), ("a\x1b]0;title\x07b", "ab"), ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
    ("a\x1bPq#0\x1b\\b", "ab"), ("a\x9b31mb", "ab"), ("a\x1bcb", "ab"), ("typo\x08\x08ed", "typoed"),
    ("over\rwrite", "overwrite"), ("a\u202eb\u2066c\u2069", "abc"), ("a\x00\x07\x7f\x85b", "ab"),
    ("line\nnext\ttab", "line\nnext\ttab"),
])  # fmt: skip
def test_terminal_safe_drops_escapes_whole_and_controls(raw: str, safe: str) -> None:
    assert terminal_safe(raw) == safe


def test_irc_times_that_are_no_time_of_day_keep_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "2005-06-27_12.raw.txt"
    log.write_text("[10:00] <alice> one\n[99:99] <bob> two\n[24:00] <carol> three\n[10:01] <dave> four\n")
    messages = list(read_irc(log))
    assert [m.text for m in messages] == ["one", "two", "three", "four"]
    assert [m.ts.strftime("%H:%M") for m in messages] == ["10:00", "10:00", "10:00", "10:01"]
    err = capsys.readouterr().err
    assert "2005-06-27_12.raw.txt:2: [99:99] is not a time of day" in err and ":3: [24:00]" in err


def test_irc_log_dates_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    far = tmp_path / "9999-12-31_01.raw.txt"
    far.write_text("[23:58] <alice> hi\n[00:01] <bob> after midnight\n")
    assert [m.ts.date() for m in read_irc(far)] == [EARLIEST.date(), EARLIEST.date() + timedelta(days=1)]
    assert "the date in its name" in capsys.readouterr().err
    edge = tmp_path / "2099-12-31_01.raw.txt"
    edge.write_text("[23:58] <alice> hi\n[00:01] <bob> into 2100\n")
    assert [m.ts for m in read_irc(edge)] == [datetime(2099, 12, 31, 23, 58, tzinfo=UTC)] * 2
    assert "outside 1970-01-01 .. 2100-01-01" in capsys.readouterr().err


def test_irc_nicks_of_any_length_are_kept(tmp_path: Path) -> None:
    log = tmp_path / "2005-06-27_12.raw.txt"
    log.write_text(f"[10:00] <{'n' * 10_000}> hi\n")
    (message,) = read_irc(log)
    assert len(message.author_id) == 128 and message.author_name.endswith("…")


@pytest.mark.parametrize("ts", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "yesterday", 1e20, -1e12, "1969-07-20T20:17:00Z"])
def test_jsonl_with_an_absurd_ts_keeps_the_message_at_the_time_before(
    ts: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.loads(msg(text="before").model_dump_json())
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "message_id": "x2", "text": "odd", "ts": ts}) + "\n")
    before, odd = read_jsonl(path)
    assert odd.text == "odd" and odd.ts == before.ts
    assert "log.jsonl:2: ts " in capsys.readouterr().err


def test_a_jsonl_first_line_with_a_bad_ts_gets_the_time_of_reading(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({**json.loads(msg(text="first").model_dump_json()), "ts": "9999-01-01T00:00:00"}) + "\n")
    (first,) = read_jsonl(path)
    assert abs(first.ts - datetime.now(UTC)) < timedelta(minutes=1)


def _problem(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return settings_problem(caught.value)


@pytest.mark.parametrize(("values", "line"), [
    ({"n_ctx": "lots"}, "GROUPMIND_N_CTX=lots is not valid: should be a valid integer"),
    ({"temperature": "hot"}, "GROUPMIND_TEMPERATURE=hot is not valid: should be a valid number"),
    ({"temperature": "nan"}, "GROUPMIND_TEMPERATURE=nan is not valid: should be a finite number"),
    ({"n_ctx": "16"}, f"GROUPMIND_N_CTX=16 is not valid: should be greater than or equal to {MIN_PROMPT_TOKENS + 1}"),
    ({"n_ctx": "600"}, "GROUPMIND_MAX_REPLY_TOKENS=96 is not valid: GROUPMIND_N_CTX=600 leaves room for replies of at most 88"),
    ({"redis_url": "notaurl"}, "GROUPMIND_REDIS_URL=notaurl is not valid: relative URL without a base; expected redis://"),
    ({"redis_url": "redis://h:6379/zero"}, "GROUPMIND_REDIS_URL=redis://h:6379/zero is not valid: the path of a redis:// URL"),
    ({"redis_url": "http://h"}, "GROUPMIND_REDIS_URL=http://h is not valid: URL scheme should be 'redis', 'rediss' or 'unix'"),
    ({"engine_url": "localhost:8080"}, "GROUPMIND_ENGINE_URL=localhost:8080 is not valid: URL scheme should be 'http'"),
    ({"care_follow_up_hours": "1e9"}, "GROUPMIND_CARE_FOLLOW_UP_HOURS=1e9 is not valid: should be less than or equal to 168"),
    ({"burst_settle_s": "-1"}, "GROUPMIND_BURST_SETTLE_S=-1 is not valid: should be greater than or equal to 0"),
    ({"seed": str(2**40)}, f"GROUPMIND_SEED={2**40} is not valid: should be less than or equal to"),
    ({"discord_shard_id": "1"}, "the settings are not valid: set GROUPMIND_DISCORD_SHARD_ID and"),
])  # fmt: skip
def test_a_bad_setting_is_one_line_naming_it_and_what_is_allowed(values: dict[str, str], line: str) -> None:
    problem = _problem(**values)
    assert problem.startswith(line) and "\n" not in problem


def test_settings_errors_never_show_a_secret() -> None:
    problem = _problem(redis_url="redis://user:s3cret@host:notaport/0")
    assert "s3cret" not in problem and "redis://user:***@host:notaport/0" in problem
    assert "s3cret" not in _problem(engine_url="ftp://u:s3cret@[::1")
    assert _problem(slack_bot_token=["s3cret"]).startswith("GROUPMIND_SLACK_BOT_TOKEN=*** is not valid")
    many = _problem(discord_token="tok-s3cret", discord_shard_id="x", slack_bot_token=["s3cret"])
    assert "s3cret" not in many and many.endswith("(and 1 more)")


def test_a_shown_value_is_one_short_printable_line() -> None:
    problem = _problem(bot_name="\x1b[2J" + "n" * 500)
    assert problem.startswith("GROUPMIND_BOT_NAME=?[2Jnnn") and "\x1b" not in problem and len(problem) < 200
