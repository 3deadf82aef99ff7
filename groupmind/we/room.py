"""The we model's contact with Redis: link each message as it is stored, profile its author, read the group back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from groupmind.events import ChannelRef, ChatMessage
from groupmind.store import Store
from groupmind.store.settings import ChannelView
from groupmind.store.keys import CommunityKeys
from groupmind.we.group import Group, build_group
from groupmind.we.profiles import queue_addressed_by_bot, queue_update, read_profiles
from groupmind.we.threads import Link, Linked, link_message

LINK_WINDOW = 60
"""How many recent messages a new message may be linked to."""


@dataclass(frozen=True)
class Observed:
    """A message just stored, its link, the conversation as it was before it, and its settings."""

    link: Link
    before: list[Linked]
    view: ChannelView


def _keys(ref: ChannelRef | ChatMessage) -> CommunityKeys:
    return CommunityKeys(ref.platform, ref.community)


class We:
    """Keeps the group model of every conversation up to date, one message at a time."""

    def __init__(self, store: Store, bot_name: str) -> None:
        self.store = store
        self.bot_name = bot_name

    async def recent(self, where: ChannelRef, count: int = LINK_WINDOW) -> list[Linked]:
        """The latest messages of a conversation with their stored links, oldest first."""
        entries = await self.store.window_entries(where, count)
        return [
            Linked(
                msg,
                Link(
                    msg.message_id,
                    fields.get("re", msg.message_id),
                    fields.get("th", msg.message_id),
                    fields.get("why", ""),
                ),
            )
            for msg, fields in entries
        ]

    async def observe(self, msg: ChatMessage) -> Observed:
        """Link `msg`, then store it with its link and its author's profile update in one round trip."""
        keys = _keys(msg)
        before, view = await asyncio.gather(
            self.recent(msg.where), self.store.settings.view(msg.where, msg.author_id)
        )
        link = link_message(msg, before)
        parent = next((i.msg for i in before if i.msg.message_id == link.parent), None)
        answered = parent.author_id if parent is not None and not parent.author_is_bot else None
        names = {i.msg.author_name for i in before} | {msg.author_name, self.bot_name}

        def profile(pipe):  # type: ignore[no-untyped-def]
            if not msg.author_is_bot and not view.opted_out:
                queue_update(pipe, keys, msg, answered, names)

        fields = {"re": link.parent, "th": link.thread, "why": link.reason}
        await self.store.append(msg, profile=not view.opted_out, fields=fields, also=profile)
        return Observed(link, before, view)

    async def group(self, where: ChannelRef, recent: list[Linked], now: datetime) -> Group:
        """The group model of a conversation, from its recent messages and its members' profiles."""
        ids = [i.msg.author_id for i in recent if not i.msg.author_is_bot]
        profiles = await read_profiles(self.store.redis, _keys(where), where.conversation, ids)
        return build_group(recent, profiles, now, self.bot_name)

    async def addressed_by_bot(self, where: ChannelRef, member_ids: Iterable[str], ts: datetime) -> None:
        """Remember that the bot just addressed these members."""
        pipe = self.store.redis.pipeline(transaction=False)
        queue_addressed_by_bot(pipe, _keys(where), member_ids, ts)
        await pipe.execute()
