"""Watching fine-tuning jobs: listing, incremental events, metrics, checkpoints, cost, archive.

Everything here works on plain dicts (the JSON the API returns, via
:func:`as_dict`), so what a page keeps in session state can be written to an
archive as-is. Functions that talk to the API take an ``openai.OpenAI``
client and make the calls they name, nothing more; errors from the SDK are
left to the page, which turns them into one sentence (``lib.errors``).

Events come newest first and ``after=<id>`` pages toward *older* events, so
a watcher fetches the newest page, keeps what it has not seen, and stops at
the first id it already knows (:class:`EventLog`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import math
import re
import shlex
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable

from lib.catalog import (
    CALENDAR_LABELS, Catalog, UnknownModelError, base_model_label, base_model_name, fine_tune_deadline_text,
    load_catalog,
)
from lib.costs import training_charge_usd, usd, usd_per_1m, usd_price

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
# The path a healthy job takes; ``paused`` (and any status the SDK does not know) is shown raw.
STAGES = ("validating_files", "queued", "running")
STATUS_LABELS = {
    "validating_files": "Validating files",
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "paused": "Paused",
}
STATUS_ICONS = {
    "validating_files": ":material/fact_check:",
    "queued": ":material/schedule:",
    "running": ":material/play_circle:",
    "succeeded": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/cancel:",
    "paused": ":material/pause_circle:",
}
# The largest events page the API is known to accept (the maximum is undocumented).
EVENTS_PAGE_LIMIT = 100
METRIC_KEYS = (
    "train_loss", "valid_loss", "full_valid_loss",
    "train_mean_token_accuracy", "valid_mean_token_accuracy", "full_valid_mean_token_accuracy",
)
METRIC_LABELS = {
    "train_loss": "Train loss",
    "valid_loss": "Validation loss",
    "full_valid_loss": "Full validation loss",
    "train_mean_token_accuracy": "Train token accuracy",
    "valid_mean_token_accuracy": "Validation token accuracy",
    "full_valid_mean_token_accuracy": "Full validation token accuracy",
}
# The result CSV spells some metrics differently on OpenAI ("train_accuracy") and Azure OpenAI
# ("validation_mean_token_accuracy"); rows are read under the event metrics' names (METRIC_KEYS).
RESULT_COLUMN_SPELLINGS = {
    "train_accuracy": "train_mean_token_accuracy",
    "validation_mean_token_accuracy": "valid_mean_token_accuracy",
    "validation_loss": "valid_loss",
}
# Checkpoint ids: OpenAI's ``ftckpt_...``, Azure OpenAI's ``ftchkpt-<hex>``.
_CHECKPOINT_ID = re.compile(r"^(?:ftckpt_[A-Za-z0-9]+|ftchkpt-[0-9a-f]+)$")
# Where the Launch page leaves its pre-launch estimate on the job (metadata is the only
# place that travels with the job and survives a reload or another browser).
ESTIMATE_TOKENS_KEY = "estimated_trained_tokens"
ESTIMATE_USD_KEY = "estimated_cost_usd"


_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def is_checkpoint_id(text: str | None) -> bool:
    """True for a checkpoint id of OpenAI (``ftckpt_...``) or Azure OpenAI (``ftchkpt-<hex>``)."""
    return bool(text) and bool(_CHECKPOINT_ID.match(text))


def is_job_id(text: str | None) -> bool:
    """True when ``text`` can be a job id (``ftjob-...``): guards ids taken from the URL or typed in."""
    return bool(text) and bool(_JOB_ID.match(text))


def job_label(job: dict) -> str:
    """``ftjob-abc · running · gpt-4o-mini-2024-07-18 · my-suffix`` for pickers."""
    parts = [job.get("id") or "?", job.get("status") or "?", job.get("model") or "?"]
    if suffix_of(job):
        parts.append(suffix_of(job))
    return " · ".join(parts)


def short_label(job: dict) -> str:
    """``my-suffix (…a1b2c3)``: a legend-sized name for a job."""
    tail = "…" + (job.get("id") or "?")[-6:]
    suffix = suffix_of(job)
    return f"{suffix} ({tail})" if suffix else tail


def is_terminal(status: str | None) -> bool:
    """True for succeeded, failed and cancelled; any other status (``paused``, unknown) may still change."""
    return status in TERMINAL_STATUSES


def status_label(status: str | None) -> str:
    """A human label for a status; unknown statuses are shown as the API spells them (if plain)."""
    if status in STATUS_LABELS:
        return STATUS_LABELS[status]
    # Unknown statuses are shown raw, but only if they look like one (they end up in markdown).
    return status if status and re.fullmatch(r"[a-z_]{1,40}", status) else "unknown"


def as_dict(obj: Any) -> dict:
    """The JSON dict of an SDK object (fields the API sent, extras included), or a copy of a dict."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict(mode="json")
    return dict(obj.model_dump(mode="json"))


