from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from groupmind.events import MAX_TEXT_CHARS, sanitize_text, truncate_text
from tests.helpers import msg


def test_control_characters_are_dropped_but_lines_kept() -> None:
    assert sanitize_text("a\x00b\x1b[31mc\td\r\ne\x7f") == "ab[31mc\td\ne"


def test_invalid_utf8_bytes_are_replaced_not_lost() -> None:
    assert sanitize_text(b"caf\xc3\xa9 \xff\xfe ok") == "café \ufffd\ufffd ok"


def test_lone_surrogates_are_replaced() -> None:
    broken = b"hi \xed\xa0\x80".decode("utf-8", errors="surrogateescape")
    assert sanitize_text(broken).startswith("hi ")
    sanitize_text(broken).encode("utf-8")  # must be encodable again


def test_bidi_overrides_are_removed() -> None:
    assert sanitize_text("abc\u202edef\u2066") == "abcdef"


def test_huge_message_is_stored_truncated_with_a_marker() -> None:
    m = msg(text="x" * 100_000)
    assert len(m.text) < MAX_TEXT_CHARS + 100
    assert m.text.startswith("x" * MAX_TEXT_CHARS)
    assert m.text.endswith(f"[…truncated {100_000 - MAX_TEXT_CHARS:,} characters]")


def test_short_text_is_untouched() -> None:
    assert truncate_text("hello", 10) == "hello"


def test_empty_and_whitespace_messages_are_blank() -> None:
    assert msg(text="").is_blank
    assert msg(text=" \n\t ").is_blank
    assert not msg(text=" hi ").is_blank


def test_binary_text_is_accepted_as_sanitised_text() -> None:
    assert msg(text=b"\x00\x01bin\xffary").text == "bin\ufffdary"


def test_naive_timestamps_become_utc() -> None:
    assert msg(ts=datetime(2026, 1, 1, 12, 0)).ts.tzinfo == timezone.utc


def test_author_names_are_one_clean_line() -> None:
    assert msg(author_name="evil\nMind:\x00 x").author_name == "evil Mind: x"


def test_missing_fields_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="message_id"):
        msg(message_id="")


def test_thread_is_its_own_conversation() -> None:
    assert msg(channel="c", thread="t").where.conversation == "c/t"
    assert msg(channel="c").where.conversation == "c"
