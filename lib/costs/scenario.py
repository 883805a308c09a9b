"""The scenario: every input of the cost model, defaults, prefills from a dataset or a measurement, prompt tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from lib.costs.azure import hosting_hours_per_month
from lib.costs.inputs import (
    BACKENDS,
    MAX_PASTED_PROMPT_CHARS,
    MAX_START_DATE_DISTANCE_DAYS,
    METHODS,
    CostInputError,
    input_bounds,
)
from lib.costs.prices import check_price_overrides, resolve_model, shutdown_for
from lib.costs.training import exact_fraction

from lib import catalog as catalog_lib
from lib import jobspec, tokens
from lib.handoff import DatasetSummary, MeasuredUsage


@dataclass(frozen=True)
class Scenario:
    """Everything a projection needs, validated on construction.

    Token counts are per call except ``billed_tokens_per_epoch``. The base
    model is called with the long ``base_prompt_tokens`` prompt, the
    fine-tuned model with the short ``fine_tuned_prompt_tokens`` one; both
    also get the ``message_tokens`` of the call itself and answer with
    ``output_tokens``. Cached shares are fractions (0-1) of each call's input
    billed at the cached-input price. ``epochs=None`` means the API's "auto".

    ``backend`` is ``"openai"`` or ``"azure"``. On Azure the fine-tuned model
    bills at the base rate plus ``hosting_usd_per_hour`` for each hour of the
    ``hosting_hours_per_day`` its deployment is up (``deployment_type`` names
    the fee's tier); on OpenAI hosting is free and those inputs are ignored.
    ``shutdown_date`` is the day the fine-tune stops answering on that backend;
    None takes it from the catalog (:func:`shutdown_for`). ``method`` is
    ``"supervised"`` or ``"dpo"`` (which only changes what the training
    figure says it counted).
    """

    model: str
    billed_tokens_per_epoch: int
    examples: int
    epochs: int | None
    base_prompt_tokens: int
    fine_tuned_prompt_tokens: int
    output_tokens: int
    calls_per_month: int
    start_date: dt.date
    horizon_months: int = 12
    message_tokens: int = 0
    base_cached_share: float = 0.0
    fine_tuned_cached_share: float = 0.0
    price_overrides: Mapping[str, float] = field(default_factory=dict)
    backend: str = "openai"
    deployment_type: str = "standard"
    hosting_usd_per_hour: float = 0.0
    hosting_hours_per_day: float = 24
    shutdown_date: dt.date | None = None
    method: str = "supervised"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once, here
        set_(self, "model", resolve_model(self.model).id)
        if self.backend not in BACKENDS:
            raise CostInputError(f"The backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}.")
        if self.method not in METHODS:
            raise CostInputError(f"The training method must be one of {', '.join(METHODS)}, not {self.method!r}.")
        if not isinstance(self.deployment_type, str) or not self.deployment_type.strip():
            raise CostInputError(f"The deployment type must be a name, not {self.deployment_type!r}.")
        bounds = input_bounds()
        for name, bound in bounds.items():
            value = getattr(self, name)
            if name == "epochs" and value is None:
                continue
            set_(self, name, bound.check(value))
        if self.examples > self.billed_tokens_per_epoch:
            raise CostInputError(
                f"{self.examples:,} examples cannot fit in {self.billed_tokens_per_epoch:,} billed tokens per "
                "epoch; every example has at least one token."
            )
        set_(self, "start_date", check_start_date(self.start_date))
        set_(self, "price_overrides", check_price_overrides(self.price_overrides))
        if self.shutdown_date is None:
            set_(self, "shutdown_date", shutdown_for(self.model, self.backend).date)
        elif not isinstance(self.shutdown_date, dt.date):
            raise CostInputError(f"The shutdown date must be a date, not {self.shutdown_date!r}.")

    @property
    def hosting_per_month(self) -> Fraction:
        """The deployment's hosting fee for a month (:func:`hosting_hours_per_month` hours if up all day,
        prorated by the hours a day it stays up); zero off Azure."""
        if self.backend != "azure":
            return Fraction(0)
        return (
            exact_fraction(self.hosting_usd_per_hour)
            * hosting_hours_per_month()
            * exact_fraction(self.hosting_hours_per_day)
            / 24
        )

    @property
    def base_input_tokens(self) -> int:
        return self.base_prompt_tokens + self.message_tokens

    @property
    def fine_tuned_input_tokens(self) -> int:
        return self.fine_tuned_prompt_tokens + self.message_tokens

    @property
    def tokens_saved_per_call(self) -> int:
        return self.base_prompt_tokens - self.fine_tuned_prompt_tokens


def check_start_date(value: object, today: dt.date | None = None) -> dt.date:
    """``value`` as a date within about ten years of today, or :class:`CostInputError`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise CostInputError(f"The start date must be a date, not {value!r}.")
    today = today or catalog_lib.today()
    if abs((value - today).days) > MAX_START_DATE_DISTANCE_DAYS:
        raise CostInputError(f"The start date {value:%Y-%m-%d} is more than ten years from today; check for a typo.")
    return value


