"""Who is in which server, asked of Discord rather than the member cache.

The bot runs without the privileged members intent, so discord.py's member
cache is empty and `User.mutual_guilds` lists nothing. Care needs both answers
anyway: an alert goes only to a contact who is still in the server, and a
member's DM belongs to the servers they share with the bot. One REST call per
server answers it (a self-hosted bot sits in a handful of servers).
"""

from __future__ import annotations

import asyncio
import logging

import discord

log = logging.getLogger(__name__)


async def is_member(guild: discord.Guild, user_id: int) -> bool:
    """True when `user_id` is in `guild` now; unknown (Discord refused to say) counts as no."""
    if guild.get_member(user_id) is not None:
        return True
    try:
        await guild.fetch_member(user_id)
    except discord.NotFound:
        return False
    except discord.HTTPException as exc:
        log.warning("membership of %s in server %s unknown: Discord answered %s", user_id, guild.id, exc.status)
        return False
    return True


async def shared_guilds(client: discord.Client, user_id: int) -> list[discord.Guild]:
    """The servers `user_id` shares with the bot, in the bot's own order."""
    guilds = list(client.guilds)
    present = await asyncio.gather(*(is_member(guild, user_id) for guild in guilds))
    return [guild for guild, member in zip(guilds, present) if member]
