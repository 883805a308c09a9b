"""Secrets: after a full run with known fake keys, no key is anywhere it could leak from.

A dedicated Streamlit server gets three keys: the owner's OpenAI key in its
secrets file, an Azure key in its environment, and a key a visitor pastes into
the sidebar. Three browser sessions then use every page with them (a dataset
checked and handed over, a job launched through the confirmation dialog, jobs
listed, connections tested, and errors whose server message echoes the key,
full and masked). Afterwards these are searched for each key (and for the
middle of its random part, which a masked key would not show but a partial
leak would):

- the server's log;
- the HTML of every page each session saw (``page.content()``);
- the simulator's request log;
- every file the run created or changed: in the repository, in the server's
  own temporary and home directories.

Exceptions shown to users carry no key or stack trace: the repository's
``client.showErrorDetails`` hides them, shown on a script that raises one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tomllib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import (
    assert_no_exception,
    choose_file,
    connect_custom,
    go_to,
    open_page,
    streamlit_server,
    wait_for_app_run,
)
from tests.conftest import ROOT
from tests.hardening import figures

pytestmark = pytest.mark.e2e

OWNER_KEY = "sk-owner-secretsfile-" + secrets.token_hex(12)
AZURE_KEY = "azure-env-" + secrets.token_hex(16)
PASTED_KEY = "sk-pasted-sidebar-" + secrets.token_hex(12)
KEYS = {"owner key (secrets file)": OWNER_KEY, "Azure key (environment)": AZURE_KEY, "pasted key (sidebar)": PASTED_KEY}


def needles() -> dict[str, str]:
    """What must appear nowhere: each key, and the middle of its random part (a partial leak)."""
    found = {}
    for name, key in KEYS.items():
        random_part = key.rsplit("-", 1)[-1]
        found[name] = key
        found[name + ", middle part"] = random_part[6:-6]
    return found


def snapshot(root: Path) -> dict[Path, tuple[float, int]]:
    """(mtime, size) of every file under ``root`` (outside .git)."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            files[path] = (stat.st_mtime, stat.st_size)
    return files


class Scan:
    """Counts places searched, bytes read, and every needle found."""

    def __init__(self):
        self.places = 0
        self.bytes = 0
        self.leaks: list[str] = []
        self.needles = {name: value.encode() for name, value in needles().items()}

    def text(self, where: str, data: str | bytes) -> None:
        data = data.encode(errors="replace") if isinstance(data, str) else data
        self.places += 1
        self.bytes += len(data)
        for name, needle in self.needles.items():
            if needle in data:
                self.leaks.append(f"{name} in {where}")

    def file(self, path: Path, label: str) -> None:
        try:
            self.text(label, path.read_bytes())
        except OSError:
            pass


@pytest.fixture
def keyed_server(simulator, tmp_path):
    """A server with the owner's key in its secrets file and an Azure key in its environment."""
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    secrets_toml = f'OPENAI_API_KEY = "{OWNER_KEY}"\nOPENAI_BASE_URL = "{simulator.base_url}"\n'
    env = {
        "AZURE_OPENAI_API_KEY": AZURE_KEY,
        "AZURE_OPENAI_ENDPOINT": simulator.root_url,
        "HOME": str(home),
        "TMPDIR": str(temp),
        "TUNING_DESK_SIMULATOR_URL": simulator.base_url,
    }
    before = snapshot(ROOT)
    with streamlit_server(tmp_path, env, secrets_toml=secrets_toml) as server:
        yield {
            "url": server.url,
            "log": server.log_path,
            "server": server,
            "dirs": (home, temp),
            "before": before,
            "secrets_file": tmp_path / "secrets.toml",
        }


