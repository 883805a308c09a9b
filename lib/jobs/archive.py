"""A job's archive: README, metrics CSV and the zip that holds them with events and checkpoints.

The archive is where the SDK's typed objects become plain JSON records: :func:`archive_records`, once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib.catalog import Catalog
from lib.costs import usd
from lib.jobs.events import METRIC_KEYS, metric_rows
from lib.jobs.facts import hyperparameters, job_cost, method_type, shutdown_note
from lib.jobs.status import error_sentence, format_time


def as_dict(obj: Any) -> dict:
    """The JSON dict of an SDK object (fields the API sent, extras included), or a copy of a dict.

    The one way a typed object becomes a plain record (the archive writes these)."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict(mode="json")
    return dict(obj.model_dump(mode="json"))


def archive_name(job: FineTuningJob) -> str:
    """``<job id>-archive.zip``."""
    return f"{job.id or 'job'}-archive.zip"


_WHY = {
    "openai": "OpenAI is winding down its fine-tuning platform. Fine-tuned models, their checkpoints and the\n"
    "job records that describe them go away when the base model is shut down. ",
    "azure": "Azure OpenAI retires fine-tuned deployments of these base models on fixed dates; the models,\n"
    "their checkpoints and the job records that describe them go away then. ",
}


def archive_readme(
    job: FineTuningJob,
    today: dt.date,
    *,
    events: int,
    checkpoints: int,
    result_files: list[str],
    catalog: Catalog | None = None,
    calendar: str = "openai",
) -> str:
    """The README.txt of a job archive: what is inside and why it matters now."""
    note = shutdown_note(job.model or "", today, catalog, calendar)
    lines = [
        f"Fine-tuning job {job.id} — archived {today.isoformat()} by Tuning Desk",
        "",
        "Why this archive exists",
        "-----------------------",
        _WHY.get(calendar, _WHY["openai"]) + note.text,
        "",
        "The job",
        "-------",
        *_job_lines(job, job_cost(job, catalog, calendar)),
        "",
        "Contents",
        "--------",
        "job.json          the job object as the API returned it",
        f"events.jsonl      all {events} events, oldest first, one JSON object per line",
        "metrics.csv       the training metrics reported in the events, one row per step",
        f"checkpoints.json  the {checkpoints} saved checkpoints (the last three epochs) with their metrics",
        "files.json        details of the training, validation and result files",
        *(f"results/{file_id}.csv  the result file, decoded to plain CSV" for file_id in result_files),
        "",
        "The training data itself is not included: keep your own copy of the JSONL files.",
    ]
    return "\n".join(lines) + "\n"


def _job_lines(job: FineTuningJob, cost) -> list[str]:
    trained = job.trained_tokens
    charge = usd(cost.actual_usd) if cost.actual_usd is not None else "(unknown)"
    lines = [
        f"Status:            {job.status}",
        f"Base model:        {job.model}",
        f"Fine-tuned model:  {job.fine_tuned_model or '(none)'}",
        f"Method:            {method_type(job)}",
        f"Hyperparameters:   {json.dumps(hyperparameters(job), sort_keys=True)}",
        f"Created:           {format_time(job.created_at)}",
        f"Finished:          {format_time(job.finished_at)}",
        f"Trained tokens:    {trained if trained is not None else '(not reported)'}",
        f"Training cost:     {charge} — {cost.note}",
        f"Training file:     {job.training_file}",
        f"Validation file:   {job.validation_file or '(none)'}",
    ]
    if error_sentence(job):
        lines.append(f"Error:             {error_sentence(job)}")
    return lines


def metrics_csv(rows: list[dict]) -> str:
    """The metric rows as CSV text (step, total_steps, then every metric)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["step", "total_steps", *METRIC_KEYS], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in writer.fieldnames})
    return out.getvalue()


def archive_records(
    job: FineTuningJob,
    events: list[FineTuningJobEvent],
    checkpoints: list[FineTuningJobCheckpoint],
    files: dict[str, FileObject | str],
) -> dict[str, Any]:
    """The plain JSON records an archive holds: ``job``, ``events`` (oldest first), ``checkpoints``
    and ``files`` (a file that could not be read is ``{"id", "error"}``). ``events`` come newest first."""
    return {
        "job": as_dict(job),
        "events": [as_dict(e) for e in reversed(events)],
        "checkpoints": [as_dict(c) for c in checkpoints],
        "files": {i: {"id": i, "error": f} if isinstance(f, str) else as_dict(f) for i, f in files.items()},
    }


def build_archive(
    job: FineTuningJob,
    events: list[FineTuningJobEvent],
    checkpoints: list[FineTuningJobCheckpoint],
    result_files: dict[str, str],
    files: dict[str, FileObject | str],
    *,
    today: dt.date,
    catalog: Catalog | None = None,
    calendar: str = "openai",
) -> bytes:
    """One zip with everything about a job: job.json, events.jsonl, metrics.csv, checkpoints.json,
    files.json, results/*.csv and a README.txt. ``events`` are newest first (as the API and
    :class:`EventLog` keep them); the zip holds them oldest first.
    """
    records = archive_records(job, events, checkpoints, files)
    buffer = io.BytesIO()
    folder = job.id or "job"
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, text: str) -> None:
            zf.writestr(f"{folder}/{name}", text)

        put(
            "README.txt",
            archive_readme(
                job,
                today,
                events=len(events),
                checkpoints=len(checkpoints),
                result_files=list(result_files),
                catalog=catalog,
                calendar=calendar,
            ),
        )
        put("job.json", json.dumps(records["job"], indent=2, sort_keys=True))
        put("events.jsonl", "".join(json.dumps(e, sort_keys=True) + "\n" for e in records["events"]))
        put("metrics.csv", metrics_csv(metric_rows(reversed(events))))
        put("checkpoints.json", json.dumps(records["checkpoints"], indent=2, sort_keys=True))
        put("files.json", json.dumps(records["files"], indent=2, sort_keys=True))
        for file_id, text in result_files.items():
            put(f"results/{file_id}.csv", text)
    return buffer.getvalue()


@dataclass(frozen=True)
class ArchiveSnapshot:
    """Everything an archive holds, copied out of a watch: the zip is built later (on the download
    click, in another thread) from this copy alone, never from session state."""

    job: FineTuningJob
    events: list[FineTuningJobEvent]
    checkpoints: list[FineTuningJobCheckpoint]
    result_files: dict[str, str]
    files: dict[str, FileObject | str]
    today: dt.date
    calendar: str

    @classmethod
    def of(cls, watch, today: dt.date, calendar: str = "openai") -> ArchiveSnapshot:
        """A copy of ``watch``'s records (a :class:`lib.jobs.watch.JobWatch` whose records are loaded).
        The SDK's objects are shared, not copied: a watch replaces them, it never changes one."""
        return cls(
            watch.job,
            list(watch.log.events),
            list(watch.checkpoints or []),
            dict(watch.result_files or {}),
            dict(watch.files),
            today,
            calendar,
        )

    @property
    def name(self) -> str:
        return archive_name(self.job)

    def build(self) -> bytes:
        """The zip (:func:`build_archive`)."""
        return build_archive(
            self.job,
            self.events,
            self.checkpoints,
            self.result_files,
            self.files,
            today=self.today,
            calendar=self.calendar,
        )
