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

from lib import outbound
from lib.errors import shorten

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


MAX_SHOWN_ID = 60  # characters of a URL or model id (from a visitor or a server) shown in a sentence


def _short(text: str) -> str:
    return shorten(text, MAX_SHOWN_ID)


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
    # Who supplied the key: "visitor" (pasted in this session), "owner" (configured) or "demo".
    key_source: Literal["visitor", "owner", "demo"] = "visitor"
    # Rules for a URL the visitor chose, checked on every request. A visitor's connection without
    # rules gets the strictest (public addresses only); the owner's and the demo's are not checked.
    outbound: outbound.Rules | None = None
    # Why this connection may not be used at all (the owner's policy), or None.
    refused: str | None = None
    demo_calendar: str = "openai"  # "azure": the demo simulator answers on Azure OpenAI's paths

    @property
    def is_demo(self) -> bool:
        return self.backend == "demo"

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    def label(self) -> str:
        """A short human description, safe to show (no key, not the owner's addresses; escape it)."""
        if self.key_source == "owner":
            return f"{BACKENDS[self.backend]} (the app owner's account)"
        if self.backend == "azure":
            return f"Azure OpenAI ({_short(self.azure_endpoint or 'no endpoint')})"
        if self.backend == "custom":
            return f"Custom ({_short(self.base_url or 'no URL')})"
        if self.backend == "openai" and self.base_url:
            return f"OpenAI ({_short(self.base_url)})"
        return BACKENDS[self.backend]

    def fingerprint(self) -> str:
        """A short stable id of where and as whom calls go; safe as a cache key."""
        raw = "|".join([self.backend, self.base_url or "", self.azure_endpoint or "", self.api_key])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def missing(self) -> str | None:
        """What must still be filled in (or is not allowed) before a call can be made, or None."""
        if self.refused:
            return self.refused
        if self.backend == "azure" and not self.azure_endpoint:
            return "Enter the Azure OpenAI endpoint in the sidebar."
        if self.backend == "custom" and not self.base_url:
            return "Enter the base URL of the OpenAI-compatible API in the sidebar."
        if not self.api_key:
            return "Enter an API key in the sidebar, or switch to the demo mode."
        return None


# Per-process secret: demo keys are signed with it, so the demo simulator serves only keys this
# process minted (a flood of made-up keys gets 401), and a key cannot be guessed from a cookie.
_DEMO_SECRET = secrets.token_bytes(32)
_DEMO_PREFIX = "sk-demo-"


def _demo_signature(space: str) -> str:
    return hmac.new(_DEMO_SECRET, b"demo-key|" + space.encode(), hashlib.sha256).hexdigest()[:32]


def new_demo_key(xsrf_cookie: str | None = None) -> str:
    """The key of one browser's private space in the demo simulator, signed by this process.

    Given Streamlit's ``_streamlit_xsrf`` cookie, the space is derived from the
    browser's stable XSRF token, so a page reload (a new Streamlit session)
    finds the same demo files and jobs again; other browsers get other keys.
    Without the cookie (or in an unknown format) the space is random.
    """
    token = xsrf_token(xsrf_cookie) if xsrf_cookie else None
    if token is None:
        space = secrets.token_hex(12)
    else:
        space = hmac.new(_DEMO_SECRET, b"space|" + token, hashlib.sha256).hexdigest()[:24]
    return f"{_DEMO_PREFIX}{space}-{_demo_signature(space)}"


def is_demo_key(key: str | None) -> bool:
    """True for a key :func:`new_demo_key` minted in this process (constant-time check)."""
    if not key or not key.startswith(_DEMO_PREFIX):
        return False
    space, _, signature = key[len(_DEMO_PREFIX) :].partition("-")
    if len(space) != 24 or not signature:
        return False
    return hmac.compare_digest(signature, _demo_signature(space))


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


# ---------------------------------------------------------------- the owner's policy
@dataclass(frozen=True)
class OwnerConfig:
    """What the app owner configured (secrets file or environment). Keys never appear in ``repr``."""

    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_organization: str | None = None
    openai_project: str | None = None
    azure_api_key: str | None = field(default=None, repr=False)
    azure_endpoint: str | None = None
    azure_api_version: str | None = None


OwnerKeyUsers = Literal["local", "everyone", "nobody"]


