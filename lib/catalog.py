"""The dated model catalog: prices, limits, tokenizers and deadlines.

Every figure lives in ``catalog.json`` next to this file, with its source and
"as of" date. Code reads it through :func:`load_catalog`; nothing else in the
project writes a price, a limit or a deadline as a literal.

Two calendars: OpenAI and Azure OpenAI retire the same fine-tunes on different
dates (OpenAI's gpt-4o fine-tunes stop answering on 2027-01-14, Azure's
deployments of them on 2027-10-01), so every date is looked up per calendar
(:meth:`Catalog.lifecycle`); :func:`calendar_for` says which calendar a
connection follows.

This module is the front door: the loaded catalog, price and tokenizer lookups, "today", and the
deadlines in words. The records it returns are defined in :mod:`lib.catalog_records`, read from JSON
by :mod:`lib.catalog_parse`; model-name rules are :mod:`lib.model_names`. All of them are importable
from here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from functools import lru_cache
from pathlib import Path

# The records and the model-name rules live in their own modules; they are importable from here too.
from lib.catalog_parse import parse_catalog as parse_catalog
from lib.catalog_records import (
    CALENDARS as CALENDARS,
    AzureFacts as AzureFacts,
    Catalog as Catalog,
    Deadline as Deadline,
    HostingFee as HostingFee,
    Lifecycle as Lifecycle,
    MethodDoubt as MethodDoubt,
    ModelInfo as ModelInfo,
    Prices as Prices,
    TrainingTier as TrainingTier,
    UnknownModelError as UnknownModelError,
    calendar_for as calendar_for,
    check_calendar as check_calendar,
)
from lib.display import join_words
from lib.model_names import (
    base_model_label as base_model_label,
    base_model_name as base_model_name,
    is_fine_tuned_name as is_fine_tuned_name,
)

CATALOG_PATH = Path(__file__).with_name("catalog.json")


def inference_prices(model: str, *, calendar: str = "openai", fine_tuned: bool | None = None) -> Prices | None:
    """The per-1M-token prices one call to ``model`` is billed at, or None when the catalog does
    not know the model (never a made-up price).

    A fine-tuned model is found through its base model: on OpenAI it bills at the fine-tuned
    rates; on Azure (``calendar="azure"``) at the base model's rates (Azure adds an hourly hosting
    fee per deployment instead). ``fine_tuned`` overrides the guess from the name (an Azure
    deployment name says nothing).
    """
    try:
        info = load_catalog().resolve(model)
    except UnknownModelError:
        return None
    tuned = is_fine_tuned_name(model) if fine_tuned is None else fine_tuned
    if tuned and check_calendar(calendar) != "azure":
        return info.fine_tuned
    return info.base


def encoding_for_model(name: str) -> str:
    """The tiktoken encoding of a model, from the catalog or the family rule.

    tiktoken's own mapping sends ``ft:gpt-4.1...`` to cl100k_base, which is
    wrong, so the project maps names itself.
    """
    try:
        return load_catalog().resolve(name).encoding
    except UnknownModelError:
        pass
    base = base_model_name(name)
    if base.startswith(("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4")):
        return "o200k_base"
    if base.startswith(("gpt-3.5", "gpt-4-", "gpt-4")) or base.endswith("-002"):
        return "cl100k_base"
    raise UnknownModelError(f"no tokenizer known for model {name!r}")


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The project's catalog, read once per process (it is immutable)."""
    return parse_catalog(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))


