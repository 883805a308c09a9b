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
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from fractions import Fraction
from functools import lru_cache

from lib import catalog as catalog_lib
from lib import jobspec
from lib import tokens
from lib.catalog import ModelInfo, UnknownModelError
from lib.handoff import DatasetSummary, MeasuredUsage

MILLION = 1_000_000

# Sanity bounds catch typos (an extra zero or three), not API limits; API limits
# come from the catalog.
MAX_PROMPT_TOKENS = 2_000_000        # about twice the largest context window of any catalog model
MAX_OUTPUT_TOKENS = 1_000_000
MAX_CALLS_PER_MONTH = 10_000_000_000  # ~3,800 calls a second, all month
MAX_HORIZON_MONTHS = 120
MAX_PRICE_PER_1M = 1_000.0           # well above any OpenAI per-token price ever published
MAX_START_DATE_DISTANCE_DAYS = 3_660  # start dates more than ~10 years from today are typos
MAX_PASTED_PROMPT_CHARS = 2_000_000
MAX_HOSTING_PER_HOUR = 1_000.0       # well above any hourly hosting fee Azure has published
BACKENDS = {"openai": "OpenAI", "azure": "Azure OpenAI"}
METHODS = {"supervised": "supervised (SFT)", "dpo": "DPO (preference pairs)"}
# What the DPO figure counts: OpenAI and Azure do not document which tokens of a pair they bill.
DPO_BILLING_NOTE = ("a DPO pair is counted as its prompt plus the preferred answer (the non-preferred answer is not "
                    "counted); neither OpenAI nor Azure documents which tokens of a pair are billed, so this is an "
                    "estimate")


class CostInputError(ValueError):
    """An input of the cost model is missing, not a number or out of range.

    The message is one sentence a user can act on; pages show it as is.
    """


# ---------------------------------------------------------------- input bounds
@dataclass(frozen=True)
class Bound:
    """The allowed range of one numeric input, and how to name it to a user."""

    label: str
    minimum: float
    maximum: float
    integer: bool = True
    zero_hint: str = ""   # why zero is not allowed, when minimum > 0
    max_hint: str = ""    # where the maximum comes from

    def check(self, value: object) -> int | float:
        """``value`` as a number inside the bounds, or :class:`CostInputError`."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise CostInputError(f"{_capital(self.label)} must be a number, not {value!r}.")
        if not math.isfinite(value):
            raise CostInputError(f"{_capital(self.label)} must be a finite number, not {value}.")
        if self.integer and value != int(value):
            raise CostInputError(f"{_capital(self.label)} must be a whole number, not {_number(value)}.")
        if value < 0 and self.minimum >= 0:
            raise CostInputError(f"{_capital(self.label)} cannot be negative ({_number(value)}).")
        if value < self.minimum:
            if value == 0 and self.zero_hint:
                raise CostInputError(f"{_capital(self.label)} must be more than zero: {self.zero_hint}.")
            raise CostInputError(
                f"{_capital(self.label)} must be at least {_number(self.minimum)}, not {_number(value)}.")
        if value > self.maximum:
            hint = f" ({self.max_hint})" if self.max_hint else ""
            raise CostInputError(
                f"{_capital(self.label)} of {_number(value)} is implausibly large: the most allowed here is "
                f"{_number(self.maximum)}{hint}; check for a typo.")
        return int(value) if self.integer else float(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    """1,500 or 0.25, as a person writes it (no scientific notation)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.6f}".rstrip("0")


@lru_cache(maxsize=1)
def input_bounds() -> dict[str, Bound]:
    """Bounds of every numeric scenario input, keyed by :class:`Scenario` field name.

    API limits (epochs, file size) come from the catalog, so pages can use the
    same numbers for their widgets.
    """
    limits = catalog_lib.load_catalog().limits
    epochs_lo, epochs_hi = limits["n_epochs"]
    max_file_bytes = limits["max_upload_bytes"]  # a token takes at least a byte of the file
    return {
        "billed_tokens_per_epoch": Bound(
            "billed tokens per epoch", 1, max_file_bytes, zero_hint="an empty dataset trains nothing",
            max_hint="a training file holds at most that many bytes, and every token takes at least one"),
        "examples": Bound("training examples", 1, max_file_bytes, zero_hint="a dataset needs examples"),
        "epochs": Bound("epochs", epochs_lo, epochs_hi, max_hint="the API's limit"),
        "base_prompt_tokens": Bound("current prompt tokens", 1, MAX_PROMPT_TOKENS,
                                    zero_hint="with no prompt there is nothing for fine-tuning to shorten"),
        "fine_tuned_prompt_tokens": Bound("fine-tuned prompt tokens", 0, MAX_PROMPT_TOKENS),
        "message_tokens": Bound("message tokens per call", 0, MAX_PROMPT_TOKENS),
        "output_tokens": Bound("answer tokens per call", 0, MAX_OUTPUT_TOKENS),
        "base_cached_share": Bound("cached share of the base model's input", 0, 1, integer=False),
        "fine_tuned_cached_share": Bound("cached share of the fine-tuned model's input", 0, 1, integer=False),
        "calls_per_month": Bound("calls per month", 1, MAX_CALLS_PER_MONTH,
                                 zero_hint="with no calls, fine-tuning can never pay back"),
        "horizon_months": Bound("horizon in months", 1, MAX_HORIZON_MONTHS),
        "hosting_usd_per_hour": Bound("hosting fee per hour", 0, MAX_HOSTING_PER_HOUR, integer=False,
                                      max_hint="USD per hour per deployment"),
        "hosting_hours_per_day": Bound("hours a day the deployment stays up", 1, 24, integer=False,
                                       zero_hint="a deployment that is never up answers no calls",
                                       max_hint="a day has 24 hours"),
    }


# ---------------------------------------------------------------- prices
@dataclass(frozen=True)
class PriceKey:
    key: str
    label: str
    kind: str      # "training", "base" or "fine_tuned"
    field: str     # attribute of catalog.Prices, or "training"


