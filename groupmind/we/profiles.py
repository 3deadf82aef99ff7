"""Member profiles: what a message adds to its author's, worked out here and kept by the store.

The store keeps them (`groupmind.store.profiles`); the we model decides what a
message contributes: its keywords (without names) and whom its author answered.
Opted-out members and bots are not profiled at all.
"""

from __future__ import annotations

from typing import Iterable

from groupmind.events import ChatMessage
from groupmind.store.profiles import TOPICS_KEPT, VOICE_WINDOW, Profile, ProfileUpdate
from groupmind.we.lexicon import keywords

__all__ = ["TOPICS_KEPT", "VOICE_WINDOW", "Profile", "ProfileUpdate", "profile_update"]


def profile_update(msg: ChatMessage, answered: str | None, names: Iterable[str]) -> ProfileUpdate:
    """What `msg` (whose author answered member `answered`) adds to its author's profile."""
    return ProfileUpdate(
        author_id=msg.author_id,
        ts=msg.ts,
        words=tuple(keywords(msg.text, limit=5, drop=names)),
        answered=answered,
    )
