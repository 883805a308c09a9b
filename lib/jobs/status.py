"""Job status: ids, labels, times, progress and the status timeline (of the SDK's ``FineTuningJob``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

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

# The badge colour of a status (any other status: blue, still on its way).
STATUS_COLORS = {"succeeded": "green", "failed": "red", "cancelled": "orange", "paused": "orange"}
# A timeline step's look by its state: (colour, icon).
STEP_STYLE = {
    "done": ("green", ":material/check_circle:"),
    "current": ("blue", ":material/pending:"),
    "pending": ("gray", ":material/radio_button_unchecked:"),
    "skipped": ("gray", ":material/block:"),
}

# Checkpoint ids: OpenAI's ``ftckpt_...``, Azure OpenAI's ``ftchkpt-<hex>``.
_CHECKPOINT_ID = re.compile(r"^(?:ftckpt_[A-Za-z0-9]+|ftchkpt-[0-9a-f]+)$")

_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def is_checkpoint_id(text: str | None) -> bool:
    """True for a checkpoint id of OpenAI (``ftckpt_...``) or Azure OpenAI (``ftchkpt-<hex>``)."""
    return bool(text) and bool(_CHECKPOINT_ID.match(text))


def is_job_id(text: str | None) -> bool:
    """True when ``text`` can be a job id (``ftjob-...``): guards ids taken from the URL or typed in."""
    return bool(text) and bool(_JOB_ID.match(text))


def job_label(job: FineTuningJob) -> str:
    """``ftjob-abc · running · gpt-4o-mini-2024-07-18 · my-suffix`` for pickers."""
    parts = [job.id or "?", job.status or "?", job.model or "?"]
    if suffix_of(job):
        parts.append(suffix_of(job))
    return " · ".join(parts)


def short_label(job: FineTuningJob) -> str:
    """``my-suffix (…a1b2c3)``: a legend-sized name for a job."""
    tail = "…" + (job.id or "?")[-6:]
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


def status_color(status: str | None) -> str:
    """The badge colour of ``status``: green, red, orange, or blue for a job still on its way."""
    return STATUS_COLORS.get(status or "", "blue")


def timezone_named(name: str | None) -> dt.tzinfo | None:
    """The time zone the browser reports (``Europe/Berlin``), or None (UTC) when absent or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a made-up name, a path, a folder of zones
        return None


def has_error(job: FineTuningJob) -> bool:
    """True when the job carries a real error (the API may send ``"error": {}`` on healthy jobs)."""
    return bool(job.error and (job.error.code or job.error.message))


def error_sentence(job: FineTuningJob) -> str | None:
    """The job's failure as one sentence (message, then the field it concerns), or None."""
    if not has_error(job):
        return None
    error = job.error
    message = (error.message or "The job failed").strip()
    if not message.endswith("."):
        message += "."
    extra = []
    if error.param:
        extra.append(f"field: {error.param}")
    if error.code:
        extra.append(f"code: {error.code}")
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


def suffix_of(job: FineTuningJob) -> str | None:
    """The suffix the user gave: ``user_provided_suffix``, else read from ``ft:<base>:<org>:<suffix>:<id>``."""
    given = getattr(job, "user_provided_suffix", None)  # sent by the API, not (yet) a field of the SDK's type
    if given:
        return given
    name = job.fine_tuned_model or ""
    parts = name.split(":")
    if name.startswith("ft:") and len(parts) >= 5 and parts[3]:
        return parts[3]
    return None


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


def job_progress(job: FineTuningJob, rows: list[dict]) -> Progress:
    """Progress from the metrics seen; a succeeded job counts as complete."""
    total = next((r["total_steps"] for r in reversed(rows) if r.get("total_steps")), None)
    step = rows[-1]["step"] if rows else None
    if job.status == "succeeded" and total:
        step = total
    return Progress(step, total)


def eta_text(job: FineTuningJob, now: float, tz: dt.tzinfo | None = None) -> str | None:
    """``About 4 min left (estimated finish 14:32:05 UTC)`` from ``estimated_finish``, or None."""
    finish = job.estimated_finish
    if not finish or is_terminal(job.status):
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


def status_history(job: FineTuningJob, events: list[FineTuningJobEvent]) -> list[tuple[str, int | None]]:
    """Status changes oldest first, read from the message events (newest first, as the API sends
    them; timestamps tie within a second, so the order is trusted, not re-sorted)."""
    history: list[tuple[str, int | None]] = []
    for event in reversed(events):
        if event.type == "metrics":
            continue
        message = str(event.message or "")
        status = next((s for prefix, s in _MESSAGE_STATUS if message.startswith(prefix)), None)
        if status is None and event.level == "error" and job.status == "failed":
            status = "failed"
        if status and (not history or history[-1][0] != status):
            history.append((status, event.created_at))
    current = job.status
    if not history or history[0][0] != "validating_files":
        history.insert(0, ("validating_files", job.created_at))
    if current and history[-1][0] != current:
        at = job.finished_at if is_terminal(current) else None
        history.append((current, at))
    return history


def status_timeline(job: FineTuningJob, events: list[FineTuningJobEvent]) -> list[TimelineStep]:
    """The stages validating → queued → running → end, each with the time first reached.

    A paused (or unknown) current status is shown after the stage it interrupted.
    """
    history = status_history(job, events)
    first_at: dict[str, int | None] = {}
    for status, at in history:
        first_at.setdefault(status, at)
    current = job.status or "unknown"
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


def timeline_style(step: TimelineStep) -> tuple[str, str]:
    """``(colour, icon)`` of a timeline step: its state's look, the status's own icon once reached,
    red for a failure and orange for a cancelled or paused job."""
    color, icon = STEP_STYLE[step.state]
    reached = step.state in ("done", "current")
    if reached and step.status in STATUS_ICONS:
        icon = STATUS_ICONS[step.status]
    if step.status == "failed" and step.state == "done":
        color = "red"
    elif step.status in ("cancelled", "paused") and reached:
        color = "orange"
    return color, icon


def step_time(step: TimelineStep, tz: dt.tzinfo | None = None) -> str:
    """When a timeline step was reached, ``now`` for the current one, or an em dash."""
    if step.at:
        return format_time(step.at, tz)
    return "now" if step.state == "current" else "—"
