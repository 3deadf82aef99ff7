"""Walking every key of one community: forgetting one member, exporting everything.

Both walk the community's keys rather than a list of known ones, so state that
other parts add later (profiles, care flags) is covered if it follows the key
conventions (`groupmind.store.keys`): a key under `member:<id>` is deleted, the
id is removed from sets, sorted sets, lists and hash fields, and the member's
entries are removed from every stream whose entries carry an `author` field
(with their edits and ids). The settings, opt-outs, audit trail and care alerts
are left to their own repositories: each has its own rules for forgetting.
"""

from __future__ import annotations

from dataclasses import dataclass

from groupmind.store.keys import CommunityKeys
from groupmind.store.state import Store

_SCAN_COUNT = 500


@dataclass
class Erased:
    """Counts of what `forget_member` deleted."""

    messages: int = 0
    edits: int = 0
    keys: int = 0
    memberships: int = 0


async def forget_member(store: Store, platform: str, community: str, member_id: str) -> Erased:
    """Delete the member's keys and take them out of every other key of the community."""
    redis = store.redis
    keys = CommunityKeys(platform, community)
    own = keys.member(member_id)
    special = {keys.optout, keys.audit, keys.alerts, keys.settings}
    done = Erased()
    async for key in redis.scan_iter(match=keys.pattern, count=_SCAN_COUNT):
        if key == own or key.startswith(own + ":"):
            done.keys += await redis.delete(key)
        elif key not in special:
            await _forget_in(store, key, member_id, done)
    await redis.incr(keys.revision)  # their messages are gone: every process re-reads its kept windows
    return done


async def _forget_in(store: Store, key: str, member_id: str, done: Erased) -> None:
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


async def export(store: Store, platform: str, community: str) -> dict[str, object]:
    """Every key the community stores, by name, as plain JSON-ready values, sorted by name."""
    redis = store.redis
    data: dict[str, object] = {}
    async for key in redis.scan_iter(match=CommunityKeys(platform, community).pattern, count=_SCAN_COUNT):
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
    return dict(sorted(data.items()))
