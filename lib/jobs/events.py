"""A job's events: incremental paging (:class:`EventLog`), metric rows, levels, the events table.

Events come newest first and ``after=<id>`` pages toward *older* events, so
a watcher fetches the newest page, keeps what it has not seen, and stops at
the first id it already knows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from openai.types.fine_tuning import FineTuningJobEvent

from lib.jobs.paging import page_items
from lib.jobs.status import format_time

# The largest events page the API is known to accept (the maximum is undocumented).
EVENTS_PAGE_LIMIT = 100
METRIC_KEYS = (
    "train_loss",
    "valid_loss",
    "full_valid_loss",
    "train_mean_token_accuracy",
    "valid_mean_token_accuracy",
    "full_valid_mean_token_accuracy",
)
METRIC_LABELS = {
    "train_loss": "Train loss",
    "valid_loss": "Validation loss",
    "full_valid_loss": "Full validation loss",
    "train_mean_token_accuracy": "Train token accuracy",
    "valid_mean_token_accuracy": "Validation token accuracy",
    "full_valid_mean_token_accuracy": "Full validation token accuracy",
}


@dataclass
class EventLog:
    """The events of one job seen so far, newest first, filled in incrementally.

    Each refresh fetches one page with ``after=log.cursor`` and hands it to
    :meth:`merge_page`. ``cursor`` is None (the newest page) unless an
    earlier page was full of unseen events, which leaves a *gap* below it;
    then the next fetch continues into that gap with ``after=<oldest id of
    that page>``. Gaps are filled newest first; once none is left and the
    oldest event was reached, the log holds the job's whole history up to
    the last newest-page fetch.
    """

    events: list[FineTuningJobEvent] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    reached_start: bool = False
    fetches: int = 0

    @property
    def cursor(self) -> str | None:
        """The ``after`` to send with the next events request (None = the newest page)."""
        return self.gaps[-1] if self.gaps else None

    @property
    def complete(self) -> bool:
        """True when no event older than the newest one fetched is missing."""
        return self.reached_start and not self.gaps

    def ids(self) -> set[str]:
        return {e.id for e in self.events}

    def merge_page(
        self, page_events: list[FineTuningJobEvent], has_more: bool, *, after: str | None | object = ...
    ) -> str | None:
        """Merge one page fetched with ``after`` (default ``self.cursor``); return the cursor for the next fetch.

        Keeps the page's events up to the first id already seen (the API
        orders them newest first) and inserts them in place: at the top for
        the newest page, right below the cursor event for a gap page.
        """
        if after is ...:
            after = self.cursor
        seen = self.ids()
        fresh: list[FineTuningJobEvent] = []
        met_seen = False
        for event in page_events:
            if event.id in seen:
                met_seen = True
                break
            fresh.append(event)
        if after is None:
            position = 0
        else:
            if after in self.gaps:
                self.gaps.remove(after)
            position = next((i + 1 for i, e in enumerate(self.events) if e.id == after), len(self.events))
        self.events[position:position] = fresh
        if not met_seen:
            if has_more and fresh:
                self.gaps.append(fresh[-1].id)  # older unseen events wait below this page
            elif not has_more:
                self.reached_start = True
        self.fetches += 1
        return self.cursor

    def chronological(self) -> list[FineTuningJobEvent]:
        """The events oldest first."""
        return list(reversed(self.events))


def fetch_events_page(
    client, job_id: str, log: EventLog, *, newest: bool = False, limit: int = EVENTS_PAGE_LIMIT
) -> str | None:
    """One ``GET .../events`` at ``log.cursor`` (or the newest page), merged into ``log``; returns the next cursor."""
    after = None if newest else log.cursor
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    data, has_more = page_items(client.fine_tuning.jobs.list_events(job_id, **params), limit)
    return log.merge_page(data, has_more, after=after)


def fetch_all_events(client, job_id: str, log: EventLog | None = None, *, limit: int = EVENTS_PAGE_LIMIT) -> EventLog:
    """Bring ``log`` (or a new one) fully up to date: the newest page, then every gap down to the first event."""
    log = log or EventLog()
    fetch_events_page(client, job_id, log, newest=True, limit=limit)
    while log.gaps:
        fetch_events_page(client, job_id, log, limit=limit)
    return log


def metric_rows(events: Iterable[FineTuningJobEvent]) -> list[dict]:
    """One row per step from the ``metrics`` events (step, total_steps and the metric keys), by step.

    Keys missing from an event stay missing; a step reported twice keeps its latest values.
    """
    by_step: dict[int, dict] = {}
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.type not in (None, "metrics") or "step" not in data:
            continue
        try:
            step = int(data["step"])
        except (TypeError, ValueError):
            continue
        row = by_step.setdefault(step, {"step": step})
        if data.get("total_steps") is not None:
            row["total_steps"] = int(data["total_steps"])
        for key in METRIC_KEYS:
            value = data.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                row[key] = float(value)
    return [by_step[s] for s in sorted(by_step)]


def smooth(values: list[float | None], weight: float) -> list[float | None]:
    """Exponential moving average (TensorBoard-style ``weight`` in [0, 1)); gaps stay gaps."""
    weight = min(max(float(weight), 0.0), 0.999)
    out: list[float | None] = []
    last: float | None = None
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
            continue
        last = value if last is None else weight * last + (1 - weight) * value
        out.append(last)
    return out


def level_counts(events: Iterable[FineTuningJobEvent]) -> dict[str, int]:
    """How many events of each level (info, warn, error)."""
    counts: dict[str, int] = {}
    for event in events:
        level = event.level or "info"
        counts[level] = counts.get(level, 0) + 1
    return counts


def events_caption(events: list[FineTuningJobEvent], complete: bool = True) -> str:
    """``120 events seen (118 info, 2 warn), newest first.``, saying so while older ones are still fetched."""
    counts = ", ".join(f"{n} {level}" for level, n in level_counts(events).items())
    more = "" if complete else " Older events are still being fetched."
    return f"{len(events)} events seen ({counts}), newest first.{more}"


def events_table(
    events: Iterable[FineTuningJobEvent], levels: Iterable[str] | None = None, tz: dt.tzinfo | None = None
) -> list[dict]:
    """Rows (time, level, type, message) for the events log, newest first, optionally filtered by level."""
    wanted = set(levels) if levels is not None else None
    rows = []
    for event in events:
        level = event.level or "info"
        if wanted is not None and level not in wanted:
            continue
        rows.append(
            {
                "time": format_time(event.created_at, tz),
                "level": level,
                "type": event.type or "message",
                "message": str(event.message or ""),
            }
        )
    return rows
