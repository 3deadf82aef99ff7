"""The Discord adapter end to end: the real discord.py client against the fake Discord on loopback.

Redis is the real test server; replies come from the real default model where
a reply is the point, and from a listen-only pipeline where only storage is.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import discord
import pytest
import yarl

from adapters.discord.client import DiscordAdapter, DiscordStartError, discord_adapter, gateway_intents, run_discord
from adapters.discord.outbox import StreamedReply
from adapters.discord.private import Outcome, send_private, send_to_care_channel
from adapters.discord.split import split_message
from adapters.discord.translate import DM_COMMUNITY, PLATFORM
from groupmind.config import Settings
from groupmind.care.courier import render_alert
from groupmind.events import CareAlert, ChannelRef, ChatMessage, Member
from groupmind.llm.local import LocalEngine
from groupmind.events import utcnow
from groupmind.runtime import Core
from groupmind.store import Store
from tests.helpers import Scripted, msg
from tests.e2e.fake_discord import API, BOT, BOT_ID, CARE_CHANNEL_ID, CHANNEL_ID, GUILD_ID, OLD_THREAD_ID, THREAD_ID, TOKEN, FakeDiscord, Request, user

ALICE_ID, OTHER_BOT_ID, CLOSED_ID = 100_000_000_000_000_001, 100_000_000_000_000_002, 100_000_000_000_000_003
BOB_ID, CAROL_ID = 100_000_000_000_000_004, 100_000_000_000_000_005
BOB, CAROL = (Member(id=str(i), display_name=name) for i, name in ((BOB_ID, "bob"), (CAROL_ID, "carol")))
ALICE = user(ALICE_ID, "alice")
OTHER_BOT = user(OTHER_BOT_ID, "otherbot", bot=True)
CHANNEL = ChannelRef(platform=PLATFORM, community=str(GUILD_ID), channel=str(CHANNEL_ID))
THREAD = CHANNEL.model_copy(update={"thread": str(THREAD_ID)})
MODEL_WAIT_S = 120.0
"""A reply's generation on a busy 2-core machine can take a while."""


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    # Discord cannot be reached from tests and discord.py has no base-URL option, so its two
    # URL constants (REST base, gateway) are pointed at the fake: the only mocking here.
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.stop()


@asynccontextmanager
async def online(core: Core, dev_guilds: list[int] | None = None) -> AsyncIterator[DiscordAdapter]:
    """The adapter logged in and READY (guild_ready_timeout: the fake sends its one guild at once),
    its pipeline's scheduler running."""
    client = DiscordAdapter(core.directory.care_channel, dev_guilds=dev_guilds or (), guild_ready_timeout=0.05)
    pipeline = core.pipeline([client.platform])
    async with pipeline.scheduler.running():
        running = asyncio.create_task(client.serve(pipeline, TOKEN))
        try:
            await asyncio.wait_for(client.wait_until_ready(), 15)
            yield client
        finally:
            await client.close()
            with suppress(asyncio.CancelledError):
                await running


async def run(core: Core, settings: Settings) -> None:
    """What `groupmind run` does with Discord."""
    client = discord_adapter(settings, core.directory.care_channel)
    await run_discord(client, core.pipeline([client.platform]), settings)


@pytest.fixture
def listening(store: Store, settings: Settings) -> Core:
    return Core(store, None, settings, utcnow)


@pytest.fixture
def talking(store: Store, settings: Settings, engine: LocalEngine) -> Core:
    # Replies come from the scheduler once the burst is quiet for half a second.
    return Core(store, engine, settings.model_copy(update={"burst_settle_s": 0.5}), utcnow)


async def stored(store: Store, where: ChannelRef) -> list[ChatMessage]:
    return await store.window(where, 50)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until `check()` holds: gateway events are handled in the client's own tasks."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def texts(store: Store, *where: ChannelRef) -> list[str]:
    return [m.text for conversation in where for m in await stored(store, conversation)]


async def until_stored(store: Store, where: ChannelRef, count: int, timeout: float = 10.0) -> list[ChatMessage]:
    async def enough() -> bool:
        return await store.stored_count(where) >= count

    await eventually(enough, timeout)
    return await store.window(where, count)


async def test_login_identifies_with_explicit_intents(fake: FakeDiscord, listening: Core) -> None:
    async with online(listening) as client:
        assert client.user is not None and client.user.id == BOT_ID
        assert client.get_guild(GUILD_ID) is not None
    assert fake.identify is not None and fake.identify["token"] == TOKEN
    assert fake.identify["intents"] == gateway_intents().value
    assert gateway_intents().message_content and not gateway_intents().members


