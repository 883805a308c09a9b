"""The owner's key in the real server and browser: what a local and a remote visitor see and reach.

Two servers, each with the owner's OpenAI key in its secrets file (pointing at the simulator) and
an Azure key in its environment. On the first, the browser is on the same machine (the default
policy lets a local browser use the owner's key): the sidebar shows no address field while the
owner's key is in use, and *Test connection* reaches the owner's endpoint. The second treats
loopback browsers as remote (``TUNING_DESK_LOCAL_VISITORS=false``, what an owner behind a reverse
proxy sets), so the browser plays a visitor from elsewhere: the owner's key is not offered, and the
custom backend with the visitor's own key cannot reach a loopback listener. No traffic leaves loopback.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from lib.display import ZERO_WIDTH_SPACE
from lib.simulator.state import key_id
from tests.browser import (
    assert_no_exception,
    open_page,
    shot,
    start_streamlit,
    wait_for_app_run,
)
from tests.hardening import figures
from tests.hardening.browser import connect_custom, go_to
from tests.hardening.listener import Listener

pytestmark = pytest.mark.e2e

OWNER_KEY = "sk-owner-browser-" + secrets.token_hex(12)
AZURE_KEY = "azure-owner-browser-" + secrets.token_hex(12)
VISITOR_KEY = "sk-visitor-browser-" + secrets.token_hex(8)


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def owner_server(simulator, tmp_path, **policy):
    secrets_toml = f'OPENAI_API_KEY = "{OWNER_KEY}"\nOPENAI_BASE_URL = "{simulator.base_url}"\n'
    env = {
        "AZURE_OPENAI_API_KEY": AZURE_KEY,
        "AZURE_OPENAI_ENDPOINT": simulator.root_url,
        "TUNING_DESK_SIMULATOR_URL": simulator.base_url,
        **policy,
    }
    return start_streamlit(tmp_path, env, secrets_toml=secrets_toml)


def choose_backend(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_for_app_run(page)


def test_a_local_browser_uses_the_owners_account_without_seeing_or_changing_its_address(
    page, simulator, listener, tmp_path
):
    proc, url, _ = owner_server(simulator, tmp_path)
    try:
        with figures.case("owner key", "browser, local visitor, secrets file and environment") as case:
            before = sum(1 for r in simulator.request_log if r["key_id"] in (key_id(OWNER_KEY), key_id(AZURE_KEY)))
            open_page(page, url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(
                sidebar.get_by_text("Using the key configured by the app owner, with the owner's settings")
            ).to_be_visible()
            assert sidebar.get_by_role("textbox", name="Base URL").count() == 0
            assert simulator.base_url not in page.content()
            sidebar.get_by_role("button", name="Test connection").click()
            expect(sidebar.get_by_text("Reached OpenAI (the app owner's account)")).to_be_visible()
            shot(page, "security-owner-key-local")
            for label in ("Launch", "Jobs"):
                go_to(page, label)
                assert_no_exception(page)
            choose_backend(page, "Azure OpenAI")
            expect(sidebar.get_by_text("Using the key configured by the app owner")).to_be_visible()
            assert sidebar.get_by_role("textbox", name="Endpoint").count() == 0
            sidebar.get_by_role("button", name="Test connection").click()
            expect(sidebar.get_by_text("Reached Azure OpenAI (the app owner's account)")).to_be_visible()
            choose_backend(page, "Custom OpenAI-compatible URL")  # the owner's key never goes to a custom URL
            box = sidebar.get_by_role("textbox", name="Base URL")
            box.fill(listener.url)
            box.press("Enter")
            wait_for_app_run(page)
            sidebar.get_by_role("button", name="Test connection").click()
            expect(sidebar.get_by_text("Enter an API key")).to_be_visible()
            used = (
                sum(1 for r in simulator.request_log if r["key_id"] in (key_id(OWNER_KEY), key_id(AZURE_KEY))) - before
            )
            stolen = len(listener.carrying(OWNER_KEY)) + len(listener.carrying(AZURE_KEY))
            case.figures.update(calls=used + stolen, left=stolen)
            assert stolen == 0 and used > 0 and listener.requests == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_remote_browser_brings_its_own_key_and_reaches_no_private_address(page, simulator, listener, tmp_path):
    proc, url, _ = owner_server(simulator, tmp_path, TUNING_DESK_LOCAL_VISITORS="false")
    try:
        with figures.case("outbound", "browser, remote visitor, own key, loopback listener") as case:
            open_page(page, url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("A local simulator of the OpenAI fine-tuning API")).to_be_visible()  # demo
            choose_backend(page, "OpenAI")
            expect(sidebar.get_by_role("textbox", name="OpenAI API key")).to_be_visible()
            assert sidebar.get_by_text("Using the key configured by the app owner").count() == 0
            connect_custom(page, url, listener.url, VISITOR_KEY)
            sidebar.get_by_role("button", name="Test connection").click()
            alert = sidebar.get_by_test_id("stAlert")
            expect(alert).to_contain_text("does not call loopback network addresses")
            shot(page, "security-remote-private-refused")
            for label in ("Launch", "Jobs"):
                go_to(page, label)
                assert_no_exception(page)
            text = page.get_by_test_id("stMain").inner_text().replace(ZERO_WIDTH_SPACE, "")
            assert "does not call loopback" in text
            case.figures.update(private=1, reached=len(listener.requests))
            assert listener.requests == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_browser_behind_a_proxy_is_remote(browser, simulator, listener, tmp_path):
    """Default policy; the browser's requests carry a proxy's X-Forwarded-For: not local any more."""
    proc, url, _ = owner_server(simulator, tmp_path)
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers={"X-Forwarded-For": "203.0.113.9"}
    )
    context.set_default_timeout(30_000)
    try:
        with figures.case("owner key", "browser behind a proxy (X-Forwarded-For)") as case:
            page = context.new_page()
            open_page(page, url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("A local simulator of the OpenAI fine-tuning API")).to_be_visible()
            choose_backend(page, "OpenAI")
            expect(sidebar.get_by_role("textbox", name="OpenAI API key")).to_be_visible()
            assert sidebar.get_by_text("Using the key configured by the app owner").count() == 0
            case.figures.update(calls=0, left=len(listener.carrying(OWNER_KEY)))
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
