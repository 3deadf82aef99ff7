"""`/groupmind`: the slash command group, handed to the admin layer through one seam.

Discord sets default permissions per top-level command, not per subcommand, so
one group that holds both member commands (open to everyone) and admin commands
cannot use them to hide the admin ones. The admin check is therefore done here,
in code, before the seam is reached: Manage Server, in a server.
"""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands

log = logging.getLogger(__name__)

REFUSED = "Only members with the Manage Server permission can change groupmind's settings, and only in a server."


async def run_command(text: str, interaction: discord.Interaction) -> None:
    """The one seam between Discord's slash commands and groupmind's admin layer.

    `text` is the command as words (`mode active`, `optout`), the same on every
    platform; the interaction says who asked, where, and answers them. The admin
    layer is not part of this build yet, so the seam says that, privately, and
    changes nothing.
    """
    log.info("/groupmind %s from %s in guild %s", text.split()[0], interaction.user.id, interaction.guild_id)
    await interaction.response.send_message(
        "groupmind's commands are not connected in this version yet, so nothing was changed.", ephemeral=True
    )


def manages_server(interaction: discord.Interaction) -> bool:
    """The admin check: Manage Server in the server the command was used in."""
    return interaction.guild is not None and interaction.permissions.manage_guild


class GroupmindCommands(app_commands.Group):
    """Member privacy controls and, for Manage Server, the community's settings."""

    def __init__(self) -> None:
        super().__init__(name="groupmind", description="groupmind's settings and your privacy controls")

    @app_commands.command(name="help", description="What groupmind does and how to control it")
    async def help(self, interaction: discord.Interaction) -> None:
        await run_command("help", interaction)

    @app_commands.command(name="optout", description="Stop groupmind from remembering what you say")
    async def optout(self, interaction: discord.Interaction) -> None:
        await run_command("optout", interaction)

    @app_commands.command(name="forget-me", description="Erase what groupmind remembers about you")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await run_command("forget-me", interaction)

    @app_commands.command(name="mode", description="When groupmind speaks in this channel (Manage Server)")
    @app_commands.check(manages_server)
    async def mode(self, interaction: discord.Interaction, mode: Literal["mention", "active", "quiet"]) -> None:
        await run_command(f"mode {mode}", interaction)

    @app_commands.command(name="persona", description="How groupmind presents itself here (Manage Server)")
    @app_commands.check(manages_server)
    async def persona(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 500]) -> None:
        await run_command(f"persona {text}", interaction)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            await interaction.response.send_message(REFUSED, ephemeral=True)
            return
        log.error("/groupmind failed", exc_info=error)
