"""The live community settings: channel mode, persona, care options, opt-outs.

Admins change these with slash commands (`groupmind.admin`); they live in the
community's settings hash, its care notice and its opt-out set in Redis, so the
next message sees a change without a restart. `CommunitySettings` is the one
typed reading of them (the one parser of every field, care contacts included);
`SettingsRepo` is the one way to read and change them, in Redis
(`RedisSettings`) or in memory (`MemorySettings`, for pure tests).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol

from redis.asyncio import Redis

from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys

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

Community = tuple[str, str]
"""(platform, community)."""


def care_contact_ids(value: str | None) -> list[str]:
    """The `care.contacts` setting as member ids, in order; unset, or hand-edited into anything but a list, is none.

    The one reader of the setting, so the care layer, the admin commands, the
    guard and forget-me always agree on who the care contacts are.
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
class CommunitySettings:
    """Every setting of one community, parsed once from its stored fields."""

    fields: Mapping[str, str] = field(default_factory=dict)
    """The stored fields as they are (a care layer that reads the raw hash gets it here)."""
    care_notice: str | None = None
    """What admins must know about care (the last care contact went); None when all is well."""

    def mode(self, conversation: str) -> str:
        """The conversation's mode; unset or unknown is `mention`."""
        mode = self.fields.get(mode_field(conversation))
        return mode if mode in MODES else DEFAULT_MODE

    def channel_persona(self, conversation: str) -> str | None:
        return self.fields.get(persona_field(conversation)) or None

    @property
    def community_persona(self) -> str | None:
        return self.fields.get(PERSONA) or None

    def persona(self, conversation: str) -> str | None:
        """The persona the conversation uses: its own, else the community's, else none."""
        return self.channel_persona(conversation) or self.community_persona

    def value(self, name: str) -> str:
        """One field as stored, or its default ("" when it has none)."""
        stored = self.fields.get(name)
        return stored if stored is not None else CARE_DEFAULTS.get(name, "")

    @property
    def care_contacts(self) -> tuple[str, ...]:
        return tuple(care_contact_ids(self.value(CARE_CONTACTS)))

    @property
    def care_region(self) -> str:
        return self.value(CARE_REGION)

    @property
    def care_checkins(self) -> bool:
        return self.value(CARE_CHECKINS) == "on"

    @property
    def care_sensitivity(self) -> str:
        return self.value(CARE_SENSITIVITY)

    @property
    def care_channel(self) -> str | None:
        return self.fields.get(CARE_CHANNEL) or None


@dataclass(frozen=True)
class ChannelView:
    """What the pipeline needs to know about a conversation and a speaker, read at once."""

    mode: str
    persona: str | None
    opted_out: bool


def _view(settings: CommunitySettings, conversation: str, opted_out: bool) -> ChannelView:
    return ChannelView(settings.mode(conversation), settings.persona(conversation), opted_out)


class SettingsRepo(Protocol):
    """The settings and opt-outs of every community."""

    async def read(self, platform: str, community: str) -> CommunitySettings:
        """Every setting of a community and its care notice, in one round trip."""

    async def view(self, where: ChannelRef, member_id: str) -> ChannelView:
        """Mode and persona of `where`, and whether `member_id` opted out, in one round trip."""

    async def set(self, platform: str, community: str, name: str, value: str | None) -> str | None:
        """Set (or, with None, remove) one field atomically; returns the value it had."""

    async def set_notice(self, platform: str, community: str, notice: str | None) -> None:
        """Keep (or, with None, clear) the community's care notice."""

    async def opt_out(self, platform: str, community: str, member_id: str) -> bool:
        """Add a member to the opt-outs; False if they were opted out already."""

    async def opt_in(self, platform: str, community: str, member_id: str) -> bool:
        """Take a member off the opt-outs; False if they were not opted out."""

    async def is_opted_out(self, platform: str, community: str, member_id: str) -> bool:
        """True when the member asked not to be monitored or profiled here."""

    async def opted_out(self, communities: Iterable[Community]) -> dict[Community, set[str]]:
        """The opted-out member ids of each (platform, community), asked all at once."""


