"""lib/memo: per-session memos dropped when idle, a shared cache bounded in bytes and idle time."""

from __future__ import annotations

import gc
import weakref

from lib.memo import SessionMemo, SharedCache, sweep_idle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_memo_builds_once_keeps_few_and_empties_when_idle():
    clock, builds = Clock(), []
    memo = SessionMemo(entries=2, idle_seconds=60, clock=clock)

    def build(key):
        return lambda: builds.append(key) or key.upper()

    assert memo.get("a", build("a")) == "A" and memo.get("a", build("a")) == "A"
    memo.get("b", build("b"))
    memo.get("c", build("c"))
    assert builds == ["a", "b", "c"] and len(memo) == 2  # "a" made room
    other = SessionMemo(idle_seconds=60, clock=clock)
    other.get("x", build("x"))
    clock.now += 61
    memo.get("b", build("b"))  # this session is active again; the other one idled
    assert len(other) == 0 and len(memo) == 2
    clock.now += 61
    assert sweep_idle(clock.now) == 1 and len(memo) == 0


def test_a_session_memo_goes_with_its_session():
    import lib.memo as module

    memo = SessionMemo()
    memo.get("big", lambda: bytearray(10))
    gone = weakref.ref(memo)
    assert memo in module._memos
    del memo  # Streamlit dropping the session's state
    gc.collect()
    assert gone() is None  # the registry of memos does not keep it alive


def test_the_shared_cache_is_bounded_in_bytes_and_idle_time():
    clock = Clock()
    cache = SharedCache(max_bytes=100, idle_seconds=60, clock=clock)
    for key in "abc":
        cache.get(key, lambda key=key: key, cost=25)
    assert cache.bytes == 75
    cache.get("d", lambda: "d", cost=25)
    cache.get("e", lambda: "e", cost=25)
    assert cache.bytes <= 100 and len(cache) == 4
    assert cache.get("huge", lambda: "built", cost=26) == "built" and "huge" not in cache._items  # > a quarter
    clock.now += 61
    cache.get("f", lambda: "f", cost=1)
    assert len(cache) == 1


def test_put_keeps_a_value_learnt_elsewhere_as_the_newest_within_the_bound():
    memo = SessionMemo(entries=2)
    memo.get("a", lambda: 1)
    memo.put("b", 2)
    memo.put("c", 3)
    assert len(memo) == 2 and memo.get("c", lambda: 0) == 3 and memo.get("a", lambda: "rebuilt") == "rebuilt"
