"""The `groupmind` command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional, get_args

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from groupmind import model_commands
from groupmind.config import Settings
from groupmind.llm.engine import ModelLoadError
from groupmind.llm.models import first_start_notice, resolve_model
from groupmind.llm.selftest import ensure_model_runs
from groupmind.observe.health import HealthServerError, check, serve_health
from groupmind.platform import Platform
from groupmind.replay import replay as replay_logs
from groupmind.runtime import open_core, open_pipeline
from groupmind.store import StoreUnavailable
from groupmind.store.connect import redact_url
from groupmind.store.embedded import EmbeddedServerError
from groupmind.work import Worker

app = typer.Typer(help="groupmind: a self-hosted AI member for group chats.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # an error stays one line, however wide

_FATAL = (StoreUnavailable, EmbeddedServerError, ModelLoadError)
_SECRETS = {name for name, f in Settings.model_fields.items() if SecretStr in (f.annotation, *get_args(f.annotation))}
_SHOWN_CHARS = 80


def _shown(field: str, value: Any) -> str:
    """A bad setting's value as it may be printed: secrets and URL passwords hidden, one short line."""
    if field in _SECRETS:
        return "***"
    try:
        text = redact_url(str(value))
    except ValueError:  # not even splittable as a URL: it may still hold a password
        return "***"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def settings_problem(exc: ValidationError) -> str:
    """The first bad setting, as `GROUPMIND_X=<value> is not valid: <what is allowed>`."""
    first, *rest = exc.errors()
    allowed = first["msg"].removeprefix("Value error, ").removeprefix("Input ")
    if first["loc"]:
        field = str(first["loc"][0])
        problem = f"GROUPMIND_{field.upper()}={_shown(field, first['input'])} is not valid: {allowed}"
    else:  # a rule across settings names them itself
        problem = f"the settings are not valid: {allowed}"
    return problem + (f" (and {len(rest)} more)" if rest else "")


