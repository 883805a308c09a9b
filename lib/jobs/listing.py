"""The jobs list: one page from the API, merged, filtered and tabled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from openai.types.fine_tuning import FineTuningJob

from lib.catalog import base_model_name
from lib.jobs.paging import page_items
from lib.jobs.status import format_time

ANY_MODEL = "Any model"
# The statuses the list can be filtered by, in the order a job meets them.
STATUS_CHOICES = ("validating_files", "queued", "running", "paused", "succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class JobsPage:
    """One page of ``GET /fine_tuning/jobs`` (newest first)."""

    jobs: list[FineTuningJob]
    has_more: bool

    @property
    def next_after(self) -> str | None:
        return self.jobs[-1].id if self.jobs and self.has_more else None


def parse_metadata_filter(text: str) -> dict[str, str]:
    """``"team=search, run=7"`` -> ``{"team": "search", "run": "7"}``; raises ValueError on a bad pair."""
    pairs: dict[str, str] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Write metadata filters as key=value pairs separated by commas; {part!r} is not one.")
        pairs[key.strip()] = value.strip()
    return pairs


def list_jobs_page(
    client, *, after: str | None = None, limit: int = 20, metadata: dict[str, str] | None = None
) -> JobsPage:
    """One page of the account's jobs, newest first; ``metadata`` filters on the server."""
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    if metadata:
        params["metadata"] = metadata
    data, has_more = page_items(client.fine_tuning.jobs.list(**params), limit)
    return JobsPage(data, has_more)


def merge_job_lists(known: list[FineTuningJob], fresh: list[FineTuningJob]) -> list[FineTuningJob]:
    """``fresh`` (a newer read of the newest jobs) merged into ``known``: updated in place, new ones first."""
    fresh_by_id = {j.id: j for j in fresh}
    known_ids = {j.id for j in known}
    new = [j for j in fresh if j.id not in known_ids]
    return new + [fresh_by_id.get(j.id, j) for j in known]


def filter_jobs(
    jobs: Iterable[FineTuningJob], *, statuses: Iterable[str] | None = None, model: str | None = None
) -> list[FineTuningJob]:
    """Jobs whose status is in ``statuses`` and whose base model is ``model`` (None = any)."""
    wanted = set(statuses) if statuses else None
    out = []
    for job in jobs:
        if wanted is not None and job.status not in wanted:
            continue
        if model and base_model_name(job.model or "") != model:
            continue
        out.append(job)
    return out


def trained_tokens_text(trained_tokens: int | None) -> str:
    """A job's trained tokens with thousands separators, or "—" until the API reports them (a running job)."""
    return "—" if trained_tokens is None else f"{trained_tokens:,}"


def jobs_table(jobs: Iterable[FineTuningJob], tz: dt.tzinfo | None = None) -> list[dict]:
    """Rows for the jobs list: status, created, model, fine-tuned model, trained tokens, id, metadata.

    Trained tokens are text (:func:`trained_tokens_text`): a number column would show a running job's
    missing count as "None".
    """
    return [
        {
            "status": job.status,
            "created": format_time(job.created_at, tz),
            "model": job.model,
            "fine_tuned_model": job.fine_tuned_model or "",
            "trained_tokens": trained_tokens_text(job.trained_tokens),
            "id": job.id,
            "metadata": ", ".join(f"{k}={v}" for k, v in (job.metadata or {}).items()),
        }
        for job in jobs
    ]


@dataclass
class Listing:
    """The jobs list a session has seen for one connection and metadata filter (``key``), newest first."""

    key: tuple
    jobs: list[FineTuningJob] = field(default_factory=list)
    has_more: bool = False
    fetched_at: float = 0.0


def update_listing(
    client,
    listing: Listing | None,
    key: tuple,
    metadata: dict[str, str] | None,
    *,
    now: float,
    older: bool = False,
    refresh: bool = False,
    max_age_s: float = 30.0,
    page_size: int = 20,
) -> Listing:
    """The list for ``key``, read from the API only as far as needed.

    A new key reads the newest page. Otherwise ``older`` appends the next older page (when there is one),
    and ``refresh`` or an age over ``max_age_s`` merges the newest page into what was seen. ``listing``
    is updated in place, so a call that fails half way keeps what it read; the SDK's error is raised.
    """
    if listing is None or listing.key != key:
        page = list_jobs_page(client, metadata=metadata or None, limit=page_size)
        return Listing(key, page.jobs, page.has_more, now)
    if older and listing.has_more and listing.jobs:
        page = list_jobs_page(client, after=listing.jobs[-1].id, metadata=metadata or None, limit=page_size)
        known = {j.id for j in listing.jobs}
        listing.jobs += [j for j in page.jobs if j.id not in known]
        listing.has_more = page.has_more
    if refresh or now - listing.fetched_at > max_age_s:
        page = list_jobs_page(client, metadata=metadata or None, limit=page_size)
        listing.jobs = merge_job_lists(listing.jobs, page.jobs)
        listing.fetched_at = now
    return listing


def listing_key(connection: str, metadata: dict[str, str]) -> tuple:
    """What a listing is for: the connection and the metadata filter (another key reads afresh)."""
    return (connection, tuple(sorted(metadata.items())))


@dataclass(frozen=True)
class ListView:
    """The list as drawn: every loaded job (freshest copy), the base models among them, the model
    filter in effect (any model when the chosen one is not among them), and the jobs shown."""

    loaded: list[FineTuningJob]
    models: list[str]
    model: str
    shown: list[FineTuningJob]

    @property
    def caption(self) -> str:
        return f"{len(self.shown)} of {len(self.loaded)} loaded jobs, newest first. Click a row to open it."


def list_view(
    jobs: Iterable[FineTuningJob], fresher: dict[str, FineTuningJob], *, statuses: Iterable[str] | None, model: str
) -> ListView:
    """The jobs of a listing with the fresher copies this session watched, filtered by status and base model."""
    loaded = [fresher.get(job.id, job) for job in jobs]
    models = sorted({base_model_name(job.model or "") for job in loaded} - {""})
    model = model if model in models else ANY_MODEL
    shown = filter_jobs(loaded, statuses=statuses, model=None if model == ANY_MODEL else model)
    return ListView(loaded, models, model, shown)


def empty_list_text(filtered: bool) -> str:
    """What an empty list says (``filtered``: a metadata filter is set)."""
    where = " with that metadata." if filtered else "."
    return f"No fine-tuning jobs on this connection yet{where} Launch one on the Launch page."


def picker_options(job_ids: list[str], current: str | None) -> list[str]:
    """The job picker's choices: the listed ids, with the open job first when the list does not show it."""
    return [current, *job_ids] if current and current not in job_ids else list(job_ids)
