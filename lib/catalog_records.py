"""What the catalog holds, as typed records: models, their prices and dated lifecycles per calendar,
Azure's hosting fees and training tiers, and the :class:`Catalog` that looks models up.

Reading ``catalog.json`` into these records is :mod:`lib.catalog_parse`; the loaded catalog and the
lookups most callers want are :mod:`lib.catalog`, which re-exports every name here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lib.model_names import base_model_name


class UnknownModelError(ValueError):
    """Raised when a model name maps to nothing in the catalog."""


@dataclass(frozen=True)
class Prices:
    """Per-1M-token inference prices of one kind (base, fine-tuned, batch)."""

    input: float
    cached_input: float | None
    output: float
    source: str
    as_of: str
    doubtful: tuple[str, ...] = ()
    doubt: str = ""


CALENDARS = ("openai", "azure")


def check_calendar(calendar: str) -> str:
    """``calendar`` itself when it is one the catalog keeps; ValueError otherwise."""
    if calendar not in CALENDARS:
        raise ValueError(f"calendar must be one of {', '.join(CALENDARS)}, not {calendar!r}")
    return calendar


def calendar_for(backend: str, *, demo_calendar: str = "openai") -> str:
    """The calendar (dates and price model) a backend follows.

    Azure OpenAI follows Azure's; OpenAI and OpenAI-compatible URLs follow OpenAI's; the demo
    follows ``demo_calendar`` (OpenAI's unless the user switched it).
    """
    if backend == "azure":
        return "azure"
    if backend == "demo":
        return check_calendar(demo_calendar)
    return "openai"


@dataclass(frozen=True)
class Lifecycle:
    """One model's dates on one calendar (``"openai"`` or ``"azure"``).

    ``training_until`` is the first day new jobs are refused, ``inference_until`` the first day
    the model's fine-tunes stop answering (on Azure: their deployments). None means no date is
    announced. ``listed`` is False when the calendar's source does not list the model at all:
    it is then neither trainable nor usable there as far as the catalog knows.
    """

    model_id: str
    calendar: str
    training_until: dt.date | None
    inference_until: dt.date | None
    source: str
    as_of: str
    doubtful: bool
    note: str
    doubtful_fields: tuple[str, ...] = ()
    listed: bool = True
    fine_tunable: bool = True

    def training_open(self, today: dt.date) -> bool:
        """True when a new job for this model can still be created on ``today``."""
        if not (self.listed and self.fine_tunable) or self.is_retired(today):
            return False
        return self.training_until is None or today < self.training_until

    def is_retired(self, today: dt.date) -> bool:
        """True once the model's fine-tunes have stopped answering on this calendar."""
        return self.inference_until is not None and today >= self.inference_until


@dataclass(frozen=True)
class MethodDoubt:
    """A training method a source lists doubtfully for a model on some calendars."""

    method: str
    calendars: tuple[str, ...]
    note: str
    source: str
    as_of: str


@dataclass(frozen=True)
class ModelInfo:
    """One model as the catalog describes it: a trainable base or a replacement to move to.

    Replacement models (``fine_tunable`` False) have no training price, no fine-tuned prices and
    no methods; the gpt-5 family has no prices at all (``base`` None).
    ``shutdown_date`` is OpenAI's; use :meth:`lifecycle` for a given calendar.
    """

    id: str
    label: str
    aliases: tuple[str, ...]
    encoding: str
    training_context: int | None
    methods: tuple[str, ...]
    vision: bool
    shutdown_date: dt.date | None
    training_per_1m: float | None
    training_per_hour: float | None
    training_source: str | None
    training_as_of: str | None
    base: Prices | None
    fine_tuned: Prices | None
    fine_tuned_batch: Prices | None
    doubtful_fields: tuple[str, ...] = ()
    fine_tunable: bool = True
    replacement_candidate: bool = False
    reasoning: bool = False
    replacement_for: tuple[str, ...] = ()
    released: dt.date | None = None
    note: str = ""
    lifecycles: tuple[Lifecycle, ...] = ()
    method_doubts: tuple[MethodDoubt, ...] = ()
    # The file format supervised training reads on this model: "chat", or "prompt_completion" on the
    # legacy completions models. Which format each method reads is decided in lib.jobspec.
    supervised_format: str = "chat"

    def is_retired(self, today: dt.date, calendar: str = "openai") -> bool:
        """True once the model (and every fine-tune of it) is shut down on ``calendar``."""
        return self.lifecycle(calendar).is_retired(today)

    def lifecycle(self, calendar: str) -> Lifecycle:
        """This model's dates on ``calendar`` (``"openai"`` or ``"azure"``)."""
        check_calendar(calendar)
        for lifecycle in self.lifecycles:
            if lifecycle.calendar == calendar:
                return lifecycle
        return Lifecycle(
            self.id,
            calendar,
            None,
            None,
            "",
            "",
            True,
            "No dates collected for this calendar.",
            listed=False,
            fine_tunable=self.fine_tunable,
        )

    def method_doubt(self, method: str, calendar: str = "openai") -> str:
        """Why ``method`` on this model is doubtful on ``calendar``, or "" when it is not."""
        for doubt in self.method_doubts:
            if doubt.method == method and calendar in doubt.calendars:
                return doubt.note
        return ""


@dataclass(frozen=True)
class HostingFee:
    """Azure's hourly fee for keeping one fine-tuned deployment, per deployment type."""

    deployment_type: str
    label: str
    usd_per_hour: float
    source: str
    as_of: str
    doubtful: bool
    note: str

    def per_month(self, hours_per_month: float) -> float:
        """The fee for ``hours_per_month`` deployed hours."""
        return self.usd_per_hour * hours_per_month


@dataclass(frozen=True)
class TrainingTier:
    """An Azure training tier; ``training_type`` is the ``trainingType`` request value, None when
    the sources give none (the tier can't be requested then)."""

    id: str
    label: str
    training_type: str | None
    discount: str
    trade_offs: str
    source: str
    as_of: str


@dataclass(frozen=True)
class AzureFacts:
    """What differs on Azure OpenAI beyond the dates: hosting, tiers, deployment."""

    hosting: dict[str, HostingFee]
    training_tiers: tuple[TrainingTier, ...]
    idle_deletion_days: int
    idle_deletion_note: str
    hours_per_month: int
    training_price_note: str
    deploy_url_template: str
    deploy_api_version: str
    deploy_source: str


@dataclass(frozen=True)
class Deadline:
    """One dated stage of the platform's wind-down, as its source words it."""

    date: dt.date
    text: str
    source: str
    doubtful: bool = False


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: models by id, platform dates, request limits, the auto-epochs rule, Azure's facts."""

    as_of: str
    models: dict[str, ModelInfo]
    sources: dict[str, str]
    no_new_jobs_from: dt.date
    retirement_date: dt.date
    retiring_models: tuple[str, ...]
    winding_down_text: str
    stages: tuple[Deadline, ...]
    limits: dict
    auto_epochs: dict
    azure: AzureFacts | None = None
    limits_by_backend: dict = field(default_factory=dict)
    no_new_jobs_doubtful: bool = False
    _aliases: dict[str, str] = field(default_factory=dict, repr=False)

    def resolve(self, name: str) -> ModelInfo:
        """The catalog entry for a dated name, an alias or an ``ft:`` name.

        Raises :class:`UnknownModelError` for anything else.
        """
        base = base_model_name(name)
        model_id = self._aliases.get(base, base)
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise UnknownModelError(f"unknown model {name!r}; known models: {known}") from None

    def trainable(self, today: dt.date, calendar: str = "openai") -> list[ModelInfo]:
        """Models a job can still be created for on ``today`` on ``calendar``, cheapest first.

        Never a model that can't be fine-tuned (the replacement models).
        """
        live = [
            m
            for m in self.models.values()
            if m.fine_tunable and m.training_per_1m and m.lifecycle(calendar).training_open(today)
        ]
        return sorted(live, key=lambda m: m.training_per_1m)

    def jobs_allowed(self, today: dt.date, calendar: str = "openai") -> bool:
        """True while some model can still be trained on ``calendar``."""
        if calendar == "openai":
            return today < self.no_new_jobs_from
        return bool(self.trainable(today, calendar))

    def lifecycle(self, model: str, calendar: str) -> Lifecycle:
        """``model``'s dates on ``calendar``; a fine-tuned name finds its base model's.

        Raises :class:`UnknownModelError` for a model the catalog does not know and ValueError
        for an unknown calendar.
        """
        return self.resolve(model).lifecycle(calendar)

    def replacements(self, today: dt.date, calendar: str = "openai") -> list[ModelInfo]:
        """Models users move to that still answer on ``today``, cheapest input first: those that
        can't be fine-tuned (OpenAI's named replacement among them) and the gpt-4.1 family as
        base models. Never a model without prices (the gpt-5 family)."""
        live = [
            m
            for m in self.models.values()
            if m.replacement_candidate
            and m.base is not None
            and m.lifecycle(calendar).listed
            and not m.lifecycle(calendar).is_retired(today)
        ]
        return sorted(live, key=lambda m: (m.base.input, m.id))

    def limits_for(self, calendar: str) -> dict:
        """The request limits on ``calendar``: OpenAI's, with the calendar's own values on top
        (Azure: a suffix of at most 40 characters)."""
        check_calendar(calendar)
        return {**self.limits, **self.limits_by_backend.get(calendar, {}).get("values", {})}

    def hosting_fee(self, deployment_type: str) -> HostingFee:
        """Azure's hourly fee per deployment of ``deployment_type`` ("standard",
        "global_standard", "developer"); KeyError names the known types."""
        try:
            return self.azure.hosting[deployment_type]
        except KeyError:
            known = ", ".join(self.azure.hosting)
            raise KeyError(f"unknown deployment type {deployment_type!r}; known: {known}") from None

    def training_tiers(self) -> tuple[TrainingTier, ...]:
        """Azure's training tiers, in the order the docs give them."""
        return self.azure.training_tiers
