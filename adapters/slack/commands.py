"""`/groupmind` on Slack: the slash command translated to the admin layer and back.

Bolt acks the command before this runs (Slack allows 3 s), so even a slow
command (export, forget-me) answers through `respond` when it is done. Admins
are the workspace's admins and owners (`users.info`), or the ids listed in
`GROUPMIND_SLACK_ADMINS` at install. Answers are ephemeral: only the person who
asked sees them. Slack's `respond` cannot carry a file, so an export is written
to the data directory on the groupmind host and the answer names the file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.names import api_error
from adapters.slack.translate import PLATFORM
from groupmind.admin import Admin, split_command
from groupmind.admin.privacy import save_export
from groupmind.events import AdminCommand, ChannelRef, Member

log = logging.getLogger(__name__)


async def is_workspace_admin(client: AsyncWebClient, user_id: str, listed: frozenset[str]) -> bool:
    """Listed at install, or a workspace admin/owner; an unanswered lookup means no."""
    if user_id in listed:
        return True
    try:
        user = (await client.users_info(user=user_id))["user"]
    except (SlackApiError, aiohttp.ClientError) as exc:
        log.warning("users.info %s failed, treating as non-admin: %s", user_id, api_error(exc))
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))


class SlashCommands:
    """The `run_command` seam of the Slack adapter, backed by the admin layer."""

    def __init__(self, admin: Admin, client: AsyncWebClient, admins: frozenset[str], data_dir: Path) -> None:
        self.admin = admin
        self.client = client
        self.admins = admins
        self.data_dir = data_dir

    async def __call__(self, text: str, body: dict[str, Any], respond: AsyncRespond) -> None:
        user_id = str(body.get("user_id", ""))
        name, args = split_command(text)
        cmd = AdminCommand(
            where=ChannelRef(platform=PLATFORM, community=str(body["team_id"]), channel=str(body["channel_id"])),
            invoker=Member(id=user_id, display_name=str(body.get("user_name") or user_id)),
            invoker_is_admin=await is_workspace_admin(self.client, user_id, self.admins),
            name=name,
            args=args,
        )
        result = await self.admin.execute(cmd)
        text = result.text
        if result.file is not None:
            text += f"\nsaved on the groupmind host: {save_export(result.file, self.data_dir)}"
        await respond(text=text, response_type="ephemeral")
