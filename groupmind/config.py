"""All of groupmind's settings, read once at the edge from `GROUPMIND_*` and `.env`.

Nothing else in the code reads the environment: functions receive a `Settings`.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AnyUrl,
    Field,
    SecretStr,
    TypeAdapter,
    UrlConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_threads() -> int:
    # llama.cpp's OpenMP threads slow down badly when they outnumber free cores.
    return max(1, min(8, os.cpu_count() or 1))


def _default_worker_name() -> str:
    # Unique per process on one host, and readable in XINFO CONSUMERS.
    return f"{socket.gethostname()}-{os.getpid()}"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "groupmind"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "groupmind"


MIN_PROMPT_TOKENS = 512
"""Context the prompt needs beside the reply: the identity with a persona, the room
notes and the newest transcript line (about 1,700 characters at ~3 per token).
A context smaller than this plus the longest reply would fail on every reply."""
_WEEK_S = 7 * 24 * 3600.0
"""The longest wait a setting may ask for: times are computed as now plus the wait."""
_REDIS_URL = TypeAdapter(Annotated[AnyUrl, UrlConstraints(allowed_schemes=["redis", "rediss", "unix"])])
_HTTP_URL = TypeAdapter(Annotated[AnyUrl, UrlConstraints(allowed_schemes=["http", "https"], host_required=True)])


_MULTI_HOST = re.compile(r"^redis\+(cluster|sentinel)://([^@/]*@)?([^,/:]+:\d+)(,[^,/:]+:\d+)*(/[^/]*)?$")


def _check_multi_host(value: str) -> None:
    """A cluster or Sentinel URL names host:port pairs; a Sentinel URL also names the primary."""
    match = _MULTI_HOST.match(value)
    if match is None:
        raise ValueError("expected redis+cluster://HOST:PORT,HOST:PORT,... or redis+sentinel://HOST:PORT[,...]/MASTER")
    if match.group(1) == "sentinel" and not (match.group(5) or "/").strip("/"):
        raise ValueError("a redis+sentinel:// URL names the monitored primary, as in redis+sentinel://host:26379/mymaster")


def _parse_url(adapter: TypeAdapter[AnyUrl], value: str, expected: str) -> AnyUrl:
    """`value` parsed by `adapter`; a bad one says what is wrong and what was `expected`."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Input should be a valid URL, ")
        raise ValueError(f"{problem}; expected {expected}") from None