def has_error(job: dict) -> bool:
    """True when the job carries a real error (the API may send ``"error": {}`` on healthy jobs)."""
    error = job.get("error") or {}
    return bool(error.get("code") or error.get("message"))


def error_sentence(job: dict) -> str | None:
    """The job's failure as one sentence (message, then the field it concerns), or None."""
    if not has_error(job):
        return None
    error = job["error"]
    message = (error.get("message") or "The job failed").strip()
    if not message.endswith("."):
        message += "."
    extra = []
    if error.get("param"):
        extra.append(f"field: {error['param']}")
    if error.get("code"):
        extra.append(f"code: {error['code']}")
    return message + (f" ({', '.join(extra)})" if extra else "")


def format_time(ts: int | float | None, tz: dt.tzinfo | None = None) -> str:
    """``2026-11-26 14:32`` in ``tz`` (UTC by default, then labelled), or an em dash."""
    if not ts:
        return "—"
    when = dt.datetime.fromtimestamp(ts, tz or dt.timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M:%S") + ("" if tz else " UTC")


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min``, ``2 h 05 min``, ``3 d 4 h``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


# ------------------------------------------------------------------------------------- events
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

    events: list[dict] = field(default_factory=list)
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
        return {e["id"] for e in self.events}

    def merge_page(self, page_events: list[dict], has_more: bool, *, after: str | None | object = ...) -> str | None:
        """Merge one page fetched with ``after`` (default ``self.cursor``); return the cursor for the next fetch.

        Keeps the page's events up to the first id already seen (the API
        orders them newest first) and inserts them in place: at the top for
        the newest page, right below the cursor event for a gap page.
        """
        if after is ...:
            after = self.cursor
        seen = self.ids()
        fresh: list[dict] = []
        met_seen = False
        for event in page_events:
            if event.get("id") in seen:
                met_seen = True
                break
            fresh.append(dict(event))
        if after is None:
            position = 0
        else:
            if after in self.gaps:
                self.gaps.remove(after)
            position = next((i + 1 for i, e in enumerate(self.events) if e["id"] == after), len(self.events))
        self.events[position:position] = fresh
        if not met_seen:
            if has_more and fresh:
                self.gaps.append(fresh[-1]["id"])  # older unseen events wait below this page
            elif not has_more:
                self.reached_start = True
        self.fetches += 1
        return self.cursor

    def chronological(self) -> list[dict]:
        """The events oldest first."""
        return list(reversed(self.events))


def _page(result: Any, limit: int) -> tuple[list[dict], bool]:
    data = [as_dict(item) for item in (getattr(result, "data", None) or [])]
    has_more = getattr(result, "has_more", None)
    if has_more is None:  # old servers omit it (openai-openapi#168): a full page may have more
        has_more = len(data) >= limit
    return data, bool(has_more)


def fetch_events_page(client, job_id: str, log: EventLog, *, newest: bool = False,
                      limit: int = EVENTS_PAGE_LIMIT) -> str | None:
    """One ``GET .../events`` at ``log.cursor`` (or the newest page), merged into ``log``; returns the next cursor."""
    after = None if newest else log.cursor
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    data, has_more = _page(client.fine_tuning.jobs.list_events(job_id, **params), limit)
    return log.merge_page(data, has_more, after=after)


def fetch_all_events(client, job_id: str, log: EventLog | None = None, *,
                     limit: int = EVENTS_PAGE_LIMIT) -> EventLog:
    """Bring ``log`` (or a new one) fully up to date: the newest page, then every gap down to the first event."""
    log = log or EventLog()
    fetch_events_page(client, job_id, log, newest=True, limit=limit)
    while log.gaps:
        fetch_events_page(client, job_id, log, limit=limit)
    return log


def metric_rows(events: Iterable[dict]) -> list[dict]:
    """One row per step from the ``metrics`` events (step, total_steps and the metric keys), by step.

    Keys missing from an event stay missing; a step reported twice keeps its latest values.
    """
    by_step: dict[int, dict] = {}
    for event in events:
        data = event.get("data") or {}
        if event.get("type") not in (None, "metrics") or "step" not in data:
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


def level_counts(events: Iterable[dict]) -> dict[str, int]:
    """How many events of each level (info, warn, error)."""
    counts: dict[str, int] = {}
    for event in events:
        level = event.get("level") or "info"
        counts[level] = counts.get(level, 0) + 1
    return counts


def events_table(events: Iterable[dict], levels: Iterable[str] | None = None,
                 tz: dt.tzinfo | None = None) -> list[dict]:
    """Rows (time, level, type, message) for the events log, newest first, optionally filtered by level."""
    wanted = set(levels) if levels is not None else None
    rows = []
    for event in events:
        level = event.get("level") or "info"
        if wanted is not None and level not in wanted:
            continue
        rows.append({"time": format_time(event.get("created_at"), tz), "level": level,
                     "type": event.get("type") or "message", "message": str(event.get("message") or "")})
    return rows


# ------------------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class Progress:
    """How far training is: the last reported step of ``total_steps``."""

    step: int | None
    total_steps: int | None

    @property
    def fraction(self) -> float | None:
        if not self.total_steps or self.step is None:
            return None
        return min(1.0, max(0.0, self.step / self.total_steps))

    def text(self) -> str:
        if self.fraction is None:
            return "No training step reported yet"
        return f"Step {self.step:,} of {self.total_steps:,} ({self.fraction:.0%})"


def job_progress(job: dict, rows: list[dict]) -> Progress:
    """Progress from the metrics seen; a succeeded job counts as complete."""
    total = next((r["total_steps"] for r in reversed(rows) if r.get("total_steps")), None)
    step = rows[-1]["step"] if rows else None
    if job.get("status") == "succeeded" and total:
        step = total
    return Progress(step, total)


def eta_text(job: dict, now: float, tz: dt.tzinfo | None = None) -> str | None:
    """``About 4 min left (estimated finish 14:32:05 UTC)`` from ``estimated_finish``, or None."""
    finish = job.get("estimated_finish")
    if not finish or is_terminal(job.get("status")):
        return None
    left = finish - now
    when = format_time(finish, tz)
    if left <= 0:
        return f"Finishing any moment now (estimated finish was {when})"
    return f"About {format_duration(left)} left (estimated finish {when})"


@dataclass(frozen=True)
class TimelineStep:
    """One stage of the status timeline: when it was reached, and whether it is done or current."""

    status: str
    label: str
    at: int | None
    state: str  # "done", "current", "pending" or "skipped"


_MESSAGE_STATUS = (
    ("Validating training file", "validating_files"),
    ("Files validated", "queued"),
    ("Fine-tuning job started", "running"),
    ("Fine-tuning job paused", "paused"),
    ("Fine-tuning job resumed", "queued"),
    ("Fine-tuning job cancelled", "cancelled"),
    ("The job has successfully completed", "succeeded"),
)


def status_history(job: dict, events: list[dict]) -> list[tuple[str, int | None]]:
    """Status changes oldest first, read from the message events (newest first, as the API sends
    them; timestamps tie within a second, so the order is trusted, not re-sorted)."""
    history: list[tuple[str, int | None]] = []
    for event in reversed(events):
        if event.get("type") == "metrics":
            continue
        message = str(event.get("message") or "")
        status = next((s for prefix, s in _MESSAGE_STATUS if message.startswith(prefix)), None)
        if status is None and event.get("level") == "error" and job.get("status") == "failed":
            status = "failed"
        if status and (not history or history[-1][0] != status):
            history.append((status, event.get("created_at")))
    current = job.get("status")
    if not history or history[0][0] != "validating_files":
        history.insert(0, ("validating_files", job.get("created_at")))
    if current and history[-1][0] != current:
        at = job.get("finished_at") if is_terminal(current) else None
        history.append((current, at))
    return history


def status_timeline(job: dict, events: list[dict]) -> list[TimelineStep]:
    """The stages validating → queued → running → end, each with the time first reached.

    A paused (or unknown) current status is shown after the stage it interrupted.
    """
    history = status_history(job, events)
    first_at: dict[str, int | None] = {}
    for status, at in history:
        first_at.setdefault(status, at)
    current = job.get("status") or "unknown"
    terminal = current if is_terminal(current) else "succeeded"
    steps: list[TimelineStep] = []
    for status in (*STAGES, terminal):
        if status == current:
            state = "done" if is_terminal(current) else "current"
        elif status in first_at:
            state = "done"
        elif is_terminal(current):
            state = "skipped"
        else:
            state = "pending"
        steps.append(TimelineStep(status, status_label(status), first_at.get(status), state))
    if current not in (*STAGES, terminal):
        reached = [s for s, _ in history if s in STAGES]
        after = STAGES.index(reached[-1]) + 1 if reached else 0
        steps.insert(after, TimelineStep(current, status_label(current), None, "current"))
    return steps


# ------------------------------------------------------------------------------------- job facts
def method_type(job: dict) -> str:
    """``supervised``, ``dpo`` or ``reinforcement`` (supervised when the job does not say)."""
    method = job.get("method") or {}
    return method.get("type") or "supervised"


def hyperparameters(job: dict) -> dict:
    """The job's hyperparameters as the API reports them (resolved numbers once training started)."""
    method = job.get("method") or {}
    kind = method.get("type")
    body = method.get(kind) if kind else None
    if isinstance(body, dict) and isinstance(body.get("hyperparameters"), dict):
        return dict(body["hyperparameters"])
    return {k: v for k, v in (job.get("hyperparameters") or {}).items() if v is not None}


def suffix_of(job: dict) -> str | None:
    """The suffix the user gave: ``user_provided_suffix``, else read from ``ft:<base>:<org>:<suffix>:<id>``."""
    if job.get("user_provided_suffix"):
        return job["user_provided_suffix"]
    name = job.get("fine_tuned_model") or ""
    parts = name.split(":")
    if name.startswith("ft:") and len(parts) >= 5 and parts[3]:
        return parts[3]
    return None


def clone_prefill(job: dict) -> dict:
    """The Launch form's prefill for a new job with this job's settings (keys of ``ui.set_launch_prefill``)."""
    return {
        "model": job.get("model"),
        "method": method_type(job),
        "hyperparameters": hyperparameters(job),
        "suffix": suffix_of(job),
        "seed": job.get("seed"),
        # the pre-launch estimate belongs to the old job; Launch computes a new one
        "metadata": {k: v for k, v in (job.get("metadata") or {}).items()
                     if k not in (ESTIMATE_TOKENS_KEY, ESTIMATE_USD_KEY)},
        "training_file": job.get("training_file"),
        "validation_file": job.get("validation_file"),
    }


@dataclass(frozen=True)
class ShutdownNote:
    """When the job's base model (and so its fine-tuned model) stops working."""

    base_model: str
    date: dt.date | None
    days_left: int | None
    text: str


def shutdown_note(model: str, today: dt.date, catalog: Catalog | None = None, calendar: str = "openai") -> ShutdownNote:
    """What the base model's shutdown date means for this job's fine-tuned model, in plain words,
    on ``calendar`` (the backend's: Azure OpenAI retires the same fine-tunes months later)."""
    catalog = catalog or load_catalog()
    if calendar == "azure":
        return _azure_shutdown_note(model, today, catalog)
    base = base_model_name(model or "")
    try:
        info = catalog.resolve(base)
    except UnknownModelError:
        return ShutdownNote(base, None, None,
                            f"{base or 'This model'} is not in the app's catalog, so its shutdown date is unknown; "
                            "check OpenAI's deprecations page.")
    if info.shutdown_date is None:
        return ShutdownNote(info.id, None, None, f"No shutdown date is announced for {info.id}.")
    days = (info.shutdown_date - today).days
    date = info.shutdown_date.isoformat()
    if days <= 0:
        text = (f"{info.id} was shut down on {date}: fine-tuned models and checkpoints based on it "
                "no longer answer. Only the records you archived remain.")
    else:
        retirement = (f" This is the {catalog.retirement_date.isoformat()} retirement of gpt-4o, gpt-4o-mini, "
                      "gpt-4.1 and gpt-4.1-mini." if info.shutdown_date == catalog.retirement_date else "")
        text = (f"{info.id} shuts down on {date} ({days} days from today), and every fine-tune of it with it: "
                f"this job's fine-tuned model and its checkpoints stop answering that day, and the job's "
                f"records become the only trace.{retirement} Download the archive to keep them, and plan "
                "the move to another model before then.")
    return ShutdownNote(info.id, info.shutdown_date, days, text)


def _azure_shutdown_note(model: str, today: dt.date, catalog: Catalog) -> ShutdownNote:
    base = base_model_name(model or "")
    sentence = fine_tune_deadline_text(base or model, "azure", today, catalog)
    try:
        dates = catalog.lifecycle(base, "azure")
    except UnknownModelError:
        return ShutdownNote(base, None, None, sentence)
    date = dates.inference_until
    if date is None:
        return ShutdownNote(dates.model_id, None, None, sentence)
    days = (date - today).days
    if days > 0:
        sentence += (f" That is {days} days from today; after it the deployment stops answering and the job's "
                     "records become the only trace. Download the archive to keep them.")
    return ShutdownNote(dates.model_id, date, days, sentence)


# ------------------------------------------------------------------------------------- cost
@dataclass(frozen=True)
class CostReport:
    """Training cost: actual (trained tokens x price) against the pre-launch estimate when known."""

    price_per_1m: float | None
    trained_tokens: int | None
    actual_usd: float | None
    estimated_tokens: int | None
    estimated_usd: float | None
    note: str

    @property
    def difference_usd(self) -> float | None:
        if self.actual_usd is None or self.estimated_usd is None:
            return None
        return self.actual_usd - self.estimated_usd


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def job_cost(job: dict, catalog: Catalog | None = None, calendar: str = "openai") -> CostReport:
    """Actual and estimated training cost of ``job`` from the catalog's per-1M training price.

    The estimate comes from the job's metadata (``estimated_trained_tokens``
    and/or ``estimated_cost_usd``, written at launch). Hourly-billed
    (reinforcement) jobs have no token price, and the note says so.
    """
    catalog = catalog or load_catalog()
    try:
        info = catalog.resolve(job.get("model") or "")
        price = info.training_per_1m
        as_of = info.training_as_of
    except UnknownModelError:
        info, price, as_of = None, None, None
    metadata = job.get("metadata") or {}
    est_tokens = _number(metadata.get(ESTIMATE_TOKENS_KEY))
    est_usd = _number(metadata.get(ESTIMATE_USD_KEY))
    if est_usd is None and est_tokens is not None and price is not None:
        est_usd = training_charge_usd(est_tokens, price)
    trained = job.get("trained_tokens")
    actual = training_charge_usd(trained, price) if trained is not None and price is not None else None
    if method_type(job) == "reinforcement":
        note = "Reinforcement fine-tuning is billed by training hour, not by token; see the invoice."
        actual = None
    elif price is None:
        note = "No training price is known for this model, so the cost cannot be computed."
    elif trained is None:
        note = (f"At {usd_per_1m(price, 'trained tokens')} (price as of {as_of}); "
                "the actual cost is known when the job reports trained tokens at the end.")
    else:
        note = f"{trained:,} trained tokens x {usd_per_1m(price)} (price as of {as_of})."
    if calendar == "azure" and price is not None and method_type(job) != "reinforcement":
        note = note.replace(f"{usd_price(price)} per 1M", f"{usd_price(price)} per 1M (OpenAI's list price)", 1)
        note += " " + catalog.azure.training_price_note.split(":")[0] + "; your Azure invoice has the real figure."
    return CostReport(price, trained, actual, int(est_tokens) if est_tokens is not None else None, est_usd, note)


# ------------------------------------------------------------------------------------- checkpoints & results
def checkpoint_rows(checkpoints: Iterable[dict]) -> list[dict]:
    """One flat row per checkpoint (step, model name, metrics), by step."""
    rows = []
    for ckpt in checkpoints:
        metrics = ckpt.get("metrics") or {}
        row = {"step": int(ckpt.get("step_number") or metrics.get("step") or 0),
               "checkpoint": ckpt.get("fine_tuned_model_checkpoint"), "id": ckpt.get("id"),
               "created_at": ckpt.get("created_at")}
        for key in METRIC_KEYS:
            value = metrics.get(key)
            row[key] = float(value) if isinstance(value, (int, float)) else None
        rows.append(row)
    return sorted(rows, key=lambda r: r["step"])


def best_checkpoint(checkpoints: Iterable[dict]) -> dict | None:
    """The checkpoint row with the lowest validation loss (full validation loss if none has one)."""
    rows = checkpoint_rows(checkpoints)
    for key in ("valid_loss", "full_valid_loss"):
        scored = [r for r in rows if r.get(key) is not None]
        if scored:
            return min(scored, key=lambda r: r[key])
    return None


def decode_result_file(raw: bytes | str) -> str:
    """The text of a result file: base64-decoded when it is base64, else UTF-8 (never raises).

    OpenAI serves result CSVs base64-encoded (observed, undocumented), so try
    that first and keep it only if it decodes to text.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="replace")
    compact = b"".join(raw.split())
    if compact:
        try:
            decoded = base64.b64decode(compact, validate=True)
            text = decoded.decode("utf-8")
            if text and "\x00" not in text:
                return text
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pass
    return raw.decode("utf-8", errors="replace")


def parse_result_csv(text: str) -> list[dict]:
    """Rows of a result CSV with numbers as floats and empty cells as None (steps as int).

    Both spellings of the columns (OpenAI's ``train_accuracy``, Azure's
    ``validation_mean_token_accuracy`` ...) are read under one name: :data:`METRIC_KEYS`'.
    """
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if key is None:
                continue
            key = RESULT_COLUMN_SPELLINGS.get(key.strip(), key.strip())
            value = (value or "").strip()
            if value == "":
                row[key] = None
                continue
            try:
                number = float(value)
            except ValueError:
                row[key] = value
                continue
            row[key] = int(number) if key == "step" and number.is_integer() else number
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------- listing
@dataclass(frozen=True)
class JobsPage:
    """One page of ``GET /fine_tuning/jobs`` (newest first)."""

    jobs: list[dict]
    has_more: bool

    @property
    def next_after(self) -> str | None:
        return self.jobs[-1]["id"] if self.jobs and self.has_more else None


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


def list_jobs_page(client, *, after: str | None = None, limit: int = 20,
                   metadata: dict[str, str] | None = None) -> JobsPage:
    """One page of the account's jobs, newest first; ``metadata`` filters on the server."""
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    if metadata:
        params["metadata"] = metadata
    data, has_more = _page(client.fine_tuning.jobs.list(**params), limit)
    return JobsPage(data, has_more)


def merge_job_lists(known: list[dict], fresh: list[dict]) -> list[dict]:
    """``fresh`` (a newer read of the newest jobs) merged into ``known``: updated in place, new ones first."""
    fresh_by_id = {j["id"]: j for j in fresh}
    known_ids = {j["id"] for j in known}
    new = [j for j in fresh if j["id"] not in known_ids]
    return new + [fresh_by_id.get(j["id"], j) for j in known]


def filter_jobs(jobs: Iterable[dict], *, statuses: Iterable[str] | None = None,
                model: str | None = None) -> list[dict]:
    """Jobs whose status is in ``statuses`` and whose base model is ``model`` (None = any)."""
    wanted = set(statuses) if statuses else None
    out = []
    for job in jobs:
        if wanted is not None and job.get("status") not in wanted:
            continue
        if model and base_model_name(job.get("model") or "") != model:
            continue
        out.append(job)
    return out


def jobs_table(jobs: Iterable[dict], tz: dt.tzinfo | None = None) -> list[dict]:
    """Rows for the jobs list: status, model, created, fine-tuned model, trained tokens, id."""
    return [{
        "status": job.get("status"),
        "model": job.get("model"),
        "created": format_time(job.get("created_at"), tz),
        "fine_tuned_model": job.get("fine_tuned_model") or "",
        "trained_tokens": job.get("trained_tokens"),
        "id": job.get("id"),
        "metadata": ", ".join(f"{k}={v}" for k, v in (job.get("metadata") or {}).items()),
    } for job in jobs]


# ------------------------------------------------------------------------------------- one job's calls
def fetch_job(client, job_id: str) -> dict:
    """``GET /fine_tuning/jobs/{id}`` as a dict."""
    return as_dict(client.fine_tuning.jobs.retrieve(job_id))


def cancel_job(client, job_id: str) -> dict:
    """Cancel the job (the page asks for confirmation first); returns the updated job."""
    return as_dict(client.fine_tuning.jobs.cancel(job_id))


def pause_job(client, job_id: str) -> dict:
    """Pause a running job; returns the updated job (status ``paused``, which the SDK does not list)."""
    return as_dict(client.fine_tuning.jobs.pause(job_id))


def resume_job(client, job_id: str) -> dict:
    """Resume a paused job; returns the updated job."""
    return as_dict(client.fine_tuning.jobs.resume(job_id))


def fetch_checkpoints(client, job_id: str) -> list[dict]:
    """Every checkpoint of the job (the SDK pages through them), newest first as the API sends them."""
    return [as_dict(c) for c in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)]


