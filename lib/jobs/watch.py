"""Watching one job: the :class:`JobWatch` a page keeps, refreshed by :func:`poll`, finished by :func:`load_final`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lib.jobs.api import fetch_checkpoints, fetch_file_metadata, fetch_job, fetch_result_files, file_ids
from lib.jobs.events import EventLog, fetch_all_events, fetch_events_page
from lib.jobs.status import is_terminal


@dataclass
class JobWatch:
    """What this session has seen of one job: the job, its events, and its final records once ended."""

    job: dict
    log: EventLog = field(default_factory=EventLog)
    checkpoints: list[dict] | None = None
    result_files: dict[str, str] | None = None
    files: dict[str, dict] = field(default_factory=dict)
    fetched_at: float = 0.0
    polls: int = 0

    @property
    def id(self) -> str:
        return self.job["id"]

    @property
    def status(self) -> str | None:
        return self.job.get("status")

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def final_loaded(self) -> bool:
        """True once the records of an ended job (all events, checkpoints, results, files) are loaded."""
        return (
            self.terminal
            and self.log.complete
            and self.checkpoints is not None
            and self.result_files is not None
            and all(i in self.files for i in file_ids(self.job))
        )

    def update(self, job: dict, at: float) -> None:
        """Keep a freshly fetched job (``at``: when, as ``time.time()``)."""
        self.job = job
        self.fetched_at = at


def poll(client, watch: JobWatch, *, job_fresh_for: float = 0.0) -> JobWatch:
    """One live refresh: the job (unless fetched less than ``job_fresh_for`` seconds ago),
    then one events page. At most two API calls."""
    now = time.time()
    if now - watch.fetched_at >= job_fresh_for:
        watch.update(fetch_job(client, watch.id), now)
    fetch_events_page(client, watch.id, watch.log)
    watch.polls += 1
    return watch


def load_final(client, watch: JobWatch) -> JobWatch:
    """Load, once, what an ended job keeps: every event, the checkpoints, result files and file details."""
    if not watch.log.complete or watch.log.fetches == 0 or watch.checkpoints is None:
        fetch_all_events(client, watch.id, watch.log)  # the newest page, then any gaps
    if watch.checkpoints is None:
        watch.checkpoints = fetch_checkpoints(client, watch.id) if watch.status == "succeeded" else []
    if watch.result_files is None:
        watch.result_files = fetch_result_files(client, watch.job)
    watch.files = fetch_file_metadata(client, watch.job, watch.files)
    return watch
