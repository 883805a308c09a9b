"""The one Streamlit-aware module of ``lib``: page frame, sidebar, session state.

Every page (``dashboard.py`` included) starts with::

    conn = ui.page_setup("Costs", ":material/payments:")

which sets the page config, draws the shared sidebar (connection settings,
test button, deadline note) and returns the session's :class:`Connection`.

Cross-page values live in permanent session-state keys; each sidebar widget
uses a page-local twin ``"_" + name`` copied back by a callback (widgets are
per page in file-based multipage apps). The API key stays in this browser
session's state only: it is not echoed back into any widget, not cached with
``st.cache_*`` and not written anywhere.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from lib import catalog
from lib.connection import BACKENDS, DEFAULT_AZURE_API_VERSION, Connection, check_connection, new_demo_key
from lib.display import md_escape
from lib.errors import explain
from lib.handoff import DatasetSummary, EvaluateRequest, LaunchFile, MeasuredUsage

# Permanent session-state keys shared by pages.
DATASET_SUMMARY = "dataset_summary"
LAUNCH_TRAINING = "launch_training"
LAUNCH_VALIDATION = "launch_validation"
LAUNCH_PREFILL = "launch_prefill"
SESSION_JOBS = "session_jobs"  # {job_id: last known status} for jobs launched in this session
MEASURED_USAGE = "measured_usage"  # Evaluate -> Costs
EVALUATE_REQUEST = "evaluate_request"  # Jobs / Dataset -> Evaluate

_TEXT_SETTINGS = ("openai_base_url", "openai_organization", "openai_project", "azure_endpoint", "azure_api_version",
                  "custom_base_url")
_SECRET_SETTINGS = ("openai_api_key", "azure_api_key", "custom_api_key")


# ---------------------------------------------------------------- owner config
def _secret(*path: str) -> str | None:
    """A value from ``st.secrets`` (``path`` = section, key), or None.

    ``st.secrets.get`` raises when there is no secrets file at all, so probe first.
    """
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        node: Any = st.secrets
        for part in path:
            node = node.get(part) if hasattr(node, "get") else None
            if node is None:
                return None
        return str(node) if node else None
    except Exception:  # a malformed secrets.toml must not take the app down
        return None


def owner_config() -> dict[str, str | None]:
    """Settings the app owner configured (secrets first, then environment), as the SDK reads them."""
    env = os.environ.get
    return {
        "openai_api_key": _secret("OPENAI_API_KEY") or _secret("openai", "api_key") or env("OPENAI_API_KEY"),
        "openai_base_url": _secret("OPENAI_BASE_URL") or _secret("openai", "base_url") or env("OPENAI_BASE_URL"),
        "openai_organization": _secret("OPENAI_ORG_ID") or _secret("openai", "organization") or env("OPENAI_ORG_ID"),
        "openai_project": _secret("OPENAI_PROJECT_ID") or _secret("openai", "project") or env("OPENAI_PROJECT_ID"),
        "azure_endpoint": _secret("AZURE_OPENAI_ENDPOINT") or _secret("azure", "endpoint") or env("AZURE_OPENAI_ENDPOINT"),
        "azure_api_key": _secret("AZURE_OPENAI_API_KEY") or _secret("azure", "api_key") or env("AZURE_OPENAI_API_KEY"),
        "azure_api_version": _secret("OPENAI_API_VERSION") or _secret("azure", "api_version") or env("OPENAI_API_VERSION"),
    }


def _cookie(name: str) -> str | None:
    try:
        return st.context.cookies.get(name)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None


# ---------------------------------------------------------------- session state
def _seed_state() -> dict[str, str | None]:
    owner = owner_config()
    ss = st.session_state
    if "backend" not in ss:
        if owner["openai_api_key"]:
            ss.backend = "openai"
        elif owner["azure_api_key"] and owner["azure_endpoint"]:
            ss.backend = "azure"
        else:
            ss.backend = "demo"
    if "demo_api_key" not in ss:
        ss.demo_api_key = new_demo_key(_cookie("_streamlit_xsrf"))
    for name in _TEXT_SETTINGS:
        ss.setdefault(name, owner.get(name) or "")
    if not ss.azure_api_version:
        ss.azure_api_version = DEFAULT_AZURE_API_VERSION
    for name in _SECRET_SETTINGS:
        ss.setdefault(name, "")
    ss.setdefault("demo_calendar", "openai")
    for key, default in ((DATASET_SUMMARY, None), (LAUNCH_TRAINING, None), (LAUNCH_VALIDATION, None),
                         (LAUNCH_PREFILL, None), (SESSION_JOBS, {}), ("conn_check", None),
                         (MEASURED_USAGE, None), (EVALUATE_REQUEST, None)):
        ss.setdefault(key, default)
    return owner


def current_connection() -> Connection:
    """The session's connection (seeding state first, so any page can call it)."""
    owner = _seed_state()
    ss = st.session_state
    backend = ss.backend
    if backend == "openai":
        return Connection("openai", api_key=ss.openai_api_key or owner["openai_api_key"] or "",
                          base_url=ss.openai_base_url or None, organization=ss.openai_organization or None,
                          project=ss.openai_project or None)
    if backend == "azure":
        return Connection("azure", api_key=ss.azure_api_key or owner["azure_api_key"] or "",
                          azure_endpoint=ss.azure_endpoint or None, api_version=ss.azure_api_version or None)
    if backend == "custom":
        return Connection("custom", api_key=ss.custom_api_key, base_url=ss.custom_base_url or None)
    return Connection("demo", api_key=ss.demo_api_key, demo_calendar=ss.demo_calendar)


