"""Faults on demand: make the next matching request fail the way the real service fails.

A fault matches by HTTP method and by a substring of the request path (a
trailing ``$`` anchors it at the end, so ``"/fine_tuning/jobs$"`` means job
creation and listing but not ``.../cancel``). It fires ``times`` times
(``None`` = until cleared), before anything else is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.simulator.state import ApiError

# The body OpenAI sends when an organisation hits its daily job limit for a model (as users report it);
# the limit and the model are filled in.
DAILY_LIMIT_MESSAGE = (
    "This fine-tune request has been rate-limited. Your organization has reached the maximum of "
    "{limit} fine-tuning requests per day for the model '{model}'."
)
DAILY_LIMIT_N = 3
SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
RATE_LIMIT_MESSAGE = "Rate limit reached for requests. Please try again in {seconds}s."
# What OpenAI answers organisations blocked by the wind-down is not published; this wording is our guess.
BLOCKED_ORG_MESSAGE = (
    "This organization is not allowed to create fine-tuning jobs. OpenAI is winding down the fine-tuning "
    "platform and only eligible organizations can still create jobs."
)
SLOW_SECONDS = 5.0


@dataclass
class Fault:
    """One armed fault; see :meth:`lib.simulator.Simulator.add_fault`."""

    status: int | None = None
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    retry_after: float | None = None
    code: str | None = None
    message: str | None = None
    type: str | None = None
    latency: float | None = None
    drop: bool = False
    preset: str | None = None

    def matches(self, method: str, api_path: str) -> bool:
        """True when this fault applies to ``method`` on ``api_path`` (e.g. ``/fine_tuning/jobs``)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path:
            if self.path.endswith("$"):
                return api_path.rstrip("/").endswith(self.path[:-1].rstrip("/"))
            return self.path in api_path
        return True

    def error(self, request_body: dict | None) -> ApiError | None:
        """The error answer this fault gives (None for pure latency)."""
        if self.status is None:
            return None
        message = self.message
        if self.preset == "daily_limit" and message is None:
            model = (request_body or {}).get("model") or "gpt-4o-mini-2024-07-18"
            message = DAILY_LIMIT_MESSAGE.format(limit=DAILY_LIMIT_N, model=model)
        if message is None:
            message = _default_message(self.status, self.retry_after)
        kind = self.type or _default_type(self.status)
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = (
                str(int(self.retry_after)) if float(self.retry_after).is_integer() else str(self.retry_after)
            )
        return ApiError(self.status, message, type=kind, code=self.code, headers=headers)


def _default_type(status: int) -> str:
    if status >= 500:
        return "server_error"
    if status == 429:
        return "requests"
    return "invalid_request_error"


def _default_message(status: int, retry_after: float | None) -> str:
    if status >= 500:
        return SERVER_ERROR_MESSAGE
    if status == 429:
        return RATE_LIMIT_MESSAGE.format(seconds=int(retry_after or 1))
    if status == 403:
        return BLOCKED_ORG_MESSAGE
    if status == 401:
        return "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
    return f"Simulated error {status}."


def preset_fault(name: str, **overrides) -> Fault:
    """A named, realistic fault: blocked_org, daily_limit, rate_limit, server_error, drop, slow."""
    presets = {
        # job creation refused for an organization the wind-down has locked out
        "blocked_org": dict(
            status=403,
            method="POST",
            path="/fine_tuning/jobs$",
            code="organization_not_eligible",
            message=BLOCKED_ORG_MESSAGE,
            type="invalid_request_error",
        ),
        # daily per-model job limit: a 429 that needs user action, so no Retry-After
        "daily_limit": dict(
            status=429,
            method="POST",
            path="/fine_tuning/jobs$",
            code="daily_rate_limit_exceeded",
            type="invalid_request_error",
        ),
        "rate_limit": dict(status=429, code="rate_limit_exceeded", retry_after=1, type="requests"),
        "server_error": dict(status=500, type="server_error"),
        "drop": dict(drop=True),
        "slow": dict(latency=SLOW_SECONDS),
    }
    if name not in presets:
        raise ValueError(f"unknown fault preset {name!r}; choose one of {', '.join(presets)}")
    settings = presets[name]
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return Fault(preset=name, **settings)
