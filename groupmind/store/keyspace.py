"""Walking every key of one community: forgetting one member, exporting everything.

Both name the community's keys from its own indexes (`CommunityKeys.every_key`:
its conversations, its members, the people it holds care state about), never by
SCAN: a SCAN walks the whole keyspace, and through one node of a cluster it sees
only that node's keys. Whatever type a key has, the walk handles it: a key under
`member:<id>` is deleted, the id is removed from sets, sorted sets, lists and
hash fields, and the member's entries are removed from every stream whose
entries carry an `author` field (with their edits and ids). The settings,
opt-outs, audit trail and care alerts are left to their own repositories: each
has its own rules for forgetting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from groupmind.store.keys import CommunityKeys
from groupmind.store.state import Store


async def _known_keys(store: Store, keys: CommunityKeys, member_ids: Iterable[str] = ()) -> list[str]:
    """The community's keys that exist, named from its indexes (plus `member_ids`), in one round trip."""
    pipe = store.redis.pipeline(transaction=False)
    for index in (keys.channels, keys.members, keys.optout, keys.care_people):
        pipe.smembers(index)
    channels, members, optout, care_people = await pipe.execute()
    people = sorted(set(members) | set(optout) | set(care_people) | set(member_ids))
    names = keys.every_key(sorted(channels), people)
    pipe = store.redis.pipeline(transaction=False)
    for name in names:
        pipe.exists(name)
    return [name for name, found in zip(names, await pipe.execute()) if found]


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
    for key in await _known_keys(store, keys, [member_id]):
        if key == own or key.startswith(own + ":"):
            done.keys += await redis.delete(key)
        elif key not in special:
            await _forget_in(store, key, member_id, done)
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
    for key in await _known_keys(store, CommunityKeys(platform, community)):
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
