"""The models routes: list, retrieve and delete, as OpenAI's and as Azure OpenAI's models API show them.

A route takes the service, the key's namespace, the request and the virtual time ``v`` (plus the ids
in its path) and returns a :class:`~lib.simulator.protocol.Response`; the service holds its lock.
"""

from __future__ import annotations

import datetime as dt
import re

from lib.catalog import load_catalog
from lib.simulator.protocol import Response
from lib.simulator.state import ApiError, Namespace


def _unix_midnight(day: dt.date) -> int:
    """Unix seconds of ``day``'s start, UTC."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


def _model_created(model_id: str, fallback: dt.date) -> int:
    """Unix time of a model's release, read from the date in its dated name."""
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})$", model_id)
    return _unix_midnight(dt.date(*map(int, match.groups())) if match else fallback)


def _model_not_found(model_id: str) -> ApiError:
    return ApiError(
        404, f"The model `{model_id}` does not exist or you do not have access to it.", code="model_not_found"
    )


def openai_model_object(info, created: int, name: str, owned_by: str = "system") -> dict:
    """A model as OpenAI's models API shows it, with the catalog's shutdown date."""
    return {
        "id": name,
        "object": "model",
        "created": created,
        "owned_by": owned_by,
        "shutdown_date": info.shutdown_date.isoformat() if info.shutdown_date else None,
    }


def azure_model_object(info, created: int, name: str | None = None, owned_by: str = "system") -> dict:
    """A model as Azure's models API shows it: lifecycle dates under ``deprecation`` (Unix seconds)."""
    dates = info.lifecycle("azure")

    def stamp(day):
        return _unix_midnight(day) if day else None

    fine_tuned = name is not None and name != info.id
    return {
        "id": name or info.id,
        "object": "model",
        "created": created,
        "owned_by": owned_by,
        "status": "succeeded",
        "lifecycle_status": "deprecated" if dates.training_until else "generally-available",
        "capabilities": {"fine_tune": info.fine_tunable and not fine_tuned, "inference": True},
        "deprecation": {"fine_tune": stamp(dates.training_until), "inference": stamp(dates.inference_until)},
    }


def _openai_models(ns: Namespace, today: dt.date) -> list[dict]:
    """Models on OpenAI's calendar: every catalog name and alias still served, then the key's fine-tunes."""
    catalog = load_catalog()
    fallback = dt.date.fromisoformat(catalog.as_of)
    out = []
    for info in catalog.models.values():
        if not info.is_retired(today):
            created = _model_created(info.id, fallback)
            out.extend(openai_model_object(info, created, name) for name in (info.id, *info.aliases))
    for name, (created, job) in ns.models.items():
        info = catalog.models[job.base_model]
        if not info.is_retired(today):
            out.append(openai_model_object(info, created, name, ns.org_id))
    return out


def _azure_models(ns: Namespace, today: dt.date) -> list[dict]:
    """Models on Azure's calendar: those Azure lists and still serves, with their Azure dates."""
    catalog = load_catalog()
    fallback = dt.date.fromisoformat(catalog.as_of)
    out = []
    for info in catalog.models.values():
        dates = info.lifecycle("azure")
        if dates.listed and not dates.is_retired(today):
            out.append(azure_model_object(info, _model_created(info.id, fallback)))
    for name, (created, job) in ns.models.items():
        info = catalog.models[job.base_model]
        if job.flavor == "azure" and not info.lifecycle("azure").is_retired(today):
            out.append(azure_model_object(info, created, name, ns.org_id))
    return out


def model_objects(service, ns: Namespace, flavor: str = "openai") -> list[dict]:
    """Every model ``ns`` may see today, as the models API of ``flavor`` shows them."""
    models_of = _azure_models if flavor == "azure" else _openai_models
    return models_of(ns, service.today())


def list_models(service, ns, request, v):
    return Response(200, {"object": "list", "data": model_objects(service, ns, request.flavor)})


def retrieve_model(service, ns, request, v, model_id):
    for model in model_objects(service, ns, request.flavor):
        if model["id"] == model_id:
            return Response(200, model)
    raise _model_not_found(model_id)


def delete_model(service, ns, request, v, model_id):
    if model_id not in ns.models:
        raise _model_not_found(model_id)
    del ns.models[model_id]
    return Response(200, {"id": model_id, "object": "model", "deleted": True})
