"""Charges computed exactly: the training charge (the one formula) and the cost of one call."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from lib.costs.inputs import DPO_BILLING_NOTE, MAX_PRICE_PER_1M, MILLION, Bound, CostInputError, input_bounds

from lib import catalog as catalog_lib


def exact_fraction(value: float | int | Fraction) -> Fraction:
    """``value`` as an exact fraction, a float taken as the decimal it prints as (``0.15`` is exactly 3/20, not the
    binary float nearest to it), so that money adds up to the cent however often it is multiplied."""
    # str() of a float is its shortest repr.
    return value if isinstance(value, Fraction) else Fraction(str(value))


def _check_count(name: str, value: object) -> Fraction:
    """A token count as an exact number: finite and not negative, or ValueError naming ``name``."""
    return _exact_non_negative(name, value, "a number of tokens", "a finite number of tokens")


def _check_price(name: str, value: object) -> Fraction:
    """A price per 1M tokens: finite and not negative, or ValueError naming ``name``."""
    return _exact_non_negative(name, value, "a price in USD per 1M tokens", "a finite price")


def _exact_non_negative(name: str, value: object, kind: str, finite_kind: str) -> Fraction:
    """``value`` as an exact number when it is a finite number, zero or more; else a CostInputError saying that
    ``name`` must be ``kind`` (a number at all) or ``finite_kind`` (finite, zero or more)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise CostInputError(f"{name} must be {kind}, not {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise CostInputError(f"{name} must be {finite_kind}, zero or more, not {value}.")
    return exact_fraction(value)


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
        parts = [
            "billed tokens are the training file's tokens, each example capped at the model's limit; "
            "validation tokens are free"
        ]
        if self.method == "dpo":
            parts.append(DPO_BILLING_NOTE)
        if self.epochs_is_estimate:
            parts.append('"auto" epochs are estimated with the cookbook rule, as OpenAI does not publish its own')
        return "; ".join(parts)


def training_cost(
    billed_tokens_per_epoch: int,
    epochs: int | None,
    price_per_1m: float,
    examples: int | None = None,
    method: str = "supervised",
) -> TrainingCost:
    """Billed tokens per epoch x epochs x training price per 1M tokens.

    ``epochs=None`` ("auto") is estimated from ``examples`` with the cookbook
    rule and flagged as an estimate: OpenAI does not document its choice. A
    ``method="dpo"`` figure says what it counted (:attr:`TrainingCost.counted`).
    """
    bounds = input_bounds()
    billed = Bound("billed tokens per epoch", 0, bounds["billed_tokens_per_epoch"].maximum).check(
        billed_tokens_per_epoch
    )
    if price_per_1m is None:
        raise CostInputError(
            "This model is not billed per training token, so its training cost cannot be "
            "estimated here; enter a training price to override."
        )
    price = Bound("the training price", 0, MAX_PRICE_PER_1M, integer=False).check(price_per_1m)
    if epochs is None:
        if examples is None:
            raise CostInputError('Estimating "auto" epochs needs the number of training examples.')
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


def call_cost(
    input_tokens: int,
    output_tokens: int,
    *,
    input_per_1m: float,
    output_per_1m: float,
    cached_input_per_1m: float | None = None,
    cached_share: float = 0.0,
) -> CallCost:
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
    cached_price = (
        input_price if cached_input_per_1m is None else _check_price("cached_input_per_1m", cached_input_per_1m)
    )
    if (
        isinstance(cached_share, bool)
        or not isinstance(cached_share, (int, float, Fraction))
        or not math.isfinite(cached_share)
        or not 0 <= cached_share <= 1
    ):
        raise CostInputError(f"cached_share must be a fraction from 0 to 1, not {cached_share!r}.")
    share = exact_fraction(cached_share)
    cached_tokens = inputs * share
    cost = ((inputs - cached_tokens) * input_price + cached_tokens * cached_price + outputs * output_price) / MILLION
    return CallCost(input_tokens, float(cached_tokens), output_tokens, float(cost), cost)
