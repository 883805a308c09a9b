"""Watching one job: the :class:`JobWatch` a page keeps, refreshed by :func:`poll`, finished by :func:`load_final`."""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib.jobs.api import fetch_checkpoints, fetch_file_metadata, fetch_job, fetch_result_files, file_ids
from lib.jobs.events import EventLog, fetch_all_events, fetch_events_page
from lib.jobs.status import eta_text, format_time, is_terminal

MAX_WATCHED_JOBS = 12  # jobs whose events one session keeps in memory
JOB_FRESH_S = 0.8  # a job fetched this recently (the same run) is not fetched again


@dataclass
class JobWatch:
    """What this session has seen of one job: the job, its events, and its final records once ended."""

    job: FineTuningJob
    log: EventLog = field(default_factory=EventLog)
    checkpoints: list[FineTuningJobCheckpoint] | None = None
    result_files: dict[str, str] | None = None
    files: dict[str, FileObject | str] = field(default_factory=dict)  # a file's object, or why it could not be read
    fetched_at: float = 0.0
    polls: int = 0
    drawn_status: str | None = None  # the status the whole page was last drawn for

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def status(self) -> str | None:
        return self.job.status

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

    def update(self, job: FineTuningJob, at: float) -> None:
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


def open_watch(client, watch: JobWatch | None, job_id: str, *, now: float, fresh_for: float = JOB_FRESH_S) -> JobWatch:
    """The watch of ``job_id`` with a fresh job: fetched, unless it has ended or was fetched less
    than ``fresh_for`` seconds ago. A new watch when ``watch`` is None; the SDK's error is raised."""
    if watch is not None and (watch.terminal or now - watch.fetched_at <= fresh_for):
        return watch
    job = fetch_job(client, job_id)
    watch = watch or JobWatch(job)
    watch.update(job, now)
    return watch


def load_file_details(client, watch: JobWatch) -> JobWatch:
    """Read the details of the job's files not read yet (a running job gains files as it goes)."""
    if not all(f in watch.files for f in file_ids(watch.job)):
        watch.files = fetch_file_metadata(client, watch.job, watch.files)
    return watch


def watch_with_history(client, watch: JobWatch | None, job_id: str, *, now: float) -> JobWatch:
    """The watch of ``job_id`` with every event so far (for a comparison): the job fetched unless
    it has ended, then the events until none is missing."""
    if watch is None or not watch.terminal:
        job = fetch_job(client, job_id)
        watch = watch or JobWatch(job)
        watch.update(job, now)
    if not (watch.terminal and watch.log.complete):
        fetch_all_events(client, job_id, watch.log)
    return watch


def watches_with_history(
    client, store: WatchStore, connection: str, job_ids: list[str], *, in_use: set[str], guard, now: float
) -> tuple[list[JobWatch], list[tuple[str, Exception]]]:
    """The watches of ``job_ids`` with their whole history (:func:`watch_with_history`), kept in ``store``.

    ``guard`` is the run's :class:`lib.calls.FailureGuard`: once a call of the run has failed, what
    was last seen is used and nothing is asked. Returns the watches (jobs never seen and unreachable
    are left out) and ``(job id, error)`` of each failed call.
    """
    import openai

    watches, failures = [], []
    for job_id in job_ids:
        watch = store.get(connection, job_id)
        if not guard:
            try:
                watch = watch_with_history(client, watch, job_id, now=now)
            except openai.OpenAIError as exc:
                failures.append((job_id, exc))
                guard.note("compare")
        if watch is not None:
            store.keep(connection, watch, in_use | set(job_ids))
            watches.append(watch)
    return watches, failures


def live_caption(watch: JobWatch, now: float, refresh_s: float, tz: dt.tzinfo | None = None) -> str:
    """Under the progress bar: when an ended job ended, or a running job's ETA and last refresh."""
    if watch.terminal:
        ended = format_time(watch.job.finished_at, tz)
        return f"The job has ended ({ended}); it is no longer refreshed."
    refreshed = f"refreshed {format_time(watch.fetched_at, tz)}, every {refresh_s:g} s"
    return " · ".join(filter(None, [eta_text(watch.job, now, tz), refreshed]))


class WatchStore:
    """The jobs one session watches, on any connection, at most ``limit``: the least recently kept
    goes first, never one in use. Keys are ``"<connection>:<job id>"``."""

    def __init__(self, limit: int = MAX_WATCHED_JOBS) -> None:
        self.limit = limit
        self._watches: OrderedDict[str, JobWatch] = OrderedDict()

    @staticmethod
    def key(connection: str, job_id: str) -> str:
        return f"{connection}:{job_id}"

    def get(self, connection: str, job_id: str | None) -> JobWatch | None:
        """The watch of ``job_id`` on ``connection``, or None."""
        return self._watches.get(self.key(connection, job_id)) if job_id else None

    def keep(self, connection: str, watch: JobWatch, in_use: Iterable[str] = ()) -> None:
        """Keep ``watch`` as the most recent one; forget the oldest beyond the limit, except the jobs
        of ``in_use`` (ids on ``connection``: the open job, the compared ones)."""
        key = self.key(connection, watch.id)
        self._watches.pop(key, None)
        self._watches[key] = watch
        keep = {self.key(connection, i) for i in in_use} | {key}
        for old in [k for k in self._watches if k not in keep][: max(0, len(self._watches) - self.limit)]:
            del self._watches[old]

    def jobs(self, connection: str) -> dict[str, FineTuningJob]:
        """The freshest job objects watched on ``connection``, by id."""
        prefix = connection + ":"
        return {w.id: w.job for k, w in self._watches.items() if k.startswith(prefix)}

    def items(self) -> Iterator[tuple[str, JobWatch]]:
        return iter(list(self._watches.items()))

    def __len__(self) -> int:
        return len(self._watches)
