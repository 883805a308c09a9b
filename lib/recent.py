"""A bounded, thread-safe memory of the most recently used keys: the one least-recently-used rule.

Users: the simulator's derived-value caches (a public demo has many keys, files and jobs, so what it
derives from them, a job's curve and timeline, an uploaded file's prompt index, the prompt prefixes
a key has sent, is kept only for the few most recently used keys and recomputed, deterministically,
when needed again) and :class:`lib.memo.SessionMemo` (one session's heavy values).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class RecentlyUsed:
    """Values of the ``entries`` most recently used keys; the least recently used is forgotten first."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value remembered for ``key``, or ``compute()`` remembered (computed outside the lock)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._remember(key, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` for ``key`` as the most recent entry."""
        with self._lock:
            self._remember(key, value)

    def seen(self, key: Hashable) -> bool:
        """True when ``key`` was seen (and not yet forgotten); either way it is now the most recent."""
        with self._lock:
            known = key in self._items
            self._remember(key, True)
        return known

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _remember(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)
