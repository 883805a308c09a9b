"""Browser fixtures and helpers: the real Streamlit server driven by headless Debian Chromium.

Registered for the whole test tree by ``tests/conftest.py`` (``pytest_plugins``),
so the browser tests (tests/e2e) and the hardening suite share ONE Chromium, one
simulator and one app server per run: a second ``sync_playwright()`` in the same
process fails.

One simulator (in this pytest process, so tests can read its request log and
inject faults) and one ``streamlit run dashboard.py`` server per test session.
The app runs in demo mode pointed at that simulator through
``TUNING_DESK_SIMULATOR_URL``. A module that needs a server of its own (another
policy, another secrets file) starts it with :func:`streamlit_server`, once per
module where its tests can share it.

Without Chromium or Playwright a browser test fails, saying what to install: it
never skips, so a run without a browser cannot pass as green
(``python -m pytest -m "not e2e"`` leaves them out on purpose).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as resp:
            return resp.status == 200 and resp.read() == b"ok"
    except Exception:
        return False


@pytest.fixture(scope="session")
def simulator():
    """The simulator the app's demo mode talks to (fast: a job takes seconds)."""
    from lib.simulator import Simulator

    sim = Simulator(speed=40.0)
    sim.start(host="127.0.0.1", port=0)
    yield sim
    sim.stop()


def start_streamlit(
    tmp_dir: Path, env_extra: dict[str, str], *, secrets_toml: str = "# no secrets: demo mode\n", cwd: Path = ROOT
) -> tuple[subprocess.Popen, str, Path]:
    """Start ``streamlit run dashboard.py`` (in ``cwd``) on a free port; returns (process, url, log path).

    ``secrets_toml`` is the server's secrets file (written to ``tmp_dir``).
    """
    port = free_port()
    secrets = tmp_dir / "secrets.toml"
    secrets.write_text(secrets_toml)
    log_path = tmp_dir / f"streamlit-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
    env.update(env_extra)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--secrets.files",
        str(secrets),
    ]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while not _healthy(url):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("streamlit did not start:\n" + log_path.read_text(errors="replace")[-4000:])
        time.sleep(0.25)
    return proc, url, log_path


def stop_streamlit(proc: subprocess.Popen) -> None:
    """Stop a server of :func:`start_streamlit` (killed if it does not stop in 10 s); its log is then complete."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class StreamlitServer:
    """A running ``streamlit run dashboard.py``: its address, its log, and how to stop it early."""

    proc: subprocess.Popen
    url: str
    log_path: Path

    def stop(self) -> None:
        stop_streamlit(self.proc)


@contextmanager
def streamlit_server(
    tmp_dir: Path, env_extra: dict[str, str], *, secrets_toml: str = "# no secrets: demo mode\n", cwd: Path = ROOT
) -> Iterator[StreamlitServer]:
    """:func:`start_streamlit` as a ``with`` block: the server is stopped when the block ends, however it ends."""
    proc, url, log_path = start_streamlit(tmp_dir, env_extra, secrets_toml=secrets_toml, cwd=cwd)
    try:
        yield StreamlitServer(proc, url, log_path)
    finally:
        stop_streamlit(proc)


@pytest.fixture(scope="session")
def app_server(simulator, tmp_path_factory):
    """(url, log path) of a Streamlit server in demo mode against ``simulator``."""
    env = {"TUNING_DESK_SIMULATOR_URL": simulator.base_url}
    with streamlit_server(tmp_path_factory.mktemp("app"), env) as server:
        yield server.url, server.log_path


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server[0]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the whole run. A missing browser fails the test (never skips)."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH", pytrace=False)
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -r requirements-dev.txt", pytrace=False)
    # The same patience as a page's own timeout (see ``page``): Playwright's 5 s for ``expect`` fails
    # tests on a loaded machine while the page is still drawing.
    expect.set_options(timeout=30_000)

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app_run(page, timeout: int = 30_000) -> None:
    """Wait until the app is connected and no script run is in progress."""
    page.wait_for_timeout(250)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout
    )


def open_page(page, app_url: str, path: str = "", query: str = "") -> None:
    """Open a page by URL path (``"Dataset"``, ``""`` for home) and wait for its run."""
    page.goto(f"{app_url}/{path}{('?' + query) if query else ''}")
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached", timeout=60_000)
    wait_for_app_run(page, timeout=60_000)


def go_to(page, label: str) -> None:
    """Follow the sidebar's page link ``label`` ("Home", "Costs"...): the same session (a new URL
    would start a new one). The links are ``lib/ui.py``'s menu, not Streamlit's own list."""
    sidebar_link(page, label).click()
    # The address changes when the new page's run starts: waiting for it first keeps a loaded machine
    # from reading the old page, still "not running" in the moment after the click.
    path = "" if label == "Home" else re.escape(label)
    page.wait_for_url(re.compile(rf"/{path}(\?.*)?$"), timeout=30_000)
    wait_for_app_run(page)


def sidebar_link(page, label: str):
    """The sidebar menu's link to the page labelled ``label``."""
    return (
        page.get_by_test_id("stSidebar")
        .get_by_test_id("stPageLink-NavLink")
        .filter(has=page.get_by_text(label, exact=True))
    )


# --------------------------------------------------------------------------- the sidebar's connection
CUSTOM = "Custom OpenAI-compatible URL"  # the sidebar's backend options, by the label a user reads
AZURE = "Azure OpenAI"


