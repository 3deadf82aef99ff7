"""The lasting memory of each community: learned from every message, read back for the prompt, `/gm we` and `/gm me`.

Learning is deterministic (`groupmind.we.memory`) and rides on the message's own
append, so it adds no round trip. Bots' messages, opted-out members and anything
the care rules flag (a disclosure must never become a topic, an interest or a line
of `/gm we`) teach it nothing. A reply's notes cost three round trips: the group's top entries, then
the names and the deleted items of the few members a note could name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from groupmind.care.normalize import normalize
from groupmind.care.signals import Label, scan
from groupmind.events import ChannelRef, ChatMessage
from groupmind.store import Store
from groupmind.store.group_memory import GroupRecord, queued as group_queued
from groupmind.store.keys import CommunityKeys
from groupmind.store.member_facts import MemberRecord, queued as member_queued
from groupmind.we.group import ACTIVE_FOR
from groupmind.we.memory import group_part, member_part, observe
from groupmind.we.lexicon import content_words
from groupmind.we.recall import notes_for, summary_lines, who_knows
from groupmind.we.threads import Link, Linked

NOTE_CANDIDATES = 4
"""Members per word a prompt note may name, before their deleted items are taken out."""
PROMPT_TOP = 400
"""Entries of each ranked part the prompt's notes look through (the best ones)."""
NOTE_MESSAGES = 6
"""The latest messages whose words choose the notes (of those still live: `we.group.ACTIVE_FOR`)."""


def _cared(text: str) -> bool:
    """True when the care rules read distress, risk or worry for someone in `text` (a time word alone is not)."""
    return any(s.label is not Label.NONE and s.strength > 0 for s in scan(normalize(text)))


class Lasting:
    """The community memory as the pipeline and the admin commands use it."""

    def __init__(self, store: Store, *, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled

    def learn(self, msg: ChatMessage, link: Link, before: Sequence[Linked], names: Iterable[str],
              opted_out: bool) -> Callable[[Any], None] | None:  # fmt: skip
        """What `msg` (linked by `link` to the conversation `before` it) adds to the memory, as commands for
        its append's pipeline; None when it adds nothing."""
        if not self.enabled or msg.author_is_bot or opted_out or not msg.text.strip() or _cared(msg.text):
            return None
        by_id = {i.msg.message_id: i.msg for i in before}
        obs = observe(msg, by_id.get(link.parent), names, by_id.get(link.thread))
        keys = CommunityKeys(msg.platform, msg.community)
        group, member = group_queued(keys, group_part(obs)), member_queued(keys, member_part(obs))

        def both(pipe: Any) -> None:
            group(pipe)
            member(pipe)

        return both

    async def group(self, platform: str, community: str, now: datetime, top: int = -1) -> GroupRecord:
        return await self.store.group_memory.read(platform, community, now, top=top)

    async def member(self, platform: str, community: str, member_id: str, now: datetime) -> MemberRecord:
        return await self.store.member_facts.read(platform, community, member_id, now.timestamp())

    async def names(self, platform: str, community: str, record: GroupRecord) -> dict[str, str]:
        """Display names of every member the record credits."""
        ids = {entry.rpartition("\x1f")[2] for entry, _ in (*record.expertise, *record.jokes)}
        return await self.store.member_names(platform, community, sorted(ids))

    async def summary(self, platform: str, community: str, now: datetime) -> str:
        """`/gm we`: how the bot sees the group now, a few lines."""
        record = await self.group(platform, community, now)
        return "\n".join(summary_lines(record, await self.names(platform, community, record)))

    async def notes(self, where: ChannelRef, recent: Sequence[Linked], now: datetime) -> list[str]:
        """The lines of the group model that bear on the conversation now (for the prompt)."""
        if not self.enabled:
            return []
        live = [i.msg for i in recent if not i.msg.author_is_bot and now - i.msg.ts <= ACTIVE_FOR]
        texts = [m.text for m in live][-NOTE_MESSAGES:]
        if not texts:
            return []
        record = await self.group(where.platform, where.community, now, top=PROMPT_TOP)
        words = content_words(" ".join(texts))
        # Only the members a note could name are looked up: a reply pays for a handful, not the whole community.
        candidates = sorted({m for w in set(words) for m, _ in who_knows(record, w, limit=NOTE_CANDIDATES)})
        names = await self.store.member_names(where.platform, where.community, candidates)
        muted = await self.store.member_facts.muted_of(where.platform, where.community, candidates)
        return notes_for(record, texts, names, muted)
