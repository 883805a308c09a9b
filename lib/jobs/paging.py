"""One page of a list call (jobs, events): its items and whether older ones remain."""

from __future__ import annotations

from typing import Any


def page_items(result: Any, limit: int) -> tuple[list[Any], bool]:
    """``(items, has_more)`` of one SDK page asked for with ``limit``; the items as the SDK typed them.

    Old servers omit ``has_more`` (openai-openapi#168): then a full page may have more.
    """
    data = list(getattr(result, "data", None) or [])
    has_more = getattr(result, "has_more", None)
    if has_more is None:
        has_more = len(data) >= limit
    return data, bool(has_more)
