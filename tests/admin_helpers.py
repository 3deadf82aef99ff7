"""Builders for admin tests: commands as a member types them, and a full dump of a community."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from groupmind.admin import split_command
from groupmind.admin.privacy import export
from groupmind.events import AdminCommand, ChannelRef, Member
from groupmind.store import Store

_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
VALID_ARGS = {
    "mode": "quiet", "persona set": "Be kind.", "persona community set": "Be brief.", "care contacts add": "bob",
    "care contacts remove": "bob", "care region": "GB", "care checkins": "off", "care sensitivity": "high",
    "care channel": "care-team", "we share": "on",
    "alerts ack": "1", "alerts resolve": "1 done", "alerts list": "all",
    "norm add": "no_emoji", "norm pin": "1", "norm remove": "1",
}  # fmt: skip
"""Arguments that make each admin command valid, so a refusal cannot hinge on bad arguments."""

WHERE = ChannelRef(platform="local", community="test", channel="general")


def command(line: str, who: str = "alice", *, admin: bool = True, where: ChannelRef = WHERE) -> AdminCommand:
    """The AdminCommand for `/gm LINE` typed by `who`."""
    name, args = split_command(line)
    return AdminCommand(
        where=where, invoker=Member(id=who.casefold(), display_name=who), invoker_is_admin=admin, name=name, args=args
    )


async def snapshot(store: Store, where: ChannelRef = WHERE) -> dict[str, Any]:
    """Everything the community stores, to show that a command changed nothing."""
    data = await export(store, where.platform, where.community, when=_EPOCH)
    return data["keys"]  # type: ignore[return-value]
