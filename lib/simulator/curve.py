"""The loss curve a simulated job reports: its metrics rows, their event messages, the result CSV.

A job's curve is a noisy, decreasing loss drawn from ``random.Random(seed)``, so the same job shows
the same numbers on every request. Beyond ``MAX_METRIC_EVENTS`` steps only every k-th step (plus
every epoch end) gets a row, so a 100k-step job stays cheap while ``total_steps`` stays true.
"""

from __future__ import annotations

import math
import random

MAX_METRIC_EVENTS = 1000  # per job; beyond it every k-th step is reported (plus every epoch end)


def reported_steps(total_steps: int, per_epoch: int) -> list[int]:
    """The steps that get a metrics event: all of them, or every k-th plus epoch ends."""
    stride = max(1, math.ceil(total_steps / MAX_METRIC_EVENTS))
    steps = set(range(stride, total_steps + 1, stride))
    steps.update(range(per_epoch, total_steps + 1, per_epoch))
    steps.update((1, total_steps))
    return sorted(steps)


def metrics_curve(
    seed: int, total_steps: int, per_epoch: int, *, with_validation: bool, method_type: str = "supervised"
) -> list[dict]:
    """Metrics for each reported step: a noisy, decreasing loss, the same for the same seed."""
    rng = random.Random(seed)
    # DPO's loss starts at ln 2 (no preference yet); supervised loss starts around 2.
    start = math.log(2) if method_type == "dpo" else rng.uniform(1.6, 2.6)
    floor = rng.uniform(0.05, 0.25) if method_type == "dpo" else rng.uniform(0.12, 0.45)
    decay = rng.uniform(3.5, 5.5)
    overfit = rng.uniform(0.05, 0.25)
    rows = []
    for step in reported_steps(total_steps, per_epoch):
        progress = step / total_steps
        mean = floor + (start - floor) * math.exp(-decay * progress)
        train_loss = max(0.01, mean * (1 + rng.gauss(0, 0.09)))
        accuracy = min(0.999, max(0.0, 1 - 0.42 * mean + rng.gauss(0, 0.02)))
        row = {
            "step": step,
            "train_loss": round(train_loss, 4),
            "train_mean_token_accuracy": round(accuracy, 4),
            "total_steps": total_steps,
        }
        if with_validation:
            valid_mean = mean * (1.04 + overfit * progress)
            row["valid_loss"] = round(max(0.01, valid_mean * (1 + rng.gauss(0, 0.12))), 4)
            row["valid_mean_token_accuracy"] = round(
                min(0.999, max(0.0, 1 - 0.45 * valid_mean + rng.gauss(0, 0.03))), 4
            )
            if step % per_epoch == 0:
                row["full_valid_loss"] = round(valid_mean * 1.02, 4)
                row["full_valid_mean_token_accuracy"] = round(min(0.999, max(0.0, 1 - 0.45 * valid_mean)), 4)
        rows.append(row)
    return rows


def metrics_message(row: dict) -> str:
    """``Step 12/300: training loss=0.83[, validation loss=..][, full validation loss=..]``."""
    text = f"Step {row['step']}/{row['total_steps']}: training loss={row['train_loss']:.2f}"
    if "valid_loss" in row:
        text += f", validation loss={row['valid_loss']:.2f}"
    if "full_valid_loss" in row:
        text += f", full validation loss={row['full_valid_loss']:.2f}"
    return text


# The result CSV's columns: OpenAI's (the guide) and Azure OpenAI's spelling of the same metrics.
RESULT_COLUMNS = {
    "openai": ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"),
    "azure": (
        "step",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "validation_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    ),
}
# Which curve value each column holds.
_COLUMN_SOURCE = {
    "train_accuracy": "train_mean_token_accuracy",
    "validation_mean_token_accuracy": "valid_mean_token_accuracy",
}


def results_csv(rows: list[dict], flavor: str = "openai") -> bytes:
    """The result file's CSV in ``flavor``'s columns (validation cells empty without a validation file)."""
    columns = RESULT_COLUMNS[flavor]
    lines = [",".join(columns)]
    for row in rows:
        cells = [str(row["step"])]
        for column in columns[1:]:
            value = row.get(_COLUMN_SOURCE.get(column, column))
            cells.append("" if value is None else f"{value:.5f}")
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()
