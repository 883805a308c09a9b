"""The projection: months, break-even, verdict, the cost over time and what it would take to pay off."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

from lib.costs.azure import hosting_hours_per_month
from lib.costs.inputs import BACKENDS, MAX_CALLS_PER_MONTH, MAX_HORIZON_MONTHS, MILLION, CostInputError
from lib.costs.money import calls_text, usd
from lib.costs.prices import PRICE_KEYS, Dated, PriceSheet, price_sheet, resolve_model, shutdown_for
from lib.costs.scenario import Scenario
from lib.costs.training import CallCost, TrainingCost, exact_fraction, call_cost, training_cost


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
    months = exact_fraction(months)
    whole = math.floor(months)
    month_start, month_end = add_months(start, whole), add_months(start, whole + 1)
    return month_start + dt.timedelta(days=math.ceil((months - whole) * (month_end - month_start).days))


class Outcome(str, Enum):
    PAYS_OFF = "pays_off"  # break-even on or before the horizon
    NOT_BY_HORIZON = "not_by_horizon"  # break-even after the horizon, but before the shutdown
    AFTER_SHUTDOWN = "after_shutdown"  # break-even would come after the model is shut down: a loss
    NEVER = "never"  # a fine-tuned call costs as much as a base call, or more
    HOSTING = "hosting"  # the monthly saving does not even cover the hosting fee (Azure)

    @property
    def label(self) -> str:
        return {
            "pays_off": "pays off",
            "not_by_horizon": "after your horizon",
            "after_shutdown": "too late: shutdown",
            "never": "never pays",
            "hosting": "hosting outweighs the saving",
        }[self.value]


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
    break_even_calls: int | None  # calls after which savings have repaid training (and hosting); None: never
    break_even_date: dt.date | None  # the date those calls are reached at the given volume
    start_date: dt.date
    calls_per_month: int
    shutdown_date: dt.date | None
    requested_horizon_end: dt.date
    horizon_end: dt.date  # the requested horizon, cut at the shutdown
    calls_by_horizon: float
    net_saving_at_horizon: float  # savings on those calls minus training and hosting; negative is a loss
    outcome: Outcome
    exact_break_even_calls: Fraction | None = field(default=None, repr=False, compare=False)
    backend: str = "openai"
    hosting_per_month: float = 0.0  # Azure's fee for one deployment over a month (hosting_hours_per_month())
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


def _call_costs(scenario: Scenario, sheet: PriceSheet) -> tuple[CallCost, CallCost]:
    """One call of the base model (with the long prompt) and of the fine-tune (with the short one)."""
    base = call_cost(
        scenario.base_input_tokens,
        scenario.output_tokens,
        input_per_1m=sheet.value("base_input"),
        cached_input_per_1m=sheet.value("base_cached_input"),
        output_per_1m=sheet.value("base_output"),
        cached_share=scenario.base_cached_share,
    )
    tuned = call_cost(
        scenario.fine_tuned_input_tokens,
        scenario.output_tokens,
        input_per_1m=sheet.value("fine_tuned_input"),
        cached_input_per_1m=sheet.value("fine_tuned_cached_input"),
        output_per_1m=sheet.value("fine_tuned_output"),
        cached_share=scenario.fine_tuned_cached_share,
    )
    return base, tuned


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
    _check_starts_before_shutdown(scenario, info.label)
    training = training_cost(
        scenario.billed_tokens_per_epoch, scenario.epochs, sheet.value("training"), scenario.examples, scenario.method
    )
    base, tuned = _call_costs(scenario, sheet)
    saving = base.exact_cost - tuned.exact_cost
    hosting = scenario.hosting_per_month
    monthly_margin = scenario.calls_per_month * saving - hosting  # what each month adds towards the training

    requested_end = add_months(start, scenario.horizon_months)
    horizon_end = min(requested_end, shutdown) if shutdown else requested_end
    months_by_horizon = months_between(start, horizon_end)
    net = months_by_horizon * monthly_margin - training.exact_cost
    net_by_shutdown = months_between(start, shutdown) * monthly_margin - training.exact_cost if shutdown else None
    hosting_needs = math.ceil(hosting / saving) if hosting > 0 and saving > 0 else None

    outcome, exact_calls, break_even_date = _break_even(
        scenario, training.exact_cost, saving, monthly_margin, months_by_horizon
    )
    break_even_calls = None if exact_calls is None else math.ceil(exact_calls)
    return Projection(
        model_id=info.id,
        model_label=info.label,
        prices=sheet,
        training=training,
        base_call=base,
        fine_tuned_call=tuned,
        saving_per_call=float(saving),
        break_even_calls=break_even_calls,
        break_even_date=break_even_date,
        start_date=start,
        calls_per_month=scenario.calls_per_month,
        shutdown_date=shutdown,
        requested_horizon_end=requested_end,
        horizon_end=horizon_end,
        calls_by_horizon=float(scenario.calls_per_month * months_by_horizon),
        net_saving_at_horizon=float(net),
        outcome=outcome,
        exact_break_even_calls=exact_calls,
        backend=scenario.backend,
        hosting_per_month=float(hosting),
        hosting_needs_calls_per_month=hosting_needs,
        net_saving_by_shutdown=None if net_by_shutdown is None else float(net_by_shutdown),
        exact_hosting_per_month=hosting,
    )


def _check_starts_before_shutdown(scenario: Scenario, model_label: str) -> None:
    """CostInputError when the model shuts down on or before the scenario's start date."""
    start, shutdown = scenario.start_date, scenario.shutdown_date
    if shutdown is not None and start >= shutdown:
        raise CostInputError(
            f"{model_label} shuts down on {shutdown:%Y-%m-%d} on {BACKENDS[scenario.backend]} (its fine-tunes stop "
            f"answering), on or before your start date {start:%Y-%m-%d}; pick an earlier start date or another "
            "model."
        )


