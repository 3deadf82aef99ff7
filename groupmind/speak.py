"""When the bot speaks. For now: when it is addressed (name, mention, reply to it).

The channel's mode (set by admins, read from the store by the pipeline) comes
first: `quiet` never speaks. `active` will join in when the room invites it;
until that policy lands it speaks when addressed, like `mention`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groupmind.events import ChatMessage


@dataclass(frozen=True)
class Decision:
    """Whether to speak, and why: every decision carries its reason."""

    speak: bool
    reason: str


def names_bot(text: str, bot_name: str) -> bool:
    """True if `text` uses the bot's name as a word ("Mind," yes; "mindful" no)."""
    return re.search(rf"(?<!\w){re.escape(bot_name)}(?!\w)", text, re.IGNORECASE) is not None


def decide(msg: ChatMessage, bot_name: str, mode: str = "mention") -> Decision:
    """Decide whether to answer `msg` in a channel of the given mode."""
    if mode == "quiet":
        return Decision(False, "quiet mode")
    if msg.author_is_bot:
        return Decision(False, "a bot wrote it")
    if msg.is_blank:
        return Decision(False, "empty message")
    if msg.mentions_bot:
        return Decision(True, "mentioned")
    if msg.reply_to_bot:
        return Decision(True, "reply to the bot")
    if names_bot(msg.text, bot_name):
        return Decision(True, "named")
    return Decision(False, "not addressed")
