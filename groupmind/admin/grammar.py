"""The admin command grammar: names, arguments, who may run them, one usage line each.

Every platform shows the same commands (`/groupmind <command>` on Discord and
Slack, `/gm <command>` in the local room). A command name can be several words
(`care contacts add`); the longest name that starts a line wins, and the rest
of the line is its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from groupmind.events import MAX_ARGS, MAX_NAME_CHARS
from groupmind.store.settings import MODES

PREFIXES = ("/gm", "/groupmind")


@dataclass(frozen=True)
class Spec:
    """One command: its name, its argument shape, and whether only admins may run it."""

    name: str
    args: str
    summary: str
    admin: bool = True
    min_args: int = 0
    max_args: int = 0
    text_at: int | None = None
    """Where free text starts: that argument is the rest of the line, whatever its words."""
    choices: tuple[str, ...] = ()
    slow: bool = False
    """May take longer than a platform waits for an answer (3 s on Discord and Slack)."""
    care_contacts: bool = False
    """The community's care contacts may run it too (they handle the alerts)."""

    @property
    def usage(self) -> str:
        return f"usage: /gm {self.name} {self.args}".rstrip()

    def check(self, args: tuple[str, ...]) -> str | None:
        """The usage line if `args` do not fit this command, else None."""
        if not self.min_args <= len(args) <= self.max_args:
            return self.usage
        if self.choices and args and args[0].casefold() not in self.choices:
            return self.usage
        return None


SPECS: tuple[Spec, ...] = (
    Spec("status", "", "model, uptime, conversations, stored messages, open care alerts"),
    Spec("mode", "|".join(MODES), "when I speak in this channel", min_args=1, max_args=1, choices=MODES),
    Spec("persona show", "", "this channel's persona (or the community's)"),
    Spec("persona set", "TEXT", "this channel's persona", min_args=1, max_args=1, text_at=0),
    Spec("persona reset", "", "this channel falls back to the community's persona"),
    Spec("persona community set", "TEXT", "the community's persona", min_args=1, max_args=1, text_at=0),
    Spec("persona community reset", "", "no community persona"),
    Spec("care contacts add", "MEMBER", "who receives care alerts", min_args=1, max_args=1),
    Spec("care contacts remove", "MEMBER", "stop sending care alerts to a member", min_args=1, max_args=1),
    Spec("care contacts list", "", "who receives care alerts"),
    Spec("care region", "CODE", "which crisis resources to offer (e.g. US, GB, DE)", min_args=1, max_args=1),
    Spec("care checkins", "on|off", "may I check in privately on a quiet member",
         min_args=1, max_args=1, choices=("on", "off")),
    Spec("care sensitivity", "low|normal|high", "how readily I notice distress",
         min_args=1, max_args=1, choices=("low", "normal", "high")),
    Spec("care channel", "CHANNEL|off", "a private channel for care alerts a contact cannot get by DM",
         min_args=1, max_args=1),
    Spec("alerts list", "[all]", "open care alerts (all: resolved too)", max_args=1, choices=("all",),
         care_contacts=True),
    Spec("alerts ack", "ID", "acknowledge a care alert", min_args=1, max_args=1, care_contacts=True),
    Spec("alerts resolve", "ID [NOTE]", "resolve a care alert", min_args=1, max_args=2, text_at=1,
         care_contacts=True),
    Spec("export", "", "the community's stored data as a JSON file, for you only", slow=True),
    Spec("optout", "", "stop care monitoring and profiling of me", admin=False),
    Spec("optin", "", "resume care monitoring and profiling of me", admin=False),
    Spec("forget-me", "", "delete everything stored about me here", admin=False, slow=True),
    Spec("my-plan", "", "the safety plan we made together, shown only to you", admin=False),
    Spec("me", "", "what I hold about you, shown only to you", admin=False),
    Spec("me set", "name|interest|expertise VALUE", "correct what I hold about you", admin=False,
         min_args=2, max_args=2, text_at=1, choices=("name", "interest", "expertise")),
    Spec("me forget", "ITEM|interest ITEM|expertise ITEM|name|hours|all", "delete something I hold about you",
         admin=False, min_args=1, max_args=2, text_at=1),
    Spec("we", "", "how I see this group now (admins; members too when shared)", admin=False),
    Spec("we share", "on|off", "let members see /gm we", min_args=1, max_args=1, choices=("on", "off")),
    Spec("norms", "", "the house rules the group taught me, and who taught them", admin=False),
    Spec("norm add", "KIND [VALUE]", "a house rule I always follow (pinned)", min_args=1, max_args=1, text_at=0),
    Spec("norm pin", "NUMBER|KEY", "make a rule the group taught one I always follow", min_args=1, max_args=1),
    Spec("norm remove", "NUMBER|KEY", "drop a house rule", min_args=1, max_args=1),
    Spec("help", "", "what I do, what I store, who the care contacts are", admin=False),
)  # fmt: skip

BY_NAME = {spec.name: spec for spec in SPECS}

SLOW_COMMANDS = frozenset(spec.name for spec in SPECS if spec.slow)
"""Commands an adapter should acknowledge at once and answer with a follow-up.

Discord and Slack drop an interaction that is not answered within 3 seconds.
For these commands an adapter defers first (Discord: `interaction.response.defer`,
Slack: `ack()` then `respond`), runs `Admin.execute`, and posts the result as a
follow-up; every other command answers well within the limit.
"""


def is_command(text: str) -> bool:
    """True when a chat line is an admin command (`/gm ...` or `/groupmind ...`)."""
    first = text.strip().split(maxsplit=1)[:1]
    return bool(first) and first[0].casefold() in PREFIXES


def split_command(text: str) -> tuple[str, tuple[str, ...]]:
    """(name, args) of a command line; an unknown name comes back whole for `usage_for`.

    A bare `/gm` is `help`.
    """
    words = text.split()
    if words and words[0].casefold() in PREFIXES:
        words = words[1:]
    if not words:
        return "help", ()
    lowered = [w.casefold() for w in words]
    for size in range(min(3, len(words)), 0, -1):
        name = " ".join(lowered[:size])
        if spec := BY_NAME.get(name):
            args = words[size:]
            # Free text is one argument; an overlong line stays within AdminCommand's bounds.
            cut = spec.text_at if spec.text_at is not None else MAX_ARGS - 1
            if len(args) > cut + 1:
                args = [*args[:cut], " ".join(args[cut:])]
            return name, tuple(args)
    return " ".join(lowered[:3])[:MAX_NAME_CHARS], ()


def usage_for(name: str) -> str:
    """One usage line for a name that is no command: its subcommands, or the command list."""
    family = [spec for spec in SPECS if name and spec.name.startswith(name + " ")]
    if family:
        return "usage: " + " | ".join(spec.usage.removeprefix("usage: ") for spec in family)
    heads = dict.fromkeys(spec.name.split()[0] for spec in SPECS)
    return f"usage: /gm {'|'.join(heads)} (unknown command {name!r}; /gm help explains)"
