"""What the guard knows about where a text goes: who is in the room, what the bot said, who is at risk.

`Scene` is plain data, so every check is a pure function a unit test can call.
`read_care` fills in the care part for a public conversation from the store's
care facts (`store.care_facts`): the flagged risk messages in the window, the
members with an open care session or recent risk, and the community's care
contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from groupmind.care.risk import HALF_LIFE
from groupmind.events import ChannelRef
from groupmind.store import Store
from groupmind.store.norms import Norm
from groupmind.store.care_facts import read_care_facts
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
    norms: tuple[Norm, ...] = ()
    """The community's norms in force (`groupmind.we.norms`): a text must not break the checkable ones."""
    grounds: tuple[str, ...] = ()
    """What the members said that a reply must be about (the window, the question); empty: not checked."""
    grounding_min: float = 0.0
    """The least share of a reply's content words found in `grounds` (`guard.grounding`)."""


async def read_care(store: Store, where: ChannelRef, recent: Sequence[Linked], now: datetime) -> CareView:
    """The care state of `where` for the messages in `recent` (oldest first)."""
    authors = {i.msg.author_id: i.msg.author_name for i in recent if not i.msg.author_is_bot}
    facts = await read_care_facts(store, where.platform, where.community, list(authors), now)
    in_window = {i.msg.message_id for i in recent}
    flagged = frozenset(f for member in facts.members.values() for f in member.flagged) & in_window
    texts = [i.msg.text for i in recent if i.msg.message_id in flagged]
    at_risk = {i.msg.author_id for i in recent if i.msg.message_id in flagged}
    recent_since = now.timestamp() - RISK_RECENT.total_seconds()
    for member_id, member in facts.members.items():
        if member.session_started > 0:
            at_risk.add(member_id)
            if member.excerpt:
                texts.append(member.excerpt)
        if member.last_risk >= recent_since:
            at_risk.add(member_id)
    return CareView(
        flagged=flagged,
        risk_texts=tuple(dict.fromkeys(texts)),
        in_care=tuple(authors[m] for m in authors if m in at_risk),
        in_care_ids=frozenset(at_risk),
        contacts=facts.contact_names,
        risk_around=bool(flagged) or bool(at_risk & set(authors)),
    )
