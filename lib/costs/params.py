"""A scenario as URL parameters and as CSV, and back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import fields, replace

from lib.costs.azure import hosting_hours_per_month
from lib.costs.inputs import CostInputError, input_bounds
from lib.costs.projection import Projection
from lib.costs.scenario import Scenario
from lib.costs.training import exact_fraction

from lib import catalog as catalog_lib

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
            params[param] = _param_number(float(exact_fraction(value) * 100))
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
                raise CostInputError(
                    f"The start date in the link, {raw!r}, is not a date like {catalog_lib.today():%Y-%m-%d}."
                ) from None
        elif name in _PERCENT_FIELDS:
            number = _parse_number(raw)
            if isinstance(number, (int, float)):
                if not 0 <= number <= 100:
                    raise CostInputError(
                        f"The {input_bounds()[name].label} must be a percentage from 0 to 100, not {raw}."
                    )
                number = number / 100
            changes[name] = number
        else:
            changes[name] = _parse_number(raw)
    overrides = {
        key[len(PRICE_PARAM_PREFIX) :]: _parse_number(text(key)) for key in params if key.startswith(PRICE_PARAM_PREFIX)
    }
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
        (
            "break_even_calls",
            "" if p.break_even_calls is None else p.break_even_calls,
            "never" if p.break_even_calls is None else "",
        ),
        ("break_even_date", "" if p.break_even_date is None else p.break_even_date.isoformat(), p.outcome.value),
        ("shutdown_date", "" if p.shutdown_date is None else p.shutdown_date.isoformat(), ""),
        ("horizon_end", p.horizon_end.isoformat(), "cut at the shutdown" if p.horizon_capped else ""),
        ("calls_by_horizon", f"{p.calls_by_horizon:.0f}", ""),
        ("net_saving_at_horizon_usd", f"{p.net_saving_at_horizon:.2f}", "negative is a loss"),
        (
            "net_saving_by_shutdown_usd",
            "" if p.net_saving_by_shutdown is None else f"{p.net_saving_by_shutdown:.2f}",
            "if calls go on until the shutdown",
        ),
    ]
    if p.backend == "azure":
        results.insert(
            5, ("hosting_per_month_usd", f"{p.hosting_per_month:.2f}", f"{hosting_hours_per_month()} hours a month")
        )
    for item, value, note in results:
        w.writerow(["result", item, value, note])
    return out.getvalue()