PRICE_KEYS: tuple[PriceKey, ...] = (
    PriceKey("training", "Training", "training", "training"),
    PriceKey("base_input", "Base input", "base", "input"),
    PriceKey("base_cached_input", "Base cached input", "base", "cached_input"),
    PriceKey("base_output", "Base output", "base", "output"),
    PriceKey("fine_tuned_input", "Fine-tuned input", "fine_tuned", "input"),
    PriceKey("fine_tuned_cached_input", "Fine-tuned cached input", "fine_tuned", "cached_input"),
    PriceKey("fine_tuned_output", "Fine-tuned output", "fine_tuned", "output"),
)
PRICE_LABELS = {p.key: p.label for p in PRICE_KEYS}
AZURE_TRAINING_NOTE = ("OpenAI's list price, prefilled: Azure publishes no per-model training price; enter the "
                       "price of your Azure agreement")


@dataclass(frozen=True)
class PriceFigure:
    """One price (USD per 1M tokens) as used, next to the catalog's figure."""

    key: str
    label: str
    value: float | None           # None: the catalog has no such price (e.g. no cached-input discount)
    catalog_value: float | None
    source: str
    as_of: str
    doubtful: bool = False
    doubt: str = ""
    note: str = ""                # how the figure was chosen, when it is not simply the catalog's

    @property
    def overridden(self) -> bool:
        return self.value != self.catalog_value


@dataclass(frozen=True)
class PriceSheet:
    """The prices one projection uses, with which of them the user overrode."""

    model_id: str
    figures: tuple[PriceFigure, ...]

    def __getitem__(self, key: str) -> PriceFigure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)

    def value(self, key: str) -> float | None:
        return self[key].value

    @property
    def overridden(self) -> tuple[str, ...]:
        """Keys of the figures the user changed from the catalog."""
        return tuple(f.key for f in self.figures if f.overridden)

    @property
    def doubtful(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.figures if f.doubtful)


def check_price_overrides(overrides: Mapping[str, object] | None) -> dict[str, float]:
    """Validated overrides ``{price key: USD per 1M}``; raises :class:`CostInputError`."""
    clean: dict[str, float] = {}
    for key, value in (overrides or {}).items():
        if key not in PRICE_LABELS:
            raise CostInputError(f"There is no price called {key!r}; known prices: {', '.join(PRICE_LABELS)}.")
        bound = Bound(f"the {PRICE_LABELS[key].lower()} price", 0, MAX_PRICE_PER_1M, integer=False,
                      max_hint="USD per 1M tokens")
        clean[key] = bound.check(value)
    return clean


def price_sheet(model: ModelInfo | str, overrides: Mapping[str, object] | None = None,
                backend: str = "openai") -> PriceSheet:
    """The catalog prices of ``model`` on ``backend`` with the user's ``overrides`` applied.

    An override equal to the catalog figure is no override. Doubtful catalog
    figures stay flagged (an overridden figure is the user's, so it is not).
    On Azure a fine-tune's tokens bill at the base model's rate (the one lookup
    is :func:`lib.catalog.inference_prices`), and the training price is
    OpenAI's list price, marked so: Azure prints none per model.
    """
    info = resolve_model(model) if isinstance(model, str) else model
    clean = check_price_overrides(overrides)
    tuned_prices = catalog_lib.inference_prices(info.id, calendar=backend, fine_tuned=True) or info.fine_tuned
    figures = []
    for price in PRICE_KEYS:
        note = ""
        if price.kind == "training":
            catalog_value, source, as_of, doubtful, doubt = (
                info.training_per_1m, info.training_source, info.training_as_of, False, "")
            if backend == "azure":
                note = AZURE_TRAINING_NOTE
        else:
            prices = tuned_prices if price.kind == "fine_tuned" else info.base
            catalog_value = getattr(prices, price.field)
            source, as_of = prices.source, prices.as_of
            doubtful, doubt = price.field in prices.doubtful, prices.doubt if price.field in prices.doubtful else ""
            if backend == "azure" and price.kind == "fine_tuned":
                note = "Azure bills a fine-tune's tokens at the base model's rate (plus hosting)."
        value = clean.get(price.key, catalog_value)
        figures.append(PriceFigure(price.key, price.label, value, catalog_value, source, as_of,
                                   doubtful and value == catalog_value, doubt if value == catalog_value else "",
                                   note if value == catalog_value else ""))
    return PriceSheet(info.id, tuple(figures))


def batch_price_figures(model: ModelInfo | str) -> tuple[PriceFigure, ...]:
    """The catalog's Batch API prices of the fine-tuned model, doubtful ones flagged.

    Shown for reference: projections use standard prices, because the catalog
    has no batch prices for the base models to compare against.
    """
    info = resolve_model(model) if isinstance(model, str) else model
    batch = info.fine_tuned_batch
    if batch is None:
        return ()
    return tuple(
        PriceFigure(f"fine_tuned_batch_{name}", f"Fine-tuned batch {label}", getattr(batch, name),
                    getattr(batch, name), batch.source, batch.as_of, name in batch.doubtful,
                    batch.doubt if name in batch.doubtful else "")
        for name, label in (("input", "input"), ("cached_input", "cached input"), ("output", "output")))


def resolve_model(name: str) -> ModelInfo:
    """The catalog entry for ``name``; an unknown name is a :class:`CostInputError`."""
    try:
        return catalog_lib.load_catalog().resolve(str(name))
    except UnknownModelError:
        known = ", ".join(m.id for m in catalog_lib.load_catalog().models.values())
        raise CostInputError(f"There is no model called {name!r} in the price catalog; pick one of {known}.") from None


# ---------------------------------------------------------------- dates and fees per backend
@dataclass(frozen=True)
class Dated:
    """A catalog date or fee with where it comes from: shown next to every figure that uses it."""

    value: object            # a date, a fee per hour, or None (nothing announced)
    source: str
    as_of: str
    doubtful: bool = False
    note: str = ""

    @property
    def date(self) -> dt.date | None:
        return self.value if isinstance(self.value, dt.date) else None