async def test_a_wrong_token_is_a_clear_start_error_without_the_token(
    fake: FakeDiscord, listening: Core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    settings = Settings(_env_file=None, discord_token="not-the-token")  # type: ignore[call-arg]
    with pytest.raises(DiscordStartError, match="refused the token") as failure:
        await run(listening, settings)
    assert "not-the-token" not in str(failure.value) + caplog.text


async def test_a_disallowed_message_content_intent_says_where_to_switch_it_on(
    fake: FakeDiscord, listening: Core
) -> None:
    fake.message_content_allowed = False
    settings = Settings(_env_file=None, discord_token=TOKEN)  # type: ignore[call-arg]
    with pytest.raises(DiscordStartError, match="Privileged Gateway Intents"):
        await asyncio.wait_for(run(listening, settings), 30)


async def test_guild_thread_and_dm_messages_are_stored_as_chat_messages(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    dm = fake.dm_channel(ALICE_ID)
    async with online(listening):
        said = fake.message(ALICE, f"hey <@{BOT_ID}> look", mentions=(BOT,), nick="Ali")
        await fake.dispatch("MESSAGE_CREATE", said)
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "@everyone meeting now"))
        bot_said = fake.message(BOT, "an earlier answer")
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "thanks!", replying_to=bot_said))
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "in the thread", channel_id=THREAD_ID))
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "just between us", channel_id=dm))
        channel = await until_stored(store, CHANNEL, 3)
        thread = await until_stored(store, THREAD, 1)
        private = await until_stored(store, ChannelRef(platform=PLATFORM, community=DM_COMMUNITY, channel=str(dm)), 1)
    # Each event is handled in its own task, so messages a millisecond apart may be stored in either order.
    by_text = {m.text.split()[-1]: m for m in channel}
    mention, everyone, thanks = by_text["look"], by_text["now"], by_text["thanks!"]
    assert (mention.message_id, mention.author_id, mention.author_name) == (said["id"], str(ALICE_ID), "Ali")
    assert mention.text == "hey @groupmind look" and mention.mentions == (str(BOT_ID),) and mention.mentions_bot
    assert abs((mention.ts - datetime.now(timezone.utc)).total_seconds()) < 60
    assert everyone.author_name == "alice" and not everyone.mentions_bot
    assert thanks.reply_to == bot_said["id"] and thanks.reply_to_bot and not thanks.mentions_bot
    assert [m.text for m in thread] == ["in the thread"] and thread[0].where.conversation == f"{CHANNEL_ID}/{THREAD_ID}"
    assert private[0].text == "just between us" and private[0].mentions_bot, "a DM is addressed to the bot"
    assert fake.sent() == [], "listen-only: nothing is said"


