"""The bot's care conversations, one per member: where each stands in the protocol.

The protocol (acknowledge, ask once, stay, offer a human, give one resource,
follow up) is spread over many messages and possibly several workers, so where
a member is in it lives in Redis, under the member's key (forget-me deletes it)
and expiring with their risk window. `MemoryCareSessions` is the in-memory twin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Protocol

from redis.asyncio import Redis

from groupmind.events import ChannelRef
from groupmind.store.care_signals import RISK_WINDOW
from groupmind.store.keys import CommunityKeys

Consent = str
"""'' (not asked), 'pending', 'yes' or 'no': may the bot invite the care contact."""


@dataclass(frozen=True)
class Session:
    """One member's care conversation (plain data; `groupmind.care.machine` moves it on)."""

    started: float = 0.0
    """Epoch seconds; 0 means no conversation is going on."""
    label: str = "none"
    """The most serious label seen in this conversation (a `groupmind.care.signals.Label` value)."""
    excerpt: str = ""
    """What the member said with that label, quoted in an alert."""
    origin: str = ""
    """The ChannelRef (JSON) where it began, for alerts and private threads."""
    asked: bool = False
    """The direct question was asked: not again unless something changed."""
    ai_said: bool = False
    offered: bool = False
    consent: Consent = ""
    resource: bool = False
    alert: str = ""
    """The id of the alert raised for this conversation, if any."""
    imminent: bool = False
    turns: int = 0
    """Private messages the bot sent, so phrasings rotate instead of repeating."""
    last_said: str = ""
    """The bot's last private message, quoted in an alert as what the bot said."""
    answer: str = ""
    """The member's answer to the direct question: '', 'yes', 'maybe' or 'no'."""
    probed: bool = False
    """After a yes or a maybe, the bot asked once about a plan, means and timing."""
    awaiting: str = ""
    """What the bot's last private question asked for ('ask', 'probe', 'consent', 'plan_offer', 'plan:N'),
    so a short reply ("yes", "no", a few words) is read as its answer."""
    plan_offered: bool = False
    paused: bool = False
    """The member asked the bot to stop messaging: nothing private until they write again (or risk is imminent)."""
    concern: bool = False
    """The talk is about someone else the member worries about: the bot supports the helper."""
    name: str = ""
    """The member's display name when the talk began (a member who only wrote privately has no other)."""

    @property
    def active(self) -> bool:
        return self.started > 0

    @property
    def where(self) -> ChannelRef | None:
        return ChannelRef.model_validate_json(self.origin) if self.origin else None


class CareSessions(Protocol):
    """Load and keep members' care conversations."""

    async def load(self, platform: str, community: str, member_id: str) -> Session:
        """The member's conversation; an empty `Session` when none is going on."""
        ...

    async def save(self, platform: str, community: str, member_id: str, session: Session) -> None:
        """Keep the conversation; it expires with the member's risk window unless the talk goes on."""
        ...


_BOOLS = {f.name for f in fields(Session) if f.type == "bool"}
_NUMBERS = {"started": float, "turns": int}


def _load(raw: dict[str, str]) -> Session:
    values: dict[str, object] = {}
    for name, value in raw.items():
        if name in _BOOLS:
            values[name] = value == "1"
        elif name in _NUMBERS:
            try:
                values[name] = _NUMBERS[name](value)
            except ValueError:
                return Session()  # a corrupt hash: start the conversation over rather than fail
        elif name in Session.__dataclass_fields__:
            values[name] = value
    return Session(**values)  # type: ignore[arg-type]


def _flat(session: Session) -> dict[str, str | int | float]:
    return {k: (int(v) if isinstance(v, bool) else v) for k, v in asdict(session).items()}


class RedisCareSessions:
    """Care conversations in Redis: one hash per member."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def load(self, platform: str, community: str, member_id: str) -> Session:
        return _load(await self.redis.hgetall(CommunityKeys(platform, community).care_session(member_id)))

    async def save(self, platform: str, community: str, member_id: str, session: Session) -> None:
        keys = CommunityKeys(platform, community)
        key = keys.care_session(member_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=_flat(session))
            pipe.expire(key, int(RISK_WINDOW.total_seconds()))
            pipe.sadd(keys.care_people, member_id)  # so export and forget-me find them without a SCAN
            await pipe.execute()


class MemoryCareSessions:
    """Care conversations in memory: the same contract, for pure tests (expiry is not modelled)."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str, str], dict[str, str]] = {}

    async def load(self, platform: str, community: str, member_id: str) -> Session:
        return _load(self.sessions.get((platform, community, member_id), {}))

    async def save(self, platform: str, community: str, member_id: str, session: Session) -> None:
        # Stored as Redis would give it back, so both twins round-trip the same way.
        self.sessions[(platform, community, member_id)] = {k: str(v) for k, v in _flat(session).items()}

