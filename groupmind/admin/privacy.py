"""What a member controls about themselves, and what admins can take out.

`forget_member` deletes everything a community stores about one member. It
walks every key of the community rather than a list of known ones, so state
that other parts add later (profiles, care flags) is covered if it follows the
key conventions: a key under `member:<id>` is deleted, the id is removed from
sets, sorted sets, lists and hash fields, and the member's entries are removed from
every stream whose entries carry an `author` field (with their edits and ids).

A care contact is also taken off the care contacts, and out of the alerts they
handled (`AlertStore.forget_member`): the alerts stay for the member they are
about, with "a former care contact" where their name and notes were.

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
from groupmind.store.care_alerts import AlertStore
from groupmind.events import CommandFile
from groupmind.store.community import CARE_CONTACTS, care_contact_ids
from groupmind.store.keys import CommunityKeys
from groupmind.store.state import Store

_SCAN_COUNT = 500


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
    optout_kept: bool = False
    last_care_contact: bool = False
    """They were the community's last care contact: now there is none."""

    def summary(self) -> str:
        text = (
            f"deleted {self.messages} messages, {self.edits} edits, {self.keys} records about you "
            f"(activity, profile), {self.memberships} index entries and {self.alerts} care alerts; "
            f"removed your id from {self.audit_entries} audit entries"
        )
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
    redis = store.redis
    keys = CommunityKeys(platform, community)
    own = keys.member(member_id)
    special = {keys.optout, keys.audit, keys.alerts, keys.settings}
    name = (await store.member_names(platform, community, [member_id]))[member_id]  # before it is deleted
    done = Forgotten()
    async for key in redis.scan_iter(match=keys.pattern, count=_SCAN_COUNT):
        if key == own or key.startswith(own + ":"):
            done.keys += await redis.delete(key)
        elif key not in special:
            await _forget_in(store, key, member_id, done)
    remaining = await drop_care_contact(store, platform, community, member_id)
    if remaining is not None:
        done.memberships += 1
        done.last_care_contact = remaining == 0
    done.alerts, done.alerts_handled = await AlertStore(redis).forget_member(
        platform, community, member_id, audit.word(name)
    )
    done.audit_entries = await audit.redact(redis, platform, community, member_id)
    done.optout_kept = bool(await redis.sismember(keys.optout, member_id))
    return done


async def _forget_in(store: Store, key: str, member_id: str, done: Forgotten) -> None:
    """Remove the member from one key of whatever type it is."""
    redis = store.redis
    kind = await redis.type(key)
    if kind == "set":
        done.memberships += await redis.srem(key, member_id)
    elif kind == "zset":
        done.memberships += await redis.zrem(key, member_id)
    elif kind == "hash":
        done.memberships += await redis.hdel(key, member_id)
    elif kind == "list":
        done.memberships += await redis.lrem(key, 0, member_id)
    elif kind == "stream":
        authored = [(entry_id, fields.get("id", "")) async for entry_id, fields in store.entries(key)
                    if fields.get("author") == member_id]  # fmt: skip
        if not authored:
            return
        done.messages += await redis.xdel(key, *(entry_id for entry_id, _ in authored))
        if key.endswith(":log"):
            conversation = key.removesuffix(":log")
            message_ids = [message_id for _, message_id in authored]
            done.edits += await redis.hdel(conversation + ":edits", *message_ids)
            await redis.zrem(conversation + ":ids", *message_ids)  # their ids tell when they spoke


async def drop_care_contact(store: Store, platform: str, community: str, member_id: str) -> int | None:
    """Take `member_id` off the care contacts; how many are left, or None if they were not one."""
    key = CommunityKeys(platform, community).settings
    contacts = care_contact_ids(await store.redis.hget(key, CARE_CONTACTS))
    if member_id not in contacts:
        return None
    left = [c for c in contacts if c != member_id]
    await store.redis.hset(key, CARE_CONTACTS, json.dumps(left))
    return len(left)


async def export(store: Store, platform: str, community: str, when: datetime) -> dict[str, object]:
    """Every key the community stores, by name, as plain JSON-ready values."""
    redis = store.redis
    keys = CommunityKeys(platform, community)
    data: dict[str, object] = {}
    async for key in redis.scan_iter(match=keys.pattern, count=_SCAN_COUNT):
        kind = await redis.type(key)
        if kind == "string":
            data[key] = await redis.get(key)
        elif kind == "hash":
            data[key] = await redis.hgetall(key)
        elif kind == "set":
            data[key] = sorted(await redis.smembers(key))
        elif kind == "zset":
            data[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            data[key] = [{"entry": entry_id, **fields} async for entry_id, fields in store.entries(key)]
        elif kind == "list":
            data[key] = await redis.lrange(key, 0, -1)
    return {
        "platform": platform,
        "community": community,
        "exported_at": when.isoformat(),
        "keys": dict(sorted(data.items())),
    }
