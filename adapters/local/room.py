"""The local room: lines of `name: text`, so one person can play a whole group.

Interactive in a terminal, or fed from a script file (`groupmind room --script`)
for demos and tests. A script line may start with `[YYYY-MM-DD HH:MM]`; the
room's clock then follows the script, so one script can span weeks.

A line whose text starts with `^` replies to an earlier line, as a platform's
reply does: `ana: ^ thanks` answers the line just above (the bot's, if it spoke
last), `ana: ^Mind and for four?` the bot's last line, `ana: ^ben yes` ben's
last line. A reply to the bot addresses it without naming it.

A line whose text starts with `/gm ` is an admin command from that line's
speaker (`alice: /gm mode quiet`); `groupmind room --admin NAME` says who the
room's admins are. Results print as `[gm] ...`, or `[private to NAME] ...`
for what only the invoker should see. Commands are not stored as chat.

Care happens in private, so the room shows it the way each person would see
it: the bot's private messages to a member on `[private to NAME]` lines, care
alerts as the care contact receives them on `[care-alert]` lines. A member
writes to the bot privately with `NAME (private): text`, as with a DM on a real
platform: care reads it first, and what care does not take is talk with the bot
in that member's own private conversation (`@NAME`), answered on their
`[private to NAME]` lines. A care contact who never spoke in the room has
"left" it, so their alert falls back to the next one.

The room has no clock of its own work: it drives the core's scheduler with its
own time. Before each line it runs the due care rounds (quiet members,
follow-ups, reminders) at the line's time; the line itself settles the burst
before it; a script's end lets the room fall silent; the terminal runs all due
work (settled replies too) while nobody types. A line is handled at once
(`Pipeline.handle`, not the ingress: a room has no redeliveries and no worker
to queue for, and its transcript is in script order). Everything the room prints comes
through `RoomScreen`, the room's `Platform`. With `explain`, every speak
decision is shown as `[why]`.

Nothing a member types can pass for the bot or the room itself: every line the
room prints goes through `terminal_safe` (no escape sequences, carriage
returns or bidi controls), a member's text stays on their own line, and a
member whose name could be the bot's, or starts with "[" like the room's own
lines, prints as `NAME (member)`. A line is never lost to a bad timestamp or
an odd name: the message is kept, with a warning for the timestamp.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import re
import sys
import threading
import uuid
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator, Awaitable, Callable, Iterable, Iterator, TextIO

from groupmind.admin import is_command, split_command
from groupmind.admin.privacy import save_export
from groupmind.events import (
    MAX_ID_CHARS,
    AdminCommand,
    CareAlert,
    ChannelRef,
    ChatMessage,
    CommandResult,
    Member,
    clean_name,
    terminal_safe,
    ts_problem,
    utcnow,
)
from groupmind.names import same_name
from groupmind.care.kinds import CARE_KINDS
from groupmind.pipeline import Pipeline

PLATFORM = "local"
PRIVATE = " (private)"
"""A speaker name ending with this talks to the bot privately."""
DIRECT = "@"
"""How a member's private conversation with the bot is named: `@` and their id."""
MAX_TYPED_NAME = 64
"""Typed in a terminal, a longer "name" before the first colon is prose of the default speaker."""
# A leading bracket that starts with digits and a dash is meant as a timestamp, valid or not.
_LINE = re.compile(r"^(?:\[(?P<ts>\d+-[^\]]*)\]\s*)?(?P<name>[^:\n]*?)\s*:\s?(?P<text>.*)$")
_FOLD = " ⏎ "
"""Shown where a member's text had a line break: their text stays on their own line."""
_KEPT = "the message is kept at the room clock's time"
REPLY = "^"
"""A line's text starting with this replies to an earlier line: `^ text` (the line above) or `^name text`."""
_REPLY = re.compile(rf"^{re.escape(REPLY)}(?P<target>[\w.-]*)\s")
BOT_LINE = ""
"""`RoomScreen.above` when the line above is the bot's (its stored id is the core's, unknown here)."""


@dataclass(frozen=True)
class RoomLine:
    """One parsed room line; `problem` says why its timestamp was not used."""

    name: str
    text: str
    ts: datetime | None = None
    problem: str | None = None


def script_time(text: str) -> tuple[datetime | None, str | None]:
    """A line's `[YYYY-MM-DD HH:MM]` as UTC, or None and why it cannot be used."""
    try:
        ts = datetime.fromisoformat(text.strip())
        ts = ts.astimezone(timezone.utc) if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None, f"[{text}] is not a real date and time (YYYY-MM-DD HH:MM)"
    problem = ts_problem(ts)
    return (None, f"[{text}] is out of range: {problem}") if problem else (ts, None)


