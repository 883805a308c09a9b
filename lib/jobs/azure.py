"""Azure OpenAI: deploying a fine-tuned model and what hosting it costs."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from lib.catalog import (
    Catalog,
    base_model_label,
    base_model_name,
    load_catalog,
)
from lib.costs import usd

_DEPLOYMENT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Placeholders the user fills in; shown as they are, never guessed.
AZURE_PLACEHOLDERS = {
    "subscription": "<subscription-id>",
    "resource_group": "<resource-group>",
    "account": "<azure-openai-resource>",
}


@dataclass(frozen=True)
class AzureDeployment:
    """How to deploy one fine-tuned model (or checkpoint) on Azure OpenAI: the management-API
    request and the equivalent ``az`` command, ready to copy."""

    model: str
    deployment: str
    url: str
    body: dict
    curl: str
    az_command: str
    az_delete: str


def deployment_name_for(model: str) -> str:
    """A deployment name for ``model``: ``<base>-ft-<first 8 hex>`` (letters, digits, ``.-_``; at most 64)."""
    base = base_model_label(base_model_name(model))
    tail = model.rsplit(".ft-", 1)[-1] if ".ft-" in model else model
    name = _DEPLOYMENT_NAME.sub("-", f"{base}-ft-{tail[:8]}").strip("-.")
    return name[:64] or "fine-tune"


def azure_deployment(model: str, *, deployment: str | None = None, catalog: Catalog | None = None) -> AzureDeployment:
    """The exact ``PUT`` of Azure's management API (and the ``az`` command) that deploys ``model``.

    The request needs an Entra ID bearer token (``az account get-access-token``), not the API key;
    the subscription, resource group and resource are placeholders for the user to fill in. Every
    value that came from the API is shell-quoted, so a copied command does only what it says.
    """
    catalog = catalog or load_catalog()
    name = _DEPLOYMENT_NAME.sub("-", deployment or deployment_name_for(model))[:64]
    url = catalog.azure.deploy_url_template.format(deployment=name, **AZURE_PLACEHOLDERS)
    body = {
        "sku": {"name": "standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }
    curl = "\n".join(
        [
            f"curl -X PUT {shlex.quote(url)} \\",
            '  -H "Authorization: Bearer $(az account get-access-token --query accessToken -o tsv)" \\',
            '  -H "Content-Type: application/json" \\',
            f"  -d {shlex.quote(json.dumps(body))}",
        ]
    )
    group, account = AZURE_PLACEHOLDERS["resource_group"], AZURE_PLACEHOLDERS["account"]
    az_command = "\n".join(
        [
            "az cognitiveservices account deployment create \\",
            f"  --resource-group {shlex.quote(group)} --name {shlex.quote(account)} \\",
            f"  --deployment-name {shlex.quote(name)} \\",
            f"  --model-name {shlex.quote(model)} --model-version 1 --model-format OpenAI \\",
            "  --sku-name standard --sku-capacity 1",
        ]
    )
    az_delete = (
        f"az cognitiveservices account deployment delete --resource-group {shlex.quote(group)} "
        f"--name {shlex.quote(account)} --deployment-name {shlex.quote(name)}"
    )
    return AzureDeployment(model, name, url, body, curl, az_command, az_delete)


@dataclass(frozen=True)
class HostingCost:
    """What keeping one deployment costs per month, for one deployment type."""

    deployment_type: str
    label: str
    usd_per_hour: float
    usd_per_month: float
    hours_per_month: int
    doubtful: bool
    note: str
    source: str
    as_of: str


def azure_hosting_costs(catalog: Catalog | None = None) -> list[HostingCost]:
    """Azure's hosting fee per deployment type, per hour and per month (fee x the catalog's
    720-hour month), from the catalog with its doubts."""
    catalog = catalog or load_catalog()
    hours = catalog.azure.hours_per_month
    return [
        HostingCost(
            fee.deployment_type,
            fee.label,
            fee.usd_per_hour,
            fee.per_month(hours),
            hours,
            fee.doubtful,
            fee.note,
            fee.source,
            fee.as_of,
        )
        for fee in catalog.azure.hosting.values()
    ]


def hosting_rows(costs: list[HostingCost]) -> list[dict]:
    """The hosting-fee table: deployment type, per hour, per month (with its hours), and the catalog's doubts."""
    return [
        {
            "Deployment type": c.label,
            "Per hour": usd(c.usd_per_hour),
            f"Per month ({c.hours_per_month} h)": usd(c.usd_per_month),
            "Note": ("Doubtful. " if c.doubtful else "") + c.note,
        }
        for c in costs
    ]


def azure_charges_note(catalog: Catalog | None = None) -> str:
    """The sentence every Azure user must read: a job's end does not end a deployment's bill."""
    catalog = catalog or load_catalog()
    return (
        "Cancelling or finishing a job does not stop a deployment's charges: the hourly hosting fee runs for as "
        "long as the deployment exists, called or not. Delete the deployment when you no longer need it. "
        + catalog.azure.idle_deletion_note
    )
