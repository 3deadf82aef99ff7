"""The we model's contact with the store: link each message as it is stored, profile its author, read the group back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from groupmind.events import ChannelRef, ChatMessage
from groupmind.store import Store
from groupmind.store.pending import PendingReply
from groupmind.store.settings import ChannelView, CommunitySettings, view_of
from groupmind.store.window_cache import Entry
from groupmind.we.group import Group, build_group
from groupmind.we.profiles import ProfileUpdate, profile_update
from groupmind.we.threads import Link, Linked, Threaders

LINK_WINDOW = 60
"""How many recent messages a new message may be linked to."""
LINKED_CONVERSATIONS = 256
"""Conversations whose linking window is kept between messages (the least recently active are dropped;
under a megabyte each)."""


@dataclass(frozen=True)
class Noted:
    """A message about to be stored: its link, the conversation as it was before it, its settings,
    and what the store keeps beside it (the link's fields, its author's profile update)."""

    link: Link
    before: list[Linked]
    view: ChannelView
    settings: CommunitySettings
    """The community's settings as read with the conversation (care reads them from here)."""
    fields: dict[str, str]
    profile_update: ProfileUpdate | None
    pending: tuple[PendingReply | None, int] | None = None
    """The conversation's pending reply and recent reply count, read with it when asked for."""

    @property
    def profile(self) -> bool:
        """Whether its author's activity is counted (not for one who opted out)."""
        return not self.view.opted_out


class We:
    """Keeps the group model of every conversation up to date, one message at a time."""

    def __init__(self, store: Store, bot_name: str) -> None:
        self.store = store
        self.bot_name = bot_name
        self.threaders = Threaders(LINK_WINDOW, LINKED_CONVERSATIONS)

    async def recent(self, where: ChannelRef, count: int = LINK_WINDOW) -> list[Linked]:
        """The latest messages of a conversation with their stored links, oldest first."""
        return _linked(await self.store.window_entries(where, count))

    async def note(self, msg: ChatMessage, pending_at: tuple[datetime, timedelta] | None = None) -> Noted:
        """Link `msg` to the conversation before it and work out its author's profile update; stores nothing.

        The caller stores it with what this returns, in one round trip (`Pipeline` does:
        `store.append(msg, profile=noted.profile, fields=noted.fields, profile_update=noted.profile_update)`).
        """
        look = await self.store.look(msg.where, msg.author_id, LINK_WINDOW, pending_at)
        settings, before = look.settings, _linked(look.entries)
        view = view_of(settings, msg.where.conversation, look.opted_out)
        link = self.threaders.link(msg.where, msg, before)
        parent = next((i.msg for i in before if i.msg.message_id == link.parent), None)
        answered = parent.author_id if parent is not None and not parent.author_is_bot else None
        names = {i.msg.author_name for i in before} | {msg.author_name, self.bot_name}
        update = None if msg.author_is_bot or view.opted_out else profile_update(msg, answered, names)
        fields = {"re": link.parent, "th": link.thread, "why": link.reason}
        return Noted(link, before, view, settings, fields, update, look.pending)

    async def group(self, where: ChannelRef, recent: list[Linked], now: datetime) -> Group:
        """The group model of a conversation, from its recent messages and its members' profiles."""
        ids = [i.msg.author_id for i in recent if not i.msg.author_is_bot]
        profiles = await self.store.profiles.read(where, ids)
        return build_group(recent, profiles, now, self.bot_name)

    async def addressed_by_bot(self, where: ChannelRef, member_ids: Iterable[str], ts: datetime) -> None:
        """Remember that the bot just addressed these members."""
        await self.store.profiles.addressed_by_bot(where, member_ids, ts)


def _linked(entries: list[Entry]) -> list[Linked]:
    """Stored messages with the links stored beside them."""
    return [
        Linked(msg, Link(msg.message_id, fields.get("re", msg.message_id), fields.get("th", msg.message_id),
                         fields.get("why", "")))
        for msg, fields in entries
    ]  # fmt: skip
