"""Which messages care labelled as risk, so the guard can keep their text away from the model.

A risk message is flagged the moment care labels it, before any reply could
read it, and the flag lasts as long as the member's risk window. Only ids are
kept, under the member's own key, so forget-me deletes them with the rest.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.care.risk import WINDOW
from groupmind.events import ChatMessage
from groupmind.store.keys import CommunityKeys


async def flag(redis: Redis, msg: ChatMessage) -> None:
    """Note `msg` as one of its author's risk messages; flags older than the risk window are dropped."""
    key = CommunityKeys(msg.platform, msg.community).care_flagged(msg.author_id)
    stamp = msg.ts.timestamp()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(key, {msg.message_id: stamp})
        pipe.zremrangebyscore(key, "-inf", stamp - WINDOW.total_seconds())
        pipe.expire(key, int(WINDOW.total_seconds()))
        await pipe.execute()


def queue_flagged(pipe: RedisPipeline, keys: CommunityKeys, member_id: str, now: datetime) -> None:
    """Queue the read of a member's flagged message ids within the risk window on a Redis pipeline."""
    pipe.zrangebyscore(keys.care_flagged(member_id), now.timestamp() - WINDOW.total_seconds(), "+inf")
