"""A community's care settings, read in one place.

Admins set them with `/gm care ...` (`groupmind.admin`): the care contacts, the
region whose crisis line is offered, whether a quiet member may get a private
hello, and how readily distress is noticed. Every part of care reads them
through `read_settings` and `named`, so the settings store can change behind them.
"""

from __future__ import annotations

from dataclasses import dataclass

from groupmind.events import Member
from groupmind.store import Store
from groupmind.store.settings import CARE_DEFAULTS, CARE_REGION, CARE_SENSITIVITY, CommunitySettings


@dataclass(frozen=True)
class CareSettings:
    """One community's care settings as stored: the care contacts are ids."""

    contact_ids: tuple[str, ...] = ()
    region: str = CARE_DEFAULTS[CARE_REGION]
    checkins: bool = True
    sensitivity: str = CARE_DEFAULTS[CARE_SENSITIVITY]


@dataclass(frozen=True)
class CareConfig:
    """One community's care settings, with its care contacts resolved to members."""

    contacts: tuple[Member, ...] = ()
    region: str = CARE_DEFAULTS[CARE_REGION]
    checkins: bool = True
    sensitivity: str = CARE_DEFAULTS[CARE_SENSITIVITY]

    @property
    def contact_name(self) -> str | None:
        """Whom the bot names when it offers a human: the first care contact."""
        return self.contacts[0].display_name if self.contacts else None


async def read_settings(store: Store, platform: str, community: str) -> CareSettings:
    """The community's care settings (one read); unset ones take their defaults."""
    return care_settings(await store.settings.read(platform, community))


def care_settings(stored: CommunitySettings) -> CareSettings:
    """The care settings among a community's settings (read with the message: `we.Noted.settings`)."""
    return CareSettings(
        contact_ids=stored.care_contacts,
        region=stored.care_region,
        checkins=stored.care_checkins,
        sensitivity=stored.care_sensitivity,
    )


async def named(store: Store, platform: str, community: str, settings: CareSettings) -> CareConfig:
    """`settings` with the care contacts' names, as the protocol speaks of them."""
    names = await store.member_names(platform, community, settings.contact_ids)
    return CareConfig(
        contacts=tuple(Member(id=i, display_name=names[i]) for i in settings.contact_ids),
        region=settings.region,
        checkins=settings.checkins,
        sensitivity=settings.sensitivity,
    )


async def read_config(store: Store, platform: str, community: str) -> CareConfig:
    """The community's care settings with named care contacts."""
    return await named(store, platform, community, await read_settings(store, platform, community))
