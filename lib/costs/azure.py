"""Azure OpenAI hosting: deployment types, their hourly fees and the hours billed in a month."""

from __future__ import annotations

from lib.costs.prices import Dated

from lib import catalog as catalog_lib

DEPLOYMENT_TYPES = ("standard", "global_standard", "developer")


def hosting_hours_per_month() -> int:
    """The hours a month of hosting is counted as (catalog data: the month Azure's figures use)."""
    return catalog_lib.load_catalog().azure.hours_per_month


def deployment_types() -> dict[str, str]:
    """Azure's fine-tuned deployment types, ``{type: label}``, as the catalog names them."""
    cat = catalog_lib.load_catalog()
    return {t: cat.hosting_fee(t).label for t in DEPLOYMENT_TYPES}


def hosting_fee(deployment_type: str) -> Dated:
    """Azure's hourly hosting fee of one fine-tuned deployment of ``deployment_type``, with its source."""
    fee = catalog_lib.load_catalog().hosting_fee(deployment_type)
    return Dated(fee.usd_per_hour, fee.source, fee.as_of, bool(fee.doubtful), fee.note)
