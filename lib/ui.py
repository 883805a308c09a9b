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
from typing import Any, Callable

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from lib import catalog, confirm, memo
from lib.connection import (
    BACKENDS,
    DEFAULT_AZURE_API_VERSION,
    Connection,
    OwnerConfig,
    Policy,
    VisitorSettings,
    check_connection,
    new_demo_key,
    owner_key_available,
    parse_policy,
    resolve,
)
from lib.dataset_view import upload_too_large
from lib.display import human_size, md_code, md_escape
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

_TEXT_SETTINGS = (
    "openai_base_url",
    "openai_organization",
    "openai_project",
    "azure_endpoint",
    "azure_api_version",
    "custom_base_url",
)
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
        return None if node is None or node == "" else str(node)  # `false` in TOML is a setting too
    except Exception:  # a malformed secrets.toml must not take the app down
        return None


def _owner_setting(name: str, section: str, key: str) -> str | None:
    return _secret(name) or _secret(section, key) or os.environ.get(name)


def owner_config() -> OwnerConfig:
    """Settings the app owner configured (secrets first, then environment), as the SDK reads them."""
    return OwnerConfig(
        openai_api_key=_owner_setting("OPENAI_API_KEY", "openai", "api_key"),
        openai_base_url=_owner_setting("OPENAI_BASE_URL", "openai", "base_url"),
        openai_organization=_owner_setting("OPENAI_ORG_ID", "openai", "organization"),
        openai_project=_owner_setting("OPENAI_PROJECT_ID", "openai", "project"),
        azure_endpoint=_owner_setting("AZURE_OPENAI_ENDPOINT", "azure", "endpoint"),
        azure_api_key=_owner_setting("AZURE_OPENAI_API_KEY", "azure", "api_key"),
        azure_api_version=_owner_setting("OPENAI_API_VERSION", "azure", "api_version"),
    )


def _own_ports() -> frozenset[int]:
    """This app's ports: Streamlit's and the in-process demo simulator's (never called for a visitor)."""
    ports = set()
    try:
        ports.add(int(st.get_option("server.port")))
    except Exception:  # no config (bare mode)
        pass
    from lib.simulator.server import running_demo_port

    demo = running_demo_port()
    if demo:
        ports.add(demo)
    return frozenset(ports)


def policy() -> Policy:
    """The owner's policy for visitors (``TUNING_DESK_*`` in secrets, ``[tuning_desk]`` or environment)."""

    def get(name: str) -> str | None:
        return (
            _secret(name) or _secret("tuning_desk", name.removeprefix("TUNING_DESK_").lower()) or os.environ.get(name)
        )

    parsed = parse_policy(get)
    return Policy(**{**parsed.__dict__, "own_ports": _own_ports()})


_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host", "cf-connecting-ip")


def _loopback_host(host: str | None) -> bool:
    """Whether a ``Host`` header names this machine (``localhost:8501``, ``127.0.0.1:8501``, ``[::1]:8501``)."""
    if not host:
        return False
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
    name = name.strip("[]").lower()
    return name == "localhost" or name == "::1" or name.startswith("127.")


def visitor_is_local() -> bool:
    """Whether this session's browser runs on the server's own machine.

    Streamlit reports no address (``st.context.ip_address`` is None) for a browser on loopback. A
    proxy in front of the app is recognised by its forwarding headers or by the public host name
    the browser asked for: then the real visitor is elsewhere. Tests replace this function to play
    a visitor from another machine.
    """
    try:
        address = st.context.ip_address
        headers = st.context.headers
    except Exception:  # no browser behind this session (bare mode)
        return True
    if address is not None and not isinstance(address, str):
        return True  # AppTest: a stand-in client, no real browser; only a developer runs it
    if address is not None or any(headers.get(name) for name in _FORWARDING_HEADERS):
        return False
    return _loopback_host(headers.get("host"))


def _cookie(name: str) -> str | None:
    try:
        return st.context.cookies.get(name)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None


