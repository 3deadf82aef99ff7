"""The bot's care conversation with one member: what it already asked, offered and gave.

The protocol is a sequence (acknowledge, ask once, stay, offer a human, give one
resource, follow up) spread over many messages and possibly several workers, so
where a member is in it lives in Redis, under the member's key (forget-me
deletes it) and expiring with their risk window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from redis.asyncio import Redis

from groupmind.care.risk import WINDOW
from groupmind.care.signals import RANK, Label
from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys

Consent = str
"""'' (not asked), 'pending', 'yes' or 'no': may the bot invite the care contact."""


@dataclass(frozen=True)
class Session:
    """One member's care conversation (pure; kept in a Redis hash)."""

    started: float = 0.0
    """Epoch seconds; 0 means no conversation is going on."""
    label: str = Label.NONE.value
    """The most serious label seen in this conversation."""
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

    @property
    def active(self) -> bool:
        return self.started > 0

    @property
    def where(self) -> ChannelRef | None:
        return ChannelRef.model_validate_json(self.origin) if self.origin else None

    def seen(self, label: Label, text: str) -> Session:
        """This session after a message `text` labelled `label`: it keeps the most serious one."""
        worse = RANK[label] > RANK[Label(self.label)]
        return replace(self, label=label.value, excerpt=text) if worse else self

    def said(self, text: str, **changes: object) -> Session:
        """This session after the bot sent `text` privately."""
        return replace(self, turns=self.turns + 1, last_said=text, **changes)  # type: ignore[arg-type]


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


async def load_session(redis: Redis, keys: CommunityKeys, member_id: str) -> Session:
    return _load(await redis.hgetall(keys.care_session(member_id)))


async def save_session(redis: Redis, keys: CommunityKeys, member_id: str, session: Session) -> None:
    """Store the session; it expires with the member's risk window unless the talk goes on."""
    key = keys.care_session(member_id)
    flat = {k: (int(v) if isinstance(v, bool) else v) for k, v in asdict(session).items()}
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping=flat)
        pipe.expire(key, int(WINDOW.total_seconds()))
        await pipe.execute()