def _break_even(
    scenario: Scenario,
    training_cost_usd: Fraction,
    saving: Fraction,
    monthly_margin: Fraction,
    months_by_horizon: Fraction,
) -> tuple[Outcome, Fraction | None, dt.date | None]:
    """(outcome, exact calls to break even, break-even date) of a scenario whose calls save ``saving`` each and
    add ``monthly_margin`` a month towards the training; the calls and date are None when it never comes
    (the date also when it would come more than :data:`MAX_HORIZON_MONTHS` after the start)."""
    if saving <= 0:
        return Outcome.NEVER, None, None
    if monthly_margin <= 0:
        return Outcome.HOSTING, None, None
    start, shutdown = scenario.start_date, scenario.shutdown_date
    months_needed = training_cost_usd / monthly_margin
    exact_calls = scenario.calls_per_month * months_needed
    break_even_date = None
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
    return outcome, exact_calls, break_even_date


def hosting_text(p: Projection) -> str:
    """What the hosting takes, in calls a month; empty off Azure."""
    if p.hosting_per_month <= 0:
        return ""
    if p.hosting_needs_calls_per_month is None:
        return (
            f"The deployment's hosting fee of {usd(p.hosting_per_month)} a month is never paid back: a "
            "fine-tuned call saves nothing."
        )
    return (
        f"Hosting costs {usd(p.hosting_per_month)} a month ({hosting_hours_per_month()} hours): it needs "
        f"{calls_text(p.hosting_needs_calls_per_month)} calls a month just to pay the hosting, before any "
        "call repays the training."
    )


def verdict(p: Projection) -> str:
    """One plain sentence: does it pay, when, and what it comes to by which date."""
    if p.outcome is Outcome.NEVER:
        return (
            f"Fine-tuning never pays here: a fine-tuned call costs {usd(p.fine_tuned_call.cost)} against "
            f"{usd(p.base_call.cost)} for the base model with the long prompt, so every call adds to the "
            f"{usd(p.training.cost)} training cost instead of repaying it."
        )
    if p.outcome is Outcome.HOSTING:
        return (
            f"Fine-tuning never pays here: hosting alone outweighs the saving. At {p.calls_per_month:,} calls "
            f"a month the calls save {usd(p.calls_per_month * p.saving_per_call)} a month against "
            f"{usd(p.hosting_per_month)} of hosting; it needs {calls_text(p.hosting_needs_calls_per_month)} "
            f"calls a month just to pay the hosting. By {p.horizon_end:%Y-%m-%d} you would be "
            f"{usd(-p.net_saving_at_horizon)} down."
        )
    if p.outcome is Outcome.AFTER_SHUTDOWN:
        when = (
            f"which at your volume lasts until {p.break_even_date:%Y-%m-%d}"
            if p.break_even_date
            else f"more than {MAX_HORIZON_MONTHS // 12} years of calls at your volume"
        )
        loss = f"by the shutdown you would be {usd(-p.net_saving_by_shutdown)} down"
        if p.requested_horizon_end < p.shutdown_date:
            loss += f" ({usd(-p.net_saving_at_horizon)} by the end of your horizon, {p.horizon_end:%Y-%m-%d})"
        return (
            f"Fine-tuning does not pay: repaying the training takes {p.break_even_calls:,} calls, {when}, "
            f"after {p.model_label} shuts down on {p.shutdown_date:%Y-%m-%d}; {loss}."
        )
    if p.outcome is Outcome.NOT_BY_HORIZON:
        when = (
            f"on {p.break_even_date:%Y-%m-%d}"
            if p.break_even_date
            else f"more than {MAX_HORIZON_MONTHS // 12} years from the start"
        )
        return (
            f"Fine-tuning pays back after {p.break_even_calls:,} calls, {when}: after your horizon "
            f"({p.horizon_end:%Y-%m-%d}), by which it is still {usd(-p.net_saving_at_horizon)} short."
        )
    end = "the shutdown" if p.horizon_capped else "your horizon"
    return (
        f"Fine-tuning pays for itself after {p.break_even_calls:,} calls, on {p.break_even_date:%Y-%m-%d}, "
        f"and saves {usd(p.net_saving_at_horizon)} net by {end} ({p.horizon_end:%Y-%m-%d})."
    )


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
    return [
        Dated(" and ".join(labels), source, as_of, doubtful[(source, as_of)])
        for (source, as_of), labels in groups.items()
    ]


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
        points.append(
            TimelinePoint(
                date=d,
                calls=float(calls),
                base_cost=float(calls * p.base_call.exact_cost),
                fine_tuned_cost=float(
                    training + calls * p.fine_tuned_call.exact_cost + months * p.exact_hosting_per_month
                ),
                after_shutdown=p.shutdown_date is not None and d > p.shutdown_date,
            )
        )
    return points


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
    share = exact_fraction(scenario.fine_tuned_cached_share)
    per_token = (
        (1 - share) * exact_fraction(sheet.value("fine_tuned_input")) + share * exact_fraction(cached_price)
    ) / MILLION
    needed_saving = (training / months + hosting) / scenario.calls_per_month
    saving_if_no_tokens_saved = saving - scenario.tokens_saved_per_call * per_token
    if per_token == 0:
        min_tokens = 0 if saving_if_no_tokens_saved >= needed_saving else None
    else:
        min_tokens = max(0, math.ceil((needed_saving - saving_if_no_tokens_saved) / per_token))
        if min_tokens > scenario.base_prompt_tokens:
            min_tokens = None  # even an empty fine-tuned prompt would not do
    return Thresholds(min_tokens, min_calls, p.horizon_end)
