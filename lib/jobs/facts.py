"""Facts about one job (the SDK's ``FineTuningJob``): method, hyperparameters, files, shutdown note, cost,
checkpoints and results."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from typing import Any, Iterable

from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib.catalog import (
    Catalog,
    UnknownModelError,
    base_model_name,
    fine_tune_deadline_text,
    load_catalog,
)
from lib.costs import training_charge_usd, usd, usd_per_1m, usd_price
from lib.jobs.events import METRIC_KEYS
from lib.jobs.status import format_time, suffix_of

# The result CSV spells some metrics differently on OpenAI ("train_accuracy") and Azure OpenAI
# ("validation_mean_token_accuracy"); rows are read under the event metrics' names (METRIC_KEYS).
RESULT_COLUMN_SPELLINGS = {
    "train_accuracy": "train_mean_token_accuracy",
    "validation_mean_token_accuracy": "valid_mean_token_accuracy",
    "validation_loss": "valid_loss",
}
# Where the Launch page leaves its pre-launch estimate on the job (metadata is the only
# place that travels with the job and survives a reload or another browser).
ESTIMATE_TOKENS_KEY = "estimated_trained_tokens"
ESTIMATE_USD_KEY = "estimated_cost_usd"


def method_type(job: FineTuningJob) -> str:
    """``supervised``, ``dpo`` or ``reinforcement`` (supervised when the job does not say)."""
    return (job.method.type if job.method else None) or "supervised"


def hyperparameters(job: FineTuningJob) -> dict:
    """The job's hyperparameters as the API reports them (resolved numbers once training started)."""
    kind = job.method.type if job.method else None
    given = getattr(getattr(job.method, kind, None), "hyperparameters", None) if kind else None
    if given is not None:
        return given.to_dict()
    legacy = job.hyperparameters.to_dict() if job.hyperparameters else {}
    return {k: v for k, v in legacy.items() if v is not None}


def job_caption(job: FineTuningJob) -> str:
    """``gpt-4o-mini-2024-07-18 · supervised · suffix my-run``: what a job is, under its heading."""
    suffix = suffix_of(job)
    return f"{job.model} · {method_type(job)}" + (f" · suffix {suffix}" if suffix else "")


def settings_of(job: FineTuningJob) -> tuple[dict, dict]:
    """The job's settings as two tables: method and hyperparameters (as text), and seed, suffix, metadata."""
    hyper = {"method": method_type(job), **{k: str(v) for k, v in hyperparameters(job).items()}}
    return hyper, {"seed": job.seed, "suffix": suffix_of(job), "metadata": job.metadata or {}}


def file_ids(job: FineTuningJob) -> list[str]:
    """The ids of the job's training, validation and result files, in that order, without repeats."""
    ids = [job.training_file, job.validation_file, *(job.result_files or [])]
    return list(dict.fromkeys(i for i in ids if i))


def file_rows(job: FineTuningJob, files: dict[str, FileObject | str], tz: dt.tzinfo | None = None) -> list[dict]:
    """One row per file of the job (role, id, name, bytes, created), with the sentence of a failed read
    (``files`` holds a file's object, or that sentence)."""
    roles = {
        job.training_file: "training",
        job.validation_file: "validation",
        **{f: "result" for f in job.result_files or []},
    }
    rows = []
    for file_id in file_ids(job):
        info = files.get(file_id)
        read = info if isinstance(info, FileObject) else None
        rows.append(
            {
                "role": roles.get(file_id),
                "id": file_id,
                "filename": read.filename if read else None,
                "bytes": read.bytes if read else None,
                "created": format_time(read.created_at if read else None, tz),
                "note": info if isinstance(info, str) else "",
            }
        )
    return rows