@dataclass(frozen=True)
class Policy:
    """The owner's rules for visitors (see README, "Configuration"). The defaults suit a public app.

    - ``backends``: which backends visitors may pick.
    - ``owner_key_users``: who may use the owner's configured key: ``"local"`` (only a browser on
      the server's own machine; the default), ``"everyone"`` (a private team app: every visitor
      acts on the owner's account) or ``"nobody"``.
    - ``custom_urls``: whether visitors (with their own key) may point the app at an address of
      their choice (custom backend, their own OpenAI base URL or Azure endpoint).
    - ``private_urls``: whether such an address may be on a private network (loopback, LAN,
      link-local); a browser on the server's own machine may always use them.
    - ``local_visitors``: whether a browser connecting from the server's own machine (without a
      proxy's forwarding headers) counts as local. Turn off behind a reverse proxy on the same host
      that does not send ``X-Forwarded-For``.
    - ``own_ports``: this app's ports (Streamlit, the demo simulator); never called.
    """

    backends: tuple[str, ...] = tuple(BACKENDS)
    owner_key_users: OwnerKeyUsers = "local"
    custom_urls: bool = True
    private_urls: bool = False
    local_visitors: bool = True
    own_ports: frozenset[int] = frozenset()

    def offered_backends(self) -> tuple[str, ...]:
        """The backends a visitor may pick (the custom backend only where custom URLs are allowed)."""
        offered = tuple(b for b in self.backends if b in BACKENDS and (b != "custom" or self.custom_urls))
        return offered or ("demo",)

    def counts_as_local(self, visitor: VisitorSettings) -> bool:
        """Whether this visitor is treated as the server's own machine (see ``local_visitors``)."""
        return visitor.is_local and self.local_visitors


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_policy(get) -> Policy:
    """A :class:`Policy` from the owner's settings; ``get(name)`` returns a string or None.

    Names: ``TUNING_DESK_BACKENDS`` (comma list), ``TUNING_DESK_OWNER_KEY_USERS``
    (local | everyone | nobody), ``TUNING_DESK_CUSTOM_URLS``, ``TUNING_DESK_PRIVATE_URLS``,
    ``TUNING_DESK_LOCAL_VISITORS`` (true | false). Unknown values keep the secure default.
    """

    def flag(name: str, default: bool) -> bool:
        value = (get(name) or "").strip().lower()
        return True if value in _TRUE else False if value in _FALSE else default

    default = Policy()
    listed = [b.strip().lower() for b in (get("TUNING_DESK_BACKENDS") or "").split(",") if b.strip()]
    backends = tuple(b for b in BACKENDS if b in listed) or default.backends
    users = (get("TUNING_DESK_OWNER_KEY_USERS") or "").strip().lower()
    return Policy(
        backends=backends,
        owner_key_users=users if users in ("local", "everyone", "nobody") else default.owner_key_users,
        custom_urls=flag("TUNING_DESK_CUSTOM_URLS", default.custom_urls),
        private_urls=flag("TUNING_DESK_PRIVATE_URLS", default.private_urls),
        local_visitors=flag("TUNING_DESK_LOCAL_VISITORS", default.local_visitors),
    )


@dataclass(frozen=True)
class VisitorSettings:
    """What one browser session chose in the sidebar, and whether its browser is on this machine."""

    backend: str = "demo"
    demo_api_key: str = field(default="", repr=False)
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    openai_organization: str = ""
    openai_project: str = ""
    azure_api_key: str = field(default="", repr=False)
    azure_endpoint: str = ""
    azure_api_version: str = ""
    custom_api_key: str = field(default="", repr=False)
    custom_base_url: str = ""
    is_local: bool = False
    demo_calendar: str = "openai"


def owner_key_available(owner: OwnerConfig, visitor: VisitorSettings, policy: Policy, backend: str) -> bool:
    """Whether this visitor may use the owner's key for ``backend`` (never for custom or demo)."""
    if backend == "openai":
        configured = bool(owner.openai_api_key)
    elif backend == "azure":
        configured = bool(owner.azure_api_key and owner.azure_endpoint)
    else:
        return False
    if not configured or policy.owner_key_users == "nobody":
        return False
    return policy.owner_key_users == "everyone" or policy.counts_as_local(visitor)


def visitor_rules(visitor: VisitorSettings, policy: Policy) -> outbound.Rules:
    """The outbound rules for an address this visitor chose."""
    return outbound.Rules(
        allow_private=policy.private_urls or policy.counts_as_local(visitor), own_ports=policy.own_ports
    )


_NOT_ALLOWED_URL = (
    "This app does not allow choosing the address the API is called at; clear the field to use the default."
)


def _visitor_url(url: str, policy: Policy) -> tuple[str | None, str | None]:
    """(the visitor's URL or None, why it is refused or None)."""
    url = (url or "").strip()
    if not url:
        return None, None
    if not policy.custom_urls:
        return url, _NOT_ALLOWED_URL
    return url, outbound.url_problem(url)