def parse_line(line: str, default_name: str | None = None) -> RoomLine | None:
    """Parse `[ts] name: text`; a line without a name belongs to `default_name`, if any.

    Without a default speaker (a script), a blank or very long name is still a
    speaker, cleaned and cut where the message is built: the line is not lost.
    """
    line = line.rstrip("\r\n")
    match = _LINE.match(line)
    if match:
        name = match["name"].strip()
        if default_name is None or 0 < len(name) <= MAX_TYPED_NAME:
            ts, problem = script_time(match["ts"]) if match["ts"] else (None, None)
            return RoomLine(name, match["text"], ts, problem)
    if default_name and line.strip():
        return RoomLine(default_name, line)
    return None


def reply_marker(text: str) -> tuple[str | None, str]:
    """A line's reply marker and the text after it: (None, text) without one, ("", text) for `^ text`,
    the line above, and ("ben", text) for `^ben text`, ben's last line."""
    marked = _REPLY.match(text)
    if marked is None or not text[marked.end() :].strip():
        return None, text  # "^_^", "^^" or a bare "^" are what they say, not a reply marker
    return marked["target"], text[marked.end() :].strip()


def member_label(name: str, bot_name: str) -> str:
    """How a member's name starts their printed line: never as the bot, never as a room tag.

    A name that could be the bot's, or starts with "[" like the room's own
    `[gm]`, `[why]`, `[private to ...]` and `[care-alert]` lines, loses its
    leading brackets (as in the model's transcript) and is marked "(member)".
    """
    if same_name(name, bot_name) or name.startswith("["):
        return f"{name.lstrip('[ ') or '?'} (member)"
    return name


def room_member(name: str) -> Member:
    """The member a room name stands for: the name cleaned, its id the cleaned name casefolded."""
    display = clean_name(name)
    return Member(id=display.casefold()[:MAX_ID_CHARS], display_name=display)


def _read_lines(fd: int, post: Callable[[str | None], None]) -> None:
    """Thread: post each line read from `fd`, then None at its end.

    Reads the descriptor with os.read, not input(): a thread blocked in input()
    holds stdin's lock, and a process leaving on Ctrl-C would wait for it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        while chunk := os.read(fd, 65536):
            *lines, pending = (pending + decoder.decode(chunk)).split("\n")
            for line in lines:
                post(line)
    except OSError:  # the terminal went away: that is the end of input
        pass
    if rest := pending + decoder.decode(b"", final=True):
        post(rest)
    post(None)


def typed_lines() -> asyncio.Queue[str | None]:
    """Lines from stdin as they are typed (None at the end), read by a daemon thread.

    A daemon thread never keeps the process alive: Ctrl-C ends the room at once
    even while it waits for a line.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def post(line: str | None) -> None:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the loop has closed: nobody reads any more
            pass

    threading.Thread(target=_read_lines, args=(sys.stdin.fileno(), post), daemon=True, name="room-stdin").start()
    return lines


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


Seen = Callable[[str, str, str], Awaitable[bool]]
"""`seen(platform, community, member_id)`: the core's answer, whether the member ever spoke there."""