def fetch_result_files(client, job: dict) -> dict[str, str]:
    """``{file_id: CSV text}`` of the job's result files, decoded defensively."""
    out = {}
    for file_id in job.get("result_files") or []:
        out[file_id] = decode_result_file(client.files.content(file_id).read())
    return out


def file_ids(job: dict) -> list[str]:
    """The ids of the job's training, validation and result files, in that order, without repeats."""
    ids = [job.get("training_file"), job.get("validation_file"), *(job.get("result_files") or [])]
    return list(dict.fromkeys(i for i in ids if i))


def fetch_file_metadata(client, job: dict, known: dict[str, dict] | None = None) -> dict[str, dict]:
    """File objects of the job's files (only those not in ``known``); a failure is kept as ``{"error": ...}``."""
    import openai

    from lib.errors import explain

    out = dict(known or {})
    for file_id in file_ids(job):
        if file_id in out:
            continue
        try:
            out[file_id] = as_dict(client.files.retrieve(file_id))
        except openai.APIStatusError as exc:  # a deleted file must not hide the rest
            out[file_id] = {"id": file_id, "error": explain(exc, action="read the file's details")}
    return out


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
        return (self.terminal and self.log.complete and self.checkpoints is not None
                and self.result_files is not None and all(i in self.files for i in file_ids(self.job)))

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