def resolve(owner: OwnerConfig, visitor: VisitorSettings, policy: Policy) -> Connection:
    """The one decision of where this session's calls go and with which key.

    - A backend the policy does not offer falls back to the first it offers (the demo by default).
    - The owner's key is used only when the visitor pasted none and the policy lets this visitor use
      it; then every address and account setting is the owner's, whatever the visitor typed.
    - A visitor's own key goes to the visitor's address (custom URLs allowed), checked on every
      request by :mod:`lib.outbound`.
    - The custom backend never uses the owner's key.
    """
    offered = policy.offered_backends()
    backend = visitor.backend if visitor.backend in offered else offered[0]
    if backend == "demo":
        return Connection("demo", api_key=visitor.demo_api_key, key_source="demo", demo_calendar=visitor.demo_calendar)
    rules = visitor_rules(visitor, policy)
    if backend == "openai":
        if not visitor.openai_api_key and owner_key_available(owner, visitor, policy, "openai"):
            return Connection(
                "openai",
                api_key=owner.openai_api_key or "",
                base_url=owner.openai_base_url or None,
                organization=owner.openai_organization or None,
                project=owner.openai_project or None,
                key_source="owner",
            )
        url, refused = _visitor_url(visitor.openai_base_url, policy)
        return Connection(
            "openai",
            api_key=visitor.openai_api_key,
            base_url=url,
            organization=visitor.openai_organization.strip() or None,
            project=visitor.openai_project.strip() or None,
            outbound=rules,
            refused=refused,
        )
    if backend == "azure":
        if not visitor.azure_api_key and owner_key_available(owner, visitor, policy, "azure"):
            return Connection(
                "azure",
                api_key=owner.azure_api_key or "",
                azure_endpoint=owner.azure_endpoint,
                api_version=owner.azure_api_version or DEFAULT_AZURE_API_VERSION,
                key_source="owner",
            )
        url, refused = _visitor_url(visitor.azure_endpoint, policy)
        return Connection(
            "azure",
            api_key=visitor.azure_api_key,
            azure_endpoint=url,
            api_version=visitor.azure_api_version.strip() or DEFAULT_AZURE_API_VERSION,
            outbound=rules,
            refused=refused,
        )
    url, refused = _visitor_url(visitor.custom_base_url, policy)
    return Connection("custom", api_key=visitor.custom_api_key, base_url=url, outbound=rules, refused=refused)


# ---------------------------------------------------------------- clients
def make_client(
    conn: Connection, *, max_retries: int = DEFAULT_MAX_RETRIES, timeout: float = CALL_TIMEOUT_S
) -> openai.OpenAI:
    """An SDK client for ``conn``: the single door every client of the app goes through.

    The key is always passed explicitly. Never read ``OPENAI_API_KEY`` implicitly here: Streamlit
    copies top-level secrets into the environment, and a bare ``OpenAI()`` would hand the owner's
    key to every visitor. A visitor's connection gets an HTTP client that checks every request
    against ``conn.outbound`` (public addresses only when unset); the owner's and the demo's do not.
    Every client built here (Azure's v1 URL with the plain client included) must pass
    ``http_client=http_client``.
    """
    problem = conn.missing()
    if problem:
        raise ValueError(problem)
    if conn.key_source == "owner" and conn.outbound is not None:
        raise ValueError("The owner's key is never sent to an address a visitor chose.")
    # The one place that decides whether calls are checked: a visitor's address always is (the demo's
    # URL is the app's own, never typed; the owner's is the owner's choice).
    if conn.key_source == "visitor" and not conn.is_demo:
        http_client = outbound.guarded_http_client(conn.outbound or outbound.Rules(), timeout=timeout)
    else:
        http_client = None
    azure_v1 = azure_v1_base_url(conn)
    if azure_v1:  # Azure OpenAI's v1 API takes the plain client, with no api-version
        return openai.OpenAI(
            api_key=conn.api_key, base_url=azure_v1, max_retries=max_retries, timeout=timeout, http_client=http_client
        )
    if conn.backend == "azure":
        return openai.AzureOpenAI(
            api_key=conn.api_key,
            azure_endpoint=conn.azure_endpoint,
            api_version=conn.api_version or DEFAULT_AZURE_API_VERSION,
            max_retries=max_retries,
            timeout=timeout,
            http_client=http_client,
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
        http_client=http_client,
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
    """List models to prove the connection works; one sentence either way, whatever the reply.

    Model ids come from the remote server: they are shortened here and must still be escaped
    before markdown.
    """
    from lib.errors import explain

    try:
        client = make_client(conn, max_retries=0, timeout=15.0)
    except ValueError as exc:
        return ConnectionCheck(False, str(exc))
    try:
        models = []
        for model in client.models.list():
            model_id = getattr(model, "id", None)
            if not isinstance(model_id, str):
                raise TypeError("not a model list")
            models.append(model_id)
        models.sort()
        # trainable snapshots first: they are what a user of this dashboard looks for
        from lib.catalog import load_catalog

        known = load_catalog().models
        models.sort(key=lambda name: name not in known)
    except openai.OpenAIError as exc:
        return ConnectionCheck(False, explain(exc, action="list models"))
    except Exception:  # a 200 with HTML, plain text or a JSON of another shape
        return ConnectionCheck(
            False,
            f"{conn.label()} answered, but not with a list of models: "
            "check the URL (it should end in /v1 for most servers).",
        )
    shown = ", ".join(_short(m) for m in models[:5]) + (", ..." if len(models) > 5 else "")
    return ConnectionCheck(True, f"Reached {conn.label()}: {len(models)} models ({shown}).", tuple(models))
