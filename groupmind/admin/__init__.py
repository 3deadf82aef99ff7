"""Admin slash commands and member privacy controls, written once for every platform."""

from groupmind.admin.commands import Admin
from groupmind.admin.grammar import SLOW_COMMANDS, is_command, split_command

__all__ = ["SLOW_COMMANDS", "Admin", "is_command", "split_command"]
