"""Where API calls go: the demo simulator, OpenAI, Azure OpenAI or a compatible URL.

A :class:`Connection` holds one browser session's settings (the key lives in
that session only). :func:`make_client` builds an SDK client from it; clients
are never shared between sessions. The API key is excluded from ``repr`` and
never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import Literal

import openai

Backend = Literal["demo", "openai", "azure", "custom"]
BACKENDS: dict[str, str] = {
    "demo": "Demo (local simulator)",
    "openai": "OpenAI",
    "azure": "Azure OpenAI",
    "custom": "Custom OpenAI-compatible URL",
}
DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"
# Set by tests (and by anyone running their own simulator) to point demo mode at it.
SIMULATOR_URL_ENV = "TUNING_DESK_SIMULATOR_URL"


@dataclass(frozen=True)
class Connection:
    """One session's connection settings. ``api_key`` never appears in ``repr``."""

    backend: Backend
    api_key: str = field(default="", repr=False)
    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    demo_calendar: str = "openai"  # "azure": the demo simulator answers on Azure OpenAI's paths

    @property
    def is_demo(self) -> bool:
        return self.backend == "demo"

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    def label(self) -> str:
        """A short human description, safe to show (no key)."""
        if self.backend == "azure":
            return f"Azure OpenAI ({self.azure_endpoint or 'no endpoint'})"
        if self.backend == "custom":
            return f"Custom ({self.base_url or 'no URL'})"
        if self.backend == "openai" and self.base_url:
            return f"OpenAI ({self.base_url})"
        return BACKENDS[self.backend]

    def fingerprint(self) -> str:
        """A short stable id of where and as whom calls go; safe as a cache key."""
        raw = "|".join([self.backend, self.base_url or "", self.azure_endpoint or "", self.api_key])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def missing(self) -> str | None:
        """What must still be filled in before a call can be made, or None."""
        if self.backend == "azure" and not self.azure_endpoint:
            return "Enter the Azure OpenAI endpoint in the sidebar."
        if self.backend == "custom" and not self.base_url:
            return "Enter the base URL of the OpenAI-compatible API in the sidebar."
        if not self.api_key:
            return "Enter an API key in the sidebar, or switch to the demo mode."
        return None


# Per-process secret: demo keys derived from a browser's cookie cannot be guessed from it.
_DEMO_SECRET = secrets.token_bytes(32)


def new_demo_key(xsrf_cookie: str | None = None) -> str:
    """The key of one browser's private space in the demo simulator.

    Given Streamlit's ``_streamlit_xsrf`` cookie, the key is derived from the
    browser's stable XSRF token, so a page reload (a new Streamlit session)
    finds the same demo files and jobs again; other browsers get other keys.
    Without the cookie (or in an unknown format) the key is random.
    """
    token = xsrf_token(xsrf_cookie) if xsrf_cookie else None
    if token is None:
        return "sk-demo-" + secrets.token_urlsafe(18)
    digest = hmac.new(_DEMO_SECRET, token, hashlib.sha256).digest()
    return "sk-demo-" + digest[:18].hex()


def xsrf_token(cookie: str) -> bytes | None:
    """The unmasked token of a ``2|mask|masked_token|timestamp`` XSRF cookie, or None.

    The masked value changes on every response; the token under it is stable
    for the browser session.
    """
    parts = cookie.split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if not mask or len(masked) < 16:
        return None
    return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))


def demo_base_url() -> str:
    """The simulator's base URL: ``$TUNING_DESK_SIMULATOR_URL`` or the in-process one."""
    url = os.environ.get(SIMULATOR_URL_ENV)
    if url:
        return url.rstrip("/")
    from lib.simulator import ensure_demo_simulator  # started once per process

    return ensure_demo_simulator().base_url


# A page waits for its API calls before it draws, so a backend that accepts connections but never
# answers must cost a bounded wait and one sentence, not minutes: each call gives up after
# CALL_TIMEOUT_S and is tried at most 1 + DEFAULT_MAX_RETRIES times (about 41 s at worst, where
# 30 s and two retries made Launch's review wait over 90 s).
CALL_TIMEOUT_S = 20.0
DEFAULT_MAX_RETRIES = 1


def make_client(conn: Connection, *, max_retries: int = DEFAULT_MAX_RETRIES,
                timeout: float = CALL_TIMEOUT_S) -> openai.OpenAI:
    """An SDK client for ``conn``. The key is always passed explicitly.

    Never read ``OPENAI_API_KEY`` implicitly here: Streamlit copies top-level
    secrets into the environment, and a bare ``OpenAI()`` would hand the
    owner's key to every visitor.
    """
    problem = conn.missing()
    if problem:
        raise ValueError(problem)
    azure_v1 = azure_v1_base_url(conn)
    if azure_v1:  # Azure OpenAI's v1 API takes the plain client, with no api-version
        return openai.OpenAI(api_key=conn.api_key, base_url=azure_v1, max_retries=max_retries, timeout=timeout)
    if conn.backend == "azure":
        return openai.AzureOpenAI(
            api_key=conn.api_key,
            azure_endpoint=conn.azure_endpoint,
            api_version=conn.api_version or DEFAULT_AZURE_API_VERSION,
            max_retries=max_retries,
            timeout=timeout,
        )
    base_url = demo_base_url() if conn.is_demo else conn.base_url
    if conn.is_demo and conn.demo_calendar == "azure":
        base_url = base_url.removesuffix("/v1") + "/openai/v1"
    return openai.OpenAI(
        api_key=conn.api_key,
        base_url=base_url or None,
        organization=conn.organization or None,
        project=conn.project or None,
        max_retries=max_retries,
        timeout=timeout,
    )


AZURE_V1_VERSIONS = ("v1", "latest")  # what the API-version box may say to use Azure's v1 API


def azure_v1_base_url(conn: Connection) -> str | None:
    """The base URL of Azure OpenAI's v1 API when ``conn`` uses it, else None.

    Two ways in: an endpoint that already ends in ``/openai/v1``, or the API version "v1". The URL
    is built from ``conn.azure_endpoint`` only, so the key goes where the endpoint setting says.
    """
    if conn.backend != "azure" or not conn.azure_endpoint:
        return None
    endpoint = conn.azure_endpoint.strip().rstrip("/")
    if endpoint.endswith("/openai/v1"):
        return endpoint + "/"
    if (conn.api_version or "").strip().lower() in AZURE_V1_VERSIONS:
        return endpoint + "/openai/v1/"
    return None


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    models: tuple[str, ...] = ()


def check_connection(conn: Connection) -> ConnectionCheck:
    """List models to prove the connection works; one sentence either way."""
    from lib.errors import explain

    try:
        client = make_client(conn, max_retries=0, timeout=15.0)
        models = sorted(m.id for m in client.models.list())
        # trainable snapshots first: they are what a user of this dashboard looks for
        from lib.catalog import load_catalog

        known = load_catalog().models
        models.sort(key=lambda name: name not in known)
    except ValueError as exc:
        return ConnectionCheck(False, str(exc))
    except openai.OpenAIError as exc:
        return ConnectionCheck(False, explain(exc, action="list models"))
    shown = ", ".join(models[:5]) + (", ..." if len(models) > 5 else "")
    return ConnectionCheck(True, f"Reached {conn.label()}: {len(models)} models ({shown}).", tuple(models))
