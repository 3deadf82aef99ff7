"""What the guard says about one text: pass, or block with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Reason(str, Enum):
    """Why a text was blocked; each is a label of the block counter in /metrics."""

    CARE_ECHO = "care_echo"
    """Public text that repeats what a member at risk said."""
    CARE_LINK = "care_link"
    """Public text that ties a member in care to a care contact, or to risk."""
    METHOD = "method"
    """Method, lethality, dose, height or means details while someone is at risk."""
    IDENTITY = "identity"
    """Claims to be human, or to have a human name."""
    IMPERSONATION = "impersonation"
    """Writes a line as someone else (`name: ...`)."""
    PROMPT_LEAK = "prompt_leak"
    """Repeats the bot's own instructions."""
    NOTES_LEAK = "notes_leak"
    """Repeats the bracketed notes about the room."""
    CONTROL_TOKEN = "control_token"
    """A chat-template or control token of any model family."""
    JUNK = "junk"
    """Markup, runs of symbols, a word or phrase looping."""
    MENTIONS = "mentions"
    """A run of mentions, or a mass mention."""
    REPEAT = "repeat"
    """A near-copy of one of the bot's own recent replies."""
    MIRROR = "mirror"
    """A near-copy of a message just said (the last few members' messages)."""
    NORM = "norm"
    """Breaks a house rule the group taught (a language, an avoided topic, a length) and could not be mended."""
    UNGROUNDED = "ungrounded"
    """Shares too little with what the members said (`grounding`): a reply about nothing."""

    @property
    def touches_care(self) -> bool:
        """Whether the blocked text may hold what a member at risk said: it is never written down."""
        return self in CARE_REASONS


CARE_REASONS = frozenset({Reason.CARE_ECHO, Reason.CARE_LINK, Reason.METHOD})


@dataclass(frozen=True)
class Verdict:
    """Pass (no reason) or block, with the reason and a short detail for the audit log."""

    reason: Reason | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.reason is None


PASS = Verdict()


def block(reason: Reason, detail: str) -> Verdict:
    return Verdict(reason, detail)
