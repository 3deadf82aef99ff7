"""The local room: a multi-person chat in a terminal, or fed from a script."""

from adapters.local.room import LocalRoom, RoomLine, parse_line

__all__ = ["LocalRoom", "RoomLine", "parse_line"]
