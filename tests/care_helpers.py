"""A courier that records what the care layer sends, and a pipeline set up for care tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from groupmind.events import CareAlert, ChannelRef, Member
from groupmind.pipeline import Pipeline
from groupmind.store.community import CARE_CONTACTS


@dataclass
class RecordingCourier:
    """The adapter side of care, in memory: who got what privately. Listed ids cannot be reached."""

    unreachable: set[str] = field(default_factory=set)
    private: list[tuple[str, str]] = field(default_factory=list)
    """(member id, text) of every private message delivered."""
    alerts: list[tuple[str, CareAlert, str]] = field(default_factory=list)
    """(contact id, alert, text) of every alert delivered."""

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        if member.id in self.unreachable:
            return False
        self.private.append((member.id, text))
        return True

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        if contact.id in self.unreachable:
            return False
        self.alerts.append((contact.id, alert, text))
        return True

    def said_to(self, member_id: str) -> list[str]:
        return [text for who, text in self.private if who == member_id]


async def add_contacts(pipeline: Pipeline, community: str, *names: str, at: datetime) -> None:
    """Make `names` care contacts of a local community (they spoke once, so they have names)."""
    from tests.helpers import msg

    for name in names:
        await pipeline.store.append(msg(name, "hi all", community=community, ts=at))
    await pipeline.store.set_setting("local", community, CARE_CONTACTS, json.dumps([n.casefold() for n in names]))
