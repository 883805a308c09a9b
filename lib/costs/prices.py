"""Prices and dates: a model's price sheet (catalog or the user's overrides), shutdown and training dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lib.costs.inputs import MAX_PRICE_PER_1M, Bound, CostInputError

from lib import catalog as catalog_lib
from lib.catalog import ModelInfo, UnknownModelError


@dataclass(frozen=True)
class PriceKey:
    key: str
    label: str
    kind: str  # "training", "base" or "fine_tuned"
    field: str  # attribute of catalog.Prices, or "training"


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
AZURE_TRAINING_NOTE = (
    "OpenAI's list price, prefilled: Azure publishes no per-model training price; enter the "
    "price of your Azure agreement"
)


@dataclass(frozen=True)
class PriceFigure:
    """One price (USD per 1M tokens) as used, next to the catalog's figure."""

    key: str
    label: str
    value: float | None  # None: the catalog has no such price (e.g. no cached-input discount)
    catalog_value: float | None
    source: str
    as_of: str
    doubtful: bool = False
    doubt: str = ""
    note: str = ""  # how the figure was chosen, when it is not simply the catalog's

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
        bound = Bound(
            f"the {PRICE_LABELS[key].lower()} price", 0, MAX_PRICE_PER_1M, integer=False, max_hint="USD per 1M tokens"
        )
        clean[key] = bound.check(value)
    return clean


def price_sheet(
    model: ModelInfo | str, overrides: Mapping[str, object] | None = None, backend: str = "openai"
) -> PriceSheet:
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
                info.training_per_1m,
                info.training_source,
                info.training_as_of,
                False,
                "",
            )
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
        figures.append(
            PriceFigure(
                price.key,
                price.label,
                value,
                catalog_value,
                source,
                as_of,
                doubtful and value == catalog_value,
                doubt if value == catalog_value else "",
                note if value == catalog_value else "",
            )
        )
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
        PriceFigure(
            f"fine_tuned_batch_{name}",
            f"Fine-tuned batch {label}",
            getattr(batch, name),
            getattr(batch, name),
            batch.source,
            batch.as_of,
            name in batch.doubtful,
            batch.doubt if name in batch.doubtful else "",
        )
        for name, label in (("input", "input"), ("cached_input", "cached input"), ("output", "output"))
    )


def resolve_model(name: str) -> ModelInfo:
    """The catalog entry for ``name``; an unknown name is a :class:`CostInputError`."""
    try:
        return catalog_lib.load_catalog().resolve(str(name))
    except UnknownModelError:
        known = ", ".join(m.id for m in catalog_lib.load_catalog().models.values())
        raise CostInputError(f"There is no model called {name!r} in the price catalog; pick one of {known}.") from None


@dataclass(frozen=True)
class Dated:
    """A catalog date or fee with where it comes from: shown next to every figure that uses it."""

    value: object  # a date, a fee per hour, or None (nothing announced)
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
    return Dated(life.training_until, life.source, life.as_of, "training_until" in life.doubtful_fields, life.note)


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
