"""The real slack-bolt app, real Socket Mode client and real Redis, against the fake Slack.

Every test runs groupmind's Slack adapter as `groupmind run` starts it
(`adapters.slack.connected`), talking to `tests/e2e/fake_slack.py` on loopback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import json
import logging
import time
from typing import Any
import aiohttp
import pytest
from pydantic import SecretStr
from slack_bolt.async_app import AsyncRespond
from slack_sdk.signature import SignatureVerifier

from adapters.slack import connected, slack_platform
from adapters.slack.app import web_client
from adapters.slack.names import DisplayNames
from adapters.slack.outgoing import SlackSender
from adapters.slack.translate import escape
from groupmind.store.care_alerts import AlertStore
from groupmind.care.courier import render_alert
from groupmind.config import Settings
from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member
from groupmind.ingress import Directory
from groupmind.llm.engine import Engine
from groupmind.llm.local import LocalEngine
from groupmind.pipeline import Pipeline
from groupmind.store import Store
from tests.helpers import Scripted, msg
from tests.e2e.fake_slack import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    TEAM,
    FakeSlack,
    dm_channel,
    dm_event,
    event_callback,
    home_opened_event,
    message_event,
    wait_for,
)

SIGNING_SECRET = "fake-signing-secret"


@pytest.fixture
def slack_settings(settings: Settings, fake: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": fake.base_url,
            "slack_http_host": "127.0.0.1",
            "slack_http_port": 0,
            "burst_settle_s": 0.5,  # replies come from the settle timer, quickly
        }
    )


def on_slack(store: Store, settings: Settings, engine: Engine | None = None) -> Pipeline:
    """A pipeline built with the Slack platform, as `groupmind run` builds it."""
    return Pipeline(store, engine, settings, platforms=[slack_platform(settings, Directory(store).alerts_for)])


@pytest.fixture
def listener(store: Store, slack_settings: Settings) -> Pipeline:
    """A listen-only pipeline: stores everything, never generates."""
    return on_slack(store, slack_settings)


def conversation(channel: str = "C1", thread: str | None = None) -> ChannelRef:
    return ChannelRef(platform="slack", community=TEAM, channel=channel, thread=thread)


async def stored(store: Store, count: int, where: ChannelRef | None = None) -> list[ChatMessage]:
    """The conversation's messages, once at least `count` are stored."""

    async def window() -> list[ChatMessage] | None:
        messages = await store.window(where or conversation(), 50)
        return messages if len(messages) >= count else None

    return await wait_for(window, timeout=60)  # type: ignore[no-any-return]


@pytest.mark.model
async def test_app_mention_is_answered_once_in_a_thread_by_the_model(
    fake: FakeSlack, slack_settings: Settings, store: Store, engine: LocalEngine
) -> None:
    pipeline = on_slack(store, slack_settings, engine)
    async with connected(slack_settings, pipeline), pipeline.scheduler.running():
        first = await fake.send_event(message_event("I just adopted a puppy named Biscuit!", ts=fake.next_ts()))
        await stored(store, 1)
        ts = fake.next_ts()
        text = f"<@{BOT_USER}> what should we teach Biscuit first?"
        mention = message_event(text, user="U2", ts=ts, type="app_mention")
        # Slack delivers a mention twice (app_mention and message.channels), then may retry one.
        envelopes = [
            first,
            await fake.send_event(mention, event_id="EvMENTION"),
            await fake.send_event(message_event(text, user="U2", ts=ts), event_id="EvMESSAGE"),
            await fake.send_event(mention, event_id="EvMENTION", retry_attempt=1),
        ]
        await wait_for(lambda: all(e in fake.acks for e in envelopes))
        history = await stored(store, 3)
        reply = history[-1]
        assert reply.author_is_bot and reply.text.strip()
        await wait_for(lambda: fake.posted and fake.posted[0]["text"] == reply.text, timeout=10)

    assert len(history) == 3 and len(fake.posted) == 1, "one mention, delivered three times, answered once"
    assert (fake.posted[0]["channel"], fake.posted[0]["thread_ts"]) == ("C1", ts)
    asked = history[1]
    assert (asked.author_name, asked.text, asked.mentions_bot) == ("bob", "@Mind what should we teach Biscuit first?", True)
    shown = [c.at for c in fake.calls if c.method in ("chat.postMessage", "chat.update")]
    assert all(later - earlier >= 0.9 for earlier, later in zip(shown, shown[1:])), "edits at most once a second"