# ---------------------------------------------------------------- session state
def _seed_state() -> tuple[OwnerConfig, Policy]:
    owner, rules = owner_config(), policy()
    ss = st.session_state
    if "backend" not in ss:
        local = VisitorSettings(is_local=visitor_is_local())
        offered = rules.offered_backends()
        if owner_key_available(owner, local, rules, "openai") and "openai" in offered:
            ss.backend = "openai"
        elif owner_key_available(owner, local, rules, "azure") and "azure" in offered:
            ss.backend = "azure"
        else:
            ss.backend = offered[0]
    if "demo_api_key" not in ss:
        ss.demo_api_key = new_demo_key(_cookie("_streamlit_xsrf"))
    # The owner's addresses are never pre-filled: visitors do not see them, and a visitor's own
    # key goes only to an address the visitor typed.
    for name in _TEXT_SETTINGS:
        ss.setdefault(name, "")
    if not ss.azure_api_version:
        ss.azure_api_version = DEFAULT_AZURE_API_VERSION
    for name in _SECRET_SETTINGS:
        ss.setdefault(name, "")
    ss.setdefault("demo_calendar", "openai")
    for key, default in (
        (DATASET_SUMMARY, None),
        (LAUNCH_TRAINING, None),
        (LAUNCH_VALIDATION, None),
        (LAUNCH_PREFILL, None),
        (SESSION_JOBS, {}),
        ("conn_check", None),
        (MEASURED_USAGE, None),
        (EVALUATE_REQUEST, None),
    ):
        ss.setdefault(key, default)
    return owner, rules


def _visitor_settings() -> VisitorSettings:
    ss = st.session_state
    return VisitorSettings(
        backend=ss.backend,
        demo_api_key=ss.demo_api_key,
        openai_api_key=ss.openai_api_key,
        openai_base_url=ss.openai_base_url,
        openai_organization=ss.openai_organization,
        openai_project=ss.openai_project,
        azure_api_key=ss.azure_api_key,
        azure_endpoint=ss.azure_endpoint,
        azure_api_version=ss.azure_api_version,
        custom_api_key=ss.custom_api_key,
        custom_base_url=ss.custom_base_url,
        is_local=visitor_is_local(),
        demo_calendar=ss.demo_calendar,
    )


def current_connection() -> Connection:
    """The session's connection (seeding state first, so any page can call it).

    :func:`lib.connection.resolve` decides: the owner's key only ever goes to the owner's addresses.
    """
    owner, rules = _seed_state()
    return resolve(owner, _visitor_settings(), rules)


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
        st.caption(
            "Using the key configured by the app owner, with the owner's settings. Paste your own key "
            "to use your account and choose the address."
        )
    st.text_input(
        label,
        key="_" + name,
        type="password",
        on_change=_copy_back,
        args=(name,),
        placeholder="sk-...",
        help="Kept in this browser session only; never stored or logged.",
    )


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


# The sidebar's menu, in file order. Streamlit's own list labels the home page "dashboard" (from
# the file name the layout fixes), so config.toml hides it (client.showSidebarNavigation) and the
# frame draws these links instead. Paths and URLs stay file-based: /Costs still opens Costs.
PAGES = (
    ("dashboard.py", "Home", ":material/tune:"),
    ("pages/1_Dataset.py", "Dataset", ":material/dataset:"),
    ("pages/2_Costs.py", "Costs", ":material/payments:"),
    ("pages/3_Launch.py", "Launch", ":material/rocket_launch:"),
    ("pages/4_Jobs.py", "Jobs", ":material/monitoring:"),
    ("pages/5_Evaluate.py", "Evaluate", ":material/balance:"),
)


def navigation() -> None:
    """The labelled page links at the top of the sidebar (Streamlit marks the current page bold)."""
    with st.sidebar:
        for path, label, icon in PAGES:
            try:
                st.page_link(path, label=label, icon=icon)
            except StreamlitPageNotFoundError:  # run alone, not as this app's page (a script in a test)
                return
        st.divider()