# ------------------------------------------------------------------------------------- compare
COMPARE_SETTINGS = ("status", "model", "method", "n_epochs", "batch_size", "learning_rate_multiplier", "beta",
                    "suffix", "seed", "training_file", "validation_file", "trained_tokens", "metadata")


def _settings(job: dict) -> dict[str, Any]:
    hyper = hyperparameters(job)
    values = {
        "status": job.get("status"), "model": job.get("model"), "method": method_type(job),
        "n_epochs": hyper.get("n_epochs"), "batch_size": hyper.get("batch_size"),
        "learning_rate_multiplier": hyper.get("learning_rate_multiplier"), "beta": hyper.get("beta"),
        "suffix": suffix_of(job), "seed": job.get("seed"), "training_file": job.get("training_file"),
        "validation_file": job.get("validation_file"), "trained_tokens": job.get("trained_tokens"),
        "metadata": ", ".join(f"{k}={v}" for k, v in sorted((job.get("metadata") or {}).items())) or None,
    }
    return values


def final_metrics(rows: list[dict]) -> dict[str, float | None]:
    """The last reported value of each metric (``Final train loss``...), plus the lowest full validation loss."""
    out: dict[str, float | None] = {}
    for key in METRIC_KEYS:
        values = [r[key] for r in rows if r.get(key) is not None]
        out[f"Final {METRIC_LABELS[key].lower()}"] = values[-1] if values else None
    full = [r["full_valid_loss"] for r in rows if r.get("full_valid_loss") is not None]
    out["Best full validation loss"] = min(full) if full else None
    return out