def _copy_back(name: str) -> None:
    st.session_state[name] = st.session_state["_" + name]


def bind(name: str) -> dict:
    """Widget kwargs that keep a value in the permanent key ``name`` across page switches.

    Widgets belong to one page in a file-based multipage app, so each widget
    gets the page-local key ``"_" + name``, refilled from ``name`` before it
    renders and copied back on change::

        st.number_input("Epochs", **ui.bind("launch_epochs"))
    """
    st.session_state["_" + name] = st.session_state[name]
    return {"key": "_" + name, "on_change": _copy_back, "args": (name,)}


def _text_setting(label: str, name: str, **kwargs) -> None:
    st.text_input(label, **bind(name), **kwargs)


def _key_setting(label: str, name: str, owner_has_key: bool) -> None:
    """A password box until a key is entered; then a status line and a Forget button.

    The key is never sent back into a widget, so it cannot be read off the page.
    """
    if st.session_state[name]:
        cols = st.columns([3, 2])
        cols[0].caption(":material/key: Key set for this session")
        cols[1].button("Forget key", key="_forget_" + name, on_click=_forget, args=(name,))
        return
    if owner_has_key:
        st.caption("Using the key configured by the app owner. Paste your own to use it instead.")
    st.text_input(label, key="_" + name, type="password", on_change=_copy_back, args=(name,),
                  placeholder="sk-...", help="Kept in this browser session only; never stored or logged.")


def _forget(name: str) -> None:
    st.session_state[name] = ""
    st.session_state.conn_check = None


def _on_backend_change() -> None:
    st.session_state.backend = st.session_state._backend
    st.session_state.conn_check = None


def _test_connection(conn: Connection) -> None:
    result = check_connection(conn)
    st.session_state.conn_check = (conn.fingerprint(), result.ok, result.message)


# ---------------------------------------------------------------- the frame
def deadline_text(today=None, calendar: str | None = None) -> str:
    """One line about the shutdown on the connected backend's calendar, from the dated catalog."""
    return catalog.deadline_summary(calendar or calendar_of(current_connection()), today or catalog.today())


def calendar_of(conn: Connection) -> str:
    """The calendar (dates, price model) of this session's backend; the demo's is the user's choice."""
    return catalog.calendar_for(conn.backend, demo_calendar=st.session_state.get("demo_calendar") or "openai")


