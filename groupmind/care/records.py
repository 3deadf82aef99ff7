"""Read-modify-write of one small Redis hash, safe with several workers.

Care state (a member's risk, their rhythm) is updated from its previous value.
WATCH/MULTI retries when another worker changed the hash in between, so no
update is lost and no Lua has to mirror the Python logic.
"""

from __future__ import annotations

from typing import Callable, Mapping

from redis.asyncio import Redis
from redis.exceptions import WatchError

Fields = Mapping[str, str | int | float]


async def update_hash(
    redis: Redis, key: str, change: Callable[[dict[str, str]], Fields | None], *, ttl_s: int | None = None
) -> Fields | None:
    """Replace `key`'s fields with `change(current)`; None from `change` writes nothing."""
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                new = change(await pipe.hgetall(key))
                if new is None:
                    await pipe.reset()
                    return None
                pipe.multi()
                pipe.hset(key, mapping=dict(new))
                if ttl_s:
                    pipe.expire(key, ttl_s)
                await pipe.execute()
                return new
            except WatchError:
                continue