def compare_table(jobs: list[dict], rows_by_job: dict[str, list[dict]], *,
                  only_differences: bool = True) -> list[dict]:
    """Rows ``{"setting": name, <job id>: value, ...}``: settings (only those that differ) then final metrics."""
    table = []
    for name in COMPARE_SETTINGS:
        values = {job["id"]: _settings(job)[name] for job in jobs}
        if all(v is None for v in values.values()):
            continue
        if only_differences and len({json.dumps(v, sort_keys=True) for v in values.values()}) <= 1:
            continue
        table.append({"setting": name, **{k: _cell(v) for k, v in values.items()}})
    finals = {job["id"]: final_metrics(rows_by_job.get(job["id"], [])) for job in jobs}
    for name in next(iter(finals.values()), {}):
        values = {job_id: f[name] for job_id, f in finals.items()}
        if all(v is None for v in values.values()):
            continue
        table.append({"setting": name, **{k: "" if v is None else f"{v:.4f}" for k, v in values.items()}})
    return table


def _cell(value: Any) -> str:
    # One text column per job: mixed types (numbers and "auto") would break a dataframe column.
    return "" if value is None else str(value)


# ------------------------------------------------------------------------------------- archive
def archive_name(job: dict) -> str:
    """``<job id>-archive.zip``."""
    return f"{job.get('id', 'job')}-archive.zip"


