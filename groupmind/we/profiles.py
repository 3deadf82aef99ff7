"""Member profiles, kept in Redis and updated a little with every message.

Each update is a few constant-time commands queued into the message's own
append pipeline: the author joins the conversation's voice list (trimmed to
the recent window), their keywords are stamped with the message time (oldest
dropped), and the member they answered is counted. Nothing is recomputed on
the hot path. Opted-out members and bots are not profiled at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.events import ChatMessage
from groupmind.store.keys import CommunityKeys
from groupmind.we.lexicon import keywords

VOICE_WINDOW = 50
"""Share of voice is counted over this many latest messages of a conversation."""

TOPICS_KEPT = 12
"""Keywords remembered per member, most recently used first."""

ADDRESSED_BY_BOT = "addressed_by_bot"
"""Field of the member activity hash: when the bot last addressed them."""


@dataclass(frozen=True)
class Profile:
    """What the group model knows about one member."""

    member_id: str
    share: float
    """Their fraction of the conversation's latest messages."""
    topics: tuple[str, ...] = ()
    talks_to: dict[str, int] = field(default_factory=dict)
    last_addressed_by_bot: datetime | None = None


def queue_update(
    pipe: RedisPipeline, keys: CommunityKeys, msg: ChatMessage, answered: str | None, names: Iterable[str]
) -> None:
    """Queue the profile update for `msg` (whose author answered member `answered`)."""
    voice = keys.voice(msg.where.conversation)
    pipe.lpush(voice, msg.author_id)
    pipe.ltrim(voice, 0, VOICE_WINDOW - 1)
    stamp = msg.ts.timestamp()
    if words := keywords(msg.text, limit=5, drop=names):
        topics = keys.member_topics(msg.author_id)
        pipe.zadd(topics, {word: stamp for word in words})
        pipe.zremrangebyrank(topics, 0, -TOPICS_KEPT - 1)
    if answered and answered != msg.author_id:
        pipe.hincrby(keys.member_talks_to(msg.author_id), answered, 1)


def queue_addressed_by_bot(pipe: RedisPipeline, keys: CommunityKeys, member_ids: Iterable[str], ts: datetime) -> None:
    """Queue the note that the bot has just addressed these members."""
    for member_id in member_ids:
        pipe.hset(keys.member(member_id), ADDRESSED_BY_BOT, ts.timestamp())


async def read_profiles(
    redis: Redis, keys: CommunityKeys, conversation: str, member_ids: Iterable[str]
) -> dict[str, Profile]:
    """Profiles of `member_ids` in one round trip."""
    ids = list(dict.fromkeys(member_ids))
    pipe = redis.pipeline(transaction=False)
    pipe.lrange(keys.voice(conversation), 0, -1)
    for member_id in ids:
        pipe.zrevrange(keys.member_topics(member_id), 0, -1)
        pipe.hgetall(keys.member_talks_to(member_id))
        pipe.hget(keys.member(member_id), ADDRESSED_BY_BOT)
    voice, *rest = await pipe.execute()
    profiles = {}
    for index, member_id in enumerate(ids):
        topics, talks_to, addressed = rest[3 * index : 3 * index + 3]
        profiles[member_id] = Profile(
            member_id=member_id,
            share=voice.count(member_id) / len(voice) if voice else 0.0,
            topics=tuple(topics),
            talks_to={k: int(v) for k, v in talks_to.items()},
            last_addressed_by_bot=(
                datetime.fromtimestamp(float(addressed), tz=timezone.utc) if addressed else None
            ),
        )
    return profiles