def _settings() -> Settings:
    """The settings; a bad one ends the command with one line (exit 2), never a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        err.print(Text.assemble(("error:", "bold red"), " ", settings_problem(exc)), soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None


def _run(coro: object, *fatal: type[Exception]) -> None:
    """Run a command's coroutine; a known failure (or one of `fatal`) is one clear line and exit 1."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(coro)  # type: ignore[arg-type]
    except (*_FATAL, *fatal) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def room(
    script: Annotated[Optional[Path], typer.Option(help="Feed 'name: text' lines from FILE and exit.")] = None,
    as_name: Annotated[str, typer.Option("--as", help="Who plain lines (without 'name:') come from.")] = "you",
    admins: Annotated[
        Optional[list[str]], typer.Option("--admin", help="A member who may run admin /gm commands (repeatable).")
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show why the bot speaks or not, as [why] lines.")] = False,
) -> None:
    """Chat with groupmind in a local room: one person can play the whole group."""
    from adapters.local.room import LocalRoom, RoomClock, RoomScreen

    if script is not None and not script.is_file():
        err.print(f"[bold red]error:[/] script not found: {script}", highlight=False)
        raise typer.Exit(2)

    settings = _settings()

    async def main() -> None:
        clock = RoomClock()
        async with open_core(settings, clock=clock) as core:
            if notice := first_start_notice(settings):
                err.print(notice, highlight=False)
            screen = RoomScreen(sys.stdout, settings.bot_name, admins=admins or (), seen=core.directory.seen)
            local = LocalRoom(core.pipeline([screen], explain=screen.why if explain else None), clock)
            if script is None:
                await local.run_interactive(as_name)
            else:
                # Lines end at "\n" only: a stray "\r" stays inside its speaker's line.
                with script.open(encoding="utf-8", errors="replace", newline="\n") as fh:
                    await local.run_script(fh)

    _run(main())


@app.command()
def replay(
    paths: Annotated[list[Path], typer.Argument(help="IRC .txt logs or .jsonl files of ChatMessage.")],
    no_reply: Annotated[bool, typer.Option("--no-reply", help="Store only; generate nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on the last line.")] = False,
) -> None:
    """Ingest real chat logs through the pipeline and summarise the run."""
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        err.print(f"[bold red]error:[/] no such file: {', '.join(missing)}", highlight=False)
        raise typer.Exit(2)

    settings = _settings()

    async def main() -> None:
        async with open_pipeline(settings, with_model=not no_reply) as pipeline:
            summary = await replay_logs(pipeline, paths, reply=not no_reply)
        if as_json:
            print(json.dumps(summary.as_dict()))
            return
        table = Table("messages", "replies", "seconds", "messages/s")
        table.add_row(str(summary.messages), str(summary.replies), f"{summary.seconds:.2f}", f"{summary.msgs_per_s:,.0f}")
        Console().print(table)

    _run(main())


@app.command()
def run() -> None:
    """Join every chat platform whose settings are present (Discord, Slack) and answer until stopped."""
    import adapters.slack as slack
    from adapters.discord.client import DiscordStartError, discord_adapter, run_discord

    settings = _settings()
    use_discord, use_slack = settings.discord_token is not None, slack.configured(settings)
    if not (use_discord or use_slack):
        err.print(
            "[bold red]error:[/] no platform configured: set GROUPMIND_DISCORD_TOKEN (README, 'Discord') "
            "or GROUPMIND_SLACK_BOT_TOKEN (README, 'Slack'). To try groupmind without a platform, "
            "run `groupmind room`.",
            highlight=False,
        )
        raise typer.Exit(2)
    if use_slack:
        try:
            slack.check_settings(settings)
        except slack.SlackConfigError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None

    async def main() -> None:
        async with open_core(settings) as core:
            platforms: list[Platform] = []
            gateway = discord_adapter(settings, core.directory.care_channel) if use_discord else None
            if gateway is not None:
                platforms.append(gateway.platform)
            if use_slack:
                platforms.append(slack.slack_platform(settings, core.directory.alerts_for))
            pipeline = core.pipeline(platforms)
            async with serve_health(pipeline, settings), pipeline.scheduler.running():
                serving = []
                if gateway is not None:
                    serving.append(run_discord(gateway, pipeline, settings))
                if use_slack:
                    serving.append(slack.run(settings, pipeline))
                if settings.work_queue:
                    serving.append(Worker.for_pipeline(pipeline).run())
                await asyncio.gather(*serving)

    _run(main(), DiscordStartError, HealthServerError)


@app.command()
def health() -> None:
    """Ask a running `groupmind run` whether Redis and the model are ready (exit 0) or not (exit 1)."""
    settings = _settings()
    if settings.health_port == 0:
        err.print("[bold red]error:[/] the health server is off (GROUPMIND_HEALTH_PORT=0)", highlight=False)
        raise typer.Exit(2)
    ready, said = check(settings)
    print(said)
    raise typer.Exit(0 if ready else 1)


@app.command()
def worker() -> None:
    """Answer messages other processes queued (GROUPMIND_WORK_QUEUE), without joining any platform's gateway."""
    import adapters.slack as slack
    from adapters.workers import worker_platforms

    settings = _settings()
    if settings.discord_token is None and not slack.configured(settings):
        err.print(
            "[bold red]error:[/] a worker posts replies itself: set GROUPMIND_DISCORD_TOKEN or GROUPMIND_SLACK_BOT_TOKEN",
            highlight=False,
        )
        raise typer.Exit(2)

    async def main() -> None:
        async with open_core(settings) as core, worker_platforms(settings, core.directory) as platforms:
            pipeline = core.pipeline(platforms)
            async with pipeline.scheduler.running():
                await Worker.for_pipeline(pipeline).run()

    _run(main())


models_app = typer.Typer(help="The model groupmind loads, and whether it runs on this machine.")
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models(ctx: typer.Context) -> None:
    """Show which model groupmind loads, assembling the default one if needed."""
    if ctx.invoked_subcommand is not None:
        return

    settings = _settings()

    async def main() -> None:
        path = resolve_model(settings, lambda text: err.print(text, highlight=False))
        print(f"{path}  ({path.stat().st_size / 1e6:,.0f} MB, n_gpu_layers={settings.n_gpu_layers})")

    _run(main())


@models_app.command("check")
def models_check(
    tokens: Annotated[int, typer.Option(min=2, help="Tokens to decode for the speed figure.")] = 64,
) -> None:
    """Run the start-up self-test now, in a child process: decode speed, and whether the model fits this machine."""
    settings = _settings()

    async def main() -> None:
        path = resolve_model(settings, lambda text: err.print(text, highlight=False))
        verdict = await asyncio.to_thread(ensure_model_runs, path, settings, tokens=tokens, fresh=True)
        print(f"{verdict.detail}: {verdict.decode_tps:.1f} tokens/s decode, loaded in {verdict.load_s:.2f}s")
        print(model_commands.fit_line(settings))

    _run(main())


@models_app.command("list")
def models_list() -> None:
    """The model catalog by tier: size, licence, what each needs, and what fits this machine."""
    raise typer.Exit(model_commands.list_models(_settings(), Console()))


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="A name from `groupmind models list`.")]) -> None:
    """Download a catalog model into the data dir (resumable, sha256 verified)."""
    raise typer.Exit(model_commands.pull_model(name, _settings(), Console(soft_wrap=True), err))


@models_app.command("use")
def models_use(
    name: Annotated[str, typer.Argument(help="A name from `groupmind models list`.")],
    env_file: Annotated[Path, typer.Option(help="The settings file to write.")] = Path(".env"),
    url: Annotated[Optional[str], typer.Option(help="A model server's URL (server entries).")] = None,
) -> None:
    """Point the settings (GROUPMIND_MODEL, or the engine settings of a server) at a catalog model."""
    raise typer.Exit(model_commands.use_model(name, _settings(), env_file, Console(soft_wrap=True), err, url=url))
