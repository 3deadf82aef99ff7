"""Where platforms meet the core: the one way in for a member's message, and what a platform may look up.

Every adapter turns an SDK event into a `ChatMessage` and calls `ingress`,
which runs the sequence every platform shares: let one delivery of a message
through (platforms redeliver), give a direct message to care first, hand the
message to the work queue when several workers share the load, else handle it.
The replies leave through the pipeline's platforms; a reply that waits for the
burst to settle is due work the scheduler brings back.

A platform needs a few answers from the core to deliver well (the community's
private care channel; the alerts a care contact may see on their Slack Home
tab; whether a member was ever seen). `Directory` gives them, built from the
store before the pipeline, so a platform can be built before the pipeline it
serves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from groupmind.events import CareAlert, ChatMessage, Reaction, Reply, utcnow
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from groupmind.store.care_records import CareRecords

DELIVERY_TTL_S = 3600
"""How long a message's first delivery is remembered; platforms stop redelivering within minutes."""


async def ingress(pipeline: Pipeline, msg: ChatMessage, *, private_in: Sequence[str] | None = None) -> list[Reply]:
    """Take one member's message from any platform; returns the replies made at once (already delivered).

    Args:
        pipeline: the core, with the platform `msg` came from among its platforms.
        msg: the message, translated from the platform's event.
        private_in: for a direct message to the bot, the communities its author shares
            with the bot; care talks with them privately there first, and such talk
            is never stored. None for a message in a conversation.
    """
    claim = f"{msg.channel}:{msg.message_id}"
    if not await pipeline.store.first_delivery(msg.platform, msg.community, claim, DELIVERY_TTL_S):
        return []
    if private_in is not None and not msg.author_is_bot:
        if await pipeline.handle_private(msg.platform, private_in, msg.author, msg.text, msg.ts):
            return []
    if pipeline.settings.work_queue:
        await pipeline.work_queue().submit(msg)  # a worker (maybe another process) answers it
        return []
    return await pipeline.handle(msg)


async def reaction_ingress(pipeline: Pipeline, reaction: Reaction) -> int:
    """Take one member's reaction from any platform; returns how many norm votes it made.

    Delivered once, like a message; it is handled at once even with a work queue: it only
    records votes, no reply is written for it.
    """
    claim = f"react:{reaction.channel}:{reaction.message_id}:{reaction.member_id}:{reaction.emoji}"
    if not await pipeline.store.first_delivery(reaction.platform, reaction.community, claim, DELIVERY_TTL_S):
        return 0
    return len(await pipeline.react(reaction))


class Directory:
    """What a platform may ask the core back, answered from the store.

    Args:
        store: the shared state.
        clock: what time it is (alerts are read as of now).
    """

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.alerts = CareRecords.of(store, clock).alerts

    async def care_channel(self, platform: str, community: str) -> str | None:
        """The community's private care channel (`care channel CHANNEL`), if one is set."""
        return (await self.store.settings.read(platform, community)).care_channel

    async def alerts_for(self, platform: str, community: str, member_id: str) -> list[CareAlert] | None:
        """The unresolved alerts a care contact may see (none about themselves); None for anyone else."""
        if member_id not in (await self.store.settings.read(platform, community)).care_contacts:
            return None
        return [a for a in await self.alerts.list(platform, community) if a.member.id != member_id]

    async def seen(self, platform: str, community: str, member_id: str) -> bool:
        """True if the member ever spoke in the community."""
        return await self.store.activity(platform, community, member_id) is not None
