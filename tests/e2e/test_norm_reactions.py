"""Reactions on the bot's messages teach it norms, through the real discord.py and slack-bolt clients
against the fake platforms on loopback, into a real Redis.

The bot's message is posted through the adapter's own platform (no model is needed for what is tested:
that a reaction on it arrives, is read with the message's text, and becomes a vote with its source).
"""

from __future__ import annotations

from groupmind.config import Settings
from groupmind.events import ChannelRef, utcnow
from groupmind.runtime import Core
from groupmind.store import Store
from groupmind.store.norms import Norm
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.fake_slack import BOT_USER, TEAM, FakeSlack, reaction_event, wait_for
from tests.e2e.test_discord import ALICE, CHANNEL, GUILD_ID, eventually, fake as fake_discord, online  # noqa: F401
from tests.e2e.test_slack import on_slack, slack_settings  # noqa: F401
from adapters.slack import connected

LONG = "Here is everything about mirrors you might want to know. " * 8 + "🎉"


async def test_a_discord_reaction_on_the_bots_message_becomes_a_vote(
    fake_discord: FakeDiscord, store: Store, settings: Settings  # noqa: F811
) -> None:
    core = Core(store, None, settings, utcnow)
    async with online(core) as client:
        assert client.intents.guild_reactions
        assert await client.platform.send(CHANNEL, LONG)
        [bot_message] = fake_discord.sent_messages()
        member_message = fake_discord.message(ALICE, "my own long message " * 20)
        await fake_discord.dispatch("MESSAGE_CREATE", member_message)
        await fake_discord.dispatch("MESSAGE_REACTION_ADD", fake_discord.reaction(ALICE, member_message, "👎"))
        await fake_discord.dispatch("MESSAGE_REACTION_ADD", fake_discord.reaction(ALICE, bot_message, "👎"))

        async def voted() -> bool:
            return bool(await store.norms.all("discord", str(GUILD_ID)))

        await eventually(voted)
    norms = {n.key: n for n in await store.norms.all("discord", str(GUILD_ID))}
    assert set(norms) == {"max_length:200", "no_emoji:"}  # what the bot's message did; the member's is not feedback
    source = norms["no_emoji:"].sources[0]
    assert (source.member_id, source.platform, source.message_id) == (ALICE["id"], "discord", bot_message["id"])
    assert source.weight == 0.5
    assert fake_discord.sent(f"/messages/{bot_message['id']}", method="GET"), "the text was fetched"


async def test_discord_slash_norms_lists_for_members_and_norm_add_needs_manage_server(
    fake_discord: FakeDiscord, store: Store, settings: Settings  # noqa: F811
) -> None:
    core = Core(store, None, settings, utcnow)
    async with online(core):
        for payload in (
            fake_discord.slash(ALICE, "norm", words="add no_emoji"),
            fake_discord.slash(ALICE, "norm", manage_guild=True, words="add max_length 300"),
            fake_discord.slash(ALICE, "norms"),
        ):
            await fake_discord.dispatch("INTERACTION_CREATE", payload)
            await fake_discord.wait_for(
                lambda: fake_discord.sent(f"/interactions/{payload['id']}/interaction-token/callback")
            )
    refused, added, listed = (r.body["data"]["content"] for r in fake_discord.sent("/callback"))
    assert "for community admins only; nothing was changed" in refused
    assert added == "house rule pinned: keep replies under 300 characters."
    assert "✓ 1. keep replies under 300 characters [max_length:300] (pinned by an admin)" in listed
    assert [n.key for n in await store.norms.all("discord", str(GUILD_ID))] == ["max_length:300"]


async def test_a_slack_reaction_added_on_the_bots_message_becomes_a_vote(
    fake: FakeSlack, store: Store, slack_settings: Settings  # noqa: F811
) -> None:
    pipeline = on_slack(store, slack_settings)
    where = ChannelRef(platform="slack", community=TEAM, channel="C1")
    async with connected(slack_settings, pipeline):
        assert await pipeline.platforms["slack"].send(where, f"<@U2> {LONG}")
        ts = fake.posted[-1]["ts"]
        ignored = await fake.send_event(reaction_event("-1", user="U1", ts="1.000100", item_user="U2"))
        mine = await fake.send_event(reaction_event("thumbsdown::skin-tone-3", user="U1", ts=ts, item_user=BOT_USER))
        await wait_for(lambda: ignored in fake.acks and mine in fake.acks)
        expected = {"max_length:200", "no_emoji:", "no_mentions:"}

        async def voted() -> list[Norm] | None:  # the votes land one by one: wait for all of them
            norms = await store.norms.all("slack", TEAM)
            return norms if {n.key for n in norms} >= expected else None

        norms = await wait_for(voted)
    assert {n.key for n in norms} == expected
    assert all(n.sources[0].member_id == "U1" and n.sources[0].message_id == ts for n in norms)
    assert [c.params["latest"] for c in fake.calls_to("conversations.history")] == [ts]
