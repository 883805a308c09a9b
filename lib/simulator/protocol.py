"""What every route shares: the parsed request, the answer, cursor pages and the common error answers.

Transport-free: ``server.py`` turns HTTP into a :class:`Request` and a :class:`Response` back into HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lib.simulator.state import ApiError


@dataclass
class Request:
    """A parsed HTTP request, as the routes see it."""

    method: str
    path: str  # relative to the API root, e.g. "fine_tuning/jobs/ftjob-x/events"
    query: dict = field(default_factory=dict)
    json: dict | None = None
    form: dict | None = None  # multipart: name -> str, or (filename, bytes) for files
    idempotency_key: str | None = None
    flavor: str = "openai"  # "azure" when the request came through Azure OpenAI's paths (/openai/...)


@dataclass
class Response:
    status: int
    body: dict | bytes
    content_type: str = "application/json"


def not_found(kind: str, object_id: str, param: str = "id") -> ApiError:
    """404 for an id this key does not own (another key's ids answer the same)."""
    return ApiError(404, f"No such {kind}: {object_id}", param=param, code=None)


def missing_parameter(name: str) -> ApiError:
    """400 for a required parameter the request left out (or left empty)."""
    return ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")


def unparsable_json() -> ApiError:
    """400 for a body that is not JSON (or, on chat completions, missing)."""
    return ApiError(
        400, "We could not parse the JSON body of your request. The API expects a JSON payload.", code="invalid_json"
    )


def int_param(query: dict, name: str, default: int, low: int, high: int | None = None) -> int:
    """Query parameter ``name`` as an integer of at least ``low`` (capped at ``high``); 400 otherwise."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid '{name}': expected an integer, got {raw!r}.", param=name, code="invalid_value"
        ) from None
    if value < low:
        raise ApiError(400, f"Invalid '{name}': must be at least {low}.", param=name, code="invalid_value")
    return value if high is None else min(value, high)


def page(items: list[dict], query: dict, *, default_limit: int, max_limit: int | None, with_ids: bool = False) -> dict:
    """A cursor page: the items after ``after`` (an id), at most ``limit`` of them."""
    limit = int_param(query, "limit", default_limit, 1, max_limit)
    after = query.get("after")
    if after:
        ids = [item["id"] for item in items]
        # An unknown cursor gives an empty page rather than an error, so iteration just ends.
        items = items[ids.index(after) + 1 :] if after in ids else []
    shown = items[:limit]
    out = {"object": "list", "data": shown, "has_more": len(items) > limit}
    if with_ids:
        out["first_id"] = shown[0]["id"] if shown else None
        out["last_id"] = shown[-1]["id"] if shown else None
    return out