def _backend_settings(backend: str, owner_key: bool, owners_settings: bool, custom_urls: bool) -> None:
    """The settings of the chosen backend: the key, and the addresses a visitor may choose."""
    if backend == "demo":
        st.caption(
            "A local simulator of the OpenAI fine-tuning API: every page works, "
            "nothing is sent to OpenAI and nothing costs money."
        )
        st.radio(
            "The demo acts as",
            list(catalog.CALENDARS),
            format_func=catalog.CALENDAR_LABELS.get,
            horizontal=True,
            help="Azure OpenAI has its own dates, ids and prices.",
            **bind("demo_calendar"),
        )
    elif backend == "openai":
        _key_setting("OpenAI API key", "openai_api_key", owner_key)
        if owners_settings:  # the owner's addresses apply: not shown, not changeable
            return
        with st.expander("Base URL, organization, project" if custom_urls else "Organization, project"):
            if custom_urls:
                _text_setting("Base URL", "openai_base_url", placeholder="https://api.openai.com/v1")
            _text_setting("Organization ID", "openai_organization")
            _text_setting("Project ID", "openai_project")
    elif backend == "azure":
        _key_setting("Azure API key", "azure_api_key", owner_key)
        if not owners_settings:
            _text_setting("Endpoint", "azure_endpoint", placeholder="https://YOUR-RESOURCE.openai.azure.com")
            _text_setting(
                "API version",
                "azure_api_version",
                help="An api-version such as 2025-04-01-preview, or v1 for Azure's v1 API (no api-version).",
            )
    else:
        _text_setting("Base URL", "custom_base_url", placeholder="http://localhost:8765/v1")
        _key_setting("API key", "custom_api_key", False)


def sidebar() -> Connection:
    """Draw the shared sidebar (page links, connection settings) and return the session's connection."""
    owner, rules = _seed_state()
    visitor = _visitor_settings()
    navigation()
    ss = st.session_state
    with st.sidebar:
        st.subheader("Connection")
        choices = list(rules.offered_backends())
        if ss.backend not in choices:
            ss.backend = choices[0]
        ss._backend = ss.backend
        st.selectbox("Backend", choices, format_func=BACKENDS.get, key="_backend", on_change=_on_backend_change)
        owner_key = owner_key_available(owner, visitor, rules, ss.backend)
        # While the owner's key is in use, the owner's addresses apply: not shown, not changeable.
        owners_settings = owner_key and not ss.get(f"{ss.backend}_api_key")
        _backend_settings(ss.backend, owner_key, owners_settings, rules.custom_urls)
        conn = current_connection()
        st.button("Test connection", key="_test_connection", on_click=_test_connection, args=(conn,), width="stretch")
        check = ss.conn_check
        if check and check[0] == conn.fingerprint():
            (st.success if check[1] else st.error)(md_escape(check[2]))
        st.divider()
        st.caption(":material/hourglass_bottom: " + deadline_text(calendar=calendar_of(conn)))
    return conn


def page_setup(title: str, icon: str) -> Connection:
    """Page config + shared sidebar; returns the session's connection."""
    st.set_page_config(page_title=f"{title} · Tuning Desk", page_icon=icon, layout="wide")
    return sidebar()


def session_memo(name: str, entries: int = 4) -> memo.SessionMemo:
    """A memo of at most ``entries`` values kept in this session's state under ``name``
    (:class:`lib.memo.SessionMemo`: it goes with the session and is emptied when it idles)."""
    if name not in st.session_state:
        st.session_state[name] = memo.SessionMemo(entries=entries)
    return st.session_state[name]


# ---------------------------------------------------------------- choosing a file
def heading_with_refresh(title: str, *, key: str, on_refresh: Callable[[], None], help: str) -> None:
    """A section heading with a Refresh button at its right (read what the account holds again)."""
    head, refresh = st.columns([5, 1], vertical_alignment="center")
    head.subheader(title, anchor=False)
    refresh.button("Refresh", icon=":material/refresh:", on_click=on_refresh, key=key, help=help, width="stretch")


def handed_file(file: LaunchFile, note: str) -> None:
    """A file handed over by another page: its name and size, and where it came from."""
    st.markdown(f":material/dataset: {md_code(file.name)} · {human_size(file.size)}")
    st.caption(note)


