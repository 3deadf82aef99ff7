"""Slack event translation and reply splitting: pure functions, no network."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

import adapters.slack
from adapters.slack.app import SlackConfigError, check_settings
from adapters.slack.names import display_name
from adapters.slack.outgoing import SLACK_TEXT_LIMIT, split_text
from adapters.slack.translate import is_talk, mentioned_ids, render_text, thread_of, to_chat_message
from groupmind.config import Settings


def event(**fields: object) -> dict[str, object]:
    return {"type": "message", "user": "U1", "text": "hi", "channel": "C1", "ts": "1700000000.000100", **fields}


def test_split_keeps_every_character_and_respects_the_limit() -> None:
    paragraphs = ("word " * 600 + "\n") * 3  # 9,003 characters: three paragraphs of 3,001
    pieces = split_text(paragraphs)
    assert "".join(pieces) == paragraphs
    assert [len(p) for p in pieces] == [3001, 3001, 3001], "a newline is preferred over a space"
    words = "word " * 1800  # 9,000 characters, no newline: cut after a space
    pieces = split_text(words)
    assert "".join(pieces) == words
    assert all(0 < len(p) <= SLACK_TEXT_LIMIT and p.endswith(" ") for p in pieces) and len(pieces) == 3


def test_split_cuts_hard_when_there_is_no_space_and_leaves_short_text_alone() -> None:
    assert split_text("x" * 9001) == ["x" * 4000, "x" * 4000, "x" * 1001]
    assert split_text("short") == ["short"]
    assert split_text("") == []
    with pytest.raises(ValueError):
        split_text("abc", limit=0)


def test_mentions_links_and_escapes_render_as_a_member_reads_them() -> None:
    raw = "<@UBOT> ask <@U2|bob> in <#C9|random> about <https://x.org|the doc> &lt;3 &amp;lt;"
    assert mentioned_ids(raw + " <@U2>") == ("UBOT", "U2")
    assert render_text(raw, {"UBOT": "Mind", "U2": "bob"}) == "@Mind ask @bob in #random about the doc <3 &lt;"
    assert render_text("<@U7>", {}) == "@U7", "an unknown id stays visible, not dropped"


def test_threads_and_timestamps() -> None:
    assert thread_of(event()) is None
    assert thread_of(event(thread_ts="1700000000.000100")) is None, "a thread's root is channel-level"
    assert thread_of(event(thread_ts="1699999999.000001")) == "1699999999.000001"
    msg = to_chat_message(event(thread_ts="1699999999.000001", parent_user_id="UBOT"), "T1", {"U1": "alice"}, "UBOT")
    assert (msg.platform, msg.community, msg.channel, msg.thread) == ("slack", "T1", "C1", "1699999999.000001")
    assert msg.where.conversation == "C1/1699999999.000001"
    assert msg.reply_to_bot and msg.author_name == "alice" and msg.message_id == "1700000000.000100"
    assert msg.ts == datetime.fromtimestamp(1700000000.0001, tz=timezone.utc)


def test_a_mention_or_a_dm_addresses_the_bot() -> None:
    mention = to_chat_message(event(text="<@UBOT> hi"), "T1", {"UBOT": "Mind"}, "UBOT")
    assert mention.mentions_bot and mention.text == "@Mind hi"
    assert not to_chat_message(event(), "T1", {}, "UBOT").mentions_bot
    assert to_chat_message(event(channel="D1", channel_type="im"), "T1", {}, "UBOT").mentions_bot
    assert to_chat_message(event(), "T1", {}, "UBOT").author_name == "U1", "no name known: the id"


def test_only_people_talking_count() -> None:
    assert is_talk(event())
    assert is_talk(event(subtype="thread_broadcast"))
    assert not is_talk(event(bot_id="B1"))
    assert not is_talk(event(subtype="bot_message"))
    assert not is_talk(event(subtype="channel_join"))
    assert not is_talk({"type": "message", "text": "no user", "channel": "C1", "ts": "1.0"})


def test_display_name_prefers_what_slack_shows() -> None:
    assert display_name({"id": "U1", "name": "al", "profile": {"display_name": "Alice", "real_name": "A L"}}) == "Alice"
    assert display_name({"id": "U1", "name": "al", "profile": {"display_name": " ", "real_name": "A L"}}) == "A L"
    assert display_name({"id": "U1", "name": "al"}) == "al"
    assert display_name({"id": "U1"}) == "U1"


def test_missing_slack_settings_are_named_and_tokens_never_print() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(SlackConfigError, match="GROUPMIND_SLACK_BOT_TOKEN"):
        check_settings(base)
    bot = base.model_copy(update={"slack_bot_token": SecretStr("xoxb-secret-1")})
    with pytest.raises(SlackConfigError, match="GROUPMIND_SLACK_APP_TOKEN"):
        check_settings(bot)
    with pytest.raises(SlackConfigError, match="GROUPMIND_SLACK_SIGNING_SECRET"):
        check_settings(bot.model_copy(update={"slack_mode": "http"}))
    check_settings(bot.model_copy(update={"slack_app_token": SecretStr("xapp-secret-2")}))
    assert "xoxb-secret-1" not in repr(bot) and "xoxb-secret-1" not in str(bot.model_dump())


def test_the_manifest_subscribes_to_what_the_adapter_reads_and_grants_what_it_calls() -> None:
    manifest = yaml.safe_load((Path(adapters.slack.__file__).parent / "manifest.yaml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.channels", "message.groups", "message.im", "app_home_opened", "reaction_added"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"app_mentions:read", "channels:history", "groups:history", "im:history", "chat:write", "users:read", "im:write",
              "commands", "reactions:read"}
    assert scopes == needed
    assert manifest["settings"]["socket_mode_enabled"] is True
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True, "App Home and DMs"
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/groupmind"]
    assert "commands" in scopes