def test_owner_env_and_pasted_keys_leak_nowhere(browser, simulator, keyed_server, tmp_path):
    url = keyed_server["url"]
    pages: dict[str, str] = {}
    scan = Scan()
    with figures.case("leaks", "three keys through every page") as case:
        context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        context.set_default_timeout(30_000)
        try:
            # 1. The owner's key (secrets file): the default backend. Every page, a job launched.
            page = context.new_page()
            open_page(page, url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("Using the key configured by the app owner")).to_be_visible()
            sidebar.get_by_role("button", name="Test connection").click()
            expect(sidebar.get_by_text("Reached OpenAI")).to_be_visible()
            pages["owner: Home"] = page.content()
            go_to(page, "Dataset")
            choose_file(page, ROOT / "samples" / "support_chat.jsonl", label="Training file")
            expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").first).to_contain_text("Ready to train")
            page.get_by_role("button", name="Use for launch").click()
            wait_for_app_run(page)
            pages["owner: Dataset"] = page.content()
            go_to(page, "Costs")
            pages["owner: Costs"] = page.content()
            go_to(page, "Launch")
            expect(page.get_by_text("Handed over by the Dataset page.")).to_be_visible()
            page.get_by_role("button", name="Review the charge and launch").click()
            dialog = page.get_by_role("dialog")
            dialog.wait_for()
            pages["owner: Launch dialog"] = page.content()
            dialog.get_by_role("button", name="Confirm and create the job").click()
            page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
            pages["owner: Launch"] = page.content()
            go_to(page, "Jobs")
            expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
            pages["owner: Jobs"] = page.content()
            assert_no_exception(page)
            page.close()

            # 2. The Azure key from the environment.
            page = context.new_page()
            open_page(page, url)
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name="Azure OpenAI").click()
            wait_for_app_run(page)
            sidebar.get_by_role("button", name="Test connection").click()
            expect(sidebar.get_by_text("Reached Azure OpenAI")).to_be_visible()
            pages["azure: Home"] = page.content()
            go_to(page, "Jobs")
            pages["azure: Jobs"] = page.content()
            assert_no_exception(page)
            page.close()

            # 3. A pasted key, and servers that echo it back in their error messages.
            page = context.new_page()
            connect_custom(page, url, simulator.base_url, PASTED_KEY)
            masked = f"{PASTED_KEY[:8]}****{PASTED_KEY[-4:]}"
            simulator.add_fault(
                401,
                method="GET",
                path="/models",
                message=f"Incorrect API key provided: {masked}. You can find your API key at ...",
            )
            page.get_by_test_id("stSidebar").get_by_role("button", name="Test connection").click()
            expect(page.get_by_text("The API key was rejected (401)")).to_be_visible()
            pages["pasted: Home, 401"] = page.content()
            simulator.add_fault(
                404, method="GET", path="/fine_tuning/jobs", times=2, message=f"No jobs for key {PASTED_KEY} ({masked})"
            )
            go_to(page, "Jobs")
            expect(page.get_by_text("Not found (404)")).to_be_visible()
            pages["pasted: Jobs, 404"] = page.content()
            simulator.clear_faults()
            go_to(page, "Launch")
            pages["pasted: Launch"] = page.content()
            go_to(page, "Dataset")
            pages["pasted: Dataset"] = page.content()
            assert_no_exception(page)
        finally:
            simulator.clear_faults()
            context.close()
            keyed_server["server"].stop()  # flushes and closes the log before it is read

        for label, html in pages.items():
            assert "Traceback" not in html, label
            scan.text(f"page HTML ({label})", html)
        scan.text("server log", keyed_server["log"].read_bytes())
        scan.text("simulator request log", json.dumps(simulator.request_log, default=str))
        after = snapshot(ROOT)
        changed = [p for p, stat in after.items() if keyed_server["before"].get(p) != stat]
        for path in changed:
            scan.file(path, f"repository file {path.relative_to(ROOT)}")
        for directory in keyed_server["dirs"]:
            for path in sorted(p for p in directory.rglob("*") if p.is_file()):
                scan.file(path, f"server's {directory.name} dir: {path.relative_to(directory)}")
        for path in tmp_path.iterdir():  # the server's working files, except the secrets file given to it
            if path.is_file() and path != keyed_server["secrets_file"]:
                scan.file(path, f"test dir: {path.name}")
        case.figures.update(leaks=len(scan.leaks), places=scan.places, mb=scan.bytes / 2**20)
        assert len(pages) >= 10 and scan.places > len(pages) + 2
        assert not scan.leaks, scan.leaks
        control = Scan()  # the search does find a key where there is one: the secrets file given to the server
        control.file(keyed_server["secrets_file"], "secrets file")
        assert control.leaks == [
            "owner key (secrets file) in secrets file",
            "owner key (secrets file), middle part in secrets file",
        ]


def test_error_details_are_hidden_from_users(browser, tmp_path):
    """The repository's config shows users no message and no stack trace of an uncaught exception."""
    with figures.case("leaks", "uncaught exception shown to a user") as case:
        config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
        assert config["client"]["showErrorDetails"] in ("none", "type"), config["client"]

        app_dir = tmp_path / "raiser"
        (app_dir / ".streamlit").mkdir(parents=True)
        shutil.copy(ROOT / ".streamlit" / "config.toml", app_dir / ".streamlit" / "config.toml")
        (app_dir / "dashboard.py").write_text(
            "import streamlit as st\n"
            "st.title('Raiser')\n"
            f"raise RuntimeError('the SDK said: Incorrect API key provided: {PASTED_KEY}')\n"
        )
        with streamlit_server(app_dir, {}, cwd=app_dir) as server:
            context = browser.new_context()
            page = context.new_page()
            open_page(page, server.url)
            expect(page.get_by_test_id("stException")).to_have_count(1)
            shown = page.get_by_test_id("stException").inner_text()
            html = page.content()
            context.close()
        scan = Scan()
        scan.text("the exception box", html)
        case.figures.update(leaks=len(scan.leaks), places=scan.places, mb=scan.bytes / 2**20)
        assert PASTED_KEY not in html and "Traceback" not in html and "dashboard.py" not in shown, shown
        assert "RuntimeError" not in shown or config["client"]["showErrorDetails"] == "type"
