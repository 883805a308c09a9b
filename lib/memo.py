"""Memory that is given back: per-session memos dropped when idle, one shared cache bounded in bytes.

The Dataset page's heavy derived values (a validator report, a line index over the uploaded bytes)
used to live in ``st.cache_resource`` for an hour, eight entries each, so a visitor's 300 MB file
and everything built from it stayed in the server long after the visitor left. Now:

- :class:`SessionMemo` holds one session's values. It lives in that session's state, so it goes
  when Streamlit drops the session (``server.disconnectedSessionTTL`` after the tab closes), and
  :func:`sweep_idle` empties it once the session has been idle for ``idle_seconds`` (values are
  rebuilt on the next use).
- :class:`SharedCache` shares values between sessions (the same sample checked by many visitors)
  up to ``max_bytes`` of input in total and ``idle_seconds`` per entry; an input larger than a
  quarter of the budget is never shared.

Freed memory is also handed back to the operating system: when a session memo goes (its session
ended) or is emptied, :func:`release_memory` runs shortly after (garbage collection, then glibc's
``malloc_trim``). Without it a report's many small objects left ~40 MB of heap per 60 MB file
resident after they were freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from lib.recent import RecentlyUsed

SESSION_IDLE_SECONDS = 15 * 60
SHARED_MAX_BYTES = 128 * 1024 * 1024
SHARED_IDLE_SECONDS = 15 * 60

_memos: weakref.WeakSet = weakref.WeakSet()
_memos_lock = threading.Lock()


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()
RELEASE_DELAY_S = 2.0
_release_timer: threading.Timer | None = None
_release_lock = threading.Lock()


def release_memory() -> None:
    """Collect garbage, then give free heap pages back to the operating system (glibc only)."""
    global _release_timer
    with _release_lock:
        _release_timer = None
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def release_soon() -> None:
    """Run :func:`release_memory` in a moment, once however often this is called meanwhile."""
    global _release_timer
    with _release_lock:
        if _release_timer is None:
            _release_timer = threading.Timer(RELEASE_DELAY_S, release_memory)
            _release_timer.daemon = True
            _release_timer.start()


JANITOR_INTERVAL_S = 30.0
_janitor: threading.Thread | None = None


def _janitor_loop() -> None:
    while True:
        time.sleep(JANITOR_INTERVAL_S)
        sweep_idle()
        gc.collect()  # a dropped session's state may sit in a reference cycle: its memo's finalizer fires here


def _start_janitor() -> None:
    """Empty idle memos and find ended sessions' memos every ``JANITOR_INTERVAL_S``, with no visitor needed."""
    global _janitor
    with _memos_lock:
        if _janitor is None:
            _janitor = threading.Thread(target=_janitor_loop, name="memo-janitor", daemon=True)
            _janitor.start()


class SessionMemo:
    """At most ``entries`` values of one session, least recently used dropped first."""

    def __init__(
        self, entries: int = 4, idle_seconds: float = SESSION_IDLE_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.idle_seconds, self.clock = idle_seconds, clock
        self._recent = RecentlyUsed(entries)
        self.last_used = clock()
        with _memos_lock:
            _memos.add(self)
        weakref.finalize(self, release_soon)  # the session ended: give its memory back
        _start_janitor()

    @property
    def entries(self) -> int:
        return self._recent.entries

    def __len__(self) -> int:
        return len(self._recent)

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value for ``key``, built by ``build()`` on first use (or after the memo was emptied)."""
        self.last_used = self.clock()
        sweep_idle(self.last_used)
        return self._recent.get(key, build)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for ``key`` as the most recent entry (a value learnt elsewhere, say uploaded bytes)."""
        self.last_used = self.clock()
        self._recent.put(key, value)

    def clear(self) -> None:
        self._recent.clear()


def sweep_idle(now: float | None = None) -> int:
    """Empty every session memo idle for longer than its ``idle_seconds``; returns how many were emptied."""
    with _memos_lock:
        memos = list(_memos)
    emptied = 0
    for memo in memos:
        if len(memo) and (now if now is not None else memo.clock()) - memo.last_used > memo.idle_seconds:
            memo.clear()
            emptied += 1
    if emptied:
        release_soon()
    return emptied


class SharedCache:
    """Values shared by all sessions, bounded by the bytes of their inputs (``cost``) and by idle time."""

    def __init__(
        self,
        max_bytes: int = SHARED_MAX_BYTES,
        idle_seconds: float = SHARED_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_bytes, self.idle_seconds, self.clock = max_bytes, idle_seconds, clock
        self._items: OrderedDict = OrderedDict()  # key -> [value, cost, last_used]
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return sum(item[1] for item in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, build: Callable[[], Any], cost: int) -> Any:
        """The value for ``key``; built and kept if ``cost`` fits (a large input is built, not kept)."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            item = self._items.get(key)
            if item is not None:
                item[2] = now
                self._items.move_to_end(key)
                return item[0]
        value = build()
        if cost <= self.max_bytes // 4:
            with self._lock:
                self._items[key] = [value, cost, self.clock()]
                while self.bytes > self.max_bytes:
                    self._items.popitem(last=False)
        return value

    def _expire(self, now: float) -> None:
        for key in [k for k, item in self._items.items() if now - item[2] > self.idle_seconds]:
            del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