def archive_readme(job: dict, today: dt.date, *, events: int, checkpoints: int, result_files: list[str],
                   catalog: Catalog | None = None, calendar: str = "openai") -> str:
    """The README.txt of a job archive: what is inside and why it matters now."""
    note = shutdown_note(job.get("model") or "", today, catalog, calendar)
    cost = job_cost(job, catalog, calendar)
    why = ("OpenAI is winding down its fine-tuning platform. Fine-tuned models, their checkpoints and the\n"
           "job records that describe them go away when the base model is shut down. " if calendar == "openai" else
           "Azure OpenAI retires fine-tuned deployments of these base models on fixed dates; the models,\n"
           "their checkpoints and the job records that describe them go away then. ")
    trained = job.get("trained_tokens")
    lines = [
        f"Fine-tuning job {job.get('id')} — archived {today.isoformat()} by Tuning Desk",
        "",
        "Why this archive exists",
        "-----------------------",
        why + note.text,
        "",
        "The job",
        "-------",
        f"Status:            {job.get('status')}",
        f"Base model:        {job.get('model')}",
        f"Fine-tuned model:  {job.get('fine_tuned_model') or '(none)'}",
        f"Method:            {method_type(job)}",
        f"Hyperparameters:   {json.dumps(hyperparameters(job), sort_keys=True)}",
        f"Created:           {format_time(job.get('created_at'))}",
        f"Finished:          {format_time(job.get('finished_at'))}",
        f"Trained tokens:    {trained if trained is not None else '(not reported)'}",
        f"Training cost:     {usd(cost.actual_usd) if cost.actual_usd is not None else '(unknown)'} — {cost.note}",
        f"Training file:     {job.get('training_file')}",
        f"Validation file:   {job.get('validation_file') or '(none)'}",
    ]
    if error_sentence(job):
        lines.append(f"Error:             {error_sentence(job)}")
    lines += [
        "",
        "Contents",
        "--------",
        "job.json          the job object as the API returned it",
        f"events.jsonl      all {events} events, oldest first, one JSON object per line",
        "metrics.csv       the training metrics reported in the events, one row per step",
        f"checkpoints.json  the {checkpoints} saved checkpoints (the last three epochs) with their metrics",
        "files.json        details of the training, validation and result files",
    ]
    for file_id in result_files:
        lines.append(f"results/{file_id}.csv  the result file, decoded to plain CSV")
    lines += [
        "",
        "The training data itself is not included: keep your own copy of the JSONL files.",
    ]
    return "\n".join(lines) + "\n"


