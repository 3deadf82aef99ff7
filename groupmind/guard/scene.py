"""What the guard knows about where a text goes: who is in the room, what the bot said, who is at risk.

`Scene` is plain data, so every check is a pure function a unit test can call.
`read_care` fills in the care part for a public conversation from Redis in two
round trips: the flagged risk messages in the window, the members with an open
care session or recent risk, and the community's care contacts. The second
trip (contact names) happens only when the community has care contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from groupmind.store.care_signals import queue_flagged
from groupmind.care.risk import HALF_LIFE
from groupmind.events import ChannelRef
from groupmind.store import Store
from groupmind.store.settings import CARE_CONTACTS, care_contact_ids
from groupmind.store.keys import CommunityKeys
from groupmind.we.threads import Linked

RISK_RECENT = HALF_LIFE
"""A member whose last risk message is this recent counts as at risk for the method check."""


@dataclass(frozen=True)
class CareView:
    """The care state of one conversation, as the guard needs it."""

    flagged: frozenset[str] = frozenset()
    """Ids of risk messages in the window: their text is withheld from the model."""
    risk_texts: tuple[str, ...] = ()
    """What members at risk said: risk messages in the window and open sessions' excerpts."""
    in_care: tuple[str, ...] = ()
    """Names of members with an open care session, a recent risk message, or a flagged message in the window."""
    in_care_ids: frozenset[str] = frozenset()
    contacts: tuple[str, ...] = ()
    """Display names of the community's care contacts."""
    risk_around: bool = False


@dataclass(frozen=True)
class Scene:
    """Everything a check may look at besides the text itself."""

    bot_name: str
    public: bool = True
    speakers: tuple[str, ...] = ()
    """Names and transcript labels of the members in the conversation."""
    own_recent: tuple[str, ...] = ()
    """The bot's latest replies, newest last, as stored (without `@` leads)."""
    just_said: tuple[str, ...] = ()
    """The members' latest messages, newest last: a reply must not be a near-copy of one."""
    instructions: str = ""
    """What the model was told (identity, persona): never to be repeated."""
    notes: str = ""
    """The bracketed notes about the room the model read."""
    care: CareView = CareView()
    means_asked: bool = False
    """A message the text answers asked about means, lethality or a size of one."""


async def read_care(store: Store, where: ChannelRef, recent: Sequence[Linked], now: datetime) -> CareView:
    """The care state of `where` for the messages in `recent` (oldest first)."""
    keys = CommunityKeys(where.platform, where.community)
    redis = store.redis
    authors = {i.msg.author_id: i.msg.author_name for i in recent if not i.msg.author_is_bot}
    ids = list(authors)
    pipe = redis.pipeline(transaction=False)
    pipe.hget(keys.settings, CARE_CONTACTS)
    for member_id in ids:
        pipe.hmget(keys.care_session(member_id), "started", "excerpt")
        pipe.hget(keys.care_risk(member_id), "last_risk")
        queue_flagged(pipe, keys, member_id, now)
    contact_json, *rest = await pipe.execute()
    in_window = {i.msg.message_id for i in recent}
    flagged = frozenset(f for index in range(len(ids)) for f in rest[3 * index + 2]) & in_window
    texts = [i.msg.text for i in recent if i.msg.message_id in flagged]
    at_risk = {i.msg.author_id for i in recent if i.msg.message_id in flagged}
    recent_since = now.timestamp() - RISK_RECENT.total_seconds()
    risk_around = bool(flagged)
    for index, member_id in enumerate(ids):
        (started, excerpt), last_risk = rest[3 * index], rest[3 * index + 1]
        if _number(started) > 0:
            at_risk.add(member_id)
            risk_around = True
            if excerpt:
                texts.append(excerpt)
        if _number(last_risk) >= recent_since:
            at_risk.add(member_id)
            risk_around = True
    return CareView(
        flagged=flagged,
        risk_texts=tuple(dict.fromkeys(texts)),
        in_care=tuple(authors[m] for m in ids if m in at_risk),
        in_care_ids=frozenset(at_risk),
        contacts=tuple((await store.member_names(where.platform, where.community, care_contact_ids(contact_json))).values()),
        risk_around=risk_around,
    )


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0