class Settings(BaseSettings):
    """groupmind's configuration; every field maps to `GROUPMIND_<FIELD>`."""

    model_config = SettingsConfigDict(
        env_prefix="GROUPMIND_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        allow_inf_nan=False,  # "nan" passes no bound check, and "inf" seconds overflow a timedelta
    )

    bot_name: str = Field("Mind", min_length=1, max_length=32, description="The bot's display name.")
    data_dir: Path = Field(default_factory=_default_data_dir, description="Embedded Redis data, assembled models.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir, description="Machine-level cache: the model self-test's verdicts."
    )
    redis_url: str = Field(
        "",
        description="Redis URL; empty starts the embedded server in the data dir. A cluster: "
        "redis+cluster://HOST:PORT,HOST:PORT,...; a Sentinel-managed primary: redis+sentinel://HOST:PORT[,HOST:PORT]/MASTER.",
    )
    redis_cluster: bool = Field(
        False, description="Treat a plain redis:// URL as one node of a Redis Cluster (follow MOVED to the others)."
    )
    redis_wait_replicas: int = Field(
        0,
        ge=0,
        le=16,
        description="A stored message counts as stored once this many replicas hold it (WAIT, same round trip), "
        "so a Sentinel failover cannot lose it; 0 trusts the primary alone.",
    )
    model: str = Field(
        "",
        description="A catalog name (models/catalog.toml, pulled with `groupmind models pull NAME`) or a GGUF path; "
        "empty means the default model.",
    )
    n_ctx: int = Field(2048, ge=MIN_PROMPT_TOKENS + 1, le=131072, description="Model context length in tokens.")
    n_threads: int = Field(default_factory=_default_threads, ge=1, le=512, description="llama.cpp CPU threads.")
    n_gpu_layers: int = Field(0, ge=-1, description="Layers offloaded to the GPU; -1 offloads all.")
    seed: int = Field(-1, ge=-1, le=2**31 - 1, description="Sampling seed; -1 picks a random one.")
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_reply_tokens: int = Field(96, ge=1, le=2048)
    max_reply_chars: int = Field(1500, ge=1, description="Longer model output is cut at a sentence end.")
    reply_timeout_s: float = Field(60.0, gt=0, description="A generation running longer gives no reply.")
    window: int = Field(40, ge=1, le=500, description="Recent messages per channel shown to the model.")
    stream_maxlen: int = Field(
        10_000, ge=100, le=100_000_000, description="Messages kept per channel stream (trimmed ~)."
    )
    retention_days: float = Field(
        365.0,
        ge=0,
        le=36_500,
        description="Messages older than this many days are trimmed from their channel stream as new ones "
        "arrive (XTRIM MINID), besides the length cap; 0 keeps by length only.",
    )
    burst_settle_s: float = Field(
        6.0,
        ge=0,
        le=_WEEK_S,
        description="The bot waits until nobody spoke for this long, then answers the burst.",
    )
    question_pause_s: float = Field(
        60.0,
        ge=0,
        le=_WEEK_S,
        description="In active mode, an open question to the room waits this long for people.",
    )
    rate_limit_replies: int = Field(4, ge=1, description="Most bot replies per conversation in the rate window.")
    rate_limit_window_s: float = Field(
        60.0, gt=0, le=_WEEK_S, description="The sliding window of the rate limit."
    )
    prefix_cache_mb: int = Field(
        256, ge=0, description="Memory for the saved contexts of channels not being answered now."
    )
    engine_url: str = Field(
        "", description="An OpenAI-compatible server (http://host:port); empty runs the model in-process."
    )
    engine_api: Literal["completions", "chat"] = Field(
        "completions", description="The server endpoint: /v1/completions or /v1/chat/completions."
    )
    engine_model: str = Field("", description="The model name sent to the server, if it needs one.")
    engine_connect_timeout_s: float = Field(10.0, gt=0, description="Giving up on reaching the server.")
    chat_template: bool = Field(
        True, description="Use chat completion when the GGUF carries a chat template."
    )
    # Care. Detection and escalation never wait on these: they bound what the model adds.
    care_judge_timeout_s: float = Field(15.0, gt=0, description="Second-stage judge of a care candidate.")
    care_wording: bool = Field(
        True, description="Let the model reword care messages (sent only if the protocol checks pass)."
    )
    care_wording_timeout_s: float = Field(10.0, gt=0, description="Giving up on the model's care wording.")
    care_sweep_minutes: float = Field(
        15.0,
        gt=0,
        le=24 * 60,
        description="How often quiet members, follow-ups and alert reminders are checked.",
    )
    care_follow_up_hours: float = Field(
        24.0, gt=0, le=_WEEK_S / 3600, description="When the bot checks in after a care talk."
    )
    health_host: str = Field(
        "127.0.0.1", description="Where `groupmind run` serves /healthz and /metrics; loopback by default."
    )
    health_port: int = Field(9464, ge=0, le=65535, description="Port of /healthz and /metrics; 0 serves neither.")
    discord_token: SecretStr | None = Field(None, description="Bot token; set, `groupmind run` joins Discord.")
    discord_shard_id: int | None = Field(
        None, ge=0, description="This process's gateway shard (with discord_shard_count); unset runs one connection."
    )
    discord_shard_count: int | None = Field(None, ge=1, description="Gateway shards across all processes.")
    discord_dev_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Guild ids to sync slash commands to at once (development)."
    )

    # Slack. Tokens are SecretStr so they never appear in a repr, a log line or a traceback.
    slack_bot_token: SecretStr = Field(SecretStr(""), description="Bot token (xoxb-...).")
    slack_app_token: SecretStr = Field(SecretStr(""), description="App-level token (xapp-...) for Socket Mode.")
    slack_signing_secret: SecretStr = Field(SecretStr(""), description="Checks HTTP-mode request signatures.")
    slack_mode: Literal["socket", "http"] = Field("socket", description="Socket Mode needs no public URL.")
    slack_reply_in_thread: bool = Field(
        True, description="Answer a channel message in a thread on it (replies in a thread stay there)."
    )
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    slack_http_host: str = Field("0.0.0.0", description="HTTP mode: address to listen on.")
    slack_admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Slack user ids who may run admin commands, besides workspace admins."
    )
    slack_http_port: int = Field(3000, ge=0, le=65535, description="HTTP mode: port to listen on (0 picks a free one).")

    # Scale-out: several workers share one Redis work stream (groupmind/work.py).
    work_queue: bool = Field(
        False, description="Adapters queue messages in Redis for any worker to handle, instead of handling them inline."
    )
    worker_name: str = Field(
        default_factory=_default_worker_name, min_length=1, max_length=128, description="This worker's consumer name."
    )
    work_claim_idle_ms: int = Field(
        30_000,
        ge=100,
        le=86_400_000,
        description="Work a worker has not touched for this long is taken over (it likely crashed).",
    )
    work_concurrency: int = Field(8, ge=1, le=256, description="Messages one worker handles at the same time.")

    @model_validator(mode="after")
    def _shards_together(self) -> Settings:
        if (self.discord_shard_id is None) != (self.discord_shard_count is None):
            raise ValueError("set GROUPMIND_DISCORD_SHARD_ID and GROUPMIND_DISCORD_SHARD_COUNT together")
        if self.discord_shard_id is not None and self.discord_shard_id >= (self.discord_shard_count or 0):
            raise ValueError("GROUPMIND_DISCORD_SHARD_ID must be below GROUPMIND_DISCORD_SHARD_COUNT")
        return self

    @field_validator("max_reply_tokens")
    @classmethod
    def _reply_fits_context(cls, value: int, info: ValidationInfo) -> int:
        # Checked here rather than on n_ctx, which is validated first: both values are known now.
        n_ctx = info.data.get("n_ctx")
        if n_ctx is not None and value > n_ctx - MIN_PROMPT_TOKENS:
            raise ValueError(
                f"GROUPMIND_N_CTX={n_ctx} leaves room for replies of at most {n_ctx - MIN_PROMPT_TOKENS} tokens "
                f"beside the {MIN_PROMPT_TOKENS} the prompt needs; lower this or raise GROUPMIND_N_CTX"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        # Checked now: a bad URL would otherwise fail at the first connection, mid-start.
        if value.startswith(("redis+cluster://", "redis+sentinel://")):
            _check_multi_host(value)
        elif value:
            url = _parse_url(_REDIS_URL, value, "redis://HOST:PORT/DB, rediss://... or unix:///PATH, or empty")
            if url.scheme == "unix" and not url.path:
                raise ValueError("a unix:// URL needs a socket path, as in unix:///run/redis.sock")
            database = (url.path or "").strip("/")
            if url.scheme != "unix" and database and not database.isdigit():
                raise ValueError("the path of a redis:// URL is a database number, as in redis://host:6379/0")
        return value

    @field_validator("engine_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value:
            _parse_url(_HTTP_URL, value, "http://HOST:PORT or https://...")
        return value

    @field_validator("bot_name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        # The name is a speaker label in the transcript, so it must stay one plain token.
        cleaned = " ".join(value.replace(":", " ").split())
        if not cleaned:
            raise ValueError("bot_name must contain a visible character")
        return cleaned

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("discord_dev_guilds", "slack_admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        # `GROUPMIND_DISCORD_DEV_GUILDS=123,456` reads better in a .env than a JSON list; both work.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part for part in (p.strip() for p in value.split(",")) if part]
        return value