async def test_plain_messages_are_stored_with_names_and_a_retry_is_stored_once(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with connected(slack_settings, listener):
        ts = fake.next_ts()
        event = message_event("hi <@U2>, did you see <https://x.org|this>?", ts=ts)
        envelopes = [
            await fake.send_event(event, event_id="EvONE"),
            await fake.send_event(event, event_id="EvONE", retry_attempt=1),
            await fake.send_event(event, event_id="EvONE", retry_attempt=2),
        ]
        await stored(store, 1)
        envelopes.append(await fake.send_event(message_event("and again", ts=fake.next_ts())))
        messages = await stored(store, 2)
        await wait_for(lambda: all(e in fake.acks for e in envelopes))
    assert [(m.author_name, m.text) for m in messages] == [("alice", "hi @bob, did you see this?"), ("alice", "and again")]
    assert await store.stored_count(conversation()) == 2, "the retries were not stored again"
    assert [c.params["user"] for c in fake.calls_to("users.info")] == ["U1", "U2"], "names are cached"
    assert fake.posted == [], "a listen-only pipeline never speaks"
    assert "apps.connections.open" in caplog.text and "users.info" in caplog.text, "debug logs were captured"
    assert BOT_TOKEN not in caplog.text and APP_TOKEN not in caplog.text, "tokens never reach the logs"


async def test_edits_and_deletes_reach_redis_in_channels_and_threads(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    root, reply = fake.next_ts(), fake.next_ts()
    thread = conversation(thread=root)
    async with connected(slack_settings, listener):
        await fake.send_event(message_event("we meet at 5", ts=root))
        await fake.send_event(message_event("I can come", user="U2", ts=reply, thread_ts=root))
        await stored(store, 1)
        await stored(store, 1, thread)
        changed = {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "ts": fake.next_ts(),
            "message": {"type": "message", "user": "U1", "text": "we meet at 6 <@U2>", "ts": root},
            "previous_message": {"type": "message", "user": "U1", "text": "we meet at 5", "ts": root},
        }
        await fake.send_event(changed)
        await wait_for(lambda: _texts(store, conversation(), ["we meet at 6 @bob"]))
        deleted = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C1",
            "ts": fake.next_ts(),
            "deleted_ts": reply,
            "previous_message": {"type": "message", "user": "U2", "text": "I can come", "ts": reply, "thread_ts": root},
        }
        await fake.send_event(deleted)
        await wait_for(lambda: _texts(store, thread, []))
    assert await store.stored_count(conversation()) == 1


async def _texts(store: Store, where: ChannelRef, expected: list[str]) -> bool:
    return [m.text for m in await store.window(where, 50)] == expected


async def test_own_and_other_bots_messages_are_ignored(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    own = {"type": "message", "text": "my reply", "channel": "C1", "ts": fake.next_ts(), "bot_id": BOT_ID, "user": BOT_USER}
    other = {"type": "message", "subtype": "bot_message", "text": "deploy done", "channel": "C1", "ts": fake.next_ts(), "bot_id": "B2"}
    own_edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "ts": fake.next_ts(),
        "message": {"type": "message", "text": "my reply, longer", "ts": own["ts"], "bot_id": BOT_ID, "user": BOT_USER},
    }
    async with connected(slack_settings, listener):
        for event in (own, other, own_edit):
            await fake.send_event(event)
        await fake.send_event(message_event("a person", ts=fake.next_ts()))
        messages = await stored(store, 1)
        await wait_for(lambda: len(fake.acks) == 4)
    assert [m.text for m in messages] == ["a person"]
    assert await store.conversations("slack", TEAM) == ["C1"]


async def test_a_rate_limited_care_dm_is_retried_and_arrives(fake: FakeSlack, slack_settings: Settings) -> None:
    fake.rate_limit["chat.postMessage"] = 1
    sender = SlackSender(web_client(slack_settings))
    delivery = await sender.send_private("U1", "I'm here if you want to talk.")
    assert delivery.ok and delivery.channel == "D1" and delivery.error is None
    assert [(m["channel"], m["text"]) for m in fake.posted] == [("D1", "I'm here if you want to talk.")]
    first, second = fake.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0, "the retry waited for Retry-After"


async def test_a_care_dm_that_cannot_be_delivered_says_why(fake: FakeSlack, slack_settings: Settings) -> None:
    sender = SlackSender(web_client(slack_settings))
    delivery = await sender.send_private("U404", "hello")
    assert (delivery.ok, delivery.error) == (False, "user_not_found")
    revoked = SlackSender(web_client(slack_settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-revoked")})))
    assert (await revoked.send_private("U1", "hello")).error == "invalid_auth"
    assert fake.posted == [], "nothing went anywhere else instead"


async def test_a_long_streamed_reply_is_split_in_its_thread(fake: FakeSlack, slack_settings: Settings) -> None:
    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    sender = SlackSender(web_client(slack_settings), clock=lambda: now[0], sleep=sleep)
    stream = sender.stream("C1", thread_ts="1700000000.000001")
    reply = ("lorem ipsum " * 250 + "\n") * 3  # three paragraphs of 3,001 characters
    for start in range(0, 2000, 100):  # 20 pieces, 1/8 s apart: 2.5 s of streaming
        await stream.feed(reply[start : start + 100])
        now[0] += 0.125
    assert len(fake.posted) == 1 and len(fake.calls_to("chat.update")) == 2, "posted at 0 s, edited at 1 s and 2 s"
    assert fake.posted[0]["text"] == reply[:1700], "the edit at 2 s showed what had streamed by then"
    await stream.finish(reply)
    assert waited == [0.5], "the final edit waited out the rest of the second"
    assert [len(m["text"]) for m in fake.posted] == [3001, 3001, 3001]
    assert "".join(m["text"] for m in fake.posted) == reply
    assert {m["thread_ts"] for m in fake.posted} == {"1700000000.000001"}


async def test_display_names_expire_and_the_cache_is_bounded(fake: FakeSlack, slack_settings: Settings) -> None:
    now = [0.0]
    names = DisplayNames(web_client(slack_settings), ttl_s=60, max_size=1, clock=lambda: now[0])
    assert await names.name("U1") == "alice"
    fake.add_user("U1", "alice2")
    assert await names.name("U1") == "alice", "cached"
    now[0] = 61
    assert await names.name("U1") == "alice2", "expired, looked up again"
    assert await names.name("U2") == "bob"
    assert await names.name("U1") == "alice2"
    assert len(fake.calls_to("users.info")) == 4, "max_size=1: U2 pushed U1 out"
    assert await names.name("U404") == "U404", "an unknown user keeps their id as name"


async def test_http_mode_checks_signatures_and_ignores_retries(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    settings = slack_settings.model_copy(update={"slack_mode": "http", "slack_app_token": SecretStr("")})
    body = json.dumps(event_callback(message_event("over http", ts=fake.next_ts())))
    signer = SignatureVerifier(SIGNING_SECRET)

    def headers(signature: str | None = None, **extra: str) -> dict[str, str]:
        stamp = str(int(time.time()))
        return {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or signer.generate_signature(timestamp=stamp, body=body),
            **extra,
        }

    async with connected(settings, listener) as adapter, aiohttp.ClientSession() as http:
        assert adapter.http_url and fake.connections == 0
        forged = SignatureVerifier("wrong-secret").generate_signature(timestamp=str(int(time.time())), body=body)
        async with http.post(adapter.http_url, data=body, headers=headers(forged)) as response:
            assert response.status == 401
        async with http.post(adapter.http_url, data=body, headers=headers()) as response:
            assert response.status == 200
        async with http.post(adapter.http_url, data=body, headers=headers(**{"X-Slack-Retry-Num": "1"})) as response:
            assert response.status == 200
        messages = await stored(store, 1)
        await wait_for(lambda: len(fake.calls_to("users.info")) == 1)
    assert [m.text for m in messages] == ["over http"]
    assert await store.stored_count(conversation()) == 1


async def test_the_slash_command_is_acked_at_once_and_answered_through_the_seam(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline
) -> None:
    release = asyncio.Event()
    received: list[tuple[str, str]] = []

    async def run_command(text: str, body: dict[str, Any], respond: AsyncRespond) -> None:
        received.append((text, body["user_id"]))
        await release.wait()  # a slow admin command: the ack must not wait for it
        await respond(f"done: {text}")

    async with connected(slack_settings, listener, run_command):
        envelope = await fake.send_command("status", user="U2")
        await wait_for(lambda: envelope in fake.acks, timeout=3)
        assert received == [("status", "U2")] and fake.responses == []
        release.set()
        await wait_for(lambda: fake.responses)
    assert fake.responses[0]["text"] == "done: status"


async def test_groupmind_runs_the_admin_layer_for_workspace_admins_and_refuses_others(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    fake.add_user("U1", "alice")
    fake.users["U1"]["is_admin"] = True
    fake.add_user("U2", "bob")
    fake.add_user("U3", "carol")
    settings = slack_settings.model_copy(update={"slack_admins": ["U3"]})
    async with connected(settings, listener):
        for text, user in (("mode quiet", "U2"), ("mode quiet", "U1"), ("care region XX1", "U3"), ("export", "U3")):
            await fake.send_command(text, user=user)
            count = len(fake.responses) + 1
            await wait_for(lambda: len(fake.responses) == count)
    refused, changed, usage, exported = fake.responses
    assert all(r["response_type"] == "ephemeral" for r in fake.responses)
    assert "for community admins only; nothing was changed" in refused["text"]
    assert "quiet" in changed["text"]
    assert usage["text"].startswith("usage: /gm care region CODE")
    assert dict((await store.settings.read("slack", TEAM)).fields) == {"mode:C1": "quiet"}
    path = Path(exported["text"].rsplit("saved on the groupmind host: ", 1)[1])
    assert path.is_relative_to(settings.data_dir) and '"mode:C1": "quiet"' in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


async def test_a_recycled_socket_reconnects_and_nothing_is_missed(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    async with connected(slack_settings, listener):
        await fake.send_event(message_event("before", ts=fake.next_ts()))
        await stored(store, 1)
        await fake.ask_to_reconnect()
        await fake.send_event(message_event("after", ts=fake.next_ts()))  # waits for the new socket's hello
        messages = await stored(store, 2)
    assert [m.text for m in messages] == ["before", "after"]
    assert fake.connections == 2 and len(fake.calls_to("apps.connections.open")) == 2


# --- care on Slack: alert DMs, the App Home tab, private messages ---------------------------------------


async def alert_about(store: Store, member: str = "U1", excerpt: str = "I have the pills counted out <!channel>") -> CareAlert:
    return await AlertStore(store.redis).create(
        member=Member(id=member, display_name="alice" if member == "U1" else member),
        where=conversation(),
        why="imminent: a plan and a time",
        excerpt=excerpt,
        urgency="imminent",
        bot_said="Are you safe right now? I'm staying right here with you.",
    )


async def test_a_care_alert_reaches_the_contact_by_dm_and_their_home_tab_lists_it(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # slack_sdk logs request bodies at DEBUG; groupmind runs at WARNING
    await store.settings.set("slack", TEAM, "care.contacts", json.dumps(["U2"]))
    alert = await alert_about(store)
    async with connected(slack_settings, listener) as adapter:
        delivered = await adapter.platform.to_contact(alert, Member(id="U2", display_name="bob"), render_alert(alert))
        spoke = await adapter.platform.to_member(conversation(), Member(id="U1", display_name="alice"), "I'm here.")
    assert delivered and spoke
    (dm_to_contact, dm_to_member) = fake.posted
    assert dm_to_contact["channel"] == "D2" and dm_to_member["channel"] == "D1", "DMs only, never a channel"
    text = dm_to_contact["text"]
    assert text.startswith("Care alert #1 (imminent): alice in #C1") and "Are you safe right now?" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text, "a quoted @channel pings nobody"
    assert "/groupmind alerts ack 1" in text and "/groupmind alerts resolve 1" in text
    home = json.dumps(fake.views["U2"], ensure_ascii=False)
    assert "#1 · imminent" in home and "I have the pills counted out" in home and "<#C1>" in home
    assert list(fake.views) == ["U2"], "only the contact's tab was refreshed"
    assert "pills" not in caplog.text, "care text never reaches the logs above DEBUG"


async def test_a_contact_who_left_or_cannot_be_reached_gets_false_and_nothing_is_sent(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    fake.add_user("U3", "carol")
    fake.deactivate("U2")
    alert = await alert_about(store)
    text = render_alert(alert)
    async with connected(slack_settings, listener) as adapter:
        courier = adapter.platform
        assert not await courier.to_contact(alert, Member(id="U2", display_name="bob"), text), "deactivated"
        assert not await courier.to_contact(alert, Member(id="U404", display_name="gone"), text), "unknown"
        assert fake.calls_to("conversations.open") == [], "users.info said they left: no DM was tried"
        assert not await courier.to_member(conversation(), Member(id="U2", display_name="bob"), "hello"), "DM refused"
        fake.rate_limit["conversations.open"] = 10  # Slack keeps refusing past the retries
        assert not await courier.to_contact(alert, Member(id="U3", display_name="carol"), text)
    assert fake.posted == [] and fake.views == {}, "nothing went anywhere else instead"


async def test_the_home_tab_shows_a_contact_their_open_alerts_and_nobody_else_any(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    fake.add_user("U3", "carol")
    await store.settings.set("slack", TEAM, "care.contacts", json.dumps(["U2", "U3"]))
    about_alice = await alert_about(store)
    about_carol = await alert_about(store, member="U3", excerpt="nobody would notice if I was gone")
    closed = await alert_about(store, excerpt="an old worry")
    await AlertStore(store.redis).resolve("slack", TEAM, closed.id, Member(id="U2", display_name="bob"))
    async with connected(slack_settings, listener):
        for user, tab in (("U2", "home"), ("U3", "home"), ("U1", "home"), ("U1", "messages")):
            await fake.send_event(home_opened_event(user, tab))
        await wait_for(lambda: len(fake.views) == 3)
        await wait_for(lambda: len(fake.acks) == 4)
    contact, other_contact, member = (json.dumps(fake.views[u], ensure_ascii=False) for u in ("U2", "U3", "U1"))
    assert f"#{about_alice.id} · imminent" in contact and f"#{about_carol.id} · imminent" in contact
    assert "an old worry" not in contact, "resolved alerts are not listed"
    assert f"/groupmind alerts ack {about_alice.id}" in contact
    assert f"#{about_alice.id} · " in other_contact and "nobody would notice" not in other_contact, (
        "a contact never sees an alert about themselves"
    )
    assert "Care alerts" not in member and "pills" not in member and "not a care contact" in member
    assert len(fake.calls_to("views.publish")) == 3, "opening the Messages tab publishes nothing"


async def test_a_members_dm_reaches_care_and_is_answered_by_dm_and_other_dms_are_ordinary_talk(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    await store.settings.set("slack", TEAM, "care.contacts", json.dumps(["U2"]))
    disclosure = dm_event("everyone would be better off without me", ts=fake.next_ts())
    async with connected(slack_settings, listener):
        await fake.send_event(dm_event("what time is the meetup on friday?", ts=fake.next_ts()))
        chat = await stored(store, 1, conversation(dm_channel("U1")))
        first = await fake.send_event(disclosure, event_id="EvDM")
        again = await fake.send_event(disclosure, event_id="EvDM", retry_attempt=1)
        await wait_for(lambda: fake.posted)
        await wait_for(lambda: first in fake.acks and again in fake.acks)
        follow_up = await fake.send_event(dm_event("I don't know, maybe", ts=fake.next_ts()))
        await wait_for(lambda: len(fake.posted) == 2 and follow_up in fake.acks)
        await asyncio.sleep(0.5)  # room for a wrongly answered retry to show up
    assert {m["channel"] for m in fake.posted} == {"D1"}, "care answered by DM, and only by DM"
    asked, stayed = (m["text"] for m in fake.posted)
    assert "?" in asked and "better off without me" not in asked, "it asks directly, without repeating it"
    assert stayed and stayed != asked, "the care talk goes on, and the retry was answered once"
    assert [m.text for m in await store.window(conversation("D1"), 50)] == [m.text for m in chat], (
        "ordinary DM talk is stored; care talk is kept out of the logs"
    )


async def test_an_ordinary_dm_first_is_answered_by_dm_and_nowhere_else(
    fake: FakeSlack, slack_settings: Settings, store: Store
) -> None:
    """The member has never spoken in a channel; their first words to the bot are a DM care does not take.

    The model is a fake that streams a fixed reply: this judges where the answer goes, not its words.
    """
    answer = "Saturday at noon, by the lake."
    talker = on_slack(store, slack_settings, Scripted(answer))
    async with connected(slack_settings, talker), talker.scheduler.running():
        await fake.send_event(dm_event("what's the plan for saturday?", ts=fake.next_ts()))
        await wait_for(lambda: fake.posted)
        await asyncio.sleep(0.3)  # room for a second, wrong post to show up
    [reply] = fake.posted
    assert reply["channel"] == "D1" and reply["text"].endswith(answer)


async def test_an_imminent_message_in_a_channel_alerts_the_care_contact_by_dm_only(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    await store.settings.set("slack", TEAM, "care.contacts", json.dumps(["U2"]))
    async with connected(slack_settings, listener):
        await fake.send_event(message_event("I want to kill myself tonight", ts=fake.next_ts()))
        alert_dm = await wait_for(lambda: [m for m in fake.posted if m["channel"] == "D2"])
        await wait_for(lambda: "U2" in fake.views)
    (alert,) = await AlertStore(store.redis).list("slack", TEAM)
    assert alert.urgency == "imminent" and alert.member.id == "U1"
    assert alert_dm[0]["text"].startswith(f"Care alert #{alert.id} (imminent): alice in #C1")
    assert "kill myself" in alert_dm[0]["text"], "the contact sees the excerpt"
    in_channel = [m["text"] for m in fake.posted if not m["channel"].startswith("D")]
    assert all("kill" not in t and "alert" not in t.lower() for t in in_channel), "nothing of it in public"
    assert any(m["channel"] == "D1" for m in fake.posted), "the member is talked with privately"
    assert f"#{alert.id} · imminent" in json.dumps(fake.views["U2"], ensure_ascii=False)


async def test_a_queue_worker_without_a_gateway_still_reaches_care_contacts(
    fake: FakeSlack, slack_settings: Settings, listener: Pipeline, store: Store
) -> None:
    from adapters.workers import worker_platforms

    await store.settings.set("slack", TEAM, "care.contacts", json.dumps(["U2"]))
    async with worker_platforms(slack_settings, Directory(store)) as platforms:
        worker = Pipeline(store, None, slack_settings, platforms=platforms)
        assert "slack" in worker.platforms and "slack" in worker.care.escalation.platforms
        said = msg("alice", "I want to kill myself tonight", platform="slack", community=TEAM, channel="C1", author_id="U1")
        replies = await worker.handle(said, deliver=False)  # as a queued job does: saved, then delivered
    assert len(replies) == 1  # the public acknowledgement, for the worker to post
    channels = [p["channel"] for p in fake.posted]
    assert channels.count("D1") == 1 and channels.count("D2") == 1 and "C1" not in channels


async def test_a_streamed_reply_shows_markup_literally_and_never_links_names(
    fake: FakeSlack, slack_settings: Settings
) -> None:
    sender = SlackSender(web_client(slack_settings), min_interval_s=0.0)
    stream = sender.stream("C1")
    await stream.feed("heads up <!channel> <!here|here> ")
    await stream.feed("<!subteam^S1> <@U2> & <#C2>")
    await stream.finish("heads up <!channel> <!here|here> <!subteam^S1> <@U2> & <#C2>, see you")
    await sender.say("C1", "and <!everyone>")
    shown = [m["text"] for m in fake.posted]
    assert shown == [
        "heads up &lt;!channel&gt; &lt;!here|here&gt; &lt;!subteam^S1&gt; &lt;@U2&gt; &amp; &lt;#C2&gt;, see you",
        "and &lt;!everyone&gt;",
    ]
    sent = fake.calls_to("chat.postMessage") + fake.calls_to("chat.update")
    assert len(sent) >= 3 and all(c.params["link_names"] is False for c in sent)
    assert not any("<" in c.params["text"] for c in sent), "no markup ever reached Slack"


@pytest.mark.model
async def test_members_named_everyone_here_and_channel_are_answered_without_a_ping(
    fake: FakeSlack, slack_settings: Settings, store: Store, engine: LocalEngine
) -> None:
    from tests.hostile.conftest import MASS_MENTION

    for user, name in (("U7", "everyone"), ("U8", "here"), ("U9", "channel")):
        fake.add_user(user, name)
    now = time.time()  # the members are in the room now, so the reply's lead names them
    pipeline = on_slack(store, slack_settings, engine)
    async with connected(slack_settings, pipeline), pipeline.scheduler.running():
        await fake.send_event(message_event("hi all, I'm back", user="U8", ts=f"{now - 2:.6f}"))
        await fake.send_event(message_event("welcome back!", user="U9", ts=f"{now - 1:.6f}"))
        text = f"<@{BOT_USER}> what should we cook tonight?"
        await fake.send_event(message_event(text, user="U7", ts=f"{now:.6f}", type="app_mention"))
        reply = (await stored(store, 4))[-1]
        # the stored reply has no lead; Slack gets the lead, then the reply
        await wait_for(lambda: fake.posted and fake.posted[-1]["text"].endswith(escape(reply.text)), timeout=10)
    assert reply.author_is_bot and fake.posted[-1]["text"].startswith("@\u200beveryone"), "the caller is addressed by name"
    sent = fake.calls_to("chat.postMessage") + fake.calls_to("chat.update")
    assert sent and all(c.params["link_names"] is False for c in sent)
    assert not any(MASS_MENTION.search(c.params["text"]) for c in sent)


async def test_replies_to_the_bot_in_threads_are_answered_there_without_its_name(
    fake: FakeSlack, slack_settings: Settings, store: Store
) -> None:
    """Mention mode. Slack replies are threads: a thread on the bot's message, and the thread the bot's
    own answer opened on a member's message (`slack_reply_in_thread`), both address the bot; a member's
    thread the bot is not in does not. The model is a fake with a fixed reply: this judges where it goes,
    so grounding (whether the reply is about the question) is off."""
    answer = "Lemon and chili work well."
    talker = on_slack(store, slack_settings.model_copy(update={"grounding_min": 0.0}), Scripted(answer))
    async with connected(slack_settings, talker), talker.scheduler.running():
        bots_root = fake.next_ts()
        await fake.send_event(message_event("and without garlic?", user="U2", ts=fake.next_ts(), thread_ts=bots_root, parent_user_id=BOT_USER))
        await wait_for(lambda: fake.posted)
        assert [(p["thread_ts"], p["text"].endswith(answer)) for p in fake.posted] == [(bots_root, True)]

        asked = fake.next_ts()
        await fake.send_event(message_event(f"<@{BOT_USER}> a quick pasta for four?", user="U1", ts=asked))
        await wait_for(lambda: len(fake.posted) == 2)
        assert fake.posted[1]["thread_ts"] == asked, "answered in a new thread on the question"
        await fake.send_event(message_event("thanks, and for two?", user="U1", ts=fake.next_ts(), thread_ts=asked, parent_user_id="U1"))
        await wait_for(lambda: len(fake.posted) == 3)
        assert fake.posted[2]["thread_ts"] == asked

        members = fake.next_ts()
        await fake.send_event(message_event("I don't mind, you pick", user="U2", ts=fake.next_ts(), thread_ts=members, parent_user_id="U1"))
        await stored(store, 1, conversation(thread=members))
        await asyncio.sleep(1.2)  # well past the settle wait: a wrong answer would be out by now
    assert len(fake.posted) == 3