class RoomScreen:
    """The room's `Platform`: what the bot says, privately or not, as lines on the terminal.

    Args:
        out: where the room prints.
        bot_name: who the bot's lines are from.
        admins: the room's admins (`--admin`), who read what admins must know.
        seen: the core's lookup (`Directory.seen`); a care contact never seen here has left the room.
    """

    name = PLATFORM

    def __init__(self, out: TextIO, bot_name: str, *, admins: Iterable[str] = (), seen: Seen) -> None:
        self.out = out
        self.bot_name = bot_name
        self.admin_names = list(dict.fromkeys(admins))
        self.seen = seen
        self._held: list[str] | None = None
        """What the admins are told while a command runs, shown after its result (the invoker reads theirs first)."""
        self._direct: dict[str, str] = {}
        """The private conversations with the bot (`direct`): who reads each."""
        self.above: str | None = None
        """The id of the room's line above, for a `^` reply; `BOT_LINE` when the bot said it."""

    def direct(self, member: Member) -> str:
        """The channel of `member`'s private conversation with the bot; what is said there prints as theirs."""
        channel = f"{DIRECT}{member.id}"
        self._direct[channel] = member.display_name
        return channel

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        """The bot's line in the room, or on the member's private lines in their private conversation."""
        if reader := self._direct.get(where.channel):
            self.lines(f"[private to {reader}]", text)
            return True
        self.write(f"{self.bot_name}: ")
        self.write(text)
        self.write("\n")
        self.above = BOT_LINE
        return True

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        """The bot's line, printed as it comes; it ends its line even when cut short.

        In a private conversation the reply prints whole, so each of its lines carries the private prefix.
        """
        if where.channel in self._direct:
            text = "".join([chunk async for chunk in chunks])
            return bool(text) and await self.send(where, text)
        started = False
        try:
            async for chunk in chunks:
                if not started:
                    self.write(f"{self.bot_name}: ")
                    started = True
                self.write(chunk)
        finally:
            if started:
                self.write("\n")
                self.above = BOT_LINE
        return started

    @asynccontextmanager
    async def typing(self, where: ChannelRef) -> AsyncIterator[None]:
        yield

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """The room's private route to a member: a `[private to NAME]` line."""
        self.lines(f"[private to {member.display_name}]", text)
        return True

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        """An alert as the care contact receives it; one who never spoke here has left the room."""
        if not await self.seen(PLATFORM, alert.where.community, contact.id):
            return False
        self.lines(f"[care-alert] to {contact.display_name}:", text)
        return True

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        """What the room's admins (`--admin`) must know, on each one's `[private to NAME]` lines."""
        lines = "".join(f"[private to {name}] {line}\n" for name in self.admin_names for line in text.splitlines())
        if self._held is not None:
            self._held.append(lines)
        else:
            self.write(lines)
        return bool(self.admin_names)

    async def member(self, community: str, member_id: str) -> Member | None:
        """Room members are known by the name they spoke under; None for one never seen here."""
        return Member(id=member_id, display_name=member_id) if await self.seen(PLATFORM, community, member_id) else None

    def why(self, reason: str) -> None:
        """A speak decision's reason (`--explain`)."""
        self.lines("[why]", reason)

    @contextmanager
    def holding(self) -> Iterator[list[str]]:
        """Keep what the admins are told inside the block, for the caller to print after."""
        self._held = held = []
        try:
            yield held
        finally:
            self._held = None

    def lines(self, prefix: str, text: str) -> None:
        """Print `text` with `prefix` starting each of its lines, so none passes for another speaker's."""
        self.write("".join(f"{prefix} {line}\n" for line in text.splitlines() or [""]))

    def write(self, text: str) -> None:
        """The one way out to the terminal: whatever the room prints is made terminal-safe here."""
        self.out.write(terminal_safe(text))
        self.out.flush()