async def test_edits_and_deletes_reach_redis_through_raw_events(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    first, second, third = (fake.message(ALICE, text) for text in ("typo hre", "keep me", "oops"))
    in_thread = fake.message(ALICE, "thread typo", channel_id=THREAD_ID)
    async with online(listening):
        for said in (first, second, third, in_thread):
            await fake.dispatch("MESSAGE_CREATE", said)
        await until_stored(store, CHANNEL, 3)
        await until_stored(store, THREAD, 1)
        edited = {**first, "content": f"typo here <@{BOT_ID}>", "mentions": [BOT], "edited_timestamp": first["timestamp"]}
        await fake.dispatch("MESSAGE_UPDATE", edited)
        await fake.dispatch("MESSAGE_UPDATE", {**in_thread, "content": "thread fixed"})
        await fake.dispatch("MESSAGE_DELETE", {"id": third["id"], "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)})
        await eventually(lambda: _same(texts(store, CHANNEL, THREAD), ["typo here @groupmind", "keep me", "thread fixed"]))
        await fake.dispatch(
            "MESSAGE_DELETE_BULK", {"ids": [first["id"], second["id"]], "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)}
        )
        await eventually(lambda: _same(texts(store, CHANNEL, THREAD), ["thread fixed"]))



async def test_an_uncached_thread_is_looked_up_so_its_messages_keep_their_conversation(
    fake: FakeDiscord, listening: Core, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    old_thread = CHANNEL.model_copy(update={"thread": str(OLD_THREAD_ID)})
    said = fake.message(ALICE, "reviving an old thread", channel_id=OLD_THREAD_ID)
    async with online(listening):
        await fake.dispatch("MESSAGE_CREATE", said)
        await until_stored(store, old_thread, 1)
        await fake.dispatch("MESSAGE_DELETE", {"id": said["id"], "channel_id": str(OLD_THREAD_ID), "guild_id": str(GUILD_ID)})
        await eventually(lambda: _same(texts(store, old_thread), []))
        await fake.dispatch("MESSAGE_DELETE", {"id": "1", "channel_id": "100000000000000999", "guild_id": str(GUILD_ID)})
        await fake.wait_for(lambda: "100000000000000999 unknown to Discord (404); event dropped" in caplog.text)
    assert fake.sent(f"/channels/{OLD_THREAD_ID}", method="GET"), "the thread was fetched over REST"
    assert await store.conversations(PLATFORM, str(GUILD_ID)) == [old_thread.conversation]


async def test_a_message_sent_during_a_gateway_drop_arrives_after_the_resume(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    async with online(listening):
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "before the drop"))
        await until_stored(store, CHANNEL, 1)
        await fake.drop_connection()
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "while it was away"))
        await asyncio.wait_for(fake.resumed.wait(), 30)
        await until_stored(store, CHANNEL, 2)
    assert await texts(store, CHANNEL) == ["before the drop", "while it was away"]
    assert fake.replayed == ["MESSAGE_CREATE"], "the session was resumed, not started again"


async def test_a_burst_of_events_is_stored_whole(fake: FakeDiscord, listening: Core, store: Store) -> None:
    """Each event is its own task, so a burst is hundreds of concurrent stores: they must queue, not fail."""
    burst = [fake.message(ALICE, f"line {n}") for n in range(300)]
    async with online(listening):
        for said in burst:
            await fake.dispatch("MESSAGE_CREATE", said)
        await until_stored(store, CHANNEL, len(burst), timeout=60)
    assert sorted(m.message_id for m in await store.window(CHANNEL, 1000)) == sorted(said["id"] for said in burst)


async def test_a_long_reply_is_split_and_its_streamed_edits_are_throttled(fake: FakeDiscord, listening: Core) -> None:
    text = "\n".join(f"Point {n}: " + "the group keeps talking, and the bot keeps listening. " * 3 for n in range(30))
    pieces = [text[i : i + 90] for i in range(0, len(text), 90)]
    async with online(listening) as client:
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        reply = StreamedReply(channel, min_interval=0.5)
        for piece in pieces:
            await reply.feed(piece)
            await asyncio.sleep(0.01)
        messages = await reply.finish()
    chunks = split_message(text)
    assert len(chunks) >= 3 and [m.content for m in messages] == chunks
    creates, edits = fake.sent(f"/channels/{CHANNEL_ID}/messages"), fake.sent(method="PATCH", path_suffix="")
    assert len(creates) == len(chunks) and 0 < len(edits) < len(pieces) / 3
    updates = sorted(r.at for r in creates + edits)
    rounds = [updates[0]] + [b for a, b in zip(updates, updates[1:]) if b - a > 0.2]
    assert all(b - a >= 0.45 for a, b in zip(rounds, rounds[1:])), rounds
    assert all(r.body["allowed_mentions"] == {"parse": []} for r in creates + edits)


async def test_a_429_is_retried_and_the_message_still_arrives(fake: FakeDiscord, listening: Core) -> None:
    fake.rate_limit_once.add(("POST", f"{API}/channels/{CHANNEL_ID}/messages"))
    async with online(listening) as client:
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        reply = StreamedReply(channel)
        await reply.feed("this must not be lost")
        messages = await reply.finish()
    assert len(fake.limited) == 1 and fake.limited[0].body["content"] == "this must not be lost"
    assert [r.body["content"] for r in fake.sent()] == ["this must not be lost"]
    assert fake.sent()[0].at - fake.limited[0].at >= 0.3, "discord.py waited retry_after"
    assert [m.content for m in messages] == ["this must not be lost"]


async def test_a_private_message_reports_closed_dms_clearly(fake: FakeDiscord, listening: Core) -> None:
    fake.closed_dms.add(CLOSED_ID)
    async with online(listening) as client:
        sent = await send_private(client, ALICE_ID, "Checking in: how are you doing?")
        closed = await send_private(client, CLOSED_ID, "Checking in: how are you doing?")
        blank = await send_private(client, ALICE_ID, "  ")
    assert sent.delivered and sent.outcome is Outcome.SENT and len(sent.message_ids) == 1
    [delivered] = fake.sent(f"/channels/{fake.dm_channel(ALICE_ID)}/messages")
    assert delivered.body["content"] == "Checking in: how are you doing?"
    assert delivered.body["allowed_mentions"] == {"parse": []}
    assert not closed.delivered and closed.outcome is Outcome.DMS_CLOSED and "closed" in closed.detail
    assert not blank.delivered and blank.outcome is Outcome.FAILED and "blank" in blank.detail


async def _same(actual: Awaitable[list[str]], expected: list[str]) -> bool:
    """Same texts in any order: each gateway event is handled in its own task."""
    return sorted(await actual) == sorted(expected)


@pytest.mark.model
async def test_a_mention_in_a_thread_gets_a_typed_streamed_reply_that_cannot_mass_ping(
    fake: FakeDiscord, talking: Core, store: Store
) -> None:
    said = fake.message(ALICE, f"<@{BOT_ID}> what should we call the new project?", channel_id=THREAD_ID, mentions=(BOT,))

    def shown() -> str:
        """What Discord shows now: the last edit, or the message as first sent."""
        updates = fake.sent(f"/channels/{THREAD_ID}/messages") + fake.sent(method="PATCH", path_suffix="")
        return max(updates, key=lambda r: r.at).body["content"] if updates else ""

    async with online(talking):
        await fake.dispatch("MESSAGE_CREATE", said)
        window = await until_stored(store, THREAD, 2, MODEL_WAIT_S)
        reply_text = window[1].text.strip()  # stored without the lead the adapter posts before it
        await fake.wait_for(lambda: shown() == f"@alice {reply_text}")
    assert window[0].message_id == said["id"] and window[1].author_is_bot and reply_text
    creates = fake.sent(f"/channels/{THREAD_ID}/messages")
    assert len(creates) == 1, "one short reply, in the thread"
    first = creates[0]
    assert first.body["message_reference"]["message_id"] == int(said["id"])
    assert first.body["allowed_mentions"] == {"parse": [], "replied_user": True}, "nobody but the asker is notified"
    typing = fake.sent(f"/channels/{THREAD_ID}/typing")
    assert typing and typing[0].at <= first.at, "typing shows while the reply is generated"
    edits = fake.sent(method="PATCH", path_suffix="")
    assert all(e.body["allowed_mentions"] == {"parse": []} for e in edits)
    assert all(b.at - a.at >= 0.95 for a, b in zip([first, *edits], edits)), "at most one update a second"
    assert fake.sent(f"/channels/{CHANNEL_ID}/messages") == []


@pytest.mark.model
async def test_members_named_everyone_and_here_are_answered_without_any_ping(
    fake: FakeDiscord, talking: Core, store: Store
) -> None:
    from tests.hostile.conftest import MASS_MENTION

    everyone, here = user(BOB_ID, "everyone"), user(CAROL_ID, "here")
    async with online(talking):
        await fake.dispatch("MESSAGE_CREATE", fake.message(here, "back from lunch, what did I miss?"))
        await fake.dispatch("MESSAGE_CREATE", fake.message(everyone, f"<@{BOT_ID}> can you sum up the plan?", mentions=(BOT,)))
        reply = (await until_stored(store, CHANNEL, 3, MODEL_WAIT_S))[-1]
        posted = lambda: fake.sent(f"/channels/{CHANNEL_ID}/messages") + fake.sent(method="PATCH", path_suffix="")  # noqa: E731
        await fake.wait_for(lambda: any(r.body["content"].endswith(reply.text) for r in posted()))
    shown = posted()
    assert reply.author_is_bot and shown[-1].body["content"].startswith("@\u200beveryone"), "the caller is addressed by name"
    assert shown and not any(MASS_MENTION.search(r.body["content"]) for r in shown)
    assert all(r.body["allowed_mentions"].get("parse") == [] for r in shown), "no @everyone, @here or role ping"
    assert all(not r.body["allowed_mentions"].get(kind) for r in shown for kind in ("users", "roles", "everyone"))

@pytest.mark.model
async def test_bots_and_the_bots_own_messages_are_not_answered(fake: FakeDiscord, talking: Core, store: Store) -> None:
    from_bot = fake.message(OTHER_BOT, f"<@{BOT_ID}> ping from another bot", mentions=(BOT,))
    own = fake.message(BOT, "Mind here, answering myself?")
    human = fake.message(ALICE, f"<@{BOT_ID}> hello!", mentions=(BOT,))
    async with online(talking):
        await fake.dispatch("MESSAGE_CREATE", from_bot)
        await fake.dispatch("MESSAGE_CREATE", own)
        await until_stored(store, CHANNEL, 1)
        await fake.dispatch("MESSAGE_CREATE", human)
        await until_stored(store, CHANNEL, 3, MODEL_WAIT_S)
    replies = fake.sent(f"/channels/{CHANNEL_ID}/messages")
    assert [r.body["message_reference"]["message_id"] for r in replies] == [int(human["id"])]
    ids = [m.message_id for m in await stored(store, CHANNEL)]
    assert ids[:2] == [from_bot["id"], human["id"]], "another bot is stored, the bot's own echo is not"
    assert own["id"] not in ids


async def test_a_care_alert_goes_only_to_a_private_care_channel(fake: FakeDiscord, listening: Core) -> None:
    alert = "A member may need support. Details are in the care log."
    async with online(listening) as client:
        private = await send_to_care_channel(client, CARE_CHANNEL_ID, alert)
        public = await send_to_care_channel(client, CHANNEL_ID, alert)
        in_public_thread = await send_to_care_channel(client, THREAD_ID, alert)
        missing = await send_to_care_channel(client, 100_000_000_000_000_999, alert)
    assert private.delivered and [r.body["content"] for r in fake.sent(f"/channels/{CARE_CHANNEL_ID}/messages")] == [alert]
    assert public.outcome is in_public_thread.outcome is Outcome.NOT_PRIVATE and "readable by everyone" in public.detail
    assert fake.sent(f"/channels/{CHANNEL_ID}/messages") == fake.sent(f"/channels/{THREAD_ID}/messages") == []
    assert missing.outcome is Outcome.NOT_FOUND and not missing.delivered


def test_run_without_a_token_names_the_missing_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPMIND_")}
    result = subprocess.run(
        [sys.executable, "-m", "groupmind", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    said = " ".join(result.stderr.split())  # rich wraps long lines
    assert result.returncode == 2
    assert "set GROUPMIND_DISCORD_TOKEN" in said and "run `groupmind room`" in said


@pytest.mark.model
async def test_a_reply_discord_refuses_is_logged_and_costs_nothing_else(
    fake: FakeDiscord, talking: Core, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    fake.muted_channels.add(CHANNEL_ID)
    async with online(talking):
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, f"<@{BOT_ID}> are you there?", mentions=(BOT,)))
        await fake.wait_for(lambda: "not delivered" in caplog.text, MODEL_WAIT_S)
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "guess not", channel_id=THREAD_ID))
        await until_stored(store, THREAD, 1)
    assert await texts(store, CHANNEL) == ["@groupmind are you there?"]
    assert "answered 403 (code 50013)" in caplog.text
    assert "no typing indicator" in caplog.text, "the refused typing call is logged, and the reply was still tried"


def _subcommands(synced: Request) -> set[str]:
    [group] = synced.body
    return {option["name"] for option in group["options"]} if group["name"] == "groupmind" else set()


async def test_the_groupmind_commands_are_synced_globally_or_to_dev_guilds(fake: FakeDiscord, listening: Core) -> None:
    async with online(listening):
        pass
    async with online(listening, dev_guilds=[GUILD_ID]):
        pass
    [globally] = fake.sent(f"/applications/{BOT_ID}/commands", method="PUT")
    [in_guild] = fake.sent(f"/applications/{BOT_ID}/guilds/{GUILD_ID}/commands", method="PUT")
    expected = {"help", "optout", "optin", "forget-me", "my-plan", "me", "we", "norms", "norm", "status", "mode", "persona",
                "care", "care-channel", "alerts", "export"}  # fmt: skip
    assert _subcommands(globally) == expected and _subcommands(in_guild) == expected


async def test_slash_commands_run_the_admin_layer_and_admin_ones_need_manage_server(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    async with online(listening):
        for payload in (
            fake.slash(ALICE, "help"),
            fake.slash(ALICE, "mode", mode="active"),
            fake.slash(ALICE, "mode", manage_guild=True, mode="quiet"),
            fake.slash(ALICE, "care", manage_guild=True, words="region"),
        ):
            await fake.dispatch("INTERACTION_CREATE", payload)
            await fake.wait_for(lambda: fake.sent(f"/interactions/{payload['id']}/interaction-token/callback"))
    answers = [r.body for r in fake.sent("/callback")]
    assert all(a["type"] == 4 and a["data"]["flags"] == 64 for a in answers), "every answer is ephemeral"
    member, refused, admin, usage = (a["data"]["content"] for a in answers)
    assert "care contacts" in member
    assert "for community admins only; nothing was changed" in refused
    assert "mode in" in admin and "quiet" in admin
    assert usage.startswith("usage: /gm care region CODE")
    settings = dict((await store.settings.read("discord", str(GUILD_ID))).fields)
    assert settings == {f"mode:{CHANNEL_ID}": "quiet"}


async def test_a_slow_command_is_deferred_then_answered_with_its_file(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    await store.append(msg("alice", "something to export", platform="discord", community=str(GUILD_ID)))
    async with online(listening):
        payload = fake.slash(ALICE, "export", manage_guild=True)
        await fake.dispatch("INTERACTION_CREATE", payload)
        await fake.wait_for(lambda: fake.sent("/interaction-token"))
    [deferred] = [r.body for r in fake.sent("/callback")]
    assert deferred["type"] == 5 and deferred["data"]["flags"] == 64, "acknowledged at once, privately"
    [followup] = [r.body for r in fake.sent("/interaction-token")]
    assert followup["flags"] == 64
    [(name, data)] = followup["files"].items()
    assert name.endswith(".json") and b"something to export" in data


def _alert() -> CareAlert:
    return CareAlert(
        id="7", member=Member(id=str(ALICE_ID), display_name="alice"), where=CHANNEL, why="imminent risk",
        excerpt="going to take them all tonight", urgency="high", bot_said="I'm here. Are you safe right now?",
    )  # fmt: skip


def _public_posts(fake: FakeDiscord) -> list[Request]:
    return fake.sent(f"/channels/{CHANNEL_ID}/messages") + fake.sent(f"/channels/{THREAD_ID}/messages")


async def test_a_care_alert_is_dmed_to_a_care_contact_still_in_the_server(fake: FakeDiscord, listening: Core) -> None:
    text = render_alert(_alert())
    async with online(listening) as client:
        delivered = await client.platform.to_contact(_alert(), BOB, text)
    assert delivered
    assert fake.sent(f"/guilds/{GUILD_ID}/members/{BOB_ID}", method="GET"), "membership was checked first"
    [dm] = fake.sent(f"/channels/{fake.dm_channel(BOB_ID)}/messages")
    assert dm.body["content"] == text and "alice" in text and "take them all tonight" in text
    assert dm.body["allowed_mentions"] == {"parse": []}
    assert _public_posts(fake) == []


async def test_a_contact_who_left_the_server_is_not_reached(fake: FakeDiscord, listening: Core, store: Store) -> None:
    fake.left_guild.add(BOB_ID)
    await store.settings.set(PLATFORM, str(GUILD_ID), "care.channel", str(CARE_CHANNEL_ID))
    async with online(listening) as client:
        courier = client.platform
        delivered = await courier.to_contact(_alert(), BOB, render_alert(_alert()))
        elsewhere = _alert().model_copy(update={"where": CHANNEL.model_copy(update={"community": "100000000000000777"})})
        in_unknown_server = await courier.to_contact(elsewhere, CAROL, render_alert(elsewhere))
    assert not delivered, "the core falls back to the next contact or the audit log"
    assert not in_unknown_server and fake.sent("/guilds/100000000000000777", method="GET"), "asked Discord, which knows no such server"
    assert fake.sent("/users/@me/channels") == [] and fake.sent() == [], "no DM, no care channel post"


async def test_closed_dms_fall_back_to_the_private_care_channel_once_per_alert(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    fake.closed_dms.update({BOB_ID, CAROL_ID})
    text, reminder = render_alert(_alert()), render_alert(_alert(), reminder=True)
    async with online(listening) as client:
        courier = client.platform
        without_channel = await courier.to_contact(_alert(), BOB, text)
        await fake.dispatch("INTERACTION_CREATE", fake.slash(ALICE, "care-channel", manage_guild=True, channel=CARE_CHANNEL_ID))
        await fake.wait_for(lambda: fake.sent("/callback"))
        to_bob, to_carol = await courier.to_contact(_alert(), BOB, text), await courier.to_contact(_alert(), CAROL, text)
        reminded = await courier.to_contact(_alert(), BOB, reminder)
    assert not without_channel, "no care channel configured: nobody was reached"
    assert to_bob and to_carol and reminded
    posts = [r.body["content"] for r in fake.sent(f"/channels/{CARE_CHANNEL_ID}/messages")]
    assert posts == [text, reminder], "one post per alert message, not one per contact"
    assert _public_posts(fake) == []
    assert (dict((await store.settings.read(PLATFORM, str(GUILD_ID))).fields))["care.channel"] == str(CARE_CHANNEL_ID)


async def test_a_public_care_channel_is_refused_when_set_and_never_posted_in(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    fake.closed_dms.add(BOB_ID)
    async with online(listening) as client:
        payload = fake.slash(ALICE, "care-channel", manage_guild=True, channel=CHANNEL_ID)
        await fake.dispatch("INTERACTION_CREATE", payload)
        await fake.wait_for(lambda: fake.sent("/callback"))
        # Set through the words form (or a channel that was made public later): the courier still refuses it.
        await store.settings.set(PLATFORM, str(GUILD_ID), "care.channel", str(CHANNEL_ID))
        delivered = await client.platform.to_contact(_alert(), BOB, render_alert(_alert()))
    [answer] = [r.body["data"]["content"] for r in fake.sent("/callback")]
    assert "readable by everyone" in answer and "nothing was changed" in answer
    assert not delivered and _public_posts(fake) == []


async def test_care_channel_off_and_non_admins(fake: FakeDiscord, listening: Core, store: Store) -> None:
    async with online(listening):
        for payload in (
            fake.slash(ALICE, "care-channel", channel=CARE_CHANNEL_ID),
            fake.slash(ALICE, "care-channel", manage_guild=True, channel=CARE_CHANNEL_ID),
            fake.slash(ALICE, "care-channel", manage_guild=True),
        ):
            await fake.dispatch("INTERACTION_CREATE", payload)
            await fake.wait_for(lambda: fake.sent(f"/interactions/{payload['id']}/interaction-token/callback"))
    refused, set_, off = (r.body["data"]["content"] for r in fake.sent("/callback"))
    assert "admins only" in refused
    assert f"care channel: {CARE_CHANNEL_ID} (was off)" in set_
    assert f"care channel: off (was {CARE_CHANNEL_ID})" in off
    assert "care.channel" not in dict((await store.settings.read(PLATFORM, str(GUILD_ID))).fields)


async def test_a_private_message_to_a_member_with_closed_dms_reports_false(fake: FakeDiscord, listening: Core) -> None:
    fake.closed_dms.add(CLOSED_ID)
    closed = Member(id=str(CLOSED_ID), display_name="closed")
    async with online(listening) as client:
        courier = client.platform
        to_closed = await courier.to_member(CHANNEL, closed, "Checking in: how are you doing?")
        to_bob = await courier.to_member(CHANNEL, BOB, "Checking in: how are you doing?")
        on_slack = await courier.to_member(CHANNEL.model_copy(update={"platform": "slack"}), BOB, "Checking in")
    assert not to_closed and to_bob and not on_slack
    assert [r.body["content"] for r in fake.sent(f"/channels/{fake.dm_channel(BOB_ID)}/messages")] == ["Checking in: how are you doing?"]
    assert _public_posts(fake) == []


async def test_a_members_dm_reaches_care_and_is_answered_only_in_private(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    dm = fake.dm_channel(ALICE_ID)
    async with online(listening):
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "I want to kill myself", channel_id=dm))
        await fake.wait_for(lambda: fake.sent(f"/channels/{dm}/messages"))
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "thanks for asking", channel_id=dm))
        await fake.wait_for(lambda: len(fake.sent(f"/channels/{dm}/messages")) >= 2)
    assert fake.sent(f"/guilds/{GUILD_ID}/members/{ALICE_ID}", method="GET"), "her servers were looked up"
    first, second = (r.body["content"] for r in fake.sent(f"/channels/{dm}/messages")[:2])
    assert "?" in first and "kill myself" not in first, "asks directly, without repeating her words"
    assert second and second != first, "the talk goes on"
    assert _public_posts(fake) == []
    assert await store.stored_count(ChannelRef(platform=PLATFORM, community=DM_COMMUNITY, channel=str(dm))) == 0, (
        "private care talk is kept out of every log"
    )


async def test_a_dm_without_risk_is_an_ordinary_dm(fake: FakeDiscord, listening: Core, store: Store) -> None:
    dm = fake.dm_channel(ALICE_ID)
    async with online(listening):
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "what's the plan for saturday?", channel_id=dm))
        await until_stored(store, ChannelRef(platform=PLATFORM, community=DM_COMMUNITY, channel=str(dm)), 1)
    assert fake.sent() == [], "care said nothing; listen-only: nothing else either"


