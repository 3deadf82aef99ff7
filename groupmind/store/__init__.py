"""The shared state in Redis: conversations, member activity, community settings."""

from redis.exceptions import RedisError as StoreError  # what a failed store call raises, for callers outside

from groupmind.store.connect import StoreUnavailable, open_redis
from groupmind.store.state import Activity, Store

__all__ = ["Activity", "Store", "StoreError", "StoreUnavailable", "open_redis"]
