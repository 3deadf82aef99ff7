"""Old names of the community settings, kept while callers move to `groupmind.store.settings`.

Thin delegates only: read settings with `store.settings.read` / `store.settings.view`
and opt-outs with `store.settings.opted_out`.
"""

from __future__ import annotations

from typing import Iterable

from groupmind.events import ChannelRef
from groupmind.store.settings import (
    CARE_CHANNEL, CARE_CHECKINS, CARE_CONTACTS, CARE_DEFAULTS, CARE_REGION, CARE_SENSITIVITY, DEFAULT_MODE, MODES,
    PERSONA, ChannelView, Community, care_contact_ids, mode_field, persona_field,
)  # fmt: skip
from groupmind.store.state import Store

__all__ = [
    "CARE_CHANNEL", "CARE_CHECKINS", "CARE_CONTACTS", "CARE_DEFAULTS", "CARE_REGION", "CARE_SENSITIVITY",
    "DEFAULT_MODE", "MODES", "PERSONA", "ChannelView", "care_contact_ids", "channel_mode", "channel_view",
    "mode_field", "opted_out", "persona_field",
]  # fmt: skip


async def channel_view(store: Store, where: ChannelRef, member_id: str) -> ChannelView:
    """Delegate of `store.settings.view`."""
    return await store.settings.view(where, member_id)


async def channel_mode(store: Store, where: ChannelRef) -> str:
    """Delegate: the conversation's mode (mention when unset)."""
    return (await store.settings.view(where, "")).mode


async def opted_out(store: Store, communities: Iterable[Community]) -> dict[Community, set[str]]:
    """Delegate of `store.settings.opted_out`."""
    return await store.settings.opted_out(communities)
