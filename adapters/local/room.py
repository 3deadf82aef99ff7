"""The local room: lines of `name: text`, so one person can play a whole group.

Interactive in a terminal, or fed from a script file (`groupmind room --script`)
for demos and tests. A script line may start with `[YYYY-MM-DD HH:MM]`; the
room's clock then follows the script, so one script can span weeks.

A line whose text starts with `/gm ` is an admin command from that line's
speaker (`alice: /gm mode quiet`); `groupmind room --admin NAME` says who the
room's admins are. Results print as `[gm] ...`, or `[private to NAME] ...`
for what only the invoker should see. Commands are not stored as chat.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, TextIO

from groupmind.admin import Admin, is_command, split_command
from groupmind.events import AdminCommand, ChatMessage, CommandResult, utcnow
from groupmind.pipeline import Pipeline

PLATFORM = "local"
_LINE = re.compile(
    r"^(?:\[(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2})\]\s*)?(?P<name>[^:\n]{1,64}?)\s*:\s?(?P<text>.*)$"
)


@dataclass(frozen=True)
class RoomLine:
    """One parsed room line."""

    name: str
    text: str
    ts: datetime | None = None


def parse_line(line: str, default_name: str | None = None) -> RoomLine | None:
    """Parse `[ts] name: text`; a line without a name belongs to `default_name`, if any."""
    line = line.rstrip("\n")
    match = _LINE.match(line)
    if match and match["name"].strip():
        ts = None
        if match["ts"]:
            ts = datetime.fromisoformat(match["ts"].replace(" ", "T")).replace(tzinfo=timezone.utc)
        return RoomLine(match["name"].strip(), match["text"], ts)
    if default_name and line.strip():
        return RoomLine(default_name, line)
    return None


class RoomClock:
    """Wall time, or script time once a script line carries a timestamp."""

    def __init__(self) -> None:
        self._script_time: datetime | None = None

    def advance(self, ts: datetime | None) -> None:
        if ts is not None:
            self._script_time = ts
        elif self._script_time is not None:
            self._script_time += timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self._script_time or utcnow()


class LocalRoom:
    """A room of named members talking with the bot through the pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        clock: RoomClock,
        out: TextIO = sys.stdout,
        community: str = "local",
        channel: str = "room",
        admins: Iterable[str] = (),
    ) -> None:
        self.pipeline = pipeline
        self.admin = Admin.for_pipeline(pipeline)
        self.admins = {name.casefold() for name in admins}
        self.clock = clock
        self.out = out
        self.community = community
        self.channel = channel
        self._run = uuid.uuid4().hex[:8]
        self._count = 0

    def _message(self, line: RoomLine) -> ChatMessage:
        self._count += 1
        return ChatMessage(
            platform=PLATFORM,
            community=self.community,
            channel=self.channel,
            message_id=f"{self._run}-{self._count}",
            author_id=line.name.casefold(),
            author_name=line.name,
            text=line.text,
            ts=self.clock(),
        )

    async def say(self, line: RoomLine, *, echo: bool) -> None:
        """One member speaks; the bot's reply streams to `out` as it is generated."""
        self.clock.advance(line.ts)
        msg = self._message(line)
        if msg.is_blank:
            return
        if echo:
            self._write(f"{msg.author_name}: {msg.text}\n")
        if is_command(msg.text):
            await self.command(msg)
            return
        started = False

        def show(text: str) -> None:
            nonlocal started
            if not started:
                self._write(f"{self.pipeline.settings.bot_name}: ")
                started = True
            self._write(text)

        await self.pipeline.handle(msg, on_text=show)
        if started:
            self._write("\n")

    async def command(self, msg: ChatMessage) -> None:
        """Run a `/gm` line as an admin command from its speaker and print the result."""
        name, args = split_command(msg.text)
        cmd = AdminCommand(
            where=msg.where,
            invoker=msg.author,
            invoker_is_admin=msg.author_name.casefold() in self.admins,
            name=name,
            args=args,
        )
        self._show(await self.admin.execute(cmd), msg.author_name)

    def _show(self, result: CommandResult, invoker: str) -> None:
        prefix = f"[private to {invoker}]" if result.private else "[gm]"
        lines = result.text.splitlines() or [""]
        if result.file is not None:
            exports = Path(self.pipeline.settings.data_dir) / "exports"
            exports.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = exports / result.file.name
            content = result.file.content
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            lines.append(f"file: {path}")
        self._write("".join(f"{prefix} {line}\n" for line in lines))

    async def run_script(self, lines: Iterable[str]) -> None:
        """Feed every line of a script, echoing the transcript."""
        for number, raw in enumerate(lines, start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            line = parse_line(raw)
            if line is None:
                print(f"script line {number}: expected 'name: text', skipped", file=sys.stderr)
                continue
            await self.say(line, echo=True)

    async def run_interactive(self, default_name: str) -> None:
        """Read lines from the terminal until EOF or /quit."""
        self._write(
            f"groupmind room: type 'name: text' to speak as anyone (plain lines are {default_name}); "
            f"address {self.pipeline.settings.bot_name} by name; /gm help for commands; /quit to leave.\n"
        )
        while True:
            try:
                raw = await asyncio.to_thread(input, "> ")
            except EOFError:
                return
            if raw.strip() in ("/quit", "/exit"):
                return
            line = parse_line(raw, default_name)
            if line is not None:
                await self.say(line, echo=False)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
