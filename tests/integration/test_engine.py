"""LocalEngine with the real default model through llama-cpp-python."""

import subprocess
import sys
from pathlib import Path

import pytest

from groupmind.config import Settings
from groupmind.llm import GenerationTimeout, LocalEngine, ModelLoadError, Prompt

PROMPT = Prompt(
    system="A group chat in #general.",
    turns=("alice: what is the capital of France?", "bob: I think it is"),
    speaker="carol",
    stop=(),
)


async def _collect(engine: LocalEngine, max_tokens: int = 12, timeout: float = 60) -> list[str]:
    return [piece async for piece in engine.stream(PROMPT, max_tokens=max_tokens, timeout=timeout)]


@pytest.mark.model
async def test_streams_text_in_pieces(engine: LocalEngine) -> None:
    pieces = await _collect(engine)
    assert len(pieces) > 1
    assert "".join(pieces).strip()
    assert not engine.uses_chat_template  # the default GGUF is a base model: transcript prompting


@pytest.mark.model
async def test_timeout_stops_generation_and_the_engine_recovers(engine: LocalEngine) -> None:
    with pytest.raises(GenerationTimeout):
        await _collect(engine, max_tokens=2000, timeout=0.05)
    assert await _collect(engine, max_tokens=4)
    assert engine.pending == 0


@pytest.mark.model
async def test_closing_the_stream_cancels_the_generation(engine: LocalEngine) -> None:
    stream = engine.stream(PROMPT, max_tokens=500, timeout=60)
    first = await anext(stream)  # type: ignore[call-overload]
    await stream.aclose()  # type: ignore[attr-defined]
    assert first
    assert await _collect(engine, max_tokens=4)  # the worker is free again


async def test_missing_model_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    engine = LocalEngine(path, Settings(_env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ModelLoadError, match=f"model file not found: {path}"):
        await engine.start()
    await engine.close()


async def test_non_gguf_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("this is not a model")
    engine = LocalEngine(path, Settings(_env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ModelLoadError, match=f"bad header.*{path}"):
        await engine.start()
    await engine.close()


async def test_corrupt_gguf_names_the_path(tmp_path: Path, model_path: Path) -> None:
    path = tmp_path / "truncated.gguf"
    path.write_bytes(model_path.read_bytes()[:2_000_000])  # a real header, cut short
    engine = LocalEngine(path, Settings(_env_file=None, n_threads=1))  # type: ignore[call-arg]
    with pytest.raises(ModelLoadError, match=f"cannot load model {path}"):
        await engine.start()
    await engine.close()


CHAT_TEMPLATE = (
    "{% for m in messages %}<start_of_turn>{{ m.role }}\n{{ m.content }}<end_of_turn>\n{% endfor %}"
    "<start_of_turn>model\n"
)


@pytest.fixture(scope="module")
def templated_model(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model, copied with a chat template in its metadata."""
    out = tmp_path_factory.mktemp("templated") / "with-template.gguf"
    subprocess.run(
        [sys.executable, "-m", "gguf.scripts.gguf_new_metadata", str(model_path), str(out),
         "--chat-template", CHAT_TEMPLATE, "--force"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


@pytest.mark.model
@pytest.mark.parametrize("enabled", [True, False])
async def test_a_gguf_with_a_chat_template_goes_through_chat_completion(
    templated_model: Path, enabled: bool
) -> None:
    engine = LocalEngine(templated_model, Settings(_env_file=None, n_threads=2, chat_template=enabled))  # type: ignore[call-arg]
    await engine.start()
    try:
        assert engine.uses_chat_template is enabled
        assert "".join([p async for p in engine.stream(PROMPT, max_tokens=8, timeout=60)]).strip()
    finally:
        await engine.close()
