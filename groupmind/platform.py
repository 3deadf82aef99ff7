"""What the core may ask of a platform: the one contract every adapter implements.

The core decides what to say and to whom; a `Platform` only carries it. Each
adapter (Discord, Slack, the local room, a queue worker's REST clients)
implements this with its SDK, and the pipeline is built with them, keyed by
`name`, and never changed after. A platform that needs to ask the core
something back (a community's care channel, the alerts a care contact may see)
is given that lookup when it is built (`groupmind.ingress.Directory`). Sends
report whether they arrived, so care can fall back to the next contact or the
audit log instead of losing an alert.
"""

from __future__ import annotations

from typing import AsyncContextManager, AsyncIterator, Protocol

from groupmind.events import CareAlert, ChannelRef, Member


class Platform(Protocol):
    """One platform's way out of the core."""

    name: str
    """The `platform` field of the messages it brings in ("discord", "slack", "local")."""

    async def send(self, where: ChannelRef, text: str, *, reply_to: str | None = None) -> bool:
        """Post `text` in the conversation `where`, answering the message `reply_to` when given.

        False when the platform refused it (the message that made it is stored already).
        """
        ...

    async def stream(self, where: ChannelRef, chunks: AsyncIterator[str], *, reply_to: str | None = None) -> bool:
        """Post a reply as it is written (edited in place, or sent whole where a platform cannot edit)."""
        ...

    def typing(self, where: ChannelRef) -> AsyncContextManager[None]:
        """Show that the bot is writing in `where` while the block runs (a no-op where a platform cannot).

        Never raises for a refused indicator: the reply after it matters more.
        """
        ...

    async def to_member(self, where: ChannelRef, member: Member, text: str) -> bool:
        """Say `text` to `member` privately (a DM); `where` is the channel the talk began in.

        False when it cannot reach them (closed DMs, left the community).
        """
        ...

    async def to_contact(self, alert: CareAlert, contact: Member, text: str) -> bool:
        """Deliver `alert`, rendered as `text`, privately to one care contact; False if they cannot be reached."""
        ...

    async def to_admins(self, where: ChannelRef, text: str) -> bool:
        """Say `text` privately to the admins of `where`'s community; False where the platform cannot tell who they are."""
        ...

    async def member(self, community: str, member_id: str) -> Member | None:
        """Name a person: the member as the platform knows them now, None if unknown or gone."""
        ...
