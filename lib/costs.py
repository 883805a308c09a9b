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
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from fractions import Fraction
from functools import lru_cache

from lib import catalog as catalog_lib
from lib import jobspec
from lib import tokens
from lib.catalog import ModelInfo, UnknownModelError
from lib.handoff import DatasetSummary

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


def price_sheet(model: ModelInfo | str, overrides: Mapping[str, object] | None = None) -> PriceSheet:
    """The catalog prices of ``model`` with the user's ``overrides`` applied.

    An override equal to the catalog figure is no override. Doubtful catalog
    figures stay flagged (an overridden figure is the user's, so it is not).
    """
    info = resolve_model(model) if isinstance(model, str) else model
    clean = check_price_overrides(overrides)
    figures = []
    for price in PRICE_KEYS:
        if price.kind == "training":
            catalog_value, source, as_of, doubtful, doubt = (
                info.training_per_1m, info.training_source, info.training_as_of, False, "")
        else:
            prices = getattr(info, price.kind)
            catalog_value = getattr(prices, price.field)
            source, as_of = prices.source, prices.as_of
            doubtful, doubt = price.field in prices.doubtful, prices.doubt if price.field in prices.doubtful else ""
        value = clean.get(price.key, catalog_value)
        figures.append(PriceFigure(price.key, price.label, value, catalog_value, source, as_of,
                                   doubtful and value == catalog_value, doubt if value == catalog_value else ""))
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

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once, here
        set_(self, "model", resolve_model(self.model).id)
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


# ---------------------------------------------------------------- money
def _exact(value: float | int | Fraction) -> Fraction:
    # str() of a float is its shortest repr, so 0.15 becomes exactly 3/20.
    return value if isinstance(value, Fraction) else Fraction(str(value))


@dataclass(frozen=True)
class TrainingCost:
    """The up-front charge of one fine-tuning job (validation tokens are free)."""

    billed_tokens_per_epoch: int
    epochs: int
    epochs_is_estimate: bool
    price_per_1m: float
    cost: float
    exact_cost: Fraction = field(repr=False, compare=False, default=Fraction(0))

    @property
    def billed_tokens(self) -> int:
        return self.billed_tokens_per_epoch * self.epochs