async def test_an_ordinary_dm_first_is_answered_in_the_dm_and_nowhere_else(
    fake: FakeDiscord, store: Store, settings: Settings
) -> None:
    """Alice has never spoken in the server; her first words to the bot are a DM care does not take.

    The model is a fake that streams a fixed reply: this judges where the answer goes, not its words.
    """
    answer = "Saturday at noon, by the lake."
    core = Core(store, Scripted(answer), settings.model_copy(update={"burst_settle_s": 0}), utcnow)
    dm = fake.dm_channel(ALICE_ID)
    async with online(core):
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, "what's the plan for saturday?", channel_id=dm))
        await fake.wait_for(lambda: fake.sent(f"/channels/{dm}/messages"))
    [reply] = [r.body["content"] for r in fake.sent(f"/channels/{dm}/messages")]
    assert reply.endswith(answer) and "say it in" not in reply
    assert _public_posts(fake) == []


async def test_imminent_risk_in_a_channel_alerts_the_care_contact_by_dm(
    fake: FakeDiscord, listening: Core, store: Store
) -> None:
    bob = user(BOB_ID, "bob")
    disclosure = "I want to kill myself tonight"
    async with online(listening):
        await fake.dispatch("MESSAGE_CREATE", fake.message(bob, "morning all"))
        await until_stored(store, CHANNEL, 1)
        payload = fake.slash(ALICE, "care", manage_guild=True, words="contacts add bob")
        await fake.dispatch("INTERACTION_CREATE", payload)
        await fake.wait_for(lambda: fake.sent("/callback"))
        await fake.dispatch("MESSAGE_CREATE", fake.message(ALICE, disclosure))
        await fake.wait_for(lambda: fake.sent(f"/channels/{fake.dm_channel(BOB_ID)}/messages"))
        await fake.wait_for(lambda: fake.sent(f"/channels/{fake.dm_channel(ALICE_ID)}/messages"))
        await fake.wait_for(lambda: fake.sent(f"/channels/{CHANNEL_ID}/messages"))
    assert "will receive care alerts" in fake.sent("/callback")[0].body["data"]["content"]
    [alert] = [r.body["content"] for r in fake.sent(f"/channels/{fake.dm_channel(BOB_ID)}/messages")]
    assert alert.startswith("Care alert #") and "alice" in alert and disclosure in alert and "imminent" in alert
    [public] = [r.body for r in fake.sent(f"/channels/{CHANNEL_ID}/messages")]
    assert "kill" not in public["content"] and public["allowed_mentions"]["parse"] == [], "warm, repeats nothing"
    assert fake.sent(f"/channels/{CARE_CHANNEL_ID}/messages") == []