def default_scenario(today: dt.date | None = None) -> Scenario:
    """A starting scenario for the page: the cheapest trainable model, a small
    dataset and a long prompt cut to a short one, starting today."""
    today = today or catalog_lib.today()
    cat = catalog_lib.load_catalog()
    trainable = cat.trainable(today)
    model = trainable[0].id if trainable else next(iter(cat.models))
    return Scenario(
        model=model,
        billed_tokens_per_epoch=100_000,
        examples=100,
        epochs=None,
        base_prompt_tokens=1_500,
        fine_tuned_prompt_tokens=100,
        message_tokens=0,
        output_tokens=200,
        calls_per_month=100_000,
        start_date=today,
        horizon_months=12,
    )


def prefill_from_dataset(summary: DatasetSummary, today: dt.date | None = None) -> dict[str, object]:
    """Scenario fields a checked dataset answers, for the page to prefill.

    The dataset's system prompt is the short prompt the fine-tuned model will
    get; the rest of its prompt is the per-call message; its assistant tokens
    the answer. The model is taken only if it can still be trained, on this file's format.

    ``median_prompt_tokens`` counts every non-assistant token, system prompt
    included (see ``lib.validate``), so the message is the difference of
    the two medians: close to, not exactly, the median message.
    """
    values: dict[str, object] = {
        "billed_tokens_per_epoch": summary.billed_tokens_per_epoch,
        "examples": summary.examples,
        "epochs": None if summary.n_epochs_is_estimate else summary.n_epochs,
        "method": "dpo" if summary.format == "dpo" else "supervised",
    }
    if summary.median_system_tokens is not None:
        values["fine_tuned_prompt_tokens"] = summary.median_system_tokens
    if summary.median_prompt_tokens is not None:
        values["message_tokens"] = max(0, summary.median_prompt_tokens - (summary.median_system_tokens or 0))
    if summary.median_assistant_tokens is not None:
        values["output_tokens"] = summary.median_assistant_tokens
    try:
        model = resolve_model(summary.model)
    except CostInputError:
        return values
    today = today or catalog_lib.today()
    trainable = {m.id for m in catalog_lib.load_catalog().trainable(today)}
    if model.id in trainable and jobspec.takes_format(model, summary.format):  # the one format table
        values["model"] = model.id
    return values


def prefill_from_measured(measured: MeasuredUsage) -> dict[str, object]:
    """Scenario fields an evaluation run measured, for the page to use instead of typed guesses.

    Measured prompt tokens are whole prompts (instructions and the message), so
    they become the two prompts with no separate message; means are rounded to
    whole tokens.
    """
    return {
        "base_prompt_tokens": max(1, round(measured.prompt_tokens_prompted)),
        "fine_tuned_prompt_tokens": max(0, round(measured.prompt_tokens_fine_tuned)),
        "message_tokens": 0,
        "output_tokens": max(0, round(measured.completion_tokens)),
    }


def measured_label(measured: MeasuredUsage) -> str:
    """``measured on 40 examples`` (``, simulated`` when measured against the demo simulator)."""
    text = f"measured on {measured.examples:,} example{'' if measured.examples == 1 else 's'}"
    return text + " (simulated)" if measured.simulated else text


def count_prompt_tokens(text: str, model: str) -> int:
    """Exact tokens of ``text`` with ``model``'s tokenizer (offline)."""
    if len(text) > MAX_PASTED_PROMPT_CHARS:
        raise CostInputError(
            f"That text is {len(text):,} characters long; paste at most "
            f"{MAX_PASTED_PROMPT_CHARS:,} (no prompt is that long)."
        )
    return tokens.count_text(text, resolve_model(model).encoding)