def training_cost(billed_tokens_per_epoch: int, epochs: int | None, price_per_1m: float,
                  examples: int | None = None) -> TrainingCost:
    """Billed tokens per epoch x epochs x training price per 1M tokens.

    ``epochs=None`` ("auto") is estimated from ``examples`` with the cookbook
    rule and flagged as an estimate: OpenAI does not document its choice.
    """
    bounds = input_bounds()
    billed = bounds["billed_tokens_per_epoch"].check(billed_tokens_per_epoch)
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
    cost = _exact(billed) * n_epochs * _exact(price) / MILLION
    return TrainingCost(billed, n_epochs, estimate, price, float(cost), cost)


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
    without a cached-input price bills it all at the input price.
    """
    share = _exact(cached_share)
    cached_price = input_per_1m if cached_input_per_1m is None else cached_input_per_1m
    cached_tokens = input_tokens * share
    cost = ((input_tokens - cached_tokens) * _exact(input_per_1m) + cached_tokens * _exact(cached_price)
            + output_tokens * _exact(output_per_1m)) / MILLION
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

    @property
    def label(self) -> str:
        return {"pays_off": "pays off", "not_by_horizon": "after your horizon",
                "after_shutdown": "too late: shutdown", "never": "never pays"}[self.value]


@dataclass(frozen=True)
class Projection:
    """Training cost, per-call costs, break-even and the net result at the horizon."""

    model_id: str
    model_label: str
    prices: PriceSheet
    training: TrainingCost
    base_call: CallCost
    fine_tuned_call: CallCost
    saving_per_call: float
    break_even_calls: int | None      # calls after which savings have repaid training; None: never
    break_even_date: dt.date | None   # the date those calls are reached at the given volume
    start_date: dt.date
    calls_per_month: int
    shutdown_date: dt.date | None
    requested_horizon_end: dt.date
    horizon_end: dt.date              # the requested horizon, cut at the shutdown
    calls_by_horizon: float
    net_saving_at_horizon: float      # savings on those calls minus training; negative is a loss
    outcome: Outcome
    exact_break_even_calls: Fraction | None = field(default=None, repr=False, compare=False)

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


def project(scenario: Scenario) -> Projection:
    """Project ``scenario``: does fine-tuning its model pay back, and when.

    The horizon never passes the model's shutdown date; a break-even after the
    shutdown is reported as a loss (:attr:`Outcome.AFTER_SHUTDOWN`) with the date
    it would have come.
    """
    info = resolve_model(scenario.model)
    sheet = price_sheet(info, scenario.price_overrides)
    start = scenario.start_date
    if info.shutdown_date is not None and start >= info.shutdown_date:
        raise CostInputError(
            f"{info.label} shuts down on {info.shutdown_date:%Y-%m-%d}, on or before your start date "
            f"{start:%Y-%m-%d}; pick an earlier start date or another model.")
    training = training_cost(scenario.billed_tokens_per_epoch, scenario.epochs, sheet.value("training"),
                             scenario.examples)
    base = call_cost(scenario.base_input_tokens, scenario.output_tokens,
                     input_per_1m=sheet.value("base_input"), cached_input_per_1m=sheet.value("base_cached_input"),
                     output_per_1m=sheet.value("base_output"), cached_share=scenario.base_cached_share)
    tuned = call_cost(scenario.fine_tuned_input_tokens, scenario.output_tokens,
                      input_per_1m=sheet.value("fine_tuned_input"),
                      cached_input_per_1m=sheet.value("fine_tuned_cached_input"),
                      output_per_1m=sheet.value("fine_tuned_output"), cached_share=scenario.fine_tuned_cached_share)
    saving = base.exact_cost - tuned.exact_cost
    training_exact = training.exact_cost

    requested_end = add_months(start, scenario.horizon_months)
    horizon_end = min(requested_end, info.shutdown_date) if info.shutdown_date else requested_end
    calls_by_horizon = scenario.calls_per_month * months_between(start, horizon_end)
    net = calls_by_horizon * saving - training_exact

    if saving <= 0:
        exact_calls = break_even_calls = break_even_date = None
        outcome = Outcome.NEVER
    else:
        exact_calls = training_exact / saving
        break_even_calls = math.ceil(exact_calls)
        break_even_date = date_after_months(start, exact_calls / scenario.calls_per_month)
        if info.shutdown_date is not None and break_even_date > info.shutdown_date:
            outcome = Outcome.AFTER_SHUTDOWN
        elif break_even_date > horizon_end:
            outcome = Outcome.NOT_BY_HORIZON
        else:
            outcome = Outcome.PAYS_OFF
    return Projection(
        model_id=info.id, model_label=info.label, prices=sheet, training=training, base_call=base,
        fine_tuned_call=tuned, saving_per_call=float(saving), break_even_calls=break_even_calls,
        break_even_date=break_even_date, start_date=start, calls_per_month=scenario.calls_per_month,
        shutdown_date=info.shutdown_date, requested_horizon_end=requested_end, horizon_end=horizon_end,
        calls_by_horizon=float(calls_by_horizon), net_saving_at_horizon=float(net), outcome=outcome,
        exact_break_even_calls=exact_calls)


def usd(amount: float) -> str:
    """Dollars for people: cents for sums, significant digits for per-call amounts."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0 or amount >= 0.01:
        return f"{sign}${amount:,.2f}"
    return f"{sign}${amount:.6f}".rstrip("0")


