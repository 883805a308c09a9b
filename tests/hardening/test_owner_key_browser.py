"""The owner's key in the real server and browser: what a local and a remote visitor see and reach.

Two servers, each with the owner's OpenAI key in its secrets file (pointing at the simulator) and
an Azure key in its environment. On the first (the default policy, shared by the module's tests), a
browser on the same machine may use the owner's key: the sidebar shows no address field while the
owner's key is in use, and *Test connection* reaches the owner's endpoint; a browser behind a proxy
is not local and is not offered the key. The second treats
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
    AZURE,
    CUSTOM,
    assert_no_exception,
    choose_backend,
    connect_custom,
    go_to,
    open_page,
    shot,
    streamlit_server,
    wait_for_app_run,
)
from tests.hardening import figures
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
    """A server with the owner's OpenAI key in its secrets file and an Azure key in its environment."""
    secrets_toml = f'OPENAI_API_KEY = "{OWNER_KEY}"\nOPENAI_BASE_URL = "{simulator.base_url}"\n'
    env = {
        "AZURE_OPENAI_API_KEY": AZURE_KEY,
        "AZURE_OPENAI_ENDPOINT": simulator.root_url,
        "TUNING_DESK_SIMULATOR_URL": simulator.base_url,
        **policy,
    }
    return streamlit_server(tmp_path, env, secrets_toml=secrets_toml)


@pytest.fixture(scope="module")
def default_policy_url(simulator, tmp_path_factory):
    """The owner's server under the default policy, for every test of the module that needs no other."""
    with owner_server(simulator, tmp_path_factory.mktemp("owner")) as server:
        yield server.url


def test_a_local_browser_uses_the_owners_account_without_seeing_or_changing_its_address(
    page, simulator, listener, default_policy_url
):
    url = default_policy_url
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
        choose_backend(page, AZURE)
        expect(sidebar.get_by_text("Using the key configured by the app owner")).to_be_visible()
        assert sidebar.get_by_role("textbox", name="Endpoint").count() == 0
        sidebar.get_by_role("button", name="Test connection").click()
        expect(sidebar.get_by_text("Reached Azure OpenAI (the app owner's account)")).to_be_visible()
        choose_backend(page, CUSTOM)  # the owner's key never goes to a custom URL
        box = sidebar.get_by_role("textbox", name="Base URL")
        box.fill(listener.url)
        box.press("Enter")
        wait_for_app_run(page)
        sidebar.get_by_role("button", name="Test connection").click()
        expect(sidebar.get_by_text("Enter an API key")).to_be_visible()
        used = sum(1 for r in simulator.request_log if r["key_id"] in (key_id(OWNER_KEY), key_id(AZURE_KEY))) - before
        stolen = len(listener.carrying(OWNER_KEY)) + len(listener.carrying(AZURE_KEY))
        case.figures.update(calls=used + stolen, left=stolen)
        assert stolen == 0 and used > 0 and listener.requests == []


def test_a_remote_browser_brings_its_own_key_and_reaches_no_private_address(page, simulator, listener, tmp_path):
    with (
        owner_server(simulator, tmp_path, TUNING_DESK_LOCAL_VISITORS="false") as server,
        figures.case("outbound", "browser, remote visitor, own key, loopback listener") as case,
    ):
        open_page(page, server.url)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("A local simulator of the OpenAI fine-tuning API")).to_be_visible()  # demo
        choose_backend(page, "OpenAI")
        expect(sidebar.get_by_role("textbox", name="OpenAI API key")).to_be_visible()
        assert sidebar.get_by_text("Using the key configured by the app owner").count() == 0
        connect_custom(page, server.url, listener.url, VISITOR_KEY)
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


def test_a_browser_behind_a_proxy_is_remote(browser, listener, default_policy_url):
    """Default policy; the browser's requests carry a proxy's X-Forwarded-For: not local any more."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers={"X-Forwarded-For": "203.0.113.9"}
    )
    context.set_default_timeout(30_000)
    try:
        with figures.case("owner key", "browser behind a proxy (X-Forwarded-For)") as case:
            page = context.new_page()
            open_page(page, default_policy_url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("A local simulator of the OpenAI fine-tuning API")).to_be_visible()
            choose_backend(page, "OpenAI")
            expect(sidebar.get_by_role("textbox", name="OpenAI API key")).to_be_visible()
            assert sidebar.get_by_text("Using the key configured by the app owner").count() == 0
            case.figures.update(calls=0, left=len(listener.carrying(OWNER_KEY)))
    finally:
        context.close()
