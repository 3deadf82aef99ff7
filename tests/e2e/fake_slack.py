"""A small fake Slack on loopback: the Web API methods groupmind calls and a Socket Mode server.

The real `AsyncWebClient` reaches it through `base_url`; the real Socket Mode
client gets a `ws://127.0.0.1` URL from `apps.connections.open`. Tokens are
checked, so a client sending the wrong one fails here as it would on Slack.
Tests inject event envelopes and read back what the bot posted and acked.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import WSMsgType, web

TEAM = "T0FAKE"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"

_APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    """Web API + Socket Mode, recording every call, post and ack."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.posted: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        """User id -> the Home tab view last published for them."""
        """What was posted to slash commands' response_url."""
        self.rate_limit: dict[str, int] = {}
        """Method -> how many of its next calls get 429 Retry-After: 1."""
        self.connections = 0
        self._socket: web.WebSocketResponse | None = None
        self._hello = asyncio.Event()
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._websocket)
        app.router.add_post("/respond/{command}", self._respond)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def add_user(self, user_id: str, display_name: str, real_name: str = "") -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": display_name.lower(),
            "real_name": real_name or display_name,
            "profile": {"display_name": display_name, "real_name": real_name or display_name},
        }

    def deactivate(self, user_id: str) -> None:
        """The account stays visible to users.info, marked deleted; it can no longer be DMed."""
        self.users[user_id]["deleted"] = True

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    # --- Web API --------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update(await request.post())
        expected = APP_TOKEN if method in _APP_TOKEN_METHODS else BOT_TOKEN
        if request.headers.get("Authorization") != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        self.calls.append(Call(method, params))
        if self.rate_limit.get(method):
            self.rate_limit[method] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": TEAM, "team": "Fake", "user_id": BOT_USER, "user": "groupmind", "bot_id": BOT_ID}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4().hex}"}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text") or ""
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not text.strip():
            return {"ok": False, "error": "no_text"}
        if len(text) > 4000:
            return {"ok": False, "error": "msg_too_long"}
        message = {"channel": params["channel"], "text": text, "ts": self.next_ts(), "thread_ts": params.get("thread_ts")}
        self.posted.append(message)
        return {"ok": True, "channel": message["channel"], "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.posted:
            if message["channel"] == params.get("channel") and message["ts"] == params.get("ts"):
                message["text"] = params.get("text") or ""
                return {"ok": True, "channel": message["channel"], "ts": message["ts"], "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Channel-level messages the bot posted, newest first, up to `latest` (inclusive when asked)."""
        latest, inclusive = params.get("latest"), str(params.get("inclusive")).lower() in ("1", "true")
        found = [m for m in reversed(self.posted) if m["channel"] == params.get("channel") and not m.get("thread_ts")
                 and (latest is None or float(m["ts"]) < float(latest) or (inclusive and m["ts"] == latest))]  # fmt: skip
        limit = int(params.get("limit") or 100)
        return {"ok": True, "messages": [{"type": "message", "user": BOT_USER, "bot_id": BOT_ID, **m} for m in found[:limit]]}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params.get("users", "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if self.users[user].get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        return {"ok": True, "channel": {"id": dm_channel(user), "is_im": True}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params.get("user_id", "")
        view = params.get("view")
        if isinstance(view, str):  # form-encoded calls carry the view as JSON text
            view = json.loads(view)
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if not isinstance(view, dict) or view.get("type") != "home" or len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        self.views[user] = view
        return {"ok": True, "view": {"id": f"V{user}", "type": "home", "blocks": view["blocks"]}}

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # --- Socket Mode ---------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}})
        self._hello.set()
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            ack = json.loads(frame.data)
            if "envelope_id" in ack:
                self.acks[ack["envelope_id"]] = ack
        return ws

    async def ask_to_reconnect(self) -> None:
        """Send Slack's `disconnect` message, as Slack does before it recycles a socket."""
        assert self._socket is not None
        self._hello.clear()
        await self._socket.send_json({"type": "disconnect", "reason": "refresh_requested"})

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append({"command": request.match_info["command"], **(await request.json())})
        return web.Response(text="ok")

    async def send_event(self, event: dict[str, Any], *, event_id: str | None = None, retry_attempt: int = 0) -> str:
        """Deliver one Events API envelope over the socket; returns its envelope id."""
        return await self._send("events_api", event_callback(event, event_id), retry_attempt)

    async def send_command(self, text: str, *, user: str = "U1", channel: str = "C1") -> str:
        """Deliver a `/groupmind` slash command; its response_url points back here."""
        command_id = uuid.uuid4().hex[:8]
        payload = {
            "command": "/groupmind",
            "text": text,
            "user_id": user,
            "team_id": TEAM,
            "channel_id": channel,
            "response_url": f"http://127.0.0.1:{self.port}/respond/{command_id}",
            "trigger_id": command_id,
        }
        return await self._send("slash_commands", payload)

    async def _send(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        await asyncio.wait_for(self._hello.wait(), 10)
        assert self._socket is not None
        envelope_id = uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason="timeout" if retry_attempt else "")
        await self._socket.send_json({**envelope, "payload": payload})
        return envelope_id


def run_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This process's environment without its GROUPMIND_ settings, plus a fresh data dir and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPMIND_")}
    return {**env, "GROUPMIND_DATA_DIR": str(tmp_path / "data"), **settings}


def model_run_env(tmp_path: Path, slack: FakeSlack, model_path: Path, **settings: str) -> dict[str, str]:
    """`groupmind run` joined to `slack` with the real model, answering fast and reproducibly."""
    return run_env(
        tmp_path,
        GROUPMIND_SLACK_BOT_TOKEN=BOT_TOKEN,
        GROUPMIND_SLACK_APP_TOKEN=APP_TOKEN,
        GROUPMIND_SLACK_API_URL=slack.base_url,
        GROUPMIND_MODEL=str(model_path),
        GROUPMIND_BURST_SETTLE_S="1",
        GROUPMIND_N_THREADS="2",
        GROUPMIND_SEED="3",
        GROUPMIND_TEMPERATURE="0",
        **settings,
    )


async def wait_for(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll until `condition()` (or the awaitable it returns) is truthy; return that value.

    Raises AssertionError on timeout, so a test waiting for something that never
    happens fails instead of hanging.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {condition}")


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """The Events API body wrapping `event`, as Slack sends it over HTTP or the socket."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0FAKE",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def dm_channel(user: str) -> str:
    """The DM channel this fake opens with `user`."""
    return "D" + user[1:]


def dm_event(text: str, *, user: str = "U1", ts: str, **fields: Any) -> dict[str, Any]:
    """A person's `message.im` event: a direct message to the bot."""
    return message_event(text, user=user, channel=dm_channel(user), ts=ts, channel_type="im", **fields)


def home_opened_event(user: str, tab: str = "home") -> dict[str, Any]:
    """`app_home_opened`: the member opened the app's Home (or Messages) tab."""
    return {"type": "app_home_opened", "user": user, "channel": dm_channel(user), "tab": tab, "event_ts": str(time.time())}


def message_event(text: str, *, user: str = "U1", channel: str = "C1", ts: str, **fields: Any) -> dict[str, Any]:
    """A person's `message` event in a public channel (override any field)."""
    return {"type": "message", "user": user, "text": text, "channel": channel, "ts": ts, "channel_type": "channel", **fields}


def reaction_event(reaction: str, *, user: str = "U1", channel: str = "C1", ts: str, item_user: str) -> dict[str, Any]:
    """`reaction_added`: `user` reacted with `reaction` (Slack's name for it) on the message at `ts` by `item_user`."""
    return {"type": "reaction_added", "user": user, "reaction": reaction, "item_user": item_user,
            "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": f"{time.time():.6f}"}  # fmt: skip