class RedisSettings:
    """`SettingsRepo` on the community's settings hash, care notice and opt-out set."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read(self, platform: str, community: str) -> CommunitySettings:
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.settings)
        pipe.get(keys.care_notice)
        fields, notice = await pipe.execute()
        return CommunitySettings(dict(fields), notice or None)

    async def view(self, where: ChannelRef, member_id: str) -> ChannelView:
        keys = CommunityKeys(where.platform, where.community)
        conversation = where.conversation
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(keys.settings, [mode_field(conversation), persona_field(conversation), PERSONA])
        pipe.sismember(keys.optout, member_id)
        values, opted_out = await pipe.execute()
        names = (mode_field(conversation), persona_field(conversation), PERSONA)
        fields = {name: value for name, value in zip(names, values) if value is not None}
        return _view(CommunitySettings(fields), conversation, bool(opted_out))

    async def set(self, platform: str, community: str, name: str, value: str | None) -> str | None:
        key = CommunityKeys(platform, community).settings
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, name)
        if value is None:
            pipe.hdel(key, name)
        else:
            pipe.hset(key, name, value)
        old, _ = await pipe.execute()
        return old  # type: ignore[no-any-return]

    async def set_notice(self, platform: str, community: str, notice: str | None) -> None:
        key = CommunityKeys(platform, community).care_notice
        if notice is None:
            await self.redis.delete(key)
        else:
            await self.redis.set(key, notice)

    async def opt_out(self, platform: str, community: str, member_id: str) -> bool:
        return bool(await self.redis.sadd(CommunityKeys(platform, community).optout, member_id))

    async def opt_in(self, platform: str, community: str, member_id: str) -> bool:
        return bool(await self.redis.srem(CommunityKeys(platform, community).optout, member_id))

    async def is_opted_out(self, platform: str, community: str, member_id: str) -> bool:
        return bool(await self.redis.sismember(CommunityKeys(platform, community).optout, member_id))

    async def opted_out(self, communities: Iterable[Community]) -> dict[Community, set[str]]:
        # One command per community, all at once: each community is its own hash slot.
        wanted = list(dict.fromkeys(communities))
        found = await asyncio.gather(*(self.redis.smembers(CommunityKeys(p, c).optout) for p, c in wanted))
        return dict(zip(wanted, (set(ids) for ids in found)))


class MemorySettings:
    """`SettingsRepo` in memory: the twin of `RedisSettings`, for tests without a server."""

    def __init__(self) -> None:
        self.fields: dict[Community, dict[str, str]] = {}
        self.notices: dict[Community, str] = {}
        self.optouts: dict[Community, set[str]] = {}

    async def read(self, platform: str, community: str) -> CommunitySettings:
        at = (platform, community)
        return CommunitySettings(dict(self.fields.get(at, {})), self.notices.get(at))

    async def view(self, where: ChannelRef, member_id: str) -> ChannelView:
        settings = await self.read(where.platform, where.community)
        opted_out = await self.is_opted_out(where.platform, where.community, member_id)
        return _view(settings, where.conversation, opted_out)

    async def set(self, platform: str, community: str, name: str, value: str | None) -> str | None:
        fields = self.fields.setdefault((platform, community), {})
        old = fields.get(name)
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
        return old

    async def set_notice(self, platform: str, community: str, notice: str | None) -> None:
        if notice is None:
            self.notices.pop((platform, community), None)
        else:
            self.notices[(platform, community)] = notice

    async def opt_out(self, platform: str, community: str, member_id: str) -> bool:
        ids = self.optouts.setdefault((platform, community), set())
        added = member_id not in ids
        ids.add(member_id)
        return added

    async def opt_in(self, platform: str, community: str, member_id: str) -> bool:
        ids = self.optouts.get((platform, community), set())
        removed = member_id in ids
        ids.discard(member_id)
        return removed

    async def is_opted_out(self, platform: str, community: str, member_id: str) -> bool:
        return member_id in self.optouts.get((platform, community), set())

    async def opted_out(self, communities: Iterable[Community]) -> dict[Community, set[str]]:
        return {at: set(self.optouts.get(at, set())) for at in dict.fromkeys(communities)}