def shutdown_for(model: ModelInfo | str, backend: str = "openai") -> Dated:
    """The day fine-tunes of ``model`` stop answering on ``backend`` ("openai" or "azure"), with its source.

    On Azure that is the day its fine-tuned deployments stop; never OpenAI's date.
    """
    info = resolve_model(model) if isinstance(model, str) else model
    life = info.lifecycle(backend)
    return Dated(life.inference_until, life.source, life.as_of, "inference_until" in life.doubtful_fields)


def training_until(model: ModelInfo | str, backend: str = "openai") -> Dated:
    """The first day no new job for ``model`` can start on ``backend`` (None: no end announced), with its source."""
    info = resolve_model(model) if isinstance(model, str) else model
    life = info.lifecycle(backend)
    return Dated(life.training_until, life.source, life.as_of, "training_until" in life.doubtful_fields,
                 life.note)


def trainable_models(backend: str = "openai", today: dt.date | None = None) -> list[ModelInfo]:
    """Models a job can still start for on ``backend`` on ``today``, priced per token, cheapest first."""
    today = today or catalog_lib.today()
    cat = catalog_lib.load_catalog()
    if backend != "azure":
        return cat.trainable(today)
    live = []
    for m in cat.models.values():
        life = m.lifecycle("azure")
        open_for_jobs = life.training_until is None or today < life.training_until
        answers = life.inference_until is None or today < life.inference_until
        if life.listed and m.fine_tunable and m.training_per_1m and open_for_jobs and answers:
            live.append(m)
    return sorted(live, key=lambda m: m.training_per_1m)


DEPLOYMENT_TYPES = ("standard", "global_standard", "developer")


def hosting_hours_per_month() -> int:
    """The hours a month of hosting is counted as (catalog data: the month Azure's figures use)."""
    return catalog_lib.load_catalog().azure.hours_per_month


def deployment_types() -> dict[str, str]:
    """Azure's fine-tuned deployment types, ``{type: label}``, as the catalog names them."""
    cat = catalog_lib.load_catalog()
    return {t: cat.hosting_fee(t).label for t in DEPLOYMENT_TYPES}


def hosting_fee(deployment_type: str) -> Dated:
    """Azure's hourly hosting fee of one fine-tuned deployment of ``deployment_type``, with its source."""
    fee = catalog_lib.load_catalog().hosting_fee(deployment_type)
    return Dated(fee.usd_per_hour, fee.source, fee.as_of, bool(fee.doubtful), fee.note)


# ---------------------------------------------------------------- the scenario
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
                "epoch; every example has at least one token.")
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
        return _exact(self.hosting_usd_per_hour) * hosting_hours_per_month() * _exact(self.hosting_hours_per_day) / 24

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
    return Scenario(model=model, billed_tokens_per_epoch=100_000, examples=100, epochs=None,
                    base_prompt_tokens=1_500, fine_tuned_prompt_tokens=100, message_tokens=0,
                    output_tokens=200, calls_per_month=100_000, start_date=today, horizon_months=12)


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


# ---------------------------------------------------------------- money
def _exact(value: float | int | Fraction) -> Fraction:
    # str() of a float is its shortest repr, so 0.15 becomes exactly 3/20.
    return value if isinstance(value, Fraction) else Fraction(str(value))


