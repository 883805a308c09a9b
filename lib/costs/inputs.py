"""What the cost model accepts: sanity bounds of every input, the one input error, backends and methods."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from lib import catalog as catalog_lib

MILLION = 1_000_000

# Sanity bounds catch typos (an extra zero or three), not API limits; API limits
# come from the catalog.
MAX_PROMPT_TOKENS = 2_000_000  # about twice the largest context window of any catalog model
MAX_OUTPUT_TOKENS = 1_000_000
MAX_CALLS_PER_MONTH = 10_000_000_000  # ~3,800 calls a second, all month
MAX_HORIZON_MONTHS = 120
MAX_PRICE_PER_1M = 1_000.0  # well above any OpenAI per-token price ever published
MAX_START_DATE_DISTANCE_DAYS = 3_660  # start dates more than ~10 years from today are typos
MAX_PASTED_PROMPT_CHARS = 2_000_000
MAX_HOSTING_PER_HOUR = 1_000.0  # well above any hourly hosting fee Azure has published
BACKENDS = {"openai": "OpenAI", "azure": "Azure OpenAI"}
METHODS = {"supervised": "supervised (SFT)", "dpo": "DPO (preference pairs)"}
# What the DPO figure counts: OpenAI and Azure do not document which tokens of a pair they bill.
DPO_BILLING_NOTE = (
    "a DPO pair is counted as its prompt plus the preferred answer (the non-preferred answer is not "
    "counted); neither OpenAI nor Azure documents which tokens of a pair are billed, so this is an "
    "estimate"
)


class CostInputError(ValueError):
    """An input of the cost model is missing, not a number or out of range.

    The message is one sentence a user can act on; pages show it as is.
    """


@dataclass(frozen=True)
class Bound:
    """The allowed range of one numeric input, and how to name it to a user."""

    label: str
    minimum: float
    maximum: float
    integer: bool = True
    zero_hint: str = ""  # why zero is not allowed, when minimum > 0
    max_hint: str = ""  # where the maximum comes from

    def check(self, value: object) -> int | float:
        """``value`` as a number inside the bounds, or :class:`CostInputError`."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise CostInputError(f"{_capital(self.label)} must be a number, not {value!r}.")
        if not math.isfinite(value):
            raise CostInputError(f"{_capital(self.label)} must be a finite number, not {value}.")
        if self.integer and value != int(value):
            raise CostInputError(f"{_capital(self.label)} must be a whole number, not {_number(value)}.")
        if value < 0 and self.minimum >= 0:
            raise CostInputError(f"{_capital(self.label)} cannot be negative ({_number(value)}).")
        if value < self.minimum:
            if value == 0 and self.zero_hint:
                raise CostInputError(f"{_capital(self.label)} must be more than zero: {self.zero_hint}.")
            raise CostInputError(
                f"{_capital(self.label)} must be at least {_number(self.minimum)}, not {_number(value)}."
            )
        if value > self.maximum:
            hint = f" ({self.max_hint})" if self.max_hint else ""
            raise CostInputError(
                f"{_capital(self.label)} of {_number(value)} is implausibly large: the most allowed here is "
                f"{_number(self.maximum)}{hint}; check for a typo."
            )
        return int(value) if self.integer else float(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    """1,500 or 0.25, as a person writes it (no scientific notation)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.6f}".rstrip("0")


@lru_cache(maxsize=1)
def input_bounds() -> dict[str, Bound]:
    """Bounds of every numeric scenario input, keyed by :class:`Scenario` field name.

    API limits (epochs, file size) come from the catalog, so pages can use the
    same numbers for their widgets.
    """
    limits = catalog_lib.load_catalog().limits
    epochs_lo, epochs_hi = limits["n_epochs"]
    max_file_bytes = limits["max_upload_bytes"]  # a token takes at least a byte of the file
    return {
        "billed_tokens_per_epoch": Bound(
            "billed tokens per epoch",
            1,
            max_file_bytes,
            zero_hint="an empty dataset trains nothing",
            max_hint="a training file holds at most that many bytes, and every token takes at least one",
        ),
        "examples": Bound("training examples", 1, max_file_bytes, zero_hint="a dataset needs examples"),
        "epochs": Bound("epochs", epochs_lo, epochs_hi, max_hint="the API's limit"),
        "base_prompt_tokens": Bound(
            "current prompt tokens",
            1,
            MAX_PROMPT_TOKENS,
            zero_hint="with no prompt there is nothing for fine-tuning to shorten",
        ),
        "fine_tuned_prompt_tokens": Bound("fine-tuned prompt tokens", 0, MAX_PROMPT_TOKENS),
        "message_tokens": Bound("message tokens per call", 0, MAX_PROMPT_TOKENS),
        "output_tokens": Bound("answer tokens per call", 0, MAX_OUTPUT_TOKENS),
        "base_cached_share": Bound("cached share of the base model's input", 0, 1, integer=False),
        "fine_tuned_cached_share": Bound("cached share of the fine-tuned model's input", 0, 1, integer=False),
        "calls_per_month": Bound(
            "calls per month", 1, MAX_CALLS_PER_MONTH, zero_hint="with no calls, fine-tuning can never pay back"
        ),
        "horizon_months": Bound("horizon in months", 1, MAX_HORIZON_MONTHS),
        "hosting_usd_per_hour": Bound(
            "hosting fee per hour", 0, MAX_HOSTING_PER_HOUR, integer=False, max_hint="USD per hour per deployment"
        ),
        "hosting_hours_per_day": Bound(
            "hours a day the deployment stays up",
            1,
            24,
            integer=False,
            zero_hint="a deployment that is never up answers no calls",
            max_hint="a day has 24 hours",
        ),
    }
