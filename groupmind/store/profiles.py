"""Member profiles, updated a little with every message.

Each update is a few constant-time commands: the author joins the
conversation's voice list (trimmed to the recent window), their keywords are
stamped with the message time (oldest dropped), and the member they answered is
counted. On the per-message path the store queues it into the message's own
append (`Store.append(..., profile_update=...)`), so it costs no extra round
trip. What the keywords are is the we model's; here they are kept.
`RedisProfiles` and its in-memory twin `MemoryProfiles` pass the same contract tests.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as RedisPipeline

from groupmind.events import ChannelRef
from groupmind.store.keys import CommunityKeys

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


@dataclass(frozen=True)
class ProfileUpdate:
    """What one message adds to its author's profile."""

    author_id: str
    ts: datetime
    words: tuple[str, ...] = ()
    answered: str | None = None
    """The member the author answered, if any."""


class ProfilesRepo(Protocol):
    """The profiles of every member, per conversation where it counts (share of voice)."""

    async def update(self, where: ChannelRef, update: ProfileUpdate) -> None:
        """Apply one message's update (the per-message path batches it with the append instead)."""

    async def read(self, where: ChannelRef, member_ids: Iterable[str]) -> dict[str, Profile]:
        """Profiles of `member_ids` in `where`, in one round trip."""

    async def addressed_by_bot(self, where: ChannelRef, member_ids: Iterable[str], ts: datetime) -> None:
        """Note that the bot has just addressed these members."""


def queue_update(pipe: RedisPipeline, keys: CommunityKeys, conversation: str, update: ProfileUpdate) -> None:
    """Queue one message's profile update into `pipe` (the store's own pipelines only)."""
    voice = keys.voice(conversation)
    pipe.lpush(voice, update.author_id)
    pipe.ltrim(voice, 0, VOICE_WINDOW - 1)
    if update.words:
        topics = keys.member_topics(update.author_id)
        pipe.zadd(topics, {word: update.ts.timestamp() for word in update.words})
        pipe.zremrangebyrank(topics, 0, -TOPICS_KEPT - 1)
    if update.answered and update.answered != update.author_id:
        pipe.hincrby(keys.member_talks_to(update.author_id), update.answered, 1)


def _profile(member_id: str, voice: list[str], topics: Iterable[str], talks_to: dict[str, int],
             addressed: float | None) -> Profile:  # fmt: skip
    return Profile(
        member_id=member_id,
        share=voice.count(member_id) / len(voice) if voice else 0.0,
        topics=tuple(topics),
        talks_to=dict(talks_to),
        last_addressed_by_bot=datetime.fromtimestamp(addressed, tz=timezone.utc) if addressed else None,
    )


class RedisProfiles:
    """`ProfilesRepo` on a voice list per conversation and topic, talks-to and activity keys per member."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def update(self, where: ChannelRef, update: ProfileUpdate) -> None:
        pipe = self.redis.pipeline(transaction=False)
        queue_update(pipe, CommunityKeys(where.platform, where.community), where.conversation, update)
        await pipe.execute()

    async def read(self, where: ChannelRef, member_ids: Iterable[str]) -> dict[str, Profile]:
        keys = CommunityKeys(where.platform, where.community)
        ids = list(dict.fromkeys(member_ids))
        pipe = self.redis.pipeline(transaction=False)
        pipe.lrange(keys.voice(where.conversation), 0, -1)
        for member_id in ids:
            pipe.zrevrange(keys.member_topics(member_id), 0, -1)
            pipe.hgetall(keys.member_talks_to(member_id))
            pipe.hget(keys.member(member_id), ADDRESSED_BY_BOT)
        voice, *rest = await pipe.execute()
        profiles = {}
        for index, member_id in enumerate(ids):
            topics, talks_to, addressed = rest[3 * index : 3 * index + 3]
            counts = {k: int(v) for k, v in talks_to.items()}
            profiles[member_id] = _profile(member_id, voice, topics, counts, float(addressed) if addressed else None)
        return profiles

    async def addressed_by_bot(self, where: ChannelRef, member_ids: Iterable[str], ts: datetime) -> None:
        keys = CommunityKeys(where.platform, where.community)
        pipe = self.redis.pipeline(transaction=False)
        for member_id in member_ids:
            pipe.hset(keys.member(member_id), ADDRESSED_BY_BOT, ts.timestamp())
        await pipe.execute()


class MemoryProfiles:
    """`ProfilesRepo` in memory: the twin of `RedisProfiles`, for tests without a server."""

    def __init__(self) -> None:
        self.voices: dict[tuple[str, str, str], list[str]] = {}
        self.topics: dict[tuple[str, str, str], dict[str, float]] = {}
        self.talks_to: dict[tuple[str, str, str], Counter[str]] = {}
        self.addressed: dict[tuple[str, str, str], float] = {}

    async def update(self, where: ChannelRef, update: ProfileUpdate) -> None:
        at = (where.platform, where.community, where.conversation)
        self.voices[at] = [update.author_id, *self.voices.get(at, [])][:VOICE_WINDOW]
        member = (where.platform, where.community, update.author_id)
        if update.words:
            topics = self.topics.setdefault(member, {})
            topics.update({word: update.ts.timestamp() for word in update.words})
            kept = sorted(topics.items(), key=lambda item: (item[1], item[0]))[-TOPICS_KEPT:]
            self.topics[member] = dict(kept)
        if update.answered and update.answered != update.author_id:
            self.talks_to.setdefault(member, Counter())[update.answered] += 1

    async def read(self, where: ChannelRef, member_ids: Iterable[str]) -> dict[str, Profile]:
        voice = self.voices.get((where.platform, where.community, where.conversation), [])
        profiles = {}
        for member_id in dict.fromkeys(member_ids):
            member = (where.platform, where.community, member_id)
            topics = sorted(self.topics.get(member, {}).items(), key=lambda item: (item[1], item[0]), reverse=True)
            talks_to = dict(self.talks_to.get(member, {}))
            profiles[member_id] = _profile(member_id, voice, (w for w, _ in topics), talks_to, self.addressed.get(member))
        return profiles

    async def addressed_by_bot(self, where: ChannelRef, member_ids: Iterable[str], ts: datetime) -> None:
        for member_id in member_ids:
            self.addressed[(where.platform, where.community, member_id)] = ts.timestamp()
