"""What a member controls about themselves, and what admins can take out.

`forget_member` deletes everything a community stores about one member. It
walks every key of the community (`groupmind.store.keyspace`), so state that
other parts add later (profiles, care flags) is covered if it follows the key
conventions.

Their votes on the group's norms go too (a norm only they taught goes with
them, unless an admin pinned it). A care contact is also taken off the care contacts, and out of the alerts they
handled (`CareAlerts.forget_member`): the alerts stay for the member they are
about, with "a former care contact" where their name and notes were.

The lasting group model is cleared of them as well (`GroupMemory.forget_member`):
what it credits to them (expertise, jokes, decisions) and anything naming them.

Two things are kept on purpose:
- the opt-out flag, if the member had opted out: forgetting someone must not
  silently resume monitoring them; `optin` removes it;
- other members' messages, even when they mention the forgotten member: they
  belong to their authors. The bot's own replies are kept for the same reason.
The audit trail keeps what admins did but replaces the member's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from groupmind.admin import audit
from groupmind.care.kinds import FOLLOW_UP
from groupmind.events import CommandFile
from groupmind.store import keyspace
from groupmind.store.care_records import CareRecords
from groupmind.store.settings import CARE_CONTACTS
from groupmind.store.state import Store


@dataclass
class Forgotten:
    """Counts of what `forget_member` deleted."""

    messages: int = 0
    edits: int = 0
    keys: int = 0
    memberships: int = 0
    alerts: int = 0
    alerts_handled: int = 0
    audit_entries: int = 0
    norm_votes: int = 0
    """Their votes taken out of the group's norms (a norm only they taught goes, unless an admin pinned it)."""
    optout_kept: bool = False
    last_care_contact: bool = False
    """They were the community's last care contact: now there is none."""

    def summary(self) -> str:
        text = (
            f"deleted {self.messages} messages, {self.edits} edits, {self.keys} records about you "
            f"(activity, profile), {self.memberships} index entries and {self.alerts} care alerts; "
            f"removed your id from {self.audit_entries} audit entries"
        )
        if self.norm_votes:
            text += f"; took your {self.norm_votes} votes out of the house rules"
        if self.alerts_handled:
            text += f"; took your name and notes out of {self.alerts_handled} care alerts you handled"
        return text


def save_export(file: CommandFile, data_dir: Path) -> Path:
    """Write an export under `<data_dir>/exports`, readable by the owner only; returns its path.

    For places that cannot hand the admin a file (the terminal room, Slack's
    slash-command reply): the export stays on the groupmind host.
    """
    exports = Path(data_dir) / "exports"
    exports.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = exports / file.name
    path.write_bytes(file.data)
    path.chmod(0o600)
    return path


async def forget_member(store: Store, platform: str, community: str, member_id: str) -> Forgotten:
    """Delete everything stored about `member_id` in one community; returns the counts."""
    name = (await store.member_names(platform, community, [member_id]))[member_id]  # before it is deleted
    called = await store.member_facts.call_name(platform, community, member_id)
    in_memory = await store.group_memory.forget_member(platform, community, member_id, (name, *filter(None, [called])))
    erased = await keyspace.forget_member(store, platform, community, member_id)
    done = Forgotten(messages=erased.messages, edits=erased.edits, keys=erased.keys, memberships=erased.memberships)
    done.memberships += in_memory
    remaining = await drop_care_contact(store, platform, community, member_id)
    if remaining is not None:
        done.memberships += 1
        done.last_care_contact = remaining == 0
    done.alerts, done.alerts_handled = await CareRecords.of(store).alerts.forget_member(
        platform, community, member_id, audit.word(name)
    )
    await store.due.cancel(FOLLOW_UP, platform, community, member_id)  # their care check-in names them
    done.norm_votes = await store.norms.forget_member(platform, community, member_id)
    done.audit_entries = await audit.redact(store.audit, platform, community, member_id)
    done.optout_kept = await store.settings.is_opted_out(platform, community, member_id)
    return done


async def drop_care_contact(store: Store, platform: str, community: str, member_id: str) -> int | None:
    """Take `member_id` off the care contacts; how many are left, or None if they were not one."""
    contacts = (await store.settings.read(platform, community)).care_contacts
    if member_id not in contacts:
        return None
    left = [c for c in contacts if c != member_id]
    await store.settings.set(platform, community, CARE_CONTACTS, json.dumps(left))
    return len(left)


async def export(store: Store, platform: str, community: str, when: datetime) -> dict[str, object]:
    """Every key the community stores, by name, as plain JSON-ready values."""
    return {
        "platform": platform,
        "community": community,
        "exported_at": when.isoformat(),
        "keys": await keyspace.export(store, platform, community),
    }
