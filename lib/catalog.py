"""The dated model catalog: prices, limits, tokenizers and deadlines.

Every figure lives in ``catalog.json`` next to this file, with its source and
"as of" date. Code reads it through :func:`load_catalog`; nothing else in the
project writes a price, a limit or a deadline as a literal.
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


@dataclass(frozen=True)
class ModelInfo:
    """One trainable base model as the catalog describes it."""

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
    training_source: str
    training_as_of: str
    base: Prices
    fine_tuned: Prices
    fine_tuned_batch: Prices | None
    doubtful_fields: tuple[str, ...] = ()

    def is_retired(self, today: dt.date) -> bool:
        """True once the model (and every fine-tune of it) is shut down."""
        return self.shutdown_date is not None and today >= self.shutdown_date


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

    def trainable(self, today: dt.date) -> list[ModelInfo]:
        """Models a job can still be created for on ``today``, cheapest first."""
        if today >= self.no_new_jobs_from:
            return []
        live = [m for m in self.models.values() if not m.is_retired(today) and m.training_per_1m]
        return sorted(live, key=lambda m: m.training_per_1m)

    def jobs_allowed(self, today: dt.date) -> bool:
        return today < self.no_new_jobs_from


_AZURE_FINE_TUNE = re.compile(r"^(?P<base>.+?)\.ft-[0-9a-f]{8,}(?:[-_.].*)?$")


def base_model_name(name: str) -> str:
    """Strip a fine-tuned name down to its base model.

    OpenAI: ``ft:<base>:<org>:<suffix>:<id>`` (checkpoints ``...:ckpt-step-88`` strip the same way);
    Azure: ``<base>.ft-<hex>`` (e.g. ``gpt-4.1-mini-2025-04-14.ft-0123...``).
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
    if tuned and calendar != "azure":
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


def _model(model_id: str, raw: dict) -> ModelInfo:
    training = raw["training"]
    doubtful = tuple(
        key.removesuffix("_doubtful") for key, value in raw.items() if key.endswith("_doubtful") and value
    )
    return ModelInfo(
        id=model_id,
        label=raw["label"],
        aliases=tuple(raw.get("aliases", ())),
        encoding=raw["encoding"],
        training_context=raw.get("training_context"),
        methods=tuple(raw["methods"]),
        vision=bool(raw.get("vision")),
        shutdown_date=_date(raw.get("shutdown_date")),
        training_per_1m=training.get("per_1m"),
        training_per_hour=training.get("per_hour"),
        training_source=training["source"],
        training_as_of=training["as_of"],
        base=_prices(raw["base"]),
        fine_tuned=_prices(raw["fine_tuned"]),
        fine_tuned_batch=_prices(raw.get("fine_tuned_batch")),
        doubtful_fields=doubtful,
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
        _aliases=aliases,
    )


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The project's catalog, read once per process (it is immutable)."""
    return parse_catalog(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))


def auto_epochs(n_examples: int) -> int:
    """Estimate of the server's ``"auto"`` epochs (the cookbook heuristic).

    Always present it as an estimate: OpenAI does not document the rule.
    A negative or fractional ``n_examples`` raises ``ValueError``.
    """
    if isinstance(n_examples, bool) or not isinstance(n_examples, (int, float)) or not math.isfinite(n_examples) \
            or not float(n_examples).is_integer() or n_examples < 0:
        raise ValueError(f"n_examples must be a whole number of examples, not {n_examples!r}")
    rule = load_catalog().auto_epochs
    # Zero still answers (as for one example): the validator asks for an empty training file's epochs.
    n = max(int(n_examples), 1)
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
