"""Gateway to Redis: #ubuntu IRC lines as MESSAGE_CREATE events through the real discord.py client.

Listen-only (no model). Baseline, in the same run against the same embedded
server: `Pipeline.handle` on the same messages, one awaited call at a time,
which is what the adapter calls for each event. The ratio is what discord.py's
gateway parsing and the adapter's translation cost on top. The events come from
the fake Discord of the e2e tests (same process, loopback websocket), so its
encoding is counted against the adapter too. Last line: JSON.

    .venv/bin/python -m bench.discord_ingest [--messages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

import discord
import yarl

from adapters.discord.client import DiscordAdapter
from adapters.discord.translate import PLATFORM
from bench.ingest import IRC_DEV, handle_per_s
from groupmind.config import Settings
from groupmind.events import ChannelRef
from groupmind.replay import read_irc
from groupmind.runtime import open_core
from groupmind.store import Store
from tests.e2e.fake_discord import CHANNEL_ID, GUILD_ID, TOKEN, FakeDiscord, user

CHANNEL = ChannelRef(platform=PLATFORM, community=str(GUILD_ID), channel=str(CHANNEL_ID))


async def gateway_per_s(fake: FakeDiscord, store: Store, events: list[dict[str, object]]) -> float:
    start = time.perf_counter()
    for event in events:
        await fake.dispatch("MESSAGE_CREATE", event)
    while await store.stored_count(CHANNEL) < len(events):
        await asyncio.sleep(0.002)
    return len(events) / (time.perf_counter() - start)


async def main(count: int, rounds: int) -> dict[str, float | int]:
    messages = [m for log in sorted(IRC_DEV.glob("*.raw.txt")) for m in read_irc(log)][:count]
    if not messages:
        sys.exit(f"no IRC logs found in {IRC_DEV}")
    fake = FakeDiscord()
    await fake.start()
    # Discord itself is not benchmarked: discord.py's two URL constants point at the fake.
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    events = [fake.message(user(10**17 + zlib.crc32(m.author_id.encode()), m.author_name), m.text) for m in messages]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir), redis_url="")  # type: ignore[call-arg]
        async with open_core(settings, with_model=False) as core, DiscordAdapter(
            core.directory.care_channel, guild_ready_timeout=0.05
        ) as client:
            pipeline = core.pipeline([client.platform])
            running = asyncio.create_task(client.serve(pipeline, TOKEN))
            await client.wait_until_ready()
            ours, direct = [], []
            for _ in range(rounds):  # interleaved, so drift on a noisy machine hits both
                await pipeline.store.redis.flushall()
                ours.append(await gateway_per_s(fake, pipeline.store, events))
                direct.append(await handle_per_s(pipeline, messages))
            await client.close()
            await running
    await fake.stop()
    return {
        "messages": len(messages),
        "rounds": rounds,
        "gateway_msgs_per_s": round(max(ours)),
        "handle_msgs_per_s": round(max(direct)),
        "ratio": round(max(ours) / max(direct), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.messages, args.rounds))))