def choose_backend(page, label: str) -> None:
    """Pick ``label`` in the sidebar's connection box (exact: "OpenAI" is also in "Azure OpenAI")."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=label, exact=True).click()
    wait_for_app_run(page)


def use_backend(page, fields: dict[str, str], *, backend: str = CUSTOM) -> None:
    """Point this browser session (on the page it is on) at a backend as a user does: pick ``backend``,
    then type each of ``fields`` (the sidebar's boxes by label, in order: ``{"Base URL": ..., "API key":
    ...}``, ``{"Endpoint": ..., "Azure API key": ...}``) and commit it with Enter. Returns once the
    sidebar says the key is set."""
    choose_backend(page, backend)
    sidebar = page.get_by_test_id("stSidebar")
    for label, value in fields.items():
        box = sidebar.get_by_role("textbox", name=label, exact=True)
        box.fill(value)
        box.press("Enter")
        wait_for_app_run(page)
    sidebar.get_by_text("Key set for this session").wait_for()


def connect(page, app_url: str, fields: dict[str, str], *, backend: str = CUSTOM, path: str = "") -> None:
    """Open ``path`` (``"Jobs"``; ``""`` for home) and :func:`use_backend` there."""
    open_page(page, app_url, path)
    use_backend(page, fields, backend=backend)


def connect_custom(page, app_url: str, base_url: str, key: str, path: str = "") -> None:
    """Open ``path`` and point this browser session at ``base_url`` (custom backend) with ``key``."""
    connect(page, app_url, {"Base URL": base_url, "API key": key}, path=path)


def assert_no_exception(page) -> None:
    boxes = page.get_by_test_id("stException")
    assert boxes.count() == 0, boxes.first.inner_text()


def choose_file(page, path: Path, *, label: str | None = None, nth: int = 0, name: str | None = None) -> None:
    """Upload ``path`` through the file input of the file uploader whose label starts with ``label``
    (else the ``nth`` uploader on the page). Found by label because widgets render lazily: on a
    loaded machine the validation uploader can be on the page before the training one, and "the
    first uploader" was the wrong one. Set directly rather than by clicking the dropzone: the page
    can shift between finding a dropzone and clicking it."""
    uploaders = page.get_by_test_id("stFileUploader")
    if label is not None:
        uploader = uploaders.filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label))
        uploader.wait_for(state="attached")
    else:
        uploader = uploaders.nth(nth)
    uploader.locator("input[type='file']").set_input_files(
        files=[{"name": name or path.name, "mimeType": "application/jsonl", "buffer": path.read_bytes()}]
    )
    wait_for_app_run(page)


def fit_to_content(page, *, width: int = 1400, max_height: int = 8000) -> None:
    """Grow the viewport to the page's content: Streamlit scrolls inside its own container,
    so a "full page" screenshot of the document would show one screen only."""
    height = page.get_by_test_id("stMainBlockContainer").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": width, "height": max(1000, min(int(height) + 120, max_height))})
    wait_for_app_run(page)
    page.wait_for_timeout(600)  # let plotly finish drawing at the new size


def shot(page, name: str, *, readme: bool = False, full_page: bool = True) -> Path:
    """Save a screenshot to tests/artifacts/; README ones also to docs/screenshots/ when
    ``UPDATE_SCREENSHOTS=1`` (so a test run does not dirty the work tree).

    ``full_page`` grows the viewport to the content first (see :func:`fit_to_content`).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page:
        fit_to_content(page)
    page.screenshot(path=str(path))
    if readme and os.environ.get("UPDATE_SCREENSHOTS"):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, README_SHOTS / f"{name}.png")
    return path


# --------------------------------------------------------------------------- the Launch form


def type_into(page, label: str, value: str, *, role: str = "textbox", commit="Enter") -> None:
    """Type and commit a text box (``role="spinbutton"``: a number box); typed again if a rerun still in
    flight redrew it (a loaded machine).

    ``commit`` is the key that commits it (a text area: ``"Control+Enter"``), or a callable given the
    page that commits it another way (a click elsewhere blurs the box).
    """
    box = page.get_by_role(role, name=label, exact=True)
    for _ in range(3):
        wait_for_app_run(page)
        box.fill(value)
        if callable(commit):
            commit(page)
        else:
            box.press(commit)
        wait_for_app_run(page)
        page.wait_for_timeout(300)
        wait_for_app_run(page)
        if box.input_value() == value:
            return
    from playwright.sync_api import expect

    expect(box).to_have_value(value)


def open_confirmation(page, typed: dict[str, str] | None = None, shows: tuple[str, ...] = ()):
    """Open the confirmation dialog.

    With ``shows``, the request in the dialog must contain each piece. On a loaded machine a rerun that
    was already on its way can redraw a box with its old value just after it was typed, so the request
    misses it: then the dialog is cancelled, the ``typed`` boxes are typed again, and it opens again.
    """
    from playwright.sync_api import expect

    for attempt in range(3):
        page.get_by_role("button", name="Review the charge and launch").click()
        wait_for_app_run(page)
        dialog = page.get_by_role("dialog")
        dialog.wait_for()
        if all(piece in dialog.inner_text() for piece in shows) or attempt == 2:
            break
        dialog.get_by_role("button", name="Cancel").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        wait_for_app_run(page)
        for label, value in (typed or {}).items():
            type_into(page, label, value)
    for piece in shows:
        assert piece in dialog.inner_text(), f"{piece!r} is not in the request"
    return dialog


def creates_with(simulator, suffix: str) -> list[dict]:
    """The job-create requests the simulator received with ``suffix``."""
    return [
        e
        for e in simulator.request_log
        if e["method"] == "POST"
        and e["path"].endswith("/fine_tuning/jobs")
        and (e["body"] or {}).get("suffix") == suffix
    ]
