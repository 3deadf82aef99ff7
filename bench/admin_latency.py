"""How long the slow admin commands take on real logs, against `status` in the same run.

Ingests the ten `#ubuntu` IRC dev logs (one channel each) into an embedded
server in a temporary directory, then times `status` (the baseline), `export`
and `forget-me` for the busiest speaker. Platforms drop an interaction not
answered in 3 s; this shows why export and forget-me are in SLOW_COMMANDS.

    PYTHONPATH=. python bench/admin_latency.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from groupmind.admin import Admin
from groupmind.events import AdminCommand, ChannelRef, Member
from groupmind.replay import read_irc
from groupmind.store import Store
from groupmind.store.connect import client_for
from groupmind.store.embedded import EmbeddedServer

IRC_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu-irc" / "dev"


async def timed(admin: Admin, cmd: AdminCommand) -> tuple[float, str]:
    start = time.perf_counter()
    result = await admin.execute(cmd)
    return time.perf_counter() - start, result.text


async def main() -> None:
    logs = sorted(IRC_DEV.glob("*.raw.txt"))
    if not logs:
        sys.exit(f"no IRC logs at {IRC_DEV}; nothing to measure")
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedServer(Path(tmp))
        server.start()
        redis = client_for(server.url)
        try:
            store = Store(redis)
            messages = [m for path in logs for m in read_irc(path)]
            await store.append_many(messages)
            busiest, said = Counter(m.author_id for m in messages).most_common(1)[0]
            admin = Admin(store, model="none")
            where = ChannelRef(platform="irc", community="ubuntu", channel=messages[0].channel)

            def cmd(name: str, who: str = "admin") -> AdminCommand:
                return AdminCommand(where=where, invoker=Member(id=who, display_name=who), invoker_is_admin=True, name=name)

            status, _ = await timed(admin, cmd("status"))
            export, _ = await timed(admin, cmd("export"))
            forget, text = await timed(admin, cmd("forget-me", busiest))
        finally:
            await redis.aclose()
            server.stop()
    print(f"{len(messages):,} messages in {len(logs)} channels; forget-me for {busiest} ({said} messages)")
    print(f"status    {status * 1000:8.1f} ms  (baseline)")
    print(f"export    {export * 1000:8.1f} ms  {export / status:6.1f}x status")
    print(f"forget-me {forget * 1000:8.1f} ms  {forget / status:6.1f}x status  -> {text[:90]}")


if __name__ == "__main__":
    asyncio.run(main())
