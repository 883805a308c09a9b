"""Comparing jobs: settings and final metrics side by side."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openai.types.fine_tuning import FineTuningJob

from lib.jobs.events import METRIC_KEYS, METRIC_LABELS, metric_rows
from lib.jobs.facts import hyperparameters, method_type
from lib.jobs.status import short_label, suffix_of
from lib.jobs.watch import JobWatch

COMPARE_SETTINGS = (
    "status",
    "model",
    "method",
    "n_epochs",
    "batch_size",
    "learning_rate_multiplier",
    "beta",
    "suffix",
    "seed",
    "training_file",
    "validation_file",
    "trained_tokens",
    "metadata",
)


def _settings(job: FineTuningJob) -> dict[str, Any]:
    hyper = hyperparameters(job)
    values = {
        "status": job.status,
        "model": job.model,
        "method": method_type(job),
        "n_epochs": hyper.get("n_epochs"),
        "batch_size": hyper.get("batch_size"),
        "learning_rate_multiplier": hyper.get("learning_rate_multiplier"),
        "beta": hyper.get("beta"),
        "suffix": suffix_of(job),
        "seed": job.seed,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "trained_tokens": job.trained_tokens,
        "metadata": ", ".join(f"{k}={v}" for k, v in sorted((job.metadata or {}).items())) or None,
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


def compare_table(
    jobs: list[FineTuningJob], rows_by_job: dict[str, list[dict]], *, only_differences: bool = True
) -> list[dict]:
    """Rows ``{"setting": name, <job id>: value, ...}``: settings (only those that differ) then final metrics."""
    table = []
    for name in COMPARE_SETTINGS:
        values = {job.id: _settings(job)[name] for job in jobs}
        if all(v is None for v in values.values()):
            continue
        if only_differences and len({json.dumps(v, sort_keys=True) for v in values.values()}) <= 1:
            continue
        table.append({"setting": name, **{k: _cell(v) for k, v in values.items()}})
    finals = {job.id: final_metrics(rows_by_job.get(job.id, [])) for job in jobs}
    for name in next(iter(finals.values()), {}):
        values = {job_id: f[name] for job_id, f in finals.items()}
        if all(v is None for v in values.values()):
            continue
        table.append({"setting": name, **{k: "" if v is None else f"{v:.4f}" for k, v in values.items()}})
    return table


def _cell(value: Any) -> str:
    # One text column per job: mixed types (numbers and "auto") would break a dataframe column.
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Comparison:
    """Several watched jobs side by side: their metric rows and legend labels, by job id."""

    watches: list[JobWatch]
    rows_by_job: dict[str, list[dict]]
    labels: dict[str, str]

    @property
    def curves(self) -> dict[str, list[dict]]:
        """Metric rows by legend label (the compare chart's input)."""
        return {self.labels[w.id]: self.rows_by_job[w.id] for w in self.watches}

    @property
    def running(self) -> list[str]:
        """Labels of the jobs still running (their curves are as of this view)."""
        return [self.labels[w.id] for w in self.watches if not w.terminal]

    def table(self, *, only_differences: bool = True) -> list[dict]:
        """The settings and final metrics table (:func:`compare_table`)."""
        return compare_table([w.job for w in self.watches], self.rows_by_job, only_differences=only_differences)


def comparison(watches: list[JobWatch]) -> Comparison:
    """The comparison of ``watches`` (metric rows read from each one's events)."""
    return Comparison(
        list(watches), {w.id: metric_rows(w.log.events) for w in watches}, {w.id: short_label(w.job) for w in watches}
    )
