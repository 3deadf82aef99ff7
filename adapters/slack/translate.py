"""Slack events to core models: pure functions, so every field mapping is unit tested.

A Slack message is identified by its channel and `ts`; the `ts` is the message id
the core stores. A reply in a thread (its `thread_ts` differs from its own `ts`)
lives in the conversation `channel/thread_ts`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

from groupmind.events import MAX_EMOJI_CHARS, ChatMessage, Reaction

PLATFORM = "slack"

TALK_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
"""Message subtypes that are someone talking; joins, topics and the like are not."""

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def mentioned_ids(text: str) -> tuple[str, ...]:
    """User ids mentioned as `<@U…>`, in order, without repeats."""
    return tuple(dict.fromkeys(_MENTION.findall(text)))


def render_text(text: str, names: Mapping[str, str]) -> str:
    """Slack markup as a member reads it: `<@U1>` becomes `@Name`, links their label."""
    text = _MENTION.sub(lambda m: "@" + names.get(m[1], m[1]), text)
    text = _CHANNEL.sub(lambda m: "#" + m[1], text)
    text = _LINK.sub(lambda m: m[2] or m[1], text)
    # Slack escapes exactly these three; &amp; last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Text shown literally by Slack: a quoted `<!here>` or `<@U1>` must not ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def thread_of(event: Mapping[str, Any]) -> str | None:
    """The thread a message is a reply in, or None for a channel-level message."""
    thread_ts = event.get("thread_ts")
    return thread_ts if thread_ts and thread_ts != event.get("ts") else None


def is_from_bot(event: Mapping[str, Any]) -> bool:
    """True for messages written by any bot or app, this one included."""
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message" or "user" not in event


def is_talk(event: Mapping[str, Any]) -> bool:
    """True for a message event that is a person saying something."""
    return event.get("subtype") in TALK_SUBTYPES and not is_from_bot(event)


def slack_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


def to_chat_message(
    event: Mapping[str, Any],
    team: str,
    names: Mapping[str, str],
    bot_user_id: str | None,
) -> ChatMessage:
    """A person's Slack message event as a ChatMessage; `names` maps user ids to display names."""
    raw = event.get("text") or ""
    mentions = mentioned_ids(raw)
    thread = thread_of(event)
    user = event["user"]
    return ChatMessage(
        platform=PLATFORM,
        community=team,
        channel=event["channel"],
        thread=thread,
        message_id=event["ts"],
        author_id=user,
        author_name=names.get(user, user),
        text=render_text(raw, names),
        mentions=mentions,
        # A direct message is addressed to the bot by being sent to it.
        mentions_bot=bot_user_id in mentions or event.get("channel_type") == "im",
        reply_to=thread,
        reply_to_bot=thread is not None and event.get("parent_user_id") == bot_user_id,
        ts=slack_time(event["ts"]),
    )


def to_reaction(event: Mapping[str, Any], team: str, text: str, bot_user_id: str | None) -> Reaction | None:
    """A `reaction_added` event on a message as a Reaction; None for one on a file or without a user.

    Slack names the emoji (`thumbsdown`, `-1`); a skin tone (`+1::skin-tone-2`) says nothing more.
    The event does not say which thread the message is in: the reaction belongs to the channel.
    """
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user") or not item.get("channel") or not item.get("ts"):
        return None
    return Reaction(
        platform=PLATFORM,
        community=team,
        channel=item["channel"],
        message_id=item["ts"],
        member_id=event["user"],
        emoji=str(event.get("reaction") or "?").split("::", 1)[0][:MAX_EMOJI_CHARS],
        on_bot=bool(bot_user_id) and event.get("item_user") == bot_user_id,
        text=text,
        ts=slack_time(event.get("event_ts") or item["ts"]),
    )
