"""Turn API and network failures into one sentence a user can act on.

Pages call :func:`explain` on any exception from the ``openai`` SDK (or from
``lib``) and show the result; they never show a traceback. Sentences never
contain an API key, even a masked one the server echoed back.
"""

from __future__ import annotations

import re

import openai

from lib.outbound import OutboundRefused, ReplyTooLarge

_KEY_PATTERN = re.compile(r"\b(sk|sess|rk|ak)-[A-Za-z0-9_\-*]{4,}")
_MASKED_PATTERN = re.compile(r"[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*")


def redact(text: str) -> str:
    """Remove anything that looks like an API key (full or masked) from ``text``."""
    text = _KEY_PATTERN.sub("[key hidden]", text)
    return _MASKED_PATTERN.sub("[key hidden]", text)


# What a server says is shown shortened: a hostile or broken server can send a novel.
MAX_SERVER_TEXT = 200


def shorten(text: str, limit: int = MAX_SERVER_TEXT) -> str:
    """``text`` on one line, cut to ``limit`` characters (with an ellipsis)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    message = body.get("message") or getattr(exc, "message", "") or ""
    return shorten(redact(str(message))).strip().rstrip(".")


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """The seconds the server asked to wait (``Retry-After``), or None for a date, junk or no header."""
    try:
        seconds = float(exc.response.headers.get("retry-after"))
    except (AttributeError, TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86_400 else None


def explain(exc: BaseException, *, action: str = "") -> str:
    """One plain sentence saying what happened and what to do next.

    ``action`` names what was being attempted ("create the job"), so the
    sentence can say so.
    """
    doing = f" while trying to {action}" if action else ""
    code = getattr(exc, "code", None)

    if isinstance(exc, (OutboundRefused, ReplyTooLarge)):
        return shorten(str(exc), 300)
    if isinstance(exc, openai.APITimeoutError):
        return f"The API did not answer in time{doing}; check your network or try again in a moment."
    if isinstance(exc, openai.APIConnectionError):
        return (
            f"Could not reach the API{doing}: the network is down or the base URL is wrong. "
            "Check the connection settings in the sidebar and try again."
        )
    if isinstance(exc, openai.AuthenticationError):
        return "The API key was rejected (401). Check the key in the sidebar, or paste a new one."
    if isinstance(exc, openai.PermissionDeniedError):
        detail = _server_message(exc)
        return (
            f"Permission denied (403){doing}: {detail or 'this key or organization may not use fine-tuning'}. "
            "OpenAI has closed fine-tuning to new organizations; use an eligible organization's key, "
            "or try the demo mode."
        )
    if isinstance(exc, openai.NotFoundError):
        detail = _server_message(exc)
        return f"Not found (404){doing}: {detail or 'the object does not exist for this key'}."
    if isinstance(exc, openai.RateLimitError):
        if code == "daily_rate_limit_exceeded":
            return (
                "OpenAI's daily limit of fine-tuning jobs for this model is reached "
                "(daily_rate_limit_exceeded). Try again tomorrow or pick another model; your settings are kept."
            )
        wait = _retry_after(exc)
        when = f"in {wait:g} second{'' if wait == 1 else 's'}" if wait else "in a moment"
        return f"Rate limited (429){doing}. Wait and try again {when}."
    if isinstance(exc, openai.BadRequestError):
        detail = _server_message(exc)
        param = getattr(exc, "param", None)
        where = f" (field: {param})" if param else ""
        return f"The API refused the request{where}: {detail or 'bad request'}."
    if isinstance(exc, openai.InternalServerError):
        return f"The API had an internal error ({exc.status_code}){doing}. Try again in a minute."
    if isinstance(exc, openai.APIStatusError):
        detail = _server_message(exc)
        return f"The API answered {exc.status_code}{doing}: {detail or 'unexpected error'}."
    if isinstance(exc, (AttributeError, TypeError, KeyError)):  # the SDK met a reply of another shape
        return (
            f"The API answered{doing}, but not in a form this app can read (HTML, plain text or other "
            "JSON); check the base URL in the sidebar."
        )
    return shorten(redact(str(exc))) or exc.__class__.__name__