async def test_a_reply_to_the_bots_message_is_answered_without_its_name_and_a_reply_to_a_member_is_not(
    fake: FakeDiscord, store: Store, settings: Settings
) -> None:
    """Mention mode: a Discord reply to the bot's message addresses it; "I don't mind" to a member does not.

    The model is a fake that streams a fixed reply: this judges whether and where the bot answers.
    """
    answer = "Then try it with lemon and chili."
    unjudged = settings.model_copy(update={"burst_settle_s": 0.2, "grounding_min": 0.0})  # where, not what
    core = Core(store, Scripted(answer), unjudged, utcnow)
    bot_said = fake.message(BOT, "Pasta aglio e olio is quick.")
    bob_said = fake.message(user(BOB_ID, "bob"), "cinema or bowling?")
    async with online(core):
        to_bob = fake.message(ALICE, "I don't mind", replying_to=bob_said)
        await fake.dispatch("MESSAGE_CREATE", to_bob)
        await until_stored(store, CHANNEL, 1)
        await asyncio.sleep(0.6)  # well past the settle wait: a wrong answer would be out by now
        assert fake.sent(f"/channels/{CHANNEL_ID}/messages") == []
        to_bot = fake.message(ALICE, "and without garlic?", replying_to=bot_said)
        await fake.dispatch("MESSAGE_CREATE", to_bot)
        await fake.wait_for(lambda: fake.sent(f"/channels/{CHANNEL_ID}/messages"))
    [reply] = fake.sent(f"/channels/{CHANNEL_ID}/messages")
    assert reply.body["content"].endswith(answer)
    assert reply.body["message_reference"]["message_id"] == int(to_bot["id"])
    stored_reply = next(m for m in await stored(store, CHANNEL) if m.message_id == to_bot["id"])
    assert stored_reply.reply_to_bot and stored_reply.reply_to == bot_said["id"]
