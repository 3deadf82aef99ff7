"""What `groupmind models list | pull | use | check` show and do; cli.py only wires them to typer.

Each returns an exit status and prints with the consoles it is given, so the
commands read the same in a terminal and in a test.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from groupmind.config import Settings
from groupmind.llm.catalog import (
    TIERS,
    CatalogError,
    Entry,
    GGUFModel,
    ServerModel,
    load_catalog,
    pulled_file,
)
from groupmind.llm.envfile import settings_for, write_env
from groupmind.llm.hardware import Hardware, detect, fit


def _error(err: Console, text: object) -> None:
    """One `error:` line; the text is printed as it is (a name someone typed is never rich markup)."""
    err.print(Text.assemble(("error:", "bold red"), " ", str(text)), highlight=False)


def _status(entry: Entry, settings: Settings) -> str:
    """Whether the entry is the one in use, or here to load."""
    if isinstance(entry, ServerModel):
        return "in use" if settings.engine_url and settings.engine_model == entry.engine_model else ""
    chosen = settings.model == entry.name or (entry.tier == "default" and not settings.model)
    if chosen and not settings.engine_url:
        return "in use"
    if entry.tier == "default":
        return "shipped"
    return "pulled" if pulled_file(entry, settings.data_dir) is not None else ""


def _size(entry: Entry) -> str:
    if not isinstance(entry, GGUFModel):
        return "-"
    return f"{entry.size / 1e9:.2f} GB" if entry.size else f"~{entry.approx_size_gb:g} GB"


def list_models(settings: Settings, out: Console, hw: Hardware | None = None) -> int:
    """The catalog by tier, with what fits this machine (or `hw`) and what is pulled."""
    catalog = load_catalog()
    hw = hw or detect()
    out.print(f"This machine: {hw.describe()}", highlight=False)
    table = Table("model", "size", "licence", "context", "needs", "chat template", "fits here", "status")
    table.columns[0].no_wrap = True
    for tier, title in TIERS.items():
        entries = [e for e in catalog if e.tier == tier]
        if not entries:
            continue
        table.add_section()
        table.add_row(f"[bold]{title}[/]")
        for entry in entries:
            verdict = fit(entry, hw)
            mark = {"gpu": "[green]yes[/] ", "ram": "[green]yes[/] ", "server": "", "no": "[red]no[/] "}[verdict.where]
            needs = f"{entry.ram_gb:g} GB RAM / " if isinstance(entry, GGUFModel) else ""
            table.add_row(
                f"[bold]{entry.name}[/]\n[dim]{entry.label}[/]",
                _size(entry),
                entry.licence,
                f"{entry.context:,}",
                f"{needs}{entry.vram_gb:g} GB VRAM",
                "yes" if entry.chat_template else "no (base)",
                mark + verdict.text,
                _status(entry, settings),
            )
    out.print(table)
    out.print("sizes with ~ are approximate; those entries are verified against the sha256 the Hub reports at pull")
    return 0


def pull_model(name: str, settings: Settings, out: Console, err: Console) -> int:
    """Download a catalog model into the data dir, verified; one line and exit 1 if it cannot."""
    from groupmind.llm.download import PullError, pull  # huggingface_hub is only needed here

    try:
        entry = load_catalog().get(name)
    except CatalogError as exc:
        _error(err, exc)
        return 2
    if not isinstance(entry, GGUFModel):
        _error(err, f"{name} is a model server, there is nothing to pull; start it with: {entry.start}")
        return 2
    if entry.tier == "default":
        out.print(f"{name} ships with groupmind (the {entry.package} package): nothing to pull", highlight=False)
        return 0
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    columns += (TimeRemainingColumn(),)
    try:
        with Progress(*columns, console=err, transient=False) as progress:
            pulled = pull(entry, settings.data_dir, progress=progress, say=lambda t: err.print(Text(t)))
    except PullError as exc:
        _error(err, exc)
        return 1
    except KeyboardInterrupt:
        _error(err, f"stopped; run `groupmind models pull {name}` again to resume where it stopped")
        return 130
    record = pulled.record
    if pulled.already:
        out.print(f"{name} is already pulled: {pulled.path}", highlight=False)
        return 0
    against = "the catalog's pin" if record.verified_against == "catalog" else "the sha256 the Hub reported"
    said = f"pulled {name}: {pulled.path} ({record.size:,} bytes, sha256 {record.sha256}, matches {against})"
    out.print(said, highlight=False)
    if record.verified_against == "hub":
        pin = f'size = {record.size}, sha256 = "{record.sha256}"'
        out.print(f"to pin it, add to its entry in models/catalog.toml: {pin}", highlight=False)
    out.print(f"use it with: groupmind models use {name}", highlight=False)
    return 0


def use_model(
    name: str, settings: Settings, env_file: Path, out: Console, err: Console, url: str | None = None
) -> int:
    """Point the settings in `env_file` at a catalog model, say what changed, and check that it took."""
    try:
        entry = load_catalog().get(name)
    except CatalogError as exc:
        _error(err, exc)
        return 2
    if isinstance(entry, GGUFModel) and entry.tier != "default" and pulled_file(entry, settings.data_dir) is None:
        _error(
            err,
            f"{name} is not pulled into {settings.data_dir}: run `groupmind models pull {name}` "
            "first (nothing was changed)",
        )
        return 1
    if isinstance(entry, ServerModel):
        url = url or settings.engine_url or entry.url
    values = settings_for(entry, url=url or "", engine_url_set=bool(settings.engine_url))
    try:
        write_env(env_file, values)
    except (OSError, UnicodeDecodeError) as exc:
        _error(err, f"cannot write the settings file {env_file}: {exc}")
        return 1
    for key, value in values.items():
        out.print(f"{env_file}: {key}={value}", highlight=False)
    now = Settings(_env_file=env_file)  # type: ignore[call-arg]
    wanted = values.get("GROUPMIND_MODEL", entry.name)
    took = now.model == wanted if isinstance(entry, GGUFModel) else now.engine_model == entry.engine_model
    if not took:
        err.print(
            f"[yellow]note:[/] the environment sets these settings too and wins over {env_file}; unset them there",
            highlight=False,
        )
    if isinstance(entry, GGUFModel) and entry.tier == "gpu" and settings.n_gpu_layers == 0:
        hint = "this model wants a GPU: set GROUPMIND_N_GPU_LAYERS=-1 with a CUDA build of llama.cpp"
        out.print(hint, highlight=False)
    return 0


def fit_line(settings: Settings, hw: Hardware | None = None) -> str:
    """`models check`'s verdict on the configured model: does it fit this machine's RAM and GPU."""
    hw = hw or detect()
    catalog = load_catalog()
    entry = catalog.get(settings.model) if settings.model in catalog else None if settings.model else catalog.default
    if entry is None:
        return f"this machine: {hw.describe()} (the model is a path, not in the catalog: no size figures to fit)"
    verdict = fit(entry, hw)
    said = {"gpu": "fits on", "ram": "fits in", "server": "runs", "no": "does not fit:"}[verdict.where]
    return f"{entry.name} {said} {verdict.text}; this machine: {hw.describe()}"
