"""The one least-recently-used store (lib/recent.py)."""

from __future__ import annotations

from lib.recent import RecentlyUsed


def test_recently_used_keeps_the_most_recent_keys_and_computes_each_value_once():
    memory = RecentlyUsed(2)
    computed = []

    def value_of(key):
        return memory.get(key, lambda: computed.append(key) or key.upper())

    assert [value_of("a"), value_of("b"), value_of("a")] == ["A", "B", "A"]
    assert computed == ["a", "b"]  # "a" came from memory the second time, and is now the most recent
    value_of("c")  # forgets "b", the least recently used
    assert [value_of("a"), value_of("b")] == ["A", "B"] and computed == ["a", "b", "c", "b"]
    assert [memory.seen("x"), memory.seen("x")] == [False, True]


def test_put_makes_a_value_the_most_recent_and_clear_forgets_everything():
    memory = RecentlyUsed(2)
    memory.put("a", 1)
    memory.put("b", 2)
    memory.put("a", 3)  # replaced, and now the most recent
    memory.put("c", 4)  # forgets "b"
    assert len(memory) == 2
    assert memory.get("a", lambda: "rebuilt") == 3
    assert memory.get("b", lambda: "rebuilt") == "rebuilt"
    memory.clear()
    assert len(memory) == 0
    assert memory.get("a", lambda: "rebuilt") == "rebuilt"
