"""`python -m groupmind` runs the CLI."""

from groupmind.cli import app

app(prog_name="groupmind")
