"""Money and counts as text: the one dollar format of the app."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from lib.costs.inputs import MILLION


def usd(amount: float) -> str:
    """Dollars for people, the one money format of the app.

    Sums of a cent or more in cents (``$1,234.50``); smaller amounts with three
    significant digits and no scientific notation (``$0.000075``,
    ``$0.00000015``), never a bare ``$0.``.
    """
    if isinstance(amount, bool) or not isinstance(amount, (int, float, Fraction)) or not math.isfinite(amount):
        raise ValueError(f"amount must be a finite number of dollars, not {amount!r}")
    sign = "-" if amount < 0 else ""
    amount = abs(float(amount))
    if amount == 0 or amount >= 0.01:
        cents = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # $0.825 -> $0.83
        return f"{sign}${cents:,.2f}"
    decimals = 2 - math.floor(math.log10(amount))  # three significant digits
    text = f"{amount:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{sign}${text}"


def usd_price(price: float | None) -> str:
    """A unit price with the digits it has: ``$3.00``, ``$0.075``, ``$2.225`` (``none`` when absent)."""
    if price is None:
        return "none"
    text = f"{float(price):,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def usd_per_1m(price: float | None, unit: str = "tokens") -> str:
    """A price per 1M tokens: ``$3.00 per 1M tokens``, ``$0.075 per 1M tokens`` (``none`` when absent)."""
    return "none" if price is None else f"{usd_price(price)} per 1M {unit}"


def usd_per_call(amount: float) -> str:
    """A per-call amount that stays readable when tiny: ``$0.00000015 a call ($0.15 per million calls)``."""
    if abs(amount) >= 0.01 or amount == 0:
        return f"{usd(amount)} a call"
    if abs(amount) >= 0.00001:
        return f"{usd(amount)} a call ({usd_price(amount * 1_000)} per 1,000 calls)"
    return f"{usd(amount)} a call ({usd_price(amount * MILLION)} per million calls)"


def calls_text(calls: int) -> str:
    """``2.1 million`` for large counts, ``56,250`` otherwise."""
    if calls >= 1_000_000_000:
        return f"{calls / 1_000_000_000:,.1f} billion"
    if calls >= 1_000_000:
        return f"{calls / 1_000_000:,.1f} million"
    return f"{calls:,}"
