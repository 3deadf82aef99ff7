"""The Discord adapter: gateway events in as ChatMessage, replies out through discord.py's REST client."""
