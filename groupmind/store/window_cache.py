"""The recent messages of each conversation, kept in this process and checked against Redis by stream id.

Re-reading a conversation's last 60 messages for every message it gets was most
of Redis's time on the live path. Instead each process keeps the window it last
read or wrote, under the stream id of its newest entry and the community's
revision (`CommunityKeys.revision`, bumped by every edit, delete and forget-me).
A read first asks Redis for only those two; when they match, the kept window is
the conversation as Redis holds it. An append that lands right after the kept
newest entry extends the window in place; anything else (another process wrote
in between, a replay batch) leaves it stale, and the next read fetches it whole.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from groupmind.events import ChatMessage

Entry = tuple[ChatMessage, dict[str, str]]
"""A stored message with the fields kept beside it (the we model's link)."""

CONVERSATIONS = 4096
"""Windows kept per process; the least recently used go first."""


@dataclass
class _Window:
    tail: str
    """Stream id of the newest entry ("" for an empty stream)."""
    revision: str
    count: int
    """How many entries were asked for: a window serves reads of at most that many."""
    entries: list[Entry]


class WindowCache:
    """Per-conversation windows, least recently used out first."""

    def __init__(self, conversations: int = CONVERSATIONS) -> None:
        self.limit = conversations
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, log: str, count: int, tail: str, revision: str) -> list[Entry] | None:
        """The last `count` entries of stream `log`, if the kept window is still what Redis holds."""
        window = self._windows.get(log)
        if window is None or window.tail != tail or window.revision != revision or window.count < count:
            self.misses += 1
            return None
        self._windows.move_to_end(log)
        self.hits += 1
        return window.entries[-count:]

    def put(self, log: str, count: int, tail: str, revision: str, entries: list[Entry]) -> None:
        self._windows[log] = _Window(tail, revision, count, list(entries))
        self._windows.move_to_end(log)
        while len(self._windows) > self.limit:
            self._windows.popitem(last=False)

    def appended(self, log: str, previous: str, entry_id: str, entry: Entry) -> None:
        """Stream `log` got `entry` as `entry_id`, right after `previous`: extend the kept window, or drop it."""
        window = self._windows.get(log)
        if window is None:
            return
        if window.tail != previous:
            del self._windows[log]  # someone else wrote in between: read it whole next time
            return
        window.entries = [*window.entries, entry][-window.count:]
        window.tail = entry_id

    def forget(self, log: str) -> None:
        self._windows.pop(log, None)