def upload_box(label: str, name: str, *, widget_key: str, collapsed: bool = False, **kwargs) -> LaunchFile | None:
    """A JSONL uploader whose file is kept as a :class:`LaunchFile` in the permanent key ``name`` (a page
    switch empties the widget ``widget_key``, not the file); one over the app's upload limit is refused."""
    ss = st.session_state
    refused_key = name + "_refused"

    def store() -> None:
        uploaded = ss[widget_key]
        refused = upload_too_large(uploaded.size, st.get_option("server.maxUploadSize")) if uploaded else None
        ss[refused_key] = f"{uploaded.name}: {refused}" if refused else None
        ss[name] = LaunchFile.of(uploaded.name, uploaded.getvalue()) if uploaded and not refused else None

    st.file_uploader(
        label,
        type=["jsonl"],
        key=widget_key,
        on_change=store,
        label_visibility="collapsed" if collapsed else "visible",
        **kwargs,
    )
    if ss.get(refused_key):
        st.error(md_escape(ss[refused_key]), icon=":material/block:")
    stored = ss.get(name)
    if stored is not None and ss.get(widget_key) is None:  # after a page switch the box is empty, the file is not
        st.caption(
            f":material/upload_file: {md_code(stored.name)} · {human_size(stored.size)} (uploaded earlier; "
            "choose another file to replace it)"
        )
    return stored


def account_file_box(
    name: str, files: list, error: str | None, *, read: Callable[[Any], LaunchFile | str], collapsed: bool = False
) -> tuple[Any, LaunchFile | str | None]:
    """A choice among the account's fine-tune ``files`` (``error``: why none are listed) kept in ``name``
    (one that is gone is said once and dropped). Returns the chosen file and ``read(file)``: its content,
    or why it cannot be read back; ``(None, None)`` until a file is chosen."""
    ss = st.session_state
    if error:
        st.error(md_escape(error), icon=":material/error:")
    by_id = {f.id: f for f in files}
    if ss[name] not in by_id:
        missing, ss[name] = ss[name], None
        if missing and not error:
            st.warning(
                f"{md_escape(missing)} is no longer on the account; choose another file.", icon=":material/warning:"
            )
    st.selectbox(
        "File on the account",
        list(by_id),
        format_func=lambda i: by_id[i].label(),
        index=None,
        placeholder="Choose a fine-tune file" if files else "No fine-tune files on this account yet",
        label_visibility="collapsed" if collapsed else "visible",
        **bind(name),
    )
    chosen = by_id.get(ss[name])
    return (chosen, read(chosen)) if chosen is not None else (None, None)


# ---------------------------------------------------------------- confirming a spend
def confirm_spend(
    title: str,
    name: str,
    *,
    show: Callable[[Any], None],
    act: Callable[[Any], None],
    confirm_label: str,
    busy_label: str,
    icon: str,
) -> None:
    """The confirmation of what costs money: the pending request in ``st.session_state[name]`` (with a
    ``state``, :mod:`lib.confirm`) shown by ``show(pending)`` in a dialog with Confirm and Cancel (keys
    ``<prefix>_confirm`` / ``_cancel``). Confirm moves it on once, so a double click does nothing more;
    ``act(pending)`` then runs once and the request is cleared before any further Streamlit call (an
    interrupted run cannot repeat it); the page reruns to show the outcome. Closing the dialog cancels.
    """
    ss = st.session_state
    prefix = name.removesuffix("_pending")

    def on_confirm() -> None:
        confirm.confirm(ss.get(name))

    def on_cancel() -> None:
        if confirm.cancel(ss.get(name)):
            ss[name] = None

    def dialog() -> None:
        pending = ss.get(name)
        if pending is None:
            st.rerun()  # done, refused or cancelled: close and show the outcome on the page
        show(pending)
        busy = confirm.confirmed(pending)
        left, right = st.columns(2)
        left.button(
            busy_label if busy else confirm_label,
            type="primary",
            icon=icon,
            disabled=busy,
            on_click=on_confirm,
            key=f"{prefix}_confirm",
            width="stretch",
        )
        right.button("Cancel", disabled=busy, on_click=on_cancel, key=f"{prefix}_cancel", width="stretch")
        if busy:
            with st.spinner(busy_label):
                try:
                    act(pending)
                finally:
                    if ss.get(name) is pending:
                        ss[name] = None
            st.rerun()

    if ss.get(name) is not None:
        st.dialog(title, width="large", on_dismiss=on_cancel)(dialog)()


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
