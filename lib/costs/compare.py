"""All models side by side, and how the answer moves with the prompt savings and the volume."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from lib.costs.inputs import MILLION, CostInputError, input_bounds
from lib.costs.prices import trainable_models
from lib.costs.projection import Outcome, Projection, months_between, project
from lib.costs.scenario import Scenario

from lib import catalog as catalog_lib


@dataclass(frozen=True)
class Comparison:
    """The same scenario on every trainable model (overrides apply to the scenario's model only)."""

    projections: tuple[Projection, ...]
    skipped: dict[str, str]  # model id -> why it could not be projected


def compare_models(scenario: Scenario, today: dt.date | None = None) -> Comparison:
    """Project ``scenario`` on each model that can still be fine-tuned on ``today`` on its backend.

    Token counts are reused as is: every trainable model shares one tokenizer.
    Price overrides belong to the scenario's own model and are not carried over.
    """
    today = today or catalog_lib.today()
    projections, skipped = [], {}
    for model in trainable_models(scenario.backend, today):
        own = model.id == scenario.model
        changes = {"model": model.id, "price_overrides": scenario.price_overrides if own else {}}
        if not own:
            changes["shutdown_date"] = None  # each model's own date on the backend
        try:
            projections.append(project(replace(scenario, **changes)))
        except CostInputError as exc:
            skipped[model.id] = str(exc)
    return Comparison(tuple(projections), skipped)


def comparison_table(comparison: Comparison) -> list[dict[str, object]]:
    """One row per model, for a table: money as USD numbers, dates as dates, None for "never".

    "Net by" is the date the net figure is for (the horizon, cut at that
    model's shutdown); "Prices as of" the oldest catalog date among its prices.
    """
    rows = []
    for p in comparison.projections:
        row = {
            "Model": p.model_label,
            "Model id": p.model_id,
            "Shuts down": p.shutdown_date,
            "Training (estimate)": round(p.training.cost, 2),
            # Per million calls, so sub-cent per-call figures stay readable in a table.
            "Base, per 1M calls": round(p.base_call.cost * MILLION, 2),
            "Fine-tuned, per 1M calls": round(p.fine_tuned_call.cost * MILLION, 2),
            "Saving, per 1M calls": round(p.saving_per_call * MILLION, 2),
        }
        if p.backend == "azure":
            row["Hosting a month"] = round(p.hosting_per_month, 2)
        row.update(
            {
                "Break-even calls": p.break_even_calls,
                "Break-even date": p.break_even_date,
                "Net by": p.horizon_end,
                "Net": round(p.net_saving_at_horizon, 2),
                "Outcome": p.outcome.label,
                "Prices as of": min(
                    (f.as_of for f in p.prices.figures if f.value is not None and not f.overridden),
                    default="your prices",
                ),
            }
        )
        rows.append(row)
    return rows


@dataclass(frozen=True)
class SensitivityPoint:
    x: float
    break_even_calls: int | None
    months_to_break_even: float | None
    net_saving_at_horizon: float
    outcome: Outcome


@dataclass(frozen=True)
class Sensitivity:
    """How break-even and the net result move as one input varies."""

    variable: str  # "tokens_saved_per_call" or "calls_per_month"
    label: str
    current: float
    points: tuple[SensitivityPoint, ...]
    months_until_shutdown: float | None
    months_in_horizon: float
    hosting_needs_calls_per_month: int | None = None  # Azure: below this volume hosting alone outweighs the saving


def _sensitivity(
    scenario: Scenario, variable: str, label: str, current: float, variants: list[tuple[float, Scenario]]
) -> Sensitivity:
    points = []
    for x, variant in variants:
        p = project(variant)
        points.append(
            SensitivityPoint(x, p.break_even_calls, p.months_to_break_even, p.net_saving_at_horizon, p.outcome)
        )
    base = project(scenario)
    until_shutdown = float(months_between(scenario.start_date, base.shutdown_date)) if base.shutdown_date else None
    return Sensitivity(
        variable,
        label,
        current,
        tuple(points),
        until_shutdown,
        float(months_between(scenario.start_date, base.horizon_end)),
        base.hosting_needs_calls_per_month,
    )


def sensitivity_to_prompt_savings(scenario: Scenario, steps: int = 21) -> Sensitivity:
    """Break-even as the fine-tuned prompt shrinks from the full prompt to nothing.

    ``x`` is prompt tokens saved per call (0 to the whole current prompt).
    """
    full = scenario.base_prompt_tokens
    saved_values = sorted(
        {round(full * i / (steps - 1)) for i in range(steps)} | {max(0, scenario.tokens_saved_per_call)}
    )
    variants = [(saved, replace(scenario, fine_tuned_prompt_tokens=full - saved)) for saved in saved_values]
    return _sensitivity(
        scenario, "tokens_saved_per_call", "Prompt tokens saved per call", scenario.tokens_saved_per_call, variants
    )


def sensitivity_to_volume(scenario: Scenario, steps: int = 25, spread: float = 10.0) -> Sensitivity:
    """Break-even as monthly calls range from ``current / spread`` to ``current x spread`` (log-spaced)."""
    bound = input_bounds()["calls_per_month"]
    current = scenario.calls_per_month
    values = {current}
    for i in range(steps):
        factor = spread ** (2 * i / (steps - 1) - 1)
        values.add(min(bound.maximum, max(bound.minimum, round(current * factor))))
    variants = [(v, replace(scenario, calls_per_month=int(v))) for v in sorted(values)]
    return _sensitivity(scenario, "calls_per_month", "Calls per month", current, variants)
