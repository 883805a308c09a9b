"""The models Launch offers: the account's list joined with the dated catalog, and Azure OpenAI's tiers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lib.launch.form import METHOD_LABELS

from lib import costs
from lib.catalog import (
    ModelInfo,
    TrainingTier,
    UnknownModelError,
    is_fine_tuned_name,
    load_catalog,
)
from lib.costs import usd as format_usd


@dataclass(frozen=True)
class ModelChoice:
    """A model a new job may train, as offered in the form."""

    id: str  # what the request sends: a dated snapshot or a fine-tuned name (``ft:...`` or ``<base>.ft-<hex>``)
    info: ModelInfo  # the catalog entry of its base model
    shutdown_date: dt.date | None  # when its fine-tunes stop answering, on the backend's calendar
    calendar: str = "openai"

    @property
    def fine_tuned(self) -> bool:
        return is_fine_tuned_name(self.id)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(m for m in self.info.methods if m in METHOD_LABELS)

    def label(self) -> str:
        """``GPT-4o mini (gpt-4o-mini-2024-07-18) · $3.00/1M tokens · shuts down 2027-01-14``
        (Azure: ``... · OpenAI list $3.00/1M tokens · deployments answer until 2027-10-01``)."""
        name = f"Continue training {self.id}" if self.fine_tuned else f"{self.info.label} ({self.id})"
        if self.calendar == "azure":
            price = f"OpenAI list {costs.usd_price(self.info.training_per_1m)}/1M tokens"
            shutdown = (
                f"deployments answer until {self.shutdown_date:%Y-%m-%d}"
                if self.shutdown_date
                else "no retirement announced"
            )
        else:
            price = f"{costs.usd_price(self.info.training_per_1m)}/1M tokens"
            shutdown = f"shuts down {self.shutdown_date:%Y-%m-%d}" if self.shutdown_date else "no shutdown announced"
        return f"{name} · {price} · {shutdown}"


def _api_shutdown_date(model: Any) -> dt.date | None:
    """The shutdown date the models API reports: OpenAI's ``shutdown_date``, or Azure's
    ``deprecation.inference`` (Unix seconds)."""
    raw = getattr(model, "shutdown_date", None)
    if not raw:
        deprecation = (getattr(model, "model_extra", None) or {}).get("deprecation")
        stamp = deprecation.get("inference") if isinstance(deprecation, dict) else None
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and 0 < stamp < 253402300800:
            return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date()
        return None
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def trainable_models(account_models: Iterable[Any], *, today: dt.date, calendar: str = "openai") -> list[ModelChoice]:
    """The account's models a job can be created for on ``today``, cheapest first.

    ``account_models`` are ``models.list()`` items (``.id``, optional
    ``.shutdown_date``). A base model is offered under its dated catalog id
    (aliases fold into it); ``ft:`` models whose base is still trainable are
    offered for continued training after the base models. The earlier of the
    API's and the catalog's shutdown dates wins, and a model shut down by
    ``today`` is never offered. Dates and rules are ``calendar``'s (the backend's).
    """
    catalog = load_catalog()
    trainable = {m.id for m in catalog.trainable(today, calendar)}
    base: dict[str, ModelChoice] = {}
    tuned: dict[str, ModelChoice] = {}
    for model in account_models:
        model_id = getattr(model, "id", None) or ""
        try:
            info = catalog.resolve(model_id)
        except UnknownModelError:
            continue
        if info.id not in trainable or not any(m in METHOD_LABELS for m in info.methods):
            continue
        dates = [d for d in (info.lifecycle(calendar).inference_until, _api_shutdown_date(model)) if d]
        shutdown = min(dates) if dates else None
        if shutdown and today >= shutdown:
            continue
        if is_fine_tuned_name(model_id):
            tuned[model_id] = ModelChoice(model_id, info, shutdown, calendar)
        else:
            previous = base.get(info.id)
            if previous is None or (shutdown and (previous.shutdown_date is None or shutdown < previous.shutdown_date)):
                base[info.id] = ModelChoice(info.id, info, shutdown, calendar)
    ordered = sorted(base.values(), key=lambda c: (c.info.training_per_1m, c.id))
    return ordered + sorted(tuned.values(), key=lambda c: c.id)


def catalog_models(*, today: dt.date, calendar: str = "openai") -> list[ModelChoice]:
    """The catalog's trainable models, for when the account's list cannot be read."""
    return [
        ModelChoice(m.id, m, m.lifecycle(calendar).inference_until, calendar)
        for m in load_catalog().trainable(today, calendar)
        if any(k in METHOD_LABELS for k in m.methods)
    ]


def training_tiers() -> list[TrainingTier]:
    """Azure's training tiers a request can ask for (``trainingType``), in the docs' order."""
    return [t for t in load_catalog().training_tiers() if t.training_type]


def tier_label(tier: TrainingTier) -> str:
    """``Global · 10-30% below Standard.``"""
    return f"{tier.label} · {tier.discount}"


def deadline_lines(model: str, calendar: str, today: dt.date) -> list[str]:
    """What the confirmation says about dates, on ``calendar`` (never another backend's dates).

    Plain sentences: the model id may come from the API, so the page escapes them.
    """
    dates = load_catalog().lifecycle(model, calendar)
    lines = []
    if calendar == "azure":
        if dates.inference_until:
            lines.append(
                f"On Azure OpenAI, this fine-tune's deployment answers until {dates.inference_until:%Y-%m-%d}."
            )
        if dates.training_until:
            days = (dates.training_until - today).days
            lines.append(
                f"Azure OpenAI trains {dates.model_id} until no earlier than {dates.training_until:%Y-%m-%d} "
                f"({days} days left, existing customers only)."
            )
    else:
        if dates.inference_until:
            lines.append(
                f"{model} shuts down on {dates.inference_until:%Y-%m-%d}, and with it every model trained from it."
            )
        if dates.training_until:
            days = (dates.training_until - today).days
            lines.append(
                f"OpenAI accepts no new fine-tuning jobs from {dates.training_until:%Y-%m-%d} ({days} days left)."
            )
    if dates.doubtful and dates.note:
        lines.append(f"Doubtful: {dates.note}")
    return lines


def azure_hosting_warning() -> str:
    """What keeping an Azure fine-tune costs, said before anything is created."""
    catalog = load_catalog()
    fee = catalog.hosting_fee("standard")
    hours = catalog.azure.hours_per_month
    return (
        f"On Azure OpenAI a fine-tuned model answers only once it is deployed, and a Standard or Global Standard "
        f"deployment costs {format_usd(fee.usd_per_hour)} per hour ({format_usd(fee.per_month(hours))} per "
        f"{hours}-hour month) "
        f"whether or not it is called, on top of tokens at the base model's rate. "
        f"{catalog.azure.idle_deletion_note}"
    )