def auto_epochs(n_examples: int) -> int:
    """Estimate of the server's ``"auto"`` epochs (the cookbook heuristic).

    Always present it as an estimate: OpenAI does not document the rule.
    Anything but a whole number of at least one example raises ``ValueError`` (a file with no
    example has no epochs: callers that must still show a figure ask for one example).
    """
    if (
        isinstance(n_examples, bool)
        or not isinstance(n_examples, (int, float))
        or not math.isfinite(n_examples)
        or not float(n_examples).is_integer()
        or n_examples < 1
    ):
        raise ValueError(f"n_examples must be a whole number of examples, at least 1, not {n_examples!r}")
    rule = load_catalog().auto_epochs
    n = int(n_examples)
    epochs = rule["target_epochs"]
    if n * epochs < rule["min_target_examples"]:
        epochs = min(rule["max_epochs"], rule["min_target_examples"] // n)
    elif n * epochs > rule["max_target_examples"]:
        epochs = max(rule["min_epochs"], rule["max_target_examples"] // n)
    return epochs


TODAY_ENV = "TUNING_DESK_TODAY"


def today() -> dt.date:
    """Today's date: the one clock of ``lib``, pages and the simulator.

    ``TUNING_DESK_TODAY=YYYY-MM-DD`` pins it (the test suite does, so figures that depend on the
    date, like "net by the shutdown", do not change with the day the tests run; a demo can show a
    later day). Set by whoever runs the process, never by a visitor.
    """
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"{TODAY_ENV}={pinned!r} is not a date written YYYY-MM-DD.") from None
    return dt.date.today()


# ---------------------------------------------------------------- deadlines in words
CALENDAR_LABELS = {"openai": "OpenAI", "azure": "Azure OpenAI"}


def _names(ids: list[str]) -> str:
    return join_words([base_model_label(i) for i in ids], "and")


def deadline_summary(calendar: str, today: dt.date, catalog: Catalog | None = None) -> str:
    """One line about when the connected backend stops training and serving the fine-tunes that
    matter now (the bases OpenAI retires on 2027-01-14), in ``calendar``'s dates."""
    cat = catalog or load_catalog()
    if check_calendar(calendar) == "openai":
        days = (cat.no_new_jobs_from - today).days
        if days > 0:
            return (
                f"OpenAI stops new fine-tuning jobs on {cat.no_new_jobs_from:%Y-%m-%d} ({days} days left) and "
                f"retires gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini and their fine-tunes on "
                f"{cat.retirement_date:%Y-%m-%d}."
            )
        return (
            f"OpenAI stopped new fine-tuning jobs on {cat.no_new_jobs_from:%Y-%m-%d}; gpt-4o, gpt-4o-mini, "
            f"gpt-4.1, gpt-4.1-mini and their fine-tunes retire on {cat.retirement_date:%Y-%m-%d}."
        )
    groups: dict[tuple, list[str]] = {}
    for model_id in cat.retiring_models:
        if model_id not in cat.models:
            continue
        dates = cat.models[model_id].lifecycle("azure")
        if dates.listed:
            groups.setdefault((dates.training_until, dates.inference_until), []).append(model_id)
    parts = []
    for (training_until, inference_until), ids in sorted(groups.items(), key=lambda item: item[0]):
        train = (
            "training has ended"
            if training_until and today >= training_until
            else f"training until no earlier than {training_until:%Y-%m-%d}"
            if training_until
            else "training dates not announced"
        )
        parts.append(f"{_names(ids)}: {train}, deployed fine-tunes answer until {inference_until:%Y-%m-%d}")
    return "Azure OpenAI (existing customers) keeps these fine-tunes longer than OpenAI: " + "; ".join(parts) + "."


def fine_tune_deadline_text(model: str, calendar: str, today: dt.date, catalog: Catalog | None = None) -> str:
    """When fine-tunes of ``model`` stop answering on ``calendar``, as one sentence.

    Azure: "this fine-tune's deployment answers until 2027-10-01"; OpenAI: "this fine-tune answers
    until 2027-01-14". Unknown models and unannounced dates say so.
    """
    cat = catalog or load_catalog()
    try:
        dates = cat.lifecycle(model, calendar)
    except UnknownModelError:
        label = CALENDAR_LABELS[calendar]
        return f"{model or 'This model'} is not in the app's catalog, so its {label} dates are unknown."
    subject = "this fine-tune's deployment" if calendar == "azure" else "this fine-tune"
    if not dates.listed:
        return f"{CALENDAR_LABELS[calendar]}'s schedule does not list {dates.model_id}: {dates.note}"
    if dates.inference_until is None:
        return f"No shutdown date is announced for {dates.model_id} on {CALENDAR_LABELS[calendar]}."
    when = f"{dates.inference_until:%Y-%m-%d}"
    doubt = " (doubtful: " + dates.note + ")" if "inference_until" in dates.doubtful_fields else ""
    if today >= dates.inference_until:
        return f"On {CALENDAR_LABELS[calendar]}, {subject} stopped answering on {when}{doubt}."
    return f"On {CALENDAR_LABELS[calendar]}, {subject} answers until {when}{doubt}."


def calendar_table(calendar: str, today: dt.date, catalog: Catalog | None = None) -> list[dict]:
    """One row per fine-tunable model ``calendar`` lists and still serves on ``today``: its dates,
    doubts and source (for a table; dates as ISO strings, "" when not announced)."""
    cat = catalog or load_catalog()
    rows = []
    for info in cat.models.values():
        dates = info.lifecycle(calendar)
        if not (info.fine_tunable and dates.listed) or dates.is_retired(today):
            continue
        rows.append(
            {
                "Model": info.id,
                "New jobs until": f"{dates.training_until:%Y-%m-%d}" if dates.training_until else "",
                "Fine-tunes answer until": f"{dates.inference_until:%Y-%m-%d}" if dates.inference_until else "",
                "Note": ("Doubtful. " if dates.doubtful else "") + dates.note,
                "Source": dates.source,
            }
        )
    return rows
