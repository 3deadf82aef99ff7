"""A small fake Discord on 127.0.0.1: the REST routes and the gateway that discord.py uses.

One bot in one guild with one text channel and one thread. Tests inject gateway
events with `dispatch`, read what the bot did in `requests`, and make Discord
misbehave on purpose (`rate_limit_once`, `closed_dms`, `left_guild`). Payloads carry the
fields discord.py reads, no more.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from aiohttp import WSMsgType, web

# Real-sized snowflakes: discord.py resolves `<@id>` mentions only for ids of 15 to 20 digits.
GUILD_ID = 100_000_000_000_000_100
CHANNEL_ID = 100_000_000_000_000_200
THREAD_ID = 100_000_000_000_000_201
CARE_CHANNEL_ID = 100_000_000_000_000_300
"""A channel @everyone cannot view: a private care channel."""
OLD_THREAD_ID = 100_000_000_000_000_202
"""A thread not in the guild's gateway snapshot (as an archived one): known only through REST."""
BOT_ID = 100_000_000_000_000_900
API = "/api/v10"
MESSAGE_CONTENT = 1 << 15
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
TOKEN = "fake-token"
"""The only token the fake accepts."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _snowflakes() -> Iterator[int]:
    """Ids as Discord makes them: milliseconds since 2015 in the high bits, so `created_at` is now."""
    for counter in itertools.count():
        yield (int(time.time() * 1000) - 1_420_070_400_000) << 22 | counter % 4096


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": None, "discriminator": "0", "avatar": None, "bot": bot}


BOT = user(BOT_ID, "groupmind", bot=True)


@dataclass(frozen=True)
class Request:
    """One REST call the bot made."""

    method: str
    path: str
    body: Any
    at: float


class FakeDiscord:
    """Discord as the bot sees it; `api_base` and `gateway_url` are what discord.py must be pointed at."""

    def __init__(self) -> None:
        # How Discord misbehaves, set by a test before it acts.
        self.rate_limit_once: set[tuple[str, str]] = set()
        """(method, path) answered once with a 429 before being served."""
        self.closed_dms: set[int] = set()
        """Users whose DMs are closed: sending to their DM channel is refused with code 50007."""
        self.left_guild: set[int] = set()
        """Users who are no longer in the guild: looking them up as members answers 404 (Unknown Member)."""
        self.muted_channels: set[int] = set()
        """Channels where the bot lacks Send Messages: posting and typing there are refused with code 50013."""
        self.message_content_allowed = True
        """False: the Message Content intent is off in the Developer Portal (IDENTIFY is refused)."""
        # What the bot did, for a test to check.
        self.requests: list[Request] = []
        self.limited: list[Request] = []
        """Requests answered with a 429."""
        self.identify: dict[str, Any] | None = None
        self.replayed: list[str] = []
        """Events sent again on a RESUME."""
        self.resumed = asyncio.Event()
        self._events: list[dict[str, Any]] = []
        """Every dispatched event, so a RESUME can replay what the bot missed."""
        self._live = False
        """The bot has a session: identified or resumed, and not dropped since."""
        self._ids = _snowflakes()
        self._dm_channels: dict[int, int] = {}
        self._sent: dict[int, dict[str, Any]] = {}
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.add_routes(
            [
                web.get(f"{API}/users/@me", self._me),
                web.get(f"{API}/oauth2/applications/@me", self._application),
                web.get(f"{API}/channels/{{cid}}", self._channel),
                web.post(f"{API}/channels/{{cid}}/messages", self._create_message),
                web.patch(f"{API}/channels/{{cid}}/messages/{{mid}}", self._edit_message),
                web.get(f"{API}/channels/{{cid}}/messages/{{mid}}", self._get_message),
                web.post(f"{API}/channels/{{cid}}/typing", self._typing),
                web.post(f"{API}/users/@me/channels", self._open_dm),
                web.get(f"{API}/guilds/{{gid}}/members/{{uid}}", self._guild_member),
                web.put(f"{API}/applications/{{app}}/commands", self._sync_commands),
                web.put(f"{API}/applications/{{app}}/guilds/{{gid}}/commands", self._sync_commands),
                web.post(f"{API}/interactions/{{iid}}/{{itoken}}/callback", self._interaction_callback),
                web.post(f"{API}/webhooks/{{app}}/{{itoken}}", self._followup),
                web.get("/gateway", self._gateway),
            ]
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- what tests use ------------------------------------------------------------------

    def message(
        self,
        author: dict[str, Any],
        content: str,
        *,
        channel_id: int = CHANNEL_ID,
        mentions: tuple[dict[str, Any], ...] = (),
        replying_to: dict[str, Any] | None = None,
        nick: str | None = None,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload from `author` (a guild message unless `channel_id` is a DM)."""
        data: dict[str, Any] = {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content,
            "mentions": list(mentions),
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 19 if replying_to else 0,
        }
        if channel_id not in self._dm_channels:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {"nick": nick, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0}
        if replying_to is not None:
            data["message_reference"] = {"message_id": replying_to["id"], "channel_id": replying_to["channel_id"]}
            data["referenced_message"] = replying_to
        return data

    def slash(
        self, author: dict[str, Any], subcommand: str, *, manage_guild: bool = False, channel: int | None = None, **values: str
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for `/groupmind <subcommand>` used in the text channel.

        `channel` fills a channel option (type 7) with one of the guild's channels, resolved as Discord does.
        """
        options: list[dict[str, Any]] = [{"name": name, "type": 3, "value": value} for name, value in values.items()]
        resolved: dict[str, Any] = {}
        if channel is not None:
            options.append({"name": "channel", "type": 7, "value": str(channel)})
            resolved = {"channels": {str(channel): {**_text_channel(channel), "permissions": "0"}}}
        return {
            "id": str(next(self._ids)), "application_id": str(BOT_ID), "type": 2, "token": "interaction-token",
            "version": 1, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID), "channel": _text_channel(),
            "locale": "en-US", "app_permissions": "0", "attachment_size_limit": 10_485_760, "entitlements": [], "authorizing_integration_owners": {},
            "member": {"user": author, "nick": None, "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                       "flags": 0, "permissions": str(MANAGE_GUILD if manage_guild else 0)},
            "data": {"id": "1", "name": "groupmind", "type": 1, "resolved": resolved,
                     "options": [{"name": subcommand, "type": 1, "options": options}]},
        }

    def reaction(self, member: dict[str, Any], message: dict[str, Any], emoji: str) -> dict[str, Any]:
        """A MESSAGE_REACTION_ADD payload: `member` reacted with the unicode `emoji` on `message` (as sent)."""
        return {
            "user_id": member["id"], "channel_id": message["channel_id"], "message_id": message["id"],
            "guild_id": str(GUILD_ID), "emoji": {"id": None, "name": emoji},
            "member": {"user": member, "nick": None, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0},
            "message_author_id": message["author"]["id"], "burst": False, "burst_colors": [], "type": 0,
        }  # fmt: skip

    def sent_messages(self) -> list[dict[str, Any]]:
        """The messages the bot posted, oldest first, as Discord keeps them."""
        return list(self._sent.values())

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event to the bot; while it is disconnected, keep it for its RESUME."""
        payload = {"op": 0, "t": event, "s": len(self._events) + 1, "d": data}
        self._events.append(payload)
        if self._live and self._ws is not None:
            await self._ws.send_json(payload)

    async def drop_connection(self) -> None:
        """Close the gateway as Discord does now and then (4000: unknown error); the bot should resume."""
        assert self._ws is not None, "the bot is not connected"
        self.resumed.clear()
        self._live = False
        await self._ws.close(code=4000, message=b"Unknown error.")

    def dm_channel(self, user_id: int) -> int:
        """The id of the DM channel with `user_id` (the same one `POST /users/@me/channels` opens)."""
        for cid, uid in self._dm_channels.items():
            if uid == user_id:
                return cid
        cid = next(self._ids)
        self._dm_channels[cid] = user_id
        return cid

    def sent(self, path_suffix: str = "/messages", method: str = "POST") -> list[Request]:
        """Served requests whose path ends with `path_suffix` (429 answers are not counted)."""
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    async def wait_for(self, condition: Callable[[], object], timeout: float = 20.0) -> None:
        """Wait until `condition()` is true; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s; requests: {self.requests}")
            await asyncio.sleep(0.02)

    # --- REST -------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        key = (request.method, request.path)
        body = await _body(request)
        seen = Request(request.method, request.path.removeprefix(API), body, time.monotonic())
        if key in self.rate_limit_once:
            self.rate_limit_once.discard(key)
            self.limited.append(seen)
            # discord.py trusts a 429 only with Discord's JSON body and a `Via` header (else: a Cloudflare ban).
            return _json(
                {"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
                status=429,
                headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"},
            )
        # Interaction callbacks are authorised by the interaction's own token, not the bot's.
        bot_route = request.path.startswith(API) and not request.path.startswith((f"{API}/interactions/", f"{API}/webhooks/"))
        if bot_route and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        self.requests.append(seen)
        return await handler(request)

    async def _me(self, _: web.Request) -> web.Response:
        return _json(BOT)

    async def _typing(self, request: web.Request) -> web.Response:
        if int(request.match_info["cid"]) in self.muted_channels:
            return _missing_permissions()
        return web.Response(status=204)

    async def _application(self, _: web.Request) -> web.Response:
        return _json(
            {"id": str(BOT_ID), "name": "groupmind", "description": "", "icon": None, "bot_public": True,
             "bot_require_code_grant": False, "owner": user(1, "owner"), "verify_key": "0" * 64, "flags": 0}
        )

    async def _channel(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        found = {c["id"]: c for c in (_text_channel(), _thread(THREAD_ID), _thread(OLD_THREAD_ID))}.get(str(cid))
        if found is None:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(found)

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["cid"])
        if self._dm_channels.get(cid) in self.closed_dms:
            return _json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
        if cid in self.muted_channels:
            return _missing_permissions()
        body = await request.json()
        message = {**self.message(BOT, body.get("content", ""), channel_id=cid), "type": 0}
        message.pop("member", None)
        self._sent[int(message["id"])] = message
        return _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self._sent[int(request.match_info["mid"])]
        message.update(content=(await request.json())["content"], edited_timestamp=_now())
        return _json(message)

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self._sent.get(int(request.match_info["mid"]))
        if message is None or message["channel_id"] != request.match_info["cid"]:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(message)

    async def _sync_commands(self, request: web.Request) -> web.Response:
        commands = await request.json()
        return _json([{**c, "id": str(next(self._ids)), "application_id": str(BOT_ID), "version": "1"} for c in commands])

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        return _json({"interaction": {"id": request.match_info["iid"], "type": 2}})

    async def _followup(self, request: web.Request) -> web.Response:
        """A follow-up to an interaction (deferred or long answers); the body was recorded already."""
        body = self.requests[-1].body or {}
        message = {**self.message(BOT, body.get("content", ""), channel_id=CHANNEL_ID), "type": 0, "webhook_id": str(BOT_ID)}
        message.pop("member", None)
        return _json(message)

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient = int((await request.json())["recipient_id"])
        cid = self.dm_channel(recipient)
        return _json({"id": str(cid), "type": 1, "last_message_id": None, "recipients": [user(recipient, f"user{recipient}")]})

    async def _guild_member(self, request: web.Request) -> web.Response:
        uid = int(request.match_info["uid"])
        if int(request.match_info["gid"]) != GUILD_ID or uid in self.left_guild:
            return _json({"message": "Unknown Member", "code": 10007}, status=404)
        return _json({"user": user(uid, f"user{uid}"), "nick": None, "roles": [], "joined_at": _now(), "deaf": False,
                      "mute": False, "flags": 0})

    # --- gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": 41_250}})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            if payload["op"] == 1:  # heartbeat
                await ws.send_json({"op": 11, "s": None, "t": None, "d": None})
            elif payload["op"] == 2:  # identify
                self.identify = payload["d"]
                if not self.message_content_allowed and self.identify["intents"] & MESSAGE_CONTENT:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self._live = True
                await self.dispatch(
                    "READY",
                    {"v": 10, "user": BOT, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                     "session_id": "session-1", "resume_gateway_url": self.gateway_url,
                     "application": {"id": str(BOT_ID), "flags": 0}},
                )
                await self.dispatch("GUILD_CREATE", _guild())
            elif payload["op"] == 6:  # resume: replay what was missed, then RESUMED
                for missed in self._events[payload["d"]["seq"] :]:
                    self.replayed.append(missed["t"])
                    await ws.send_json(missed)
                self._live = True
                await self.dispatch("RESUMED", {})
                self.resumed.set()
        return ws


async def _body(request: web.Request) -> Any:
    """A request's JSON body; for multipart (a file attached), its JSON part plus the files' names and bytes."""
    if not request.can_read_body:
        return None
    if request.content_type != "multipart/form-data":
        return await request.json()
    body: dict[str, Any] = {"files": {}}
    async for part in await request.multipart():
        if part.name == "payload_json":
            body.update(await part.json())
        elif part.filename:
            body["files"][part.filename] = await part.read()
    return body


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when the content type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": "application/json"})


def _missing_permissions() -> web.Response:
    return _json({"message": "Missing Permissions", "code": 50013}, status=403)


def _text_channel(channel_id: int = CHANNEL_ID) -> dict[str, Any]:
    hidden = [{"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
    return {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": f"channel-{channel_id % 1000}",
            "position": 0, "permission_overwrites": hidden if channel_id == CARE_CHANNEL_ID else [], "nsfw": False,
            "parent_id": None}


def _thread(thread_id: int) -> dict[str, Any]:
    return {"id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(CHANNEL_ID),
            "owner_id": "1", "name": "plans", "message_count": 0, "member_count": 1,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now(), "locked": False}}


def _guild() -> dict[str, Any]:
    everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": "68608", "position": 0, "color": 0,
                "hoist": False, "managed": False, "mentionable": False}
    return {"id": str(GUILD_ID), "name": "test guild", "unavailable": False, "member_count": 3, "owner_id": "1",
            "channels": [_text_channel(), _text_channel(CARE_CHANNEL_ID)], "threads": [_thread(THREAD_ID)], "members": [], "roles": [everyone],
            "emojis": [], "stickers": [], "features": []}
