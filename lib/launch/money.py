"""The charge of a launch (the one training formula of lib.costs) and the budget cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib import costs
from lib.catalog import ModelInfo

format_usd = costs.usd  # the one money format (lib.costs.usd); kept under this name for the pages


@dataclass(frozen=True)
class ChargeEstimate:
    """billed tokens per epoch x epochs x price: what the job is expected to cost."""

    billed_tokens_per_epoch: int
    n_epochs: int
    n_epochs_is_estimate: bool
    price_per_1m: float
    price_as_of: str
    usd: float
    method: str = "supervised"
    price_note: str = ""  # where the price comes from when it is not the catalog's (Azure: the user's)

    def formula(self) -> str:
        """``23,456 billed tokens x 3 epochs (estimate of "auto") x $3.00 per 1M tokens``."""
        epochs = f"{self.n_epochs} epoch{'s' if self.n_epochs != 1 else ''}"
        if self.n_epochs_is_estimate:
            epochs += ' (estimate of "auto")'
        source = self.price_note or f"price as of {self.price_as_of}"
        text = (
            f"{self.billed_tokens_per_epoch:,} billed tokens per epoch x {epochs} x "
            f"{costs.usd_per_1m(self.price_per_1m, 'training tokens')} ({source})"
        )
        return text + (f"; an estimate: {costs.DPO_BILLING_NOTE}" if self.method == "dpo" else "")


def estimate_charge(
    model: ModelInfo,
    *,
    billed_tokens_per_epoch: int,
    examples: int,
    n_epochs: Any = "auto",
    price_per_1m: float | None = None,
    method: str = "supervised",
) -> ChargeEstimate | None:
    """The training charge (computed by :func:`lib.costs.training_cost`) from the catalog price;
    ``"auto"`` epochs use the cookbook estimate. None for a file with no examples: nothing to train.

    Validation files are not charged, so only the training file's tokens count. ``price_per_1m``
    is a price the user entered (Azure OpenAI prints none per model): the formula says whose it is.
    """
    if model.training_per_1m is None:
        raise ValueError(f"{model.label} is not billed per token; its charge cannot be estimated up front.")
    if examples < 1:
        return None
    estimate = n_epochs in (None, "auto")
    price = model.training_per_1m if price_per_1m is None else float(price_per_1m)
    note = ""
    if price_per_1m is not None:
        note = (
            "your price, the same as OpenAI's list price as of " + str(model.training_as_of)
            if price == model.training_per_1m
            else f"your price; OpenAI's list price is {costs.usd_price(model.training_per_1m)}"
        )
    cost = costs.training_cost(billed_tokens_per_epoch, None if estimate else int(n_epochs), price, examples, method)
    return ChargeEstimate(
        cost.billed_tokens_per_epoch, cost.epochs, estimate, price, model.training_as_of, cost.cost, method, note
    )


def budget_refusal(charge: ChargeEstimate | None, cap_usd: float | None) -> str | None:
    """Why the budget cap refuses this launch, or None (no cap, or within it)."""
    if cap_usd is None:
        return None
    if charge is None:
        return (
            f"Your budget cap is {format_usd(cap_usd)}, but this job's charge cannot be estimated (the training "
            "file could not be read); choose the file from the Dataset page or upload it, or clear the cap."
        )
    if charge.usd > cap_usd:
        return (
            f"The estimated charge {format_usd(charge.usd)} is above your budget cap of {format_usd(cap_usd)}; "
            "use fewer epochs, a smaller file or a cheaper model, or raise the cap."
        )
    return None


def launch_blockers(
    form_problems: list[str],
    *,
    training_chosen: bool,
    failed_checks: list[str],
    validation_missing: bool,
    charge: ChargeEstimate | None,
    cap_usd: float | None,
) -> list[str]:
    """Every reason Review is refused, one sentence each: no training file first, then the form's
    problems, the files that failed their check (``failed_checks``: "training", "validation"), a
    validation file asked for but not chosen, and the budget cap (checked once the form is valid)."""
    blockers = ([] if training_chosen else ["Choose a training file."]) + list(form_problems)
    blockers += [f"The {which} file has problems (see above); fix them on the Dataset page." for which in failed_checks]
    if validation_missing:
        blockers.append("Choose a validation file, or set it to None.")
    over_budget = budget_refusal(charge, cap_usd) if training_chosen and not form_problems else None
    return blockers + ([over_budget] if over_budget else [])
