"""groupmind: a self-hosted AI member for group chats."""

__version__ = "0.1.0"