class LocalRoom:
    """A room of named members talking with the bot through the pipeline.

    Args:
        pipeline: built with this room's `RoomScreen` among its platforms.
        clock: the room's clock, also the pipeline's.
        community, channel: where the room's conversation is kept.
    """

    def __init__(self, pipeline: Pipeline, clock: RoomClock, *, community: str = "local", channel: str = "room") -> None:
        screen = pipeline.platforms.get(PLATFORM)
        assert isinstance(screen, RoomScreen), "build the pipeline with a RoomScreen"
        self.pipeline = pipeline
        self.screen = screen
        self.admin = pipeline.admin
        self.admins = {name.casefold() for name in screen.admin_names}
        self.clock = clock
        self.community = community
        self.channel = channel
        self._run = uuid.uuid4().hex[:8]
        self._count = 0
        self._last: dict[str, str] = {}
        """Each member's last line in the room (member id → message id), for `^name` replies."""

    def _message(self, line: RoomLine, channel: str | None = None) -> ChatMessage:
        """The line as a message in the room, or (with `channel`) in a private conversation with the bot."""
        self._count += 1
        author = room_member(line.name)
        target, text = reply_marker(line.text) if channel is None else (None, line.text)
        return ChatMessage(
            platform=PLATFORM,
            community=self.community,
            channel=channel or self.channel,
            message_id=f"{self._run}-{self._count}",
            author_id=author.id,
            author_name=author.display_name,
            text=text,
            ts=self.clock(),
            mentions_bot=channel is not None,  # a private message is addressed to the bot by its nature
            **self._replied(target),
        )

    def _replied(self, target: str | None) -> dict[str, str | bool | None]:
        """The reply fields of a line replying to `target` (see `reply_marker`); none for a line that does not."""
        if target is None:
            return {}
        if same_name(target, self.pipeline.settings.bot_name):
            return {"reply_to_bot": True}
        above = self.screen.above if target == "" else self._last.get(room_member(target).id)
        return {"reply_to_bot": True} if above == BOT_LINE else {"reply_to": above}

    def _echo(self, name: str, text: str, suffix: str = "") -> None:
        """Print a member's line: their label, then their text folded onto that one line."""
        label = member_label(name, self.pipeline.settings.bot_name)
        self.screen.write(f"{label}{suffix}: {_FOLD.join(text.splitlines())}\n")

    @property
    def where(self) -> ChannelRef:
        return ChannelRef(platform=PLATFORM, community=self.community, channel=self.channel)

    async def say(self, line: RoomLine, *, echo: bool) -> None:
        """One member speaks; a reply that came due is printed after their line."""
        self.clock.advance(line.ts)
        await self._run_due(CARE_KINDS)
        if line.name.endswith(PRIVATE):
            await self.say_privately(RoomLine(line.name.removesuffix(PRIVATE).strip(), line.text, line.ts), echo=echo)
            return
        if reply_marker(line.text)[0] is not None:
            await self.pipeline.tick(self.where)  # a reply that came due shows above the line replying to it
        msg = self._message(line)
        if msg.is_blank:
            return
        if echo:
            self._echo(msg.author_name, msg.text)
        if is_command(msg.text):
            await self.command(msg)
            return
        self.screen.above = self._last[msg.author_id] = msg.message_id
        await self.pipeline.handle(msg)

    async def say_privately(self, line: RoomLine, *, echo: bool) -> None:
        """A member writes to the bot privately (a DM on a real platform): care first, then ordinary private talk.

        Nobody is sent back to the room: someone who chose to write privately may
        not want to speak in front of the group. The reply comes at once, as there
        is no one else in a private conversation whose burst it should wait for.
        """
        if not line.text.strip():
            return
        member = room_member(line.name)
        if echo:
            self._echo(member.display_name, line.text, PRIVATE)
        if await self.pipeline.handle_private(PLATFORM, [self.community], member, line.text, self.clock()):
            return
        msg = self._message(line, self.screen.direct(member))
        await self.pipeline.handle(msg)
        await self.pipeline.settle(msg.where)

    async def _run_due(self, kinds: frozenset[str] | None = None) -> None:
        """Run the scheduler's due work at the room's time."""
        await self.pipeline.scheduler.run_due(self.clock(), kinds=kinds)

    async def tick(self) -> None:
        """Time passed with nobody speaking: run what came due (a settled reply, the care rounds)."""
        await self._run_due()

    async def fall_silent(self) -> None:
        """The room goes quiet for good (end of a script): every pending reply is decided."""
        await self.pipeline.settle(self.where)

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
        with self.screen.holding() as held:
            result = await self.admin.execute(cmd)
        self._print_result(result, msg.author_name)
        self.screen.write("".join(held))

    def _print_result(self, result: CommandResult, invoker: str) -> None:
        prefix = f"[private to {invoker}]" if result.private else "[gm]"
        text = result.text
        if result.file is not None:
            text += f"\nfile: {save_export(result.file, self.pipeline.settings.data_dir)}"
        self.screen.lines(prefix, text)

    async def run_script(self, lines: Iterable[str]) -> None:
        """Feed every line of a script, echoing the transcript."""
        for number, raw in enumerate(lines, start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            line = parse_line(raw)
            if line is None:
                self._warn(f"script line {number}: expected 'name: text', skipped")
                continue
            if line.problem:
                self._warn(f"script line {number}: {line.problem}; {_KEPT}")
            await self.say(line, echo=True)
        await self.fall_silent()

    async def run_interactive(self, default_name: str) -> None:
        """Read lines from the terminal until EOF or /quit; due work runs while nobody types."""
        self.screen.write(
            f"groupmind room: type 'name: text' to speak as anyone (plain lines are {default_name}); "
            f"address {self.pipeline.settings.bot_name} by name; /gm help for commands; /quit to leave.\n"
        )
        lines = typed_lines()
        while True:
            self.screen.write("> ")
            typed = asyncio.ensure_future(lines.get())
            while not (await asyncio.wait({typed}, timeout=self.pipeline.scheduler.every_s))[0]:
                await self.tick()
            raw = typed.result()
            if raw is None:
                await self.fall_silent()
                return
            if raw.strip() in ("/quit", "/exit"):
                return
            line = parse_line(raw, default_name)
            if line is None:
                continue
            if line.problem:
                self._warn(f"{line.problem}; {_KEPT}")
            await self.say(line, echo=False)

    def _warn(self, text: str) -> None:
        print(terminal_safe(text), file=sys.stderr, flush=True)