def _check_count(name: str, value: object) -> Fraction:
    """A token count as an exact number: finite and not negative, or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise CostInputError(f"{name} must be a number of tokens, not {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise CostInputError(f"{name} must be a finite number of tokens, zero or more, not {value}.")
    return _exact(value)


def _check_price(name: str, value: object) -> Fraction:
    """A price per 1M tokens: finite and not negative, or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise CostInputError(f"{name} must be a price in USD per 1M tokens, not {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise CostInputError(f"{name} must be a finite price, zero or more, not {value}.")
    return _exact(value)


def training_charge_usd(trained_tokens: float, price_per_1m: float) -> float:
    """The one training-price formula: trained tokens (billed tokens per epoch x epochs) x price / 1M.

    Launch's estimate, the Jobs page's actual cost and the validator's report all call this.
    """
    return float(_training_charge(trained_tokens, price_per_1m))


def _training_charge(trained_tokens: float, price_per_1m: float) -> Fraction:
    return _check_count("trained_tokens", trained_tokens) * _check_price("price_per_1m", price_per_1m) / MILLION


@dataclass(frozen=True)
class TrainingCost:
    """The up-front charge of one fine-tuning job (validation tokens are free); always an estimate
    until the job reports its trained tokens."""

    billed_tokens_per_epoch: int
    epochs: int
    epochs_is_estimate: bool
    price_per_1m: float
    cost: float
    exact_cost: Fraction = field(repr=False, compare=False, default=Fraction(0))
    method: str = "supervised"

    @property
    def billed_tokens(self) -> int:
        return self.billed_tokens_per_epoch * self.epochs

    @property
    def counted(self) -> str:
        """What the billed tokens count, and why the figure is an estimate (one sentence, no period)."""
        parts = ["billed tokens are the training file's tokens, each example capped at the model's limit; "
                 "validation tokens are free"]
        if self.method == "dpo":
            parts.append(DPO_BILLING_NOTE)
        if self.epochs_is_estimate:
            parts.append("\"auto\" epochs are estimated with the cookbook rule, as OpenAI does not publish its own")
        return "; ".join(parts)


def training_cost(billed_tokens_per_epoch: int, epochs: int | None, price_per_1m: float,
                  examples: int | None = None, method: str = "supervised") -> TrainingCost:
    """Billed tokens per epoch x epochs x training price per 1M tokens.

    ``epochs=None`` ("auto") is estimated from ``examples`` with the cookbook
    rule and flagged as an estimate: OpenAI does not document its choice. A
    ``method="dpo"`` figure says what it counted (:attr:`TrainingCost.counted`).
    """
    bounds = input_bounds()
    billed = Bound("billed tokens per epoch", 0, bounds["billed_tokens_per_epoch"].maximum).check(
        billed_tokens_per_epoch)
    if price_per_1m is None:
        raise CostInputError("This model is not billed per training token, so its training cost cannot be "
                             "estimated here; enter a training price to override.")
    price = Bound("the training price", 0, MAX_PRICE_PER_1M, integer=False).check(price_per_1m)
    if epochs is None:
        if examples is None:
            raise CostInputError("Estimating \"auto\" epochs needs the number of training examples.")
        n_epochs, estimate = catalog_lib.auto_epochs(bounds["examples"].check(examples)), True
    else:
        n_epochs, estimate = bounds["epochs"].check(epochs), False
    cost = _training_charge(billed * n_epochs, price)
    return TrainingCost(billed, n_epochs, estimate, price, float(cost), cost, method)


@dataclass(frozen=True)
class CallCost:
    """What one call costs, from its token counts."""

    input_tokens: int
    cached_input_tokens: float
    output_tokens: int
    cost: float
    exact_cost: Fraction = field(repr=False, compare=False, default=Fraction(0))


def call_cost(input_tokens: int, output_tokens: int, *, input_per_1m: float, output_per_1m: float,
              cached_input_per_1m: float | None = None, cached_share: float = 0.0) -> CallCost:
    """Cost of one call: uncached input, cached input and output at their prices.

    ``cached_share`` of the input is billed at ``cached_input_per_1m``; a model
    without a cached-input price bills it all at the input price. Negative or
    non-finite counts, prices or shares raise :class:`CostInputError` (a
    ``ValueError``) naming the argument.
    """
    inputs = _check_count("input_tokens", input_tokens)
    outputs = _check_count("output_tokens", output_tokens)
    input_price = _check_price("input_per_1m", input_per_1m)
    output_price = _check_price("output_per_1m", output_per_1m)
    cached_price = input_price if cached_input_per_1m is None else _check_price("cached_input_per_1m",
                                                                                cached_input_per_1m)
    if isinstance(cached_share, bool) or not isinstance(cached_share, (int, float, Fraction)) \
            or not math.isfinite(cached_share) or not 0 <= cached_share <= 1:
        raise CostInputError(f"cached_share must be a fraction from 0 to 1, not {cached_share!r}.")
    share = _exact(cached_share)
    cached_tokens = inputs * share
    cost = ((inputs - cached_tokens) * input_price + cached_tokens * cached_price + outputs * output_price) / MILLION
    return CallCost(input_tokens, float(cached_tokens), output_tokens, float(cost), cost)


# ---------------------------------------------------------------- calendar months
def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (clamped to the month's end)."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def months_between(start: dt.date, end: dt.date) -> Fraction:
    """Calendar months from ``start`` to ``end``, with the last month prorated by day."""
    if end < start:
        return -months_between(end, start)
    whole = (end.year - start.year) * 12 + end.month - start.month
    while add_months(start, whole) > end:
        whole -= 1
    while add_months(start, whole + 1) <= end:
        whole += 1
    month_start, month_end = add_months(start, whole), add_months(start, whole + 1)
    return whole + Fraction((end - month_start).days, (month_end - month_start).days)


def date_after_months(start: dt.date, months: Fraction | float) -> dt.date:
    """The first date by which ``months`` calendar months have passed since ``start``."""
    months = _exact(months)
    whole = math.floor(months)
    month_start, month_end = add_months(start, whole), add_months(start, whole + 1)
    return month_start + dt.timedelta(days=math.ceil((months - whole) * (month_end - month_start).days))


# ---------------------------------------------------------------- the projection
class Outcome(str, Enum):
    PAYS_OFF = "pays_off"              # break-even on or before the horizon
    NOT_BY_HORIZON = "not_by_horizon"  # break-even after the horizon, but before the shutdown
    AFTER_SHUTDOWN = "after_shutdown"  # break-even would come after the model is shut down: a loss
    NEVER = "never"                    # a fine-tuned call costs as much as a base call, or more
    HOSTING = "hosting"                # the monthly saving does not even cover the hosting fee (Azure)

    @property
    def label(self) -> str:
        return {"pays_off": "pays off", "not_by_horizon": "after your horizon",
                "after_shutdown": "too late: shutdown", "never": "never pays",
                "hosting": "hosting outweighs the saving"}[self.value]


@dataclass(frozen=True)
class Projection:
    """Training cost, per-call costs, hosting, break-even and the net result at the horizon.

    ``break_even_date`` is None when the break-even never comes, or would come
    more than :data:`MAX_HORIZON_MONTHS` after the start (no date is computed
    past that: such a break-even is "never" for any model alive today).
    """

    model_id: str
    model_label: str
    prices: PriceSheet
    training: TrainingCost
    base_call: CallCost
    fine_tuned_call: CallCost
    saving_per_call: float
    break_even_calls: int | None      # calls after which savings have repaid training (and hosting); None: never
    break_even_date: dt.date | None   # the date those calls are reached at the given volume
    start_date: dt.date
    calls_per_month: int
    shutdown_date: dt.date | None
    requested_horizon_end: dt.date
    horizon_end: dt.date              # the requested horizon, cut at the shutdown
    calls_by_horizon: float
    net_saving_at_horizon: float      # savings on those calls minus training and hosting; negative is a loss
    outcome: Outcome
    exact_break_even_calls: Fraction | None = field(default=None, repr=False, compare=False)
    backend: str = "openai"
    hosting_per_month: float = 0.0    # Azure's fee for one deployment over a month (hosting_hours_per_month())
    hosting_needs_calls_per_month: int | None = None  # calls a month whose saving just pays the hosting
    net_saving_by_shutdown: float | None = None  # the same net if calls go on until the shutdown
    exact_hosting_per_month: Fraction = field(default=Fraction(0), repr=False, compare=False)

    @property
    def horizon_capped(self) -> bool:
        return self.horizon_end < self.requested_horizon_end

    @property
    def months_to_break_even(self) -> float | None:
        """Months of calls at the scenario's volume needed to repay training; None: never."""
        if self.exact_break_even_calls is None:
            return None
        return float(self.exact_break_even_calls / self.calls_per_month)

    @property
    def pays_off(self) -> bool:
        return self.outcome is Outcome.PAYS_OFF

    def net_at(self, months: Fraction) -> Fraction:
        """Savings minus training and hosting after ``months`` of calls (exact)."""
        saving = self.base_call.exact_cost - self.fine_tuned_call.exact_cost
        return months * (self.calls_per_month * saving - self.exact_hosting_per_month) - self.training.exact_cost


def project(scenario: Scenario) -> Projection:
    """Project ``scenario``: does fine-tuning its model pay back, and when.

    Net after ``t`` months = t x (calls a month x saving per call - hosting a
    month) - training. The horizon never passes the shutdown date; a break-even
    after the shutdown is reported as a loss (:attr:`Outcome.AFTER_SHUTDOWN`)
    with the date it would have come, when that date is within
    :data:`MAX_HORIZON_MONTHS` of the start.
    """
    info = resolve_model(scenario.model)
    sheet = price_sheet(info, scenario.price_overrides, scenario.backend)
    start = scenario.start_date
    shutdown = scenario.shutdown_date
    if shutdown is not None and start >= shutdown:
        raise CostInputError(
            f"{info.label} shuts down on {shutdown:%Y-%m-%d} on {BACKENDS[scenario.backend]} (its fine-tunes stop "
            f"answering), on or before your start date {start:%Y-%m-%d}; pick an earlier start date or another "
            "model.")
    training = training_cost(scenario.billed_tokens_per_epoch, scenario.epochs, sheet.value("training"),
                             scenario.examples, scenario.method)
    base = call_cost(scenario.base_input_tokens, scenario.output_tokens,
                     input_per_1m=sheet.value("base_input"), cached_input_per_1m=sheet.value("base_cached_input"),
                     output_per_1m=sheet.value("base_output"), cached_share=scenario.base_cached_share)
    tuned = call_cost(scenario.fine_tuned_input_tokens, scenario.output_tokens,
                      input_per_1m=sheet.value("fine_tuned_input"),
                      cached_input_per_1m=sheet.value("fine_tuned_cached_input"),
                      output_per_1m=sheet.value("fine_tuned_output"), cached_share=scenario.fine_tuned_cached_share)
    saving = base.exact_cost - tuned.exact_cost
    hosting = scenario.hosting_per_month
    monthly_margin = scenario.calls_per_month * saving - hosting  # what each month adds towards the training

    requested_end = add_months(start, scenario.horizon_months)
    horizon_end = min(requested_end, shutdown) if shutdown else requested_end
    months_by_horizon = months_between(start, horizon_end)
    net = months_by_horizon * monthly_margin - training.exact_cost
    net_by_shutdown = (months_between(start, shutdown) * monthly_margin - training.exact_cost
                       if shutdown else None)
    hosting_needs = math.ceil(hosting / saving) if hosting > 0 and saving > 0 else None

    exact_calls = break_even_calls = break_even_date = None
    if saving <= 0:
        outcome = Outcome.NEVER
    elif monthly_margin <= 0:
        outcome = Outcome.HOSTING
    else:
        months_needed = training.exact_cost / monthly_margin
        exact_calls = scenario.calls_per_month * months_needed
        break_even_calls = math.ceil(exact_calls)
        # No date arithmetic past the furthest anyone plans: such a break-even is "never" in practice.
        # (Comparing months, not dates: the break-even date is the first day those months have passed.)
        if months_needed <= MAX_HORIZON_MONTHS:
            break_even_date = date_after_months(start, months_needed)
        if shutdown is not None and months_needed > months_between(start, shutdown):
            outcome = Outcome.AFTER_SHUTDOWN
        elif months_needed > months_by_horizon:
            outcome = Outcome.NOT_BY_HORIZON
        else:
            outcome = Outcome.PAYS_OFF
    return Projection(
        model_id=info.id, model_label=info.label, prices=sheet, training=training, base_call=base,
        fine_tuned_call=tuned, saving_per_call=float(saving), break_even_calls=break_even_calls,
        break_even_date=break_even_date, start_date=start, calls_per_month=scenario.calls_per_month,
        shutdown_date=shutdown, requested_horizon_end=requested_end, horizon_end=horizon_end,
        calls_by_horizon=float(scenario.calls_per_month * months_by_horizon), net_saving_at_horizon=float(net),
        outcome=outcome, exact_break_even_calls=exact_calls, backend=scenario.backend,
        hosting_per_month=float(hosting), hosting_needs_calls_per_month=hosting_needs,
        net_saving_by_shutdown=None if net_by_shutdown is None else float(net_by_shutdown),
        exact_hosting_per_month=hosting)


# ---------------------------------------------------------------- money as text
def usd(amount: float) -> str:
    """Dollars for people, the one money format of the app.

    Sums of a cent or more in cents (``$1,234.50``); smaller amounts with three
    significant digits and no scientific notation (``$0.000075``,
    ``$0.00000015``), never a bare ``$0.``.
    """
    if isinstance(amount, bool) or not isinstance(amount, (int, float, Fraction)) or not math.isfinite(amount):
        raise ValueError(f"amount must be a finite number of dollars, not {amount!r}")
    sign = "-" if amount < 0 else ""
    amount = abs(float(amount))
    if amount == 0 or amount >= 0.01:
        cents = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # $0.825 -> $0.83
        return f"{sign}${cents:,.2f}"
    decimals = 2 - math.floor(math.log10(amount))  # three significant digits
    text = f"{amount:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{sign}${text}"


def usd_price(price: float | None) -> str:
    """A unit price with the digits it has: ``$3.00``, ``$0.075``, ``$2.225`` (``none`` when absent)."""
    if price is None:
        return "none"
    text = f"{float(price):,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def usd_per_1m(price: float | None, unit: str = "tokens") -> str:
    """A price per 1M tokens: ``$3.00 per 1M tokens``, ``$0.075 per 1M tokens`` (``none`` when absent)."""
    return "none" if price is None else f"{usd_price(price)} per 1M {unit}"


def usd_per_call(amount: float) -> str:
    """A per-call amount that stays readable when tiny: ``$0.00000015 a call ($0.15 per million calls)``."""
    if abs(amount) >= 0.01 or amount == 0:
        return f"{usd(amount)} a call"
    if abs(amount) >= 0.00001:
        return f"{usd(amount)} a call ({usd_price(amount * 1_000)} per 1,000 calls)"
    return f"{usd(amount)} a call ({usd_price(amount * MILLION)} per million calls)"


def calls_text(calls: int) -> str:
    """``2.1 million`` for large counts, ``56,250`` otherwise."""
    if calls >= 1_000_000_000:
        return f"{calls / 1_000_000_000:,.1f} billion"
    if calls >= 1_000_000:
        return f"{calls / 1_000_000:,.1f} million"
    return f"{calls:,}"


def hosting_text(p: Projection) -> str:
    """What the hosting takes, in calls a month; empty off Azure."""
    if p.hosting_per_month <= 0:
        return ""
    if p.hosting_needs_calls_per_month is None:
        return (f"The deployment's hosting fee of {usd(p.hosting_per_month)} a month is never paid back: a "
                "fine-tuned call saves nothing.")
    return (f"Hosting costs {usd(p.hosting_per_month)} a month ({hosting_hours_per_month()} hours): it needs "
            f"{calls_text(p.hosting_needs_calls_per_month)} calls a month just to pay the hosting, before any "
            "call repays the training.")


def verdict(p: Projection) -> str:
    """One plain sentence: does it pay, when, and what it comes to by which date."""
    if p.outcome is Outcome.NEVER:
        return (f"Fine-tuning never pays here: a fine-tuned call costs {usd(p.fine_tuned_call.cost)} against "
                f"{usd(p.base_call.cost)} for the base model with the long prompt, so every call adds to the "
                f"{usd(p.training.cost)} training cost instead of repaying it.")
    if p.outcome is Outcome.HOSTING:
        return (f"Fine-tuning never pays here: hosting alone outweighs the saving. At {p.calls_per_month:,} calls "
                f"a month the calls save {usd(p.calls_per_month * p.saving_per_call)} a month against "
                f"{usd(p.hosting_per_month)} of hosting; it needs {calls_text(p.hosting_needs_calls_per_month)} "
                f"calls a month just to pay the hosting. By {p.horizon_end:%Y-%m-%d} you would be "
                f"{usd(-p.net_saving_at_horizon)} down.")
    if p.outcome is Outcome.AFTER_SHUTDOWN:
        when = (f"which at your volume lasts until {p.break_even_date:%Y-%m-%d}" if p.break_even_date
                else f"more than {MAX_HORIZON_MONTHS // 12} years of calls at your volume")
        loss = f"by the shutdown you would be {usd(-p.net_saving_by_shutdown)} down"
        if p.requested_horizon_end < p.shutdown_date:
            loss += f" ({usd(-p.net_saving_at_horizon)} by the end of your horizon, {p.horizon_end:%Y-%m-%d})"
        return (f"Fine-tuning does not pay: repaying the training takes {p.break_even_calls:,} calls, {when}, "
                f"after {p.model_label} shuts down on {p.shutdown_date:%Y-%m-%d}; {loss}.")
    if p.outcome is Outcome.NOT_BY_HORIZON:
        when = (f"on {p.break_even_date:%Y-%m-%d}" if p.break_even_date
                else f"more than {MAX_HORIZON_MONTHS // 12} years from the start")
        return (f"Fine-tuning pays back after {p.break_even_calls:,} calls, {when}: after your horizon "
                f"({p.horizon_end:%Y-%m-%d}), by which it is still {usd(-p.net_saving_at_horizon)} short.")
    end = "the shutdown" if p.horizon_capped else "your horizon"
    return (f"Fine-tuning pays for itself after {p.break_even_calls:,} calls, on {p.break_even_date:%Y-%m-%d}, "
            f"and saves {usd(p.net_saving_at_horizon)} net by {end} ({p.horizon_end:%Y-%m-%d}).")


_KIND_LABELS = {"training": "training price", "base": "base-model prices", "fine_tuned": "fine-tuned prices"}


def sources_used(p: Projection) -> list[Dated]:
    """Where every figure of ``p`` comes from, grouped by source: its catalog prices (not the ones the
    user overrode) and its shutdown date. ``value`` names what the source gave."""
    kinds = {price.key: price.kind for price in PRICE_KEYS}
    groups: dict[tuple[str, str], list[str]] = {}
    doubtful: dict[tuple[str, str], bool] = {}
    for figure in p.prices.figures:
        if figure.value is not None and not figure.overridden:
            labels = groups.setdefault((figure.source, figure.as_of), [])
            if _KIND_LABELS[kinds[figure.key]] not in labels:
                labels.append(_KIND_LABELS[kinds[figure.key]])
            doubtful[(figure.source, figure.as_of)] = doubtful.get((figure.source, figure.as_of)) or figure.doubtful
    shutdown = shutdown_for(p.model_id, p.backend)
    if shutdown.date == p.shutdown_date and p.shutdown_date is not None:
        key = (shutdown.source, shutdown.as_of)
        groups.setdefault(key, []).append("shutdown date")
        doubtful[key] = doubtful.get(key) or shutdown.doubtful
    return [Dated(" and ".join(labels), source, as_of, doubtful[(source, as_of)])
            for (source, as_of), labels in groups.items()]


# ---------------------------------------------------------------- over time
@dataclass(frozen=True)
class TimelinePoint:
    """Cumulative spend at one date: base model vs. fine-tuned (training included)."""

    date: dt.date
    calls: float
    base_cost: float
    fine_tuned_cost: float
    after_shutdown: bool


def timeline_end(p: Projection) -> dt.date:
    """Where a chart of ``p`` over time should end.

    Just past the later of the shutdown and the break-even (so a break-even
    that comes too late is still seen), never past the requested horizon.
    """
    if p.shutdown_date is None:
        return p.requested_horizon_end
    focus = max(d for d in (p.shutdown_date, p.break_even_date) if d is not None)
    padding = dt.timedelta(days=max(14, math.ceil((focus - p.start_date).days * 0.15)))
    return min(p.requested_horizon_end, focus + padding)


def cumulative_costs(p: Projection, end: dt.date | None = None) -> list[TimelinePoint]:
    """Cumulative spend from the start to ``end`` (default :func:`timeline_end`); the fine-tuned
    side includes training and (on Azure) the hosting fee.

    Points fall on every month boundary and on the break-even and shutdown
    dates, so straight lines between them are exact. Points after the shutdown
    are flagged: nobody can make those calls.
    """
    end = end or timeline_end(p)
    dates = {p.start_date, end}
    month = 1
    while (d := add_months(p.start_date, month)) < end:
        dates.add(d)
        month += 1
    for special in (p.shutdown_date, p.break_even_date):
        if special is not None and p.start_date <= special <= end:
            dates.add(special)
    points = []
    training = p.training.exact_cost
    for d in sorted(dates):
        months = months_between(p.start_date, d)
        calls = p.calls_per_month * months
        points.append(TimelinePoint(
            date=d, calls=float(calls), base_cost=float(calls * p.base_call.exact_cost),
            fine_tuned_cost=float(training + calls * p.fine_tuned_call.exact_cost + months * p.exact_hosting_per_month),
            after_shutdown=p.shutdown_date is not None and d > p.shutdown_date))
    return points


# ---------------------------------------------------------------- what it would take
@dataclass(frozen=True)
class Thresholds:
    """What it would take to break even by the (shutdown-capped) horizon; None: out of reach."""

    min_tokens_saved_per_call: int | None
    min_calls_per_month: int | None
    horizon_end: dt.date


def pay_off_thresholds(scenario: Scenario) -> Thresholds:
    """The fewest prompt tokens saved per call (other inputs fixed), and the fewest
    calls per month (other inputs fixed), that repay training (and hosting) by the horizon."""
    p = project(scenario)
    months = months_between(scenario.start_date, p.horizon_end)
    training = p.training.exact_cost
    hosting = p.exact_hosting_per_month
    saving = p.base_call.exact_cost - p.fine_tuned_call.exact_cost
    # By the horizon, calls x saving must cover the training and every month's hosting.
    min_calls = math.ceil((training / months + hosting) / saving) if saving > 0 else None
    if min_calls is not None and min_calls > MAX_CALLS_PER_MONTH:
        min_calls = None
    # Each prompt token saved lowers the fine-tuned call by its (cache-weighted) input price.
    sheet = p.prices
    cached_price = sheet.value("fine_tuned_cached_input")
    cached_price = sheet.value("fine_tuned_input") if cached_price is None else cached_price
    share = _exact(scenario.fine_tuned_cached_share)
    per_token = ((1 - share) * _exact(sheet.value("fine_tuned_input")) + share * _exact(cached_price)) / MILLION
    needed_saving = (training / months + hosting) / scenario.calls_per_month
    saving_if_no_tokens_saved = saving - scenario.tokens_saved_per_call * per_token
    if per_token == 0:
        min_tokens = 0 if saving_if_no_tokens_saved >= needed_saving else None
    else:
        min_tokens = max(0, math.ceil((needed_saving - saving_if_no_tokens_saved) / per_token))
        if min_tokens > scenario.base_prompt_tokens:
            min_tokens = None  # even an empty fine-tuned prompt would not do
    return Thresholds(min_tokens, min_calls, p.horizon_end)


# ---------------------------------------------------------------- all models
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
        row.update({
            "Break-even calls": p.break_even_calls,
            "Break-even date": p.break_even_date,
            "Net by": p.horizon_end,
            "Net": round(p.net_saving_at_horizon, 2),
            "Outcome": p.outcome.label,
            "Prices as of": min((f.as_of for f in p.prices.figures if f.value is not None and not f.overridden),
                                default="your prices"),
        })
        rows.append(row)
    return rows


# ---------------------------------------------------------------- sensitivity
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

    variable: str                 # "tokens_saved_per_call" or "calls_per_month"
    label: str
    current: float
    points: tuple[SensitivityPoint, ...]
    months_until_shutdown: float | None
    months_in_horizon: float
    hosting_needs_calls_per_month: int | None = None  # Azure: below this volume hosting alone outweighs the saving


def _sensitivity(scenario: Scenario, variable: str, label: str, current: float,
                 variants: list[tuple[float, Scenario]]) -> Sensitivity:
    points = []
    for x, variant in variants:
        p = project(variant)
        points.append(SensitivityPoint(x, p.break_even_calls, p.months_to_break_even, p.net_saving_at_horizon,
                                       p.outcome))
    base = project(scenario)
    until_shutdown = (float(months_between(scenario.start_date, base.shutdown_date))
                      if base.shutdown_date else None)
    return Sensitivity(variable, label, current, tuple(points), until_shutdown,
                       float(months_between(scenario.start_date, base.horizon_end)),
                       base.hosting_needs_calls_per_month)


def sensitivity_to_prompt_savings(scenario: Scenario, steps: int = 21) -> Sensitivity:
    """Break-even as the fine-tuned prompt shrinks from the full prompt to nothing.

    ``x`` is prompt tokens saved per call (0 to the whole current prompt).
    """
    full = scenario.base_prompt_tokens
    saved_values = sorted({round(full * i / (steps - 1)) for i in range(steps)} |
                          {max(0, scenario.tokens_saved_per_call)})
    variants = [(saved, replace(scenario, fine_tuned_prompt_tokens=full - saved)) for saved in saved_values]
    return _sensitivity(scenario, "tokens_saved_per_call", "Prompt tokens saved per call",
                        scenario.tokens_saved_per_call, variants)


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


# ---------------------------------------------------------------- tokens of a pasted prompt
def count_prompt_tokens(text: str, model: str) -> int:
    """Exact tokens of ``text`` with ``model``'s tokenizer (offline)."""
    if len(text) > MAX_PASTED_PROMPT_CHARS:
        raise CostInputError(f"That text is {len(text):,} characters long; paste at most "
                             f"{MAX_PASTED_PROMPT_CHARS:,} (no prompt is that long).")
    return tokens.count_text(text, resolve_model(model).encoding)


# ---------------------------------------------------------------- export: CSV and URL
# Short names for the URL; percentages for the cached shares, as people type them.
PARAM_NAMES = {
    "model": "model",
    "billed_tokens_per_epoch": "tokens",
    "examples": "examples",
    "epochs": "epochs",
    "base_prompt_tokens": "prompt",
    "fine_tuned_prompt_tokens": "ft_prompt",
    "message_tokens": "message",
    "output_tokens": "output",
    "base_cached_share": "cache_pct",
    "fine_tuned_cached_share": "ft_cache_pct",
    "calls_per_month": "calls",
    "start_date": "start",
    "horizon_months": "months",
    "method": "method",
    "backend": "backend",
    "deployment_type": "deployment",
    "hosting_usd_per_hour": "hosting",
    "hosting_hours_per_day": "hours",
}
_TEXT_FIELDS = ("model", "method", "backend", "deployment_type")
_AZURE_FIELDS = ("deployment_type", "hosting_usd_per_hour", "hosting_hours_per_day")
PRICE_PARAM_PREFIX = "price_"
_PERCENT_FIELDS = ("base_cached_share", "fine_tuned_cached_share")


def _param_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def scenario_to_params(s: Scenario) -> dict[str, str]:
    """The scenario as URL query parameters (all strings), for a shareable link."""
    params = {}
    for name, param in PARAM_NAMES.items():
        value = getattr(s, name)
        if name in _AZURE_FIELDS and s.backend != "azure":
            continue
        if name == "epochs":
            params[param] = "auto" if value is None else str(value)
        elif name == "start_date":
            params[param] = value.isoformat()
        elif name in _TEXT_FIELDS:
            params[param] = value
        elif name in _PERCENT_FIELDS:
            params[param] = _param_number(float(_exact(value) * 100))
        else:
            params[param] = _param_number(value)
    for key, value in s.price_overrides.items():
        params[PRICE_PARAM_PREFIX + key] = _param_number(value)
    return params


def _parse_number(raw: str) -> object:
    """A number from URL text, or the text itself so validation names it."""
    text = raw.strip().replace(",", "").replace("_", "")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return raw


def scenario_from_params(params: Mapping[str, str | list[str]], defaults: Scenario) -> Scenario:
    """A scenario from URL query parameters; absent ones keep ``defaults``.

    Unknown parameters are ignored. Price overrides in the link replace the
    defaults' overrides. Raises :class:`CostInputError` naming the bad value.
    """
    def text(name: str) -> str:
        value = params[name]
        return str(value[-1] if isinstance(value, list) else value)

    changes: dict[str, object] = {}
    for name, param in PARAM_NAMES.items():
        if param not in params:
            continue
        raw = text(param)
        if name in _TEXT_FIELDS:
            changes[name] = raw.strip().lower() if name != "model" else raw.strip()
        elif name == "epochs":
            changes[name] = None if raw.strip().lower() == "auto" else _parse_number(raw)
        elif name == "start_date":
            try:
                changes[name] = dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise CostInputError(f"The start date in the link, {raw!r}, is not a date like "
                                     f"{catalog_lib.today():%Y-%m-%d}.") from None
        elif name in _PERCENT_FIELDS:
            number = _parse_number(raw)
            if isinstance(number, (int, float)):
                if not 0 <= number <= 100:
                    raise CostInputError(f"The {input_bounds()[name].label} must be a percentage from 0 to 100, "
                                         f"not {raw}.")
                number = number / 100
            changes[name] = number
        else:
            changes[name] = _parse_number(raw)
    overrides = {key[len(PRICE_PARAM_PREFIX):]: _parse_number(text(key))
                 for key in params if key.startswith(PRICE_PARAM_PREFIX)}
    if overrides:
        changes["price_overrides"] = overrides
    if "model" in changes or "backend" in changes:
        changes["shutdown_date"] = None  # the new model's (or backend's) own date
    return replace(defaults, **changes)


def scenario_csv(s: Scenario, p: Projection) -> str:
    """The scenario, the prices it used and its results as a CSV (section, item, value, note)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "item", "value", "note"])
    for f in fields(s):
        if f.name == "price_overrides" or (f.name in _AZURE_FIELDS and s.backend != "azure"):
            continue
        value = getattr(s, f.name)
        if f.name == "epochs" and value is None:
            value, note = p.training.epochs, "auto (estimate)"
        else:
            note = ""
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float):
            value = f"{value:g}"
        w.writerow(["input", f.name, value, note])
    for fig in p.prices.figures:
        note = f"overridden; catalog {fig.catalog_value}" if fig.overridden else f"catalog as of {fig.as_of}"
        if fig.doubtful:
            note += f"; doubtful: {fig.doubt}"
        if fig.note:
            note += f"; {fig.note}"
        w.writerow(["price_per_1m_usd", fig.key, "" if fig.value is None else fig.value, note + f"; {fig.source}"])
    results = [
        ("training_billed_tokens", p.training.billed_tokens, ""),
        ("training_cost_usd", f"{p.training.cost:.2f}", "estimate: " + p.training.counted),
        ("base_cost_per_call_usd", f"{p.base_call.cost:.8f}", ""),
        ("fine_tuned_cost_per_call_usd", f"{p.fine_tuned_call.cost:.8f}", ""),
        ("saving_per_call_usd", f"{p.saving_per_call:.8f}", ""),
        ("break_even_calls", "" if p.break_even_calls is None else p.break_even_calls,
         "never" if p.break_even_calls is None else ""),
        ("break_even_date", "" if p.break_even_date is None else p.break_even_date.isoformat(), p.outcome.value),
        ("shutdown_date", "" if p.shutdown_date is None else p.shutdown_date.isoformat(), ""),
        ("horizon_end", p.horizon_end.isoformat(), "cut at the shutdown" if p.horizon_capped else ""),
        ("calls_by_horizon", f"{p.calls_by_horizon:.0f}", ""),
        ("net_saving_at_horizon_usd", f"{p.net_saving_at_horizon:.2f}", "negative is a loss"),
        ("net_saving_by_shutdown_usd",
         "" if p.net_saving_by_shutdown is None else f"{p.net_saving_by_shutdown:.2f}",
         "if calls go on until the shutdown"),
    ]
    if p.backend == "azure":
        results.insert(5, ("hosting_per_month_usd", f"{p.hosting_per_month:.2f}",
                           f"{hosting_hours_per_month()} hours a month"))
    for item, value, note in results:
        w.writerow(["result", item, value, note])
    return out.getvalue()
