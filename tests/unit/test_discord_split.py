import pytest

from adapters.discord.split import DISCORD_LIMIT, split_message


def _words(chunks: list[str]) -> list[str]:
    return " ".join(chunks).split()


def test_short_text_is_one_chunk_and_blank_text_none() -> None:
    assert split_message("hello there") == ["hello there"]
    assert split_message("  \n ") == []
    assert split_message("x" * DISCORD_LIMIT) == ["x" * DISCORD_LIMIT]


def test_a_line_break_is_preferred() -> None:
    text = "a" * 60 + ". " + "b" * 20 + "\n" + "c" * 30
    assert split_message(text, limit=100) == ["a" * 60 + ". " + "b" * 20, "c" * 30]


def test_then_a_sentence_end() -> None:
    text = "First sentence is here. " * 3 + "Last one runs on and on"
    chunks = split_message(text, limit=80)
    assert chunks[0].endswith("here.") and len(chunks[0]) <= 80
    assert _words(chunks) == text.split()


def test_then_a_space_and_at_last_mid_word() -> None:
    assert split_message("word " * 30, limit=42) == ["word word word word word word word word"] * 3 + [
        "word word word word word word"
    ]
    assert split_message("z" * 250, limit=100) == ["z" * 100, "z" * 100, "z" * 50]


def test_an_early_boundary_is_not_used_for_a_tiny_chunk() -> None:
    text = "Hi.\n" + "y" * 150
    assert split_message(text, limit=100) == ["Hi.\n" + "y" * 96, "y" * 54]


def test_a_long_reply_keeps_every_word_within_the_limit() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "It goes on, as replies do! " * 17 for n in range(12))
    chunks = split_message(text)
    assert len(chunks) > 1 and all(0 < len(c) <= DISCORD_LIMIT for c in chunks)
    assert _words(chunks) == text.split()


def test_a_silly_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        split_message("abc", limit=1)