def metrics_csv(rows: list[dict]) -> str:
    """The metric rows as CSV text (step, total_steps, then every metric)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["step", "total_steps", *METRIC_KEYS], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in writer.fieldnames})
    return out.getvalue()


def build_archive(job: dict, events: list[dict], checkpoints: list[dict], result_files: dict[str, str],
                  files: dict[str, dict], *, today: dt.date, catalog: Catalog | None = None,
                  calendar: str = "openai") -> bytes:
    """One zip with everything about a job: job.json, events.jsonl, metrics.csv, checkpoints.json,
    files.json, results/*.csv and a README.txt. ``events`` are newest first (as the API and
    :class:`EventLog` keep them); the zip holds them oldest first.
    """
    ordered = list(reversed(events))
    buffer = io.BytesIO()
    folder = job.get("id", "job")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, text: str) -> None:
            zf.writestr(f"{folder}/{name}", text)

        put("README.txt", archive_readme(job, today, events=len(events), checkpoints=len(checkpoints),
                                         result_files=list(result_files), catalog=catalog, calendar=calendar))
        put("job.json", json.dumps(job, indent=2, sort_keys=True))
        put("events.jsonl", "".join(json.dumps(e, sort_keys=True) + "\n" for e in ordered))
        put("metrics.csv", metrics_csv(metric_rows(ordered)))
        put("checkpoints.json", json.dumps(checkpoints, indent=2, sort_keys=True))
        put("files.json", json.dumps(files, indent=2, sort_keys=True))
        for file_id, text in result_files.items():
            put(f"results/{file_id}.csv", text)
    return buffer.getvalue()



# ------------------------------------------------------------------------------------- Azure OpenAI: deploying
_DEPLOYMENT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Placeholders the user fills in; shown as they are, never guessed.
AZURE_PLACEHOLDERS = {"subscription": "<subscription-id>", "resource_group": "<resource-group>",
                      "account": "<azure-openai-resource>"}


@dataclass(frozen=True)
class AzureDeployment:
    """How to deploy one fine-tuned model (or checkpoint) on Azure OpenAI: the management-API
    request and the equivalent ``az`` command, ready to copy."""

    model: str
    deployment: str
    url: str
    body: dict
    curl: str
    az_command: str
    az_delete: str


def deployment_name_for(model: str) -> str:
    """A deployment name for ``model``: ``<base>-ft-<first 8 hex>`` (letters, digits, ``.-_``; at most 64)."""
    base = base_model_label(base_model_name(model))
    tail = model.rsplit(".ft-", 1)[-1] if ".ft-" in model else model
    name = _DEPLOYMENT_NAME.sub("-", f"{base}-ft-{tail[:8]}").strip("-.")
    return name[:64] or "fine-tune"


def azure_deployment(model: str, *, deployment: str | None = None, catalog: Catalog | None = None) -> AzureDeployment:
    """The exact ``PUT`` of Azure's management API (and the ``az`` command) that deploys ``model``.

    The request needs an Entra ID bearer token (``az account get-access-token``), not the API key;
    the subscription, resource group and resource are placeholders for the user to fill in. Every
    value that came from the API is shell-quoted, so a copied command does only what it says.
    """
    catalog = catalog or load_catalog()
    name = _DEPLOYMENT_NAME.sub("-", deployment or deployment_name_for(model))[:64]
    url = catalog.azure.deploy_url_template.format(deployment=name, **AZURE_PLACEHOLDERS)
    body = {"sku": {"name": "standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}}
    curl = "\n".join([
        f"curl -X PUT {shlex.quote(url)} \\",
        '  -H "Authorization: Bearer $(az account get-access-token --query accessToken -o tsv)" \\',
        '  -H "Content-Type: application/json" \\',
        f"  -d {shlex.quote(json.dumps(body))}",
    ])
    group, account = AZURE_PLACEHOLDERS["resource_group"], AZURE_PLACEHOLDERS["account"]
    az_command = "\n".join([
        "az cognitiveservices account deployment create \\",
        f"  --resource-group {shlex.quote(group)} --name {shlex.quote(account)} \\",
        f"  --deployment-name {shlex.quote(name)} \\",
        f"  --model-name {shlex.quote(model)} --model-version 1 --model-format OpenAI \\",
        "  --sku-name standard --sku-capacity 1",
    ])
    az_delete = (f"az cognitiveservices account deployment delete --resource-group {shlex.quote(group)} "
                 f"--name {shlex.quote(account)} --deployment-name {shlex.quote(name)}")
    return AzureDeployment(model, name, url, body, curl, az_command, az_delete)


@dataclass(frozen=True)
class HostingCost:
    """What keeping one deployment costs per month, for one deployment type."""

    deployment_type: str
    label: str
    usd_per_hour: float
    usd_per_month: float
    hours_per_month: int
    doubtful: bool
    note: str
    source: str
    as_of: str


def azure_hosting_costs(catalog: Catalog | None = None) -> list[HostingCost]:
    """Azure's hosting fee per deployment type, per hour and per month (fee x the catalog's
    720-hour month), from the catalog with its doubts."""
    catalog = catalog or load_catalog()
    hours = catalog.azure.hours_per_month
    return [HostingCost(fee.deployment_type, fee.label, fee.usd_per_hour, fee.per_month(hours), hours, fee.doubtful,
                        fee.note, fee.source, fee.as_of)
            for fee in catalog.azure.hosting.values()]


def azure_charges_note(catalog: Catalog | None = None) -> str:
    """The sentence every Azure user must read: a job's end does not end a deployment's bill."""
    catalog = catalog or load_catalog()
    return ("Cancelling or finishing a job does not stop a deployment's charges: the hourly hosting fee runs for as "
            "long as the deployment exists, called or not. Delete the deployment when you no longer need it. "
            + catalog.azure.idle_deletion_note)