def verdict(p: Projection) -> str:
    """One plain sentence: does it pay, when, and what it comes to by the horizon."""
    if p.outcome is Outcome.NEVER:
        return (f"Fine-tuning never pays here: a fine-tuned call costs {usd(p.fine_tuned_call.cost)} against "
                f"{usd(p.base_call.cost)} for the base model with the long prompt, so every call adds to the "
                f"{usd(p.training.cost)} training cost instead of repaying it.")
    if p.outcome is Outcome.AFTER_SHUTDOWN:
        return (f"Fine-tuning does not pay: repaying the training takes {p.break_even_calls:,} calls, which at "
                f"your volume lasts until {p.break_even_date:%Y-%m-%d}, after {p.model_label} shuts down on "
                f"{p.shutdown_date:%Y-%m-%d}; you would lose {usd(-p.net_saving_at_horizon)}.")
    if p.outcome is Outcome.NOT_BY_HORIZON:
        return (f"Fine-tuning pays back after {p.break_even_calls:,} calls, on {p.break_even_date:%Y-%m-%d}: "
                f"after your horizon ({p.horizon_end:%Y-%m-%d}), where it is still "
                f"{usd(-p.net_saving_at_horizon)} short.")
    end = "the shutdown" if p.horizon_capped else "your horizon"
    return (f"Fine-tuning pays for itself after {p.break_even_calls:,} calls, on {p.break_even_date:%Y-%m-%d}, "
            f"and saves {usd(p.net_saving_at_horizon)} net by {end} ({p.horizon_end:%Y-%m-%d}).")


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
    """Cumulative spend from the start to ``end`` (default :func:`timeline_end`).

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
        calls = p.calls_per_month * months_between(p.start_date, d)
        points.append(TimelinePoint(
            date=d, calls=float(calls), base_cost=float(calls * p.base_call.exact_cost),
            fine_tuned_cost=float(training + calls * p.fine_tuned_call.exact_cost),
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
    calls per month (other inputs fixed), that repay training by the horizon."""
    p = project(scenario)
    months = months_between(scenario.start_date, p.horizon_end)
    training = p.training.exact_cost
    saving = p.base_call.exact_cost - p.fine_tuned_call.exact_cost
    min_calls = math.ceil(training / (saving * months)) if saving > 0 else None
    if min_calls is not None and min_calls > MAX_CALLS_PER_MONTH:
        min_calls = None
    # Each prompt token saved lowers the fine-tuned call by its (cache-weighted) input price.
    sheet = p.prices
    cached_price = sheet.value("fine_tuned_cached_input")
    cached_price = sheet.value("fine_tuned_input") if cached_price is None else cached_price
    share = _exact(scenario.fine_tuned_cached_share)
    per_token = ((1 - share) * _exact(sheet.value("fine_tuned_input")) + share * _exact(cached_price)) / MILLION
    needed_saving = training / (scenario.calls_per_month * months)
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
    """Project ``scenario`` on each model that can still be fine-tuned on ``today``.

    Token counts are reused as is: every trainable model shares one tokenizer.
    Price overrides belong to the scenario's own model and are not carried over.
    """
    today = today or catalog_lib.today()
    projections, skipped = [], {}
    for model in catalog_lib.load_catalog().trainable(today):
        overrides = scenario.price_overrides if model.id == scenario.model else {}
        try:
            projections.append(project(replace(scenario, model=model.id, price_overrides=overrides)))
        except CostInputError as exc:
            skipped[model.id] = str(exc)
    return Comparison(tuple(projections), skipped)


def comparison_table(comparison: Comparison) -> list[dict[str, object]]:
    """One row per model, for a table: money as USD numbers, dates as dates, None for "never"."""
    return [{
        "Model": p.model_label,
        "Model id": p.model_id,
        "Shuts down": p.shutdown_date,
        "Training": round(p.training.cost, 2),
        "Base call": p.base_call.cost,
        "Fine-tuned call": p.fine_tuned_call.cost,
        "Saving per call": p.saving_per_call,
        "Break-even calls": p.break_even_calls,
        "Break-even date": p.break_even_date,
        "Net by horizon": round(p.net_saving_at_horizon, 2),
        "Outcome": p.outcome.label,
    } for p in comparison.projections]


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
                       float(months_between(scenario.start_date, base.horizon_end)))


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
}
PRICE_PARAM_PREFIX = "price_"
_PERCENT_FIELDS = ("base_cached_share", "fine_tuned_cached_share")


def _param_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def scenario_to_params(s: Scenario) -> dict[str, str]:
    """The scenario as URL query parameters (all strings), for a shareable link."""
    params = {}
    for name, param in PARAM_NAMES.items():
        value = getattr(s, name)
        if name == "epochs":
            params[param] = "auto" if value is None else str(value)
        elif name == "start_date":
            params[param] = value.isoformat()
        elif name == "model":
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
        if name == "model":
            changes[name] = raw.strip()
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
    return replace(defaults, **changes)


def scenario_csv(s: Scenario, p: Projection) -> str:
    """The scenario, the prices it used and its results as a CSV (section, item, value, note)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "item", "value", "note"])
    for f in fields(s):
        if f.name == "price_overrides":
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
        w.writerow(["price_per_1m_usd", fig.key, "" if fig.value is None else fig.value, note + f"; {fig.source}"])
    results = [
        ("training_billed_tokens", p.training.billed_tokens, ""),
        ("training_cost_usd", f"{p.training.cost:.2f}",
         "estimate (auto epochs)" if p.training.epochs_is_estimate else ""),
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
    ]
    for item, value, note in results:
        w.writerow(["result", item, value, note])
    return out.getvalue()