def clone_prefill(job: FineTuningJob) -> dict:
    """The Launch form's prefill for a new job with this job's settings (keys of ``ui.set_launch_prefill``)."""
    return {
        "model": job.model,
        "method": method_type(job),
        "hyperparameters": hyperparameters(job),
        "suffix": suffix_of(job),
        "seed": job.seed,
        # the pre-launch estimate belongs to the old job; Launch computes a new one
        "metadata": {k: v for k, v in (job.metadata or {}).items() if k not in (ESTIMATE_TOKENS_KEY, ESTIMATE_USD_KEY)},
        "training_file": job.training_file,
        "validation_file": job.validation_file,
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
        return ShutdownNote(
            base,
            None,
            None,
            f"{base or 'This model'} is not in the app's catalog, so its shutdown date is unknown; "
            "check OpenAI's deprecations page.",
        )
    if info.shutdown_date is None:
        return ShutdownNote(info.id, None, None, f"No shutdown date is announced for {info.id}.")
    days = (info.shutdown_date - today).days
    date = info.shutdown_date.isoformat()
    if days <= 0:
        text = (
            f"{info.id} was shut down on {date}: fine-tuned models and checkpoints based on it "
            "no longer answer. Only the records you archived remain."
        )
    else:
        retirement = (
            f" This is the {catalog.retirement_date.isoformat()} retirement of gpt-4o, gpt-4o-mini, "
            "gpt-4.1 and gpt-4.1-mini."
            if info.shutdown_date == catalog.retirement_date
            else ""
        )
        text = (
            f"{info.id} shuts down on {date} ({days} days from today), and every fine-tune of it with it: "
            f"this job's fine-tuned model and its checkpoints stop answering that day, and the job's "
            f"records become the only trace.{retirement} Download the archive to keep them, and plan "
            "the move to another model before then."
        )
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
        sentence += (
            f" That is {days} days from today; after it the deployment stops answering and the job's "
            "records become the only trace. Download the archive to keep them."
        )
    return ShutdownNote(dates.model_id, date, days, sentence)


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

    @property
    def difference_text(self) -> str | None:
        """``+$0.40 vs estimate`` (or ``-$...``), None without both figures."""
        if self.difference_usd is None:
            return None
        return ("+" if self.difference_usd >= 0 else "") + usd(self.difference_usd) + " vs estimate"

    @property
    def explanation(self) -> str:
        """How the cost was worked out, and that no estimate was recorded when none was."""
        if self.estimated_usd is not None:
            return self.note
        return self.note + " No pre-launch estimate is recorded on this job (Launch stores one in the job's metadata)."


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def job_cost(job: FineTuningJob, catalog: Catalog | None = None, calendar: str = "openai") -> CostReport:
    """Actual and estimated training cost of ``job`` from the catalog's per-1M training price.

    The estimate comes from the job's metadata (``estimated_trained_tokens``
    and/or ``estimated_cost_usd``, written at launch). Hourly-billed
    (reinforcement) jobs have no token price, and the note says so.
    """
    catalog = catalog or load_catalog()
    try:
        info = catalog.resolve(job.model or "")
        price = info.training_per_1m
        as_of = info.training_as_of
    except UnknownModelError:
        info, price, as_of = None, None, None
    metadata = job.metadata or {}
    est_tokens = _number(metadata.get(ESTIMATE_TOKENS_KEY))
    est_usd = _number(metadata.get(ESTIMATE_USD_KEY))
    if est_usd is None and est_tokens is not None and price is not None:
        est_usd = training_charge_usd(est_tokens, price)
    trained = job.trained_tokens
    actual = training_charge_usd(trained, price) if trained is not None and price is not None else None
    if method_type(job) == "reinforcement":
        note = "Reinforcement fine-tuning is billed by training hour, not by token; see the invoice."
        actual = None
    elif price is None:
        note = "No training price is known for this model, so the cost cannot be computed."
    elif trained is None:
        note = (
            f"At {usd_per_1m(price, 'trained tokens')} (price as of {as_of}); "
            "the actual cost is known when the job reports trained tokens at the end."
        )
    else:
        note = f"{trained:,} trained tokens x {usd_per_1m(price)} (price as of {as_of})."
    if calendar == "azure" and price is not None and method_type(job) != "reinforcement":
        note = note.replace(f"{usd_price(price)} per 1M", f"{usd_price(price)} per 1M (OpenAI's list price)", 1)
        note += " " + catalog.azure.training_price_note.split(":")[0] + "; your Azure invoice has the real figure."
    return CostReport(price, trained, actual, int(est_tokens) if est_tokens is not None else None, est_usd, note)


def checkpoint_rows(checkpoints: Iterable[FineTuningJobCheckpoint]) -> list[dict]:
    """One flat row per checkpoint (step, model name, metrics), by step."""
    rows = []
    for ckpt in checkpoints:
        metrics = ckpt.metrics
        row = {
            "step": int(ckpt.step_number or getattr(metrics, "step", None) or 0),
            "checkpoint": ckpt.fine_tuned_model_checkpoint,
            "id": ckpt.id,
            "created_at": ckpt.created_at,
        }
        for key in METRIC_KEYS:
            value = getattr(metrics, key, None)
            row[key] = float(value) if isinstance(value, (int, float)) else None
        rows.append(row)
    return sorted(rows, key=lambda r: r["step"])


def best_checkpoint(checkpoints: Iterable[FineTuningJobCheckpoint]) -> dict | None:
    """The checkpoint row with the lowest validation loss (full validation loss if none has one)."""
    rows = checkpoint_rows(checkpoints)
    for key in ("valid_loss", "full_valid_loss"):
        scored = [r for r in rows if r.get(key) is not None]
        if scored:
            return min(scored, key=lambda r: r[key])
    return None


def checkpoint_table(checkpoints: list[FineTuningJobCheckpoint]) -> tuple[list[dict], dict | None]:
    """Rows for the checkpoints table (``best`` marks the best one, then step, model name, metrics)
    and the best checkpoint's row (None when no checkpoint reports a validation loss)."""
    best = best_checkpoint(checkpoints)
    table = [
        {
            "best": "★ best" if best and row["id"] == best["id"] else "",
            "step": row["step"],
            "checkpoint": row["checkpoint"],
            **{k: row[k] for k in METRIC_KEYS},
        }
        for row in checkpoint_rows(checkpoints)
    ]
    return table, best


def best_checkpoint_text(best: dict, calendar: str = "openai") -> str:
    """Why ``best`` is the best checkpoint and how it is used on ``calendar``'s backend."""
    by_valid = best.get("valid_loss") is not None
    which = "validation loss" if by_valid else "full validation loss"
    value = best["valid_loss"] if by_valid else best.get("full_valid_loss")
    use = (
        "On Azure OpenAI it is deployed like the final model (its name as the model to deploy):"
        if calendar == "azure"
        else "A checkpoint answers like any fine-tuned model:"
    )
    return f"Best by {which}: the checkpoint at step {best['step']:,} ({which} {value:.4f}). {use}"


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
