"""The dated model catalog: prices, limits, tokenizers and deadlines.

Every figure lives in ``catalog.json`` next to this file, with its source and
"as of" date. Code reads it through :func:`load_catalog`; nothing else in the
project writes a price, a limit or a deadline as a literal.

Two calendars: OpenAI and Azure OpenAI retire the same fine-tunes on different
dates (OpenAI's gpt-4o fine-tunes stop answering on 2027-01-14, Azure's
deployments of them on 2027-10-01), so every date is looked up per calendar
(:meth:`Catalog.lifecycle`); :func:`calendar_for` says which calendar a
connection follows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("catalog.json")


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
    date: dt.date
    text: str
    source: str
    doubtful: bool = False


@dataclass(frozen=True)
class Catalog:
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


# checkpoints add ":ckpt-step-N" to the fine-tuned id
_AZURE_FINE_TUNE = re.compile(r"^(?P<base>.+?)\.ft-[0-9a-f]{8,}(?:[-_.:].*)?$")


def base_model_name(name: str) -> str:
    """Strip a fine-tuned name down to its base model.

    OpenAI: ``ft:<base>:<org>:<suffix>:<id>`` (checkpoints ``...:ckpt-step-88`` strip the same way);
    Azure: ``<base>.ft-<hex>`` (e.g. ``gpt-4.1-mini-2025-04-14.ft-0123...``, checkpoints
    ``...:ckpt-step-10``).
    """
    name = name.strip()
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    azure = _AZURE_FINE_TUNE.match(name)
    if azure:
        return azure.group("base")
    return name


def is_fine_tuned_name(name: str) -> bool:
    """True for a fine-tuned (or checkpoint) model id of OpenAI or Azure."""
    return base_model_name(name) != name.strip()


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


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _prices(raw: dict | None) -> Prices | None:
    if raw is None:
        return None
    return Prices(
        input=raw["input"],
        cached_input=raw.get("cached_input"),
        output=raw["output"],
        source=raw["source"],
        as_of=raw["as_of"],
        doubtful=tuple(raw.get("doubtful", ())),
        doubt=raw.get("doubt", ""),
    )


def _lifecycle(model_id: str, calendar: str, raw: dict, fine_tunable: bool) -> Lifecycle:
    doubtful = tuple(raw.get("doubtful", ()))
    return Lifecycle(
        model_id=model_id,
        calendar=calendar,
        training_until=_date(raw.get("training_until")),
        inference_until=_date(raw.get("inference_until")),
        source=raw["source"],
        as_of=raw["as_of"],
        doubtful=bool(doubtful),
        note=raw.get("note", ""),
        doubtful_fields=doubtful,
        listed=raw.get("listed", True),
        fine_tunable=fine_tunable,
    )


def _model(model_id: str, raw: dict) -> ModelInfo:
    training = raw.get("training") or {}
    fine_tunable = bool(raw.get("fine_tunable", True))
    lifecycles = tuple(
        _lifecycle(model_id, calendar, spec, fine_tunable) for calendar, spec in raw["lifecycle"].items()
    )
    openai_dates = next(lc for lc in lifecycles if lc.calendar == "openai")
    doubtful = tuple(
        key.removesuffix("_doubtful") for key, value in raw.items() if key.endswith("_doubtful") and value
    ) + (("shutdown_date",) if "inference_until" in openai_dates.doubtful_fields else ())
    method_doubts = tuple(
        MethodDoubt(method, tuple(spec["calendars"]), spec["note"], spec["source"], spec["as_of"])
        for method, spec in raw.get("method_doubts", {}).items()
    )
    return ModelInfo(
        id=model_id,
        label=raw["label"],
        aliases=tuple(raw.get("aliases", ())),
        encoding=raw["encoding"],
        training_context=raw.get("training_context"),
        methods=tuple(raw["methods"]),
        vision=bool(raw.get("vision")),
        shutdown_date=openai_dates.inference_until,
        training_per_1m=training.get("per_1m"),
        training_per_hour=training.get("per_hour"),
        training_source=training.get("source"),
        training_as_of=training.get("as_of"),
        base=_prices(raw.get("base")),
        fine_tuned=_prices(raw.get("fine_tuned")),
        fine_tuned_batch=_prices(raw.get("fine_tuned_batch")),
        doubtful_fields=doubtful,
        fine_tunable=fine_tunable,
        replacement_candidate=bool(raw.get("replacement_candidate", not fine_tunable)),
        reasoning=bool(raw.get("reasoning")),
        replacement_for=tuple(raw.get("replacement_for", ())),
        released=_date(raw.get("released")),
        note=raw.get("note", ""),
        lifecycles=lifecycles,
        method_doubts=method_doubts,
        supervised_format=raw.get("supervised_format", "chat"),
    )


def _azure(raw: dict | None) -> AzureFacts | None:
    if raw is None:
        return None
    hosting = {
        kind: HostingFee(
            kind,
            spec["label"],
            spec["usd_per_hour"],
            spec["source"],
            spec["as_of"],
            bool(spec.get("doubtful")),
            spec.get("note", ""),
        )
        for kind, spec in raw["hosting"].items()
    }
    tiers = tuple(
        TrainingTier(
            t["id"], t["label"], t.get("training_type"), t["discount"], t["trade_offs"], t["source"], t["as_of"]
        )
        for t in raw["training_tiers"]
    )
    deploy = raw["deploy"]
    return AzureFacts(
        hosting=hosting,
        training_tiers=tiers,
        idle_deletion_days=raw["idle_deletion_days"],
        idle_deletion_note=raw["idle_deletion_note"],
        hours_per_month=raw["hours_per_month"],
        training_price_note=raw["training_price_note"],
        deploy_url_template=deploy["management_url"],
        deploy_api_version=deploy["api_version"],
        deploy_source=deploy["source"],
    )


def parse_catalog(raw: dict) -> Catalog:
    """Build a :class:`Catalog` from the JSON structure of ``catalog.json``."""
    models = {model_id: _model(model_id, spec) for model_id, spec in raw["models"].items()}
    aliases = {alias: m.id for m in models.values() for alias in m.aliases}
    platform = raw["platform"]
    stages = tuple(
        Deadline(_date(s["date"]), s["text"], platform["no_new_jobs_from"]["source"], bool(s.get("doubtful")))
        for s in platform["stages"]
    )
    return Catalog(
        as_of=raw["as_of"],
        models=models,
        sources=dict(raw["sources"]),
        no_new_jobs_from=_date(platform["no_new_jobs_from"]["date"]),
        retirement_date=_date(platform["retirement"]["date"]),
        retiring_models=tuple(platform["retirement"]["models"]),
        winding_down_text=platform["winding_down"]["text"],
        stages=stages,
        limits=dict(raw["limits"]),
        auto_epochs=dict(raw["auto_epochs"]),
        azure=_azure(raw.get("azure")),
        limits_by_backend=dict(raw.get("limits_by_backend", {})),
        no_new_jobs_doubtful=bool(platform["no_new_jobs_from"].get("doubtful")),
        _aliases=aliases,
    )


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
    short = [base_model_label(i) for i in ids]
    return short[0] if len(short) == 1 else ", ".join(short[:-1]) + " and " + short[-1]


def base_model_label(model_id: str) -> str:
    """A dated id without its date (``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``)."""
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model_id)


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
