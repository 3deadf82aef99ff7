"""The live community settings: channel mode, persona, care options, opt-outs.

Admins change these with slash commands (`groupmind.admin`); they live in the
community's settings hash and opt-out set in Redis, so the next message sees a
change without a restart. The field names are a contract shared by every part
that reads them (speak policy, prompt, care).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys
from groupmind.store.state import Store

MODES = ("mention", "active", "quiet")
"""mention: answer when addressed; active: join in when the speak policy says so; quiet: only listen."""
DEFAULT_MODE = "mention"

PERSONA = "persona"
CARE_CONTACTS = "care.contacts"
CARE_REGION = "care.region"
CARE_CHECKINS = "care.checkins"
CARE_SENSITIVITY = "care.sensitivity"
CARE_CHANNEL = "care.channel"
"""The community's private care channel (a platform channel id); absent: alerts go by DM only."""
CARE_DEFAULTS = {CARE_CONTACTS: "[]", CARE_REGION: "US", CARE_CHECKINS: "on", CARE_SENSITIVITY: "normal"}


def care_contact_ids(value: str | None) -> list[str]:
    """The `care.contacts` setting as member ids, in order; unset, or hand-edited into anything but a list, is none.

    The one reader of the setting, so the care layer, the admin commands and
    forget-me always agree on who the care contacts are.
    """
    try:
        ids = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


def mode_field(conversation: str) -> str:
    return f"mode:{conversation}"


def persona_field(conversation: str) -> str:
    """The channel's persona override; absent means the community's `persona`."""
    return f"{PERSONA}:{conversation}"


@dataclass(frozen=True)
class ChannelView:
    """What the pipeline needs to know about a conversation and a speaker, read at once."""

    mode: str
    persona: str | None
    opted_out: bool


async def channel_view(store: Store, where: ChannelRef, member_id: str) -> ChannelView:
    """Mode and persona of `where`, and whether `member_id` opted out: one round trip."""
    keys = CommunityKeys(where.platform, where.community)
    pipe = store.redis.pipeline(transaction=False)
    pipe.hmget(keys.settings, [mode_field(where.conversation), persona_field(where.conversation), PERSONA])
    pipe.sismember(keys.optout, member_id)
    (mode, channel_persona, community_persona), opted_out = await pipe.execute()
    return ChannelView(
        mode=mode if mode in MODES else DEFAULT_MODE,
        persona=channel_persona or community_persona or None,
        opted_out=bool(opted_out),
    )


async def channel_mode(store: Store, where: ChannelRef) -> str:
    """The conversation's mode (mention when unset), for the speak policy."""
    return (await channel_view(store, where, "")).mode


async def is_opted_out(store: Store, platform: str, community: str, member_id: str) -> bool:
    """True when the member asked not to be monitored or profiled here."""
    return bool(await store.redis.sismember(CommunityKeys(platform, community).optout, member_id))


async def opted_out(store: Store, communities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """The opted-out member ids of each (platform, community), in one round trip."""
    wanted = list(dict.fromkeys(communities))
    pipe = store.redis.pipeline(transaction=False)
    for platform, community in wanted:
        pipe.smembers(CommunityKeys(platform, community).optout)
    return dict(zip(wanted, (set(ids) for ids in await pipe.execute())))
