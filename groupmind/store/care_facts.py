"""What the guard needs to know about care in a conversation, read in one round trip.

For each member who spoke: whether they have an open care session (and the
excerpt it began with), when they last sent a risk message, and which of their
messages were flagged within the risk window; and the community's care contacts.
The guard turns these facts into its `CareView`; it never reads Redis itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from groupmind.store.care_signals import queue_flagged
from groupmind.store.keys import CommunityKeys
from groupmind.store.settings import CARE_CONTACTS, care_contact_ids
from groupmind.store.state import Store


@dataclass(frozen=True)
class MemberCare:
    """One member's care facts."""

    session_started: float = 0.0
    """Epoch the open care session began; 0 when there is none."""
    excerpt: str = ""
    last_risk: float = 0.0
    """Epoch of their last risk message; 0 when none is remembered."""
    flagged: frozenset[str] = frozenset()
    """Their message ids flagged as risk within the risk window."""


@dataclass(frozen=True)
class CareFacts:
    """The care facts of some members of one community, and its care contacts' names."""

    members: Mapping[str, MemberCare]
    contact_names: tuple[str, ...]


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


async def read_care_facts(store: Store, platform: str, community: str, member_ids: Sequence[str], now: datetime) -> CareFacts:
    """The care facts of `member_ids`: one round trip, and a second for names only when there are care contacts."""
    keys = CommunityKeys(platform, community)
    pipe = store.redis.pipeline(transaction=False)
    pipe.hget(keys.settings, CARE_CONTACTS)
    for member_id in member_ids:
        pipe.hmget(keys.care_session(member_id), "started", "excerpt")
        pipe.hget(keys.care_risk(member_id), "last_risk")
        queue_flagged(pipe, keys, member_id, now)
    contact_json, *rest = await pipe.execute()
    members = {}
    for index, member_id in enumerate(member_ids):
        (started, excerpt), last_risk, flagged = rest[3 * index : 3 * index + 3]
        members[member_id] = MemberCare(_number(started), excerpt or "", _number(last_risk), frozenset(flagged))
    contacts = care_contact_ids(contact_json)
    names = await store.member_names(platform, community, contacts) if contacts else {}
    return CareFacts(members, tuple(names.values()))
