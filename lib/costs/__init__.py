"""The cost model: does fine-tuning pay for itself before the model is shut down?

Fine-tuning costs money twice: once for training (billed tokens x epochs x the
training price) and on every call after (a fine-tuned model's tokens cost more
than the base model's). It pays back only when the shorter prompt it allows
saves more per call than that premium, often enough to repay the training,
before the model (and every fine-tune of it) is shut down.

Everything here is pure: prices come from the dated catalog (``lib/catalog``)
or from the user's overrides, never from literals. Money is computed with
exact fractions and handed out as floats, so worked examples check to the cent
and a break-even of exactly 12,000 calls is 12,000, not 12,001.

Time is counted in calendar months from the start date (12 months from
2026-11-26 is 2027-11-26); inside a month, calls accrue evenly day by day.

Two backends bill a fine-tune differently. OpenAI charges a premium on every
token of a fine-tuned model. Azure OpenAI bills its tokens at the base model's
rate but charges an hourly hosting fee for each deployment, a fixed monthly
cost the savings must cover before they start repaying the training. The
scenario carries the backend, the hosting fee per hour and the shutdown date as
explicit inputs, so every figure here can be checked by hand.

A package split by concern; ``from lib.costs import X`` works for every public name:
:mod:`~lib.costs.inputs` (bounds, the input error), :mod:`~lib.costs.prices` (price sheets, dates),
:mod:`~lib.costs.azure` (hosting fees), :mod:`~lib.costs.scenario` (the inputs as one object),
:mod:`~lib.costs.training` (the training charge, the cost of a call), :mod:`~lib.costs.money` (the one
dollar format), :mod:`~lib.costs.projection` (break-even, verdict, over time, thresholds),
:mod:`~lib.costs.compare` (all models, sensitivity), :mod:`~lib.costs.params` (URL and CSV).
"""

from lib.costs.azure import DEPLOYMENT_TYPES, deployment_types, hosting_fee, hosting_hours_per_month
from lib.costs.compare import (
    Comparison,
    Sensitivity,
    SensitivityPoint,
    compare_models,
    comparison_table,
    sensitivity_to_prompt_savings,
    sensitivity_to_volume,
)
from lib.costs.inputs import (
    BACKENDS,
    DPO_BILLING_NOTE,
    MAX_CALLS_PER_MONTH,
    MAX_HORIZON_MONTHS,
    MAX_HOSTING_PER_HOUR,
    MAX_OUTPUT_TOKENS,
    MAX_PASTED_PROMPT_CHARS,
    MAX_PRICE_PER_1M,
    MAX_PROMPT_TOKENS,
    MAX_START_DATE_DISTANCE_DAYS,
    METHODS,
    MILLION,
    Bound,
    CostInputError,
    input_bounds,
)
from lib.costs.money import calls_text, usd, usd_per_1m, usd_per_call, usd_price
from lib.costs.params import PARAM_NAMES, PRICE_PARAM_PREFIX, scenario_csv, scenario_from_params, scenario_to_params
from lib.costs.prices import (
    AZURE_TRAINING_NOTE,
    PRICE_KEYS,
    PRICE_LABELS,
    Dated,
    PriceFigure,
    PriceKey,
    PriceSheet,
    batch_price_figures,
    check_price_overrides,
    price_sheet,
    resolve_model,
    shutdown_for,
    trainable_models,
    training_until,
)
from lib.costs.projection import (
    Outcome,
    Projection,
    Thresholds,
    TimelinePoint,
    add_months,
    cumulative_costs,
    date_after_months,
    hosting_text,
    months_between,
    pay_off_thresholds,
    project,
    sources_used,
    timeline_end,
    verdict,
)
from lib.costs.scenario import (
    Scenario,
    check_start_date,
    count_prompt_tokens,
    default_scenario,
    measured_label,
    prefill_from_dataset,
    prefill_from_measured,
)
from lib.costs.training import CallCost, TrainingCost, call_cost, training_charge_usd, training_cost

__all__ = [
    "MILLION",
    "MAX_PROMPT_TOKENS",
    "MAX_OUTPUT_TOKENS",
    "MAX_CALLS_PER_MONTH",
    "MAX_HORIZON_MONTHS",
    "MAX_PRICE_PER_1M",
    "MAX_START_DATE_DISTANCE_DAYS",
    "MAX_PASTED_PROMPT_CHARS",
    "MAX_HOSTING_PER_HOUR",
    "BACKENDS",
    "METHODS",
    "DPO_BILLING_NOTE",
    "CostInputError",
    "Bound",
    "input_bounds",
    "PriceKey",
    "PRICE_KEYS",
    "PRICE_LABELS",
    "AZURE_TRAINING_NOTE",
    "PriceFigure",
    "PriceSheet",
    "check_price_overrides",
    "price_sheet",
    "batch_price_figures",
    "resolve_model",
    "Dated",
    "shutdown_for",
    "training_until",
    "trainable_models",
    "DEPLOYMENT_TYPES",
    "hosting_hours_per_month",
    "deployment_types",
    "hosting_fee",
    "Scenario",
    "check_start_date",
    "default_scenario",
    "prefill_from_dataset",
    "prefill_from_measured",
    "measured_label",
    "count_prompt_tokens",
    "training_charge_usd",
    "TrainingCost",
    "training_cost",
    "CallCost",
    "call_cost",
    "usd",
    "usd_price",
    "usd_per_1m",
    "usd_per_call",
    "calls_text",
    "add_months",
    "months_between",
    "date_after_months",
    "Outcome",
    "Projection",
    "project",
    "hosting_text",
    "verdict",
    "sources_used",
    "TimelinePoint",
    "timeline_end",
    "cumulative_costs",
    "Thresholds",
    "pay_off_thresholds",
    "Comparison",
    "compare_models",
    "comparison_table",
    "SensitivityPoint",
    "Sensitivity",
    "sensitivity_to_prompt_savings",
    "sensitivity_to_volume",
    "PARAM_NAMES",
    "PRICE_PARAM_PREFIX",
    "scenario_to_params",
    "scenario_from_params",
    "scenario_csv",
]
