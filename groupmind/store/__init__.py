"""The shared state in Redis: conversations, member activity, community settings."""

from groupmind.store.connect import StoreUnavailable, open_redis
from groupmind.store.state import Activity, Store

__all__ = ["Activity", "Store", "StoreUnavailable", "open_redis"]
