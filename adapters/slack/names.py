"""Display names for Slack user ids, looked up with users.info and cached.

A busy channel would otherwise cost one API call per message. The cache is
bounded (oldest entries go first) and entries expire, so a renamed member is
seen by their new name within `ttl_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Callable, Iterable, Mapping

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


def api_error(exc: Exception) -> str:
    """A short, token-free description of a failed Web API call."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__


def display_name(user: Mapping[str, Any]) -> str:
    """The name Slack shows for a user: display name, then real name, then handle."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name and name.strip():
            return str(name).strip()
    return str(user.get("id", "?"))


class DisplayNames:
    """users.info with a bounded TTL cache.

    Args:
        client: the Web API client (bot token).
        ttl_s: how long a looked-up name is trusted.
        max_size: most names kept; the least recently stored go first.
        clock: monotonic seconds, passed in so tests control expiry.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_s: float = 3600.0,
        max_size: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.max_size = max_size
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._looking: dict[str, asyncio.Future[str]] = {}

    def remember(self, user_id: str, name: str) -> None:
        self._cache[user_id] = (self.clock() + self.ttl_s, name)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self.max_size:
            self._cache.popitem(last=False)

    async def name(self, user_id: str) -> str:
        """The member's display name; their id if Slack cannot say (the message is kept either way).

        Messages handled side by side (a burst, Slack's retries of one event) share one lookup per member.
        """
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        lookup = self._looking.get(user_id)
        if lookup is None:
            lookup = self._looking[user_id] = asyncio.ensure_future(self._look_up(user_id))
            lookup.add_done_callback(lambda _: self._looking.pop(user_id, None))
        return await asyncio.shield(lookup)

    async def _look_up(self, user_id: str) -> str:
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError) as exc:
            log.warning("users.info %s failed: %s", user_id, api_error(exc))
            return user_id
        name = display_name(response["user"])
        self.remember(user_id, name)
        return name

    async def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        return {user_id: await self.name(user_id) for user_id in dict.fromkeys(user_ids)}
