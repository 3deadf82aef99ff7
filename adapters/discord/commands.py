"""`/groupmind`: Discord's slash commands, translated to the admin layer and back.

Every admin command is a subcommand; its words after the name go to the admin
layer as they are, so usage errors, permissions and audit are decided once in
`groupmind.admin`, the same as on Slack and in the local room. Discord sets
default permissions per top-level command, not per subcommand, so the admin
check is the admin layer's, fed with Manage Server. Answers are ephemeral: only
the person who asked sees them. Slow commands (export, forget-me) are deferred
at once, because Discord drops an interaction not answered within 3 seconds.
"""

from __future__ import annotations

import io
import logging
from typing import Literal

import discord
from discord import app_commands

from adapters.discord.private import is_private
from adapters.discord.split import split_message
from adapters.discord.translate import channel_ref
from groupmind.admin import SLOW_COMMANDS, Admin, split_command
from groupmind.events import AdminCommand, CommandResult, Member

log = logging.getLogger(__name__)

_WORDS = "the rest of the command, e.g. `contacts add alice` (see /groupmind help)"


def manages_server(interaction: discord.Interaction) -> bool:
    """The admin check: Manage Server in the server the command was used in."""
    return interaction.guild is not None and interaction.permissions.manage_guild


def to_admin_command(text: str, interaction: discord.Interaction) -> AdminCommand:
    """The platform-neutral command a slash command means."""
    name, args = split_command(text)
    user = interaction.user
    channel = interaction.channel or discord.Object(interaction.channel_id or 0)
    return AdminCommand(
        where=channel_ref(interaction.guild_id, channel),
        invoker=Member(id=str(user.id), display_name=user.display_name, is_bot=user.bot),
        invoker_is_admin=manages_server(interaction),
        name=name,
        args=args,
    )


def _file(result: CommandResult) -> discord.File | None:
    if result.file is None:
        return None
    return discord.File(io.BytesIO(result.file.data), filename=result.file.name)


class GroupmindCommands(app_commands.Group):
    """Member privacy controls and, for Manage Server, the community's settings."""

    def __init__(self, admin: Admin) -> None:
        super().__init__(name="groupmind", description="groupmind's settings and your privacy controls")
        self.admin = admin

    async def run(self, interaction: discord.Interaction, text: str) -> None:
        """Answer one command: defer if it is slow, then show the admin layer's result privately."""
        cmd = to_admin_command(text, interaction)
        slow = cmd.name in SLOW_COMMANDS
        if slow:
            await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.admin.execute(cmd)
        chunks = split_message(result.text) or ["(nothing to show)"]
        file = _file(result)
        for number, chunk in enumerate(chunks):
            extra = {"file": file} if file is not None and number == len(chunks) - 1 else {}
            if number == 0 and not slow:
                await interaction.response.send_message(chunk, ephemeral=True, **extra)
            else:
                await interaction.followup.send(chunk, ephemeral=True, **extra)

    @app_commands.command(name="help", description="What groupmind does, what it stores, who the care contacts are")
    async def help(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "help")

    @app_commands.command(name="optout", description="Stop care monitoring and profiling of me")
    async def optout(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "optout")

    @app_commands.command(name="optin", description="Resume care monitoring and profiling of me")
    async def optin(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "optin")

    @app_commands.command(name="forget-me", description="Delete everything groupmind stores about me here")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "forget-me")

    @app_commands.command(name="my-plan", description="The safety plan we made together, shown only to you")
    async def my_plan(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "my-plan")

    @app_commands.command(name="me", description="What groupmind holds about you; set name X | forget ITEM | forget all")
    @app_commands.describe(words="empty to see it; or e.g. `set name Sam`, `forget wifi`, `forget all`")
    async def me(self, interaction: discord.Interaction, words: app_commands.Range[str, 0, 200] = "") -> None:
        await self.run(interaction, f"me {words}".strip())

    @app_commands.command(name="we", description="How groupmind sees this group now; share on|off (Manage Server)")
    @app_commands.describe(words="empty to see it; `share on` lets members see it (Manage Server)")
    async def we(self, interaction: discord.Interaction, words: app_commands.Range[str, 0, 20] = "") -> None:
        await self.run(interaction, f"we {words}".strip())

    @app_commands.command(name="norms", description="The house rules the group taught groupmind, and who taught them")
    async def norms(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "norms")

    @app_commands.command(name="norm", description="add KIND [VALUE] | pin NUMBER | remove NUMBER (Manage Server)")
    @app_commands.describe(words="e.g. `add no_emoji`, `add max_length 300`, `pin 2` (see /groupmind norms)")
    async def norm(self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 300]) -> None:
        await self.run(interaction, f"norm {words}")

    @app_commands.command(name="status", description="Model, uptime, stored messages, open care alerts (Manage Server)")
    async def status(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "status")

    @app_commands.command(name="mode", description="When groupmind speaks in this channel (Manage Server)")
    async def mode(self, interaction: discord.Interaction, mode: Literal["mention", "active", "quiet"]) -> None:
        await self.run(interaction, f"mode {mode}")

    @app_commands.command(name="persona", description="show | set TEXT | reset (Manage Server)")
    @app_commands.describe(words=_WORDS)
    async def persona(self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 600]) -> None:
        await self.run(interaction, f"persona {words}")

    @app_commands.command(name="care", description="contacts | region | checkins | sensitivity | channel (Manage Server)")
    @app_commands.describe(words=_WORDS)
    async def care(self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 200]) -> None:
        await self.run(interaction, f"care {words}")

    @app_commands.command(name="care-channel", description="A private channel for care alerts; empty: DMs only (Manage Server)")
    @app_commands.describe(channel="a channel @everyone cannot see; leave empty to turn the care channel off")
    async def care_channel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        if channel is not None and not is_private(channel):
            await interaction.response.send_message(
                f"#{channel.name} is readable by everyone, and care alerts never go to a public channel. "
                "Pick a channel @everyone cannot see; nothing was changed.",
                ephemeral=True,
            )
            return
        await self.run(interaction, f"care channel {channel.id if channel else 'off'}")

    @app_commands.command(name="alerts", description="list | ack ID | resolve ID [note] (Manage Server)")
    @app_commands.describe(words=_WORDS)
    async def alerts(self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 600]) -> None:
        await self.run(interaction, f"alerts {words}")

    @app_commands.command(name="export", description="The community's stored data as a JSON file (Manage Server)")
    async def export(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "export")

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("/groupmind failed", exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message("That command failed; nothing was changed.", ephemeral=True)