def sidebar() -> Connection:
    """Draw the shared sidebar and return the session's connection."""
    owner = _seed_state()
    conn = current_connection()
    with st.sidebar:
        st.subheader("Connection")
        st.session_state._backend = st.session_state.backend
        st.selectbox("Backend", list(BACKENDS), format_func=BACKENDS.get, key="_backend",
                     on_change=_on_backend_change)
        backend = st.session_state.backend
        if backend == "demo":
            st.caption("A local simulator of the OpenAI fine-tuning API: every page works, "
                       "nothing is sent to OpenAI and nothing costs money.")
            st.radio("The demo acts as", list(catalog.CALENDARS), format_func=catalog.CALENDAR_LABELS.get,
                     horizontal=True, help="Azure OpenAI has its own dates, ids and prices.", **bind("demo_calendar"))
        elif backend == "openai":
            _key_setting("OpenAI API key", "openai_api_key", bool(owner["openai_api_key"]))
            with st.expander("Base URL, organization, project"):
                _text_setting("Base URL", "openai_base_url", placeholder="https://api.openai.com/v1")
                _text_setting("Organization ID", "openai_organization")
                _text_setting("Project ID", "openai_project")
        elif backend == "azure":
            _text_setting("Endpoint", "azure_endpoint", placeholder="https://YOUR-RESOURCE.openai.azure.com")
            _text_setting("API version", "azure_api_version",
                          help="An api-version such as 2025-04-01-preview, or v1 for Azure's v1 API (no api-version).")
            _key_setting("Azure API key", "azure_api_key", bool(owner["azure_api_key"]))
        else:
            _text_setting("Base URL", "custom_base_url", placeholder="http://localhost:8765/v1")
            _key_setting("API key", "custom_api_key", False)
        conn = current_connection()
        st.button("Test connection", key="_test_connection", on_click=_test_connection, args=(conn,),
                  width="stretch")
        check = st.session_state.conn_check
        if check and check[0] == conn.fingerprint():
            (st.success if check[1] else st.error)(md_escape(check[2]))
        st.divider()
        st.caption(":material/hourglass_bottom: " + deadline_text(calendar=calendar_of(conn)))
    return conn


def page_setup(title: str, icon: str) -> Connection:
    """Page config + shared sidebar; returns the session's connection."""
    st.set_page_config(page_title=f"{title} · Tuning Desk", page_icon=icon, layout="wide")
    return sidebar()


# ---------------------------------------------------------------- handoff helpers
def get_dataset_summary() -> DatasetSummary | None:
    return st.session_state.get(DATASET_SUMMARY)


def set_dataset_summary(summary: DatasetSummary | None) -> None:
    st.session_state[DATASET_SUMMARY] = summary


def get_launch_files() -> tuple[LaunchFile | None, LaunchFile | None]:
    return st.session_state.get(LAUNCH_TRAINING), st.session_state.get(LAUNCH_VALIDATION)


def set_launch_files(training: LaunchFile | None, validation: LaunchFile | None) -> None:
    st.session_state[LAUNCH_TRAINING] = training
    st.session_state[LAUNCH_VALIDATION] = validation


def get_launch_prefill() -> dict | None:
    return st.session_state.get(LAUNCH_PREFILL)


def set_launch_prefill(prefill: dict | None) -> None:
    st.session_state[LAUNCH_PREFILL] = prefill


def get_measured_usage() -> MeasuredUsage | None:
    return st.session_state.get(MEASURED_USAGE)


def set_measured_usage(measured: MeasuredUsage | None) -> None:
    st.session_state[MEASURED_USAGE] = measured


def get_evaluate_request() -> EvaluateRequest | None:
    return st.session_state.get(EVALUATE_REQUEST)


def set_evaluate_request(request: EvaluateRequest | None) -> None:
    st.session_state[EVALUATE_REQUEST] = request


def remember_job(job_id: str, status: str) -> None:
    """Record a job this session launched or watched, with its last known status."""
    st.session_state.setdefault(SESSION_JOBS, {})[job_id] = status


def session_jobs() -> dict[str, str]:
    return st.session_state.get(SESSION_JOBS) or {}


def client(conn: Connection, **kwargs):
    """An SDK client for this session (built per call; never shared across sessions)."""
    from lib.connection import make_client

    return make_client(conn, **kwargs)


def show_error(exc: BaseException, *, action: str = "") -> None:
    """Show one clear sentence for ``exc`` (never a traceback, never a key)."""
    st.error(md_escape(explain(exc, action=action)), icon=":material/error:")
