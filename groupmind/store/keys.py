"""Redis key names, in one place.

Every key of a community shares the hash tag `{platform:community}`, so one
community lives in one Redis Cluster slot and multi-key pipelines stay legal.
The few global keys carry their own tags (`{care}`, `{due}`, `{work}`) and are
never written in a community's pipeline.

Every key of a community is named from three indexes it keeps itself (its
conversations, its profiled members and the people it holds care state about):
`every_key` lists them, so forget-me and export never SCAN the keyspace (a SCAN
through one node of a cluster sees only that node). A new kind of key must be
added to `community_keys`, `conversation_keys` or `member_keys`; a test walks a
busy community with SCAN and fails on any key these lists miss.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

CARE_COMMUNITIES = "gm:{care}:communities"
"""Set of the JSON `[platform, community]` of every community that ever had a care alert (for /metrics)."""


def _part(value: str) -> str:
    # Braces would end the hash tag early; percent-encode them (and the escape itself).
    return value.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


@dataclass(frozen=True)
class CommunityKeys:
    """Key names for one community."""

    platform: str
    community: str

    @property
    def prefix(self) -> str:
        return f"gm:{{{_part(self.platform)}:{_part(self.community)}}}"

    @property
    def channels(self) -> str:
        """Set of conversation names seen in this community."""
        return f"{self.prefix}:channels"

    @property
    def members(self) -> str:
        """Set of member ids seen in this community."""
        return f"{self.prefix}:members"

    @property
    def settings(self) -> str:
        """Hash of community settings."""
        return f"{self.prefix}:settings"

    @property
    def optout(self) -> str:
        """Set of member ids who opted out of care monitoring and profiling."""
        return f"{self.prefix}:optout"

    @property
    def audit(self) -> str:
        """Stream of admin actions: who, what, when, old and new value."""
        return f"{self.prefix}:audit"

    @property
    def alerts(self) -> str:
        """Hash of care alert id -> alert JSON."""
        return f"{self.prefix}:alerts"

    @property
    def alert_seq(self) -> str:
        """Counter that numbers care alerts, so admins can type a short id."""
        return f"{self.prefix}:alerts:seq"

    @property
    def alert_states(self) -> str:
        """Hash of alert state -> how many of this community's alerts are in it (maintained with the alerts)."""
        return f"{self.prefix}:alerts:states"

    @property
    def care_people(self) -> str:
        """Set of member ids the community holds care state about (sessions, plans, risk), profiled or not."""
        return f"{self.prefix}:care:people"

    @property
    def index_entry(self) -> str:
        """This community's entry in a global index such as `CARE_COMMUNITIES`."""
        return json.dumps([self.platform, self.community])

    @classmethod
    def from_index_entry(cls, entry: str) -> CommunityKeys:
        platform, community = json.loads(entry)
        return cls(platform, community)

    @property
    def community_keys(self) -> list[str]:
        """The community's own keys (not those of one conversation or member)."""
        return [
            self.channels, self.members, self.settings, self.optout, self.audit, self.alerts, self.alert_seq,
            self.alert_states, self.care_pulse, self.care_quiet, self.care_notice, self.care_people,
        ]  # fmt: skip

    def conversation_keys(self, conversation: str) -> list[str]:
        """Every key of one conversation."""
        c = conversation
        return [self.log(c), self.ids(c), self.edits(c), self.voice(c), self.speak(c), self.bot_replies(c),
                self.drift(c), self.drift_anchor(c)]  # fmt: skip

    def member_keys(self, member_id: str) -> list[str]:
        """Every key of one member (all under `member:<id>`)."""
        m = member_id
        return [self.member(m), self.member_days(m), self.member_topics(m), self.member_talks_to(m),
                self.care_risk(m), self.care_rhythm(m), self.care_flagged(m), self.care_session(m),
                self.safety_plan(m)]  # fmt: skip

    def every_key(self, conversations: Iterable[str], member_ids: Iterable[str]) -> list[str]:
        """Every key the community may hold, given its conversations and the members it knows of."""
        names = list(self.community_keys)
        for conversation in conversations:
            names += self.conversation_keys(conversation)
        for member_id in member_ids:
            names += self.member_keys(member_id)
        return names

    @property
    def pattern(self) -> str:
        """A SCAN MATCH pattern for every key of this community."""
        return re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + ":*"

    def log(self, conversation: str) -> str:
        """Stream of messages in one conversation."""
        return f"{self.prefix}:chan:{_part(conversation)}:log"

    def ids(self, conversation: str) -> str:
        """Sorted set of the platform message ids one conversation's stream holds, scored by entry time (dedupe)."""
        return f"{self.prefix}:chan:{_part(conversation)}:ids"

    def edits(self, conversation: str) -> str:
        """Hash of message id -> edited text for one conversation."""
        return f"{self.prefix}:chan:{_part(conversation)}:edits"

    def member(self, member_id: str) -> str:
        """Hash of one member's activity."""
        return f"{self.prefix}:member:{_part(member_id)}"

    def member_days(self, member_id: str) -> str:
        """Sorted set of the days (ordinals) a member spoke on."""
        return f"{self.prefix}:member:{_part(member_id)}:days"

    def voice(self, conversation: str) -> str:
        """List of the latest authors in one conversation, newest first (share of voice)."""
        return f"{self.prefix}:chan:{_part(conversation)}:voice"

    def speak(self, conversation: str) -> str:
        """Hash of the bot's pending reply in one conversation (what it waits to answer)."""
        return f"{self.prefix}:chan:{_part(conversation)}:speak"

    def bot_replies(self, conversation: str) -> str:
        """Sorted set of the bot's recent reply times in one conversation (rate limit)."""
        return f"{self.prefix}:chan:{_part(conversation)}:replies"

    def member_topics(self, member_id: str) -> str:
        """Sorted set of a member's recent keywords, scored by when they last used them."""
        return f"{self.prefix}:member:{_part(member_id)}:topics"

    def member_talks_to(self, member_id: str) -> str:
        """Hash of member id -> how often this member answered them."""
        return f"{self.prefix}:member:{_part(member_id)}:to"

    def delivery(self, event_key: str) -> str:
        """Marker that a platform event was already handled (platforms redeliver)."""
        return f"{self.prefix}:seen:{_part(event_key)}"

    @property
    def care_pulse(self) -> str:
        """Sorted set {"last": epoch}: when the community last spoke (the quiet sweep's reference)."""
        return f"{self.prefix}:care:pulse"

    def care_risk(self, member_id: str) -> str:
        """Hash of one member's decaying care risk score (under `member:`, so forget-me finds it)."""
        return f"{self.member(member_id)}:care:risk"

    def care_rhythm(self, member_id: str) -> str:
        """Hash of one member's usual gaps between messages (for quiet detection)."""
        return f"{self.member(member_id)}:care:rhythm"

    def care_flagged(self, member_id: str) -> str:
        """Sorted set of the ids of one member's risk messages, scored by time (the guard withholds their text)."""
        return f"{self.member(member_id)}:care:flagged"

    def care_session(self, member_id: str) -> str:
        """Hash of the bot's care conversation with one member: what it asked, offered and gave."""
        return f"{self.member(member_id)}:care:session"

    def safety_plan(self, member_id: str) -> str:
        """Hash of one member's safety plan, step name -> their words (under `member:`, so forget-me deletes it)."""
        return f"{self.member(member_id)}:care:plan"

    @property
    def care_quiet(self) -> str:
        """Hash of member id -> the last-seen epoch of the silence already reported (one alert per silence)."""
        return f"{self.prefix}:care:quiet"

    def drift(self, conversation: str) -> str:
        """List of measures of the bot's latest replies in one conversation, newest first (the drift watch)."""
        return f"{self.prefix}:chan:{_part(conversation)}:drift"

    def drift_anchor(self, conversation: str) -> str:
        """Counter of the replies left for which the bot's identity is re-anchored after drift."""
        return f"{self.prefix}:chan:{_part(conversation)}:drift:anchor"

    @property
    def care_notice(self) -> str:
        """What admins must know about care: the last care contact went (and why, never who); until one is added."""
        return f"{self.prefix}:care:notice"
