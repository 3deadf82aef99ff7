"""Members' safety plans: made one step at a time with the bot in private, kept for the member alone.

The steps follow the Stanley-Brown safety planning intervention: warning signs,
things that help, people and places for distraction, people to ask for help,
professionals and crisis lines, making the place safer. A plan lives under the
member's key, so forget-me deletes it, and it does not expire: it is theirs
until they say otherwise. `MemorySafetyPlans` is the in-memory twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from groupmind.store.keys import CommunityKeys

STEPS = ("warning signs", "things that help", "people and places that distract", "people to ask for help",
         "professionals and crisis lines", "making my place safer")  # fmt: skip
MAX_ANSWER = 300
"""A step's words are cut to this many characters: a plan is read at a glance."""


@dataclass(frozen=True)
class SafetyPlan:
    """One member's plan: their words for each step, '' where not answered yet."""

    answers: tuple[str, ...] = ("",) * len(STEPS)

    @property
    def empty(self) -> bool:
        return not any(self.answers)

    def render(self) -> str:
        """The plan as the member reads it, one numbered line per step they answered."""
        return "\n".join(f"{i}. {STEPS[i - 1].capitalize()}: {a}" for i, a in enumerate(self.answers, 1) if a)


class SafetyPlans(Protocol):
    async def load(self, platform: str, community: str, member_id: str) -> SafetyPlan:
        """The member's plan; an empty one when they have none."""
        ...

    async def answer(self, platform: str, community: str, member_id: str, step: int, text: str) -> None:
        """Keep the member's words for step `step` (0-based)."""
        ...


def _plan(raw: dict[str, str]) -> SafetyPlan:
    return SafetyPlan(tuple(raw.get(name, "") for name in STEPS))


class RedisSafetyPlans:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def load(self, platform: str, community: str, member_id: str) -> SafetyPlan:
        return _plan(await self.redis.hgetall(CommunityKeys(platform, community).safety_plan(member_id)))

    async def answer(self, platform: str, community: str, member_id: str, step: int, text: str) -> None:
        keys = CommunityKeys(platform, community)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.safety_plan(member_id), STEPS[step], " ".join(text.split())[:MAX_ANSWER])
        pipe.sadd(keys.care_people, member_id)  # so export and forget-me find them without a SCAN
        await pipe.execute()


class MemorySafetyPlans:
    def __init__(self) -> None:
        self.plans: dict[tuple[str, str, str], dict[str, str]] = {}

    async def load(self, platform: str, community: str, member_id: str) -> SafetyPlan:
        return _plan(self.plans.get((platform, community, member_id), {}))

    async def answer(self, platform: str, community: str, member_id: str, step: int, text: str) -> None:
        self.plans.setdefault((platform, community, member_id), {})[STEPS[step]] = " ".join(text.split())[:MAX_ANSWER]
