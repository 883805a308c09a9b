"""Every page in a real browser: served, no exception box, shared sidebar, deep links, demo test."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.browser import assert_no_exception, open_page, shot, wait_for_app_run

PAGES = [("", "home", "Tuning Desk"), ("Dataset", "dataset", "Dataset"), ("Costs", "costs-page", "Costs"),
         ("Launch", "launch-page", "Launch"), ("Jobs", "jobs-page", "Jobs")]


@pytest.mark.parametrize("path, name, heading", PAGES)
def test_page_opens_by_deep_link_with_the_shared_sidebar(page, app_url, path, name, heading):
    open_page(page, app_url, path)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Connection").first).to_be_visible()
    expect(sidebar.get_by_role("button", name="Test connection")).to_be_visible()
    # title comes from the page's own set_page_config, proof the page drew its own frame
    assert "Tuning Desk" in page.title()
    shot(page, f"smoke-{name}", readme=(name == "home"))


def test_sidebar_navigation_lists_the_four_workflows(page, app_url):
    open_page(page, app_url)
    nav = page.get_by_test_id("stSidebarNav")
    for label in ("Dataset", "Costs", "Launch", "Jobs"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    nav.get_by_role("link", name="Costs").click()
    wait_for_app_run(page)
    assert urllib.parse.urlparse(page.url).path == "/Costs"
    assert_no_exception(page)


def test_demo_mode_lists_models_with_no_configuration(page, app_url):
    open_page(page, app_url)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Test connection").click()
    wait_for_app_run(page)
    alert = page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentSuccess")
    alert.wait_for()
    text = alert.inner_text()
    assert "Reached Demo" in text and "gpt-4o-mini-2024-07-18" in text


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """The app exactly as README command 1 starts it: no key, no simulator URL, its own demo simulator."""
    import subprocess

    from tests.browser import start_streamlit

    proc, url, log_path = start_streamlit(tmp_path_factory.mktemp("plain"), {})
    yield url, log_path
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_fresh_start_runs_its_own_demo_simulator(page, plain_app):
    url, log_path = plain_app
    open_page(page, url)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Test connection").click()
    wait_for_app_run(page)
    alert = page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentSuccess")
    expect(alert).to_contain_text("gpt-4o-mini-2024-07-18")
    assert "Traceback" not in log_path.read_text(errors="replace")


def _demo_key_id(page, simulator) -> str:
    simulator.clear_log()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Test connection").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentSuccess")).to_be_visible()
    return {e["key_id"] for e in simulator.request_log if e["path"].endswith("/models")}.pop()


def test_demo_space_survives_a_reload_but_not_another_browser(page, browser, app_url, simulator):
    open_page(page, app_url)
    before = _demo_key_id(page, simulator)
    page.reload()
    open_page(page, app_url)
    assert _demo_key_id(page, simulator) == before  # a reload finds the same demo jobs
    other = browser.new_context().new_page()
    try:
        open_page(other, app_url)
        assert _demo_key_id(other, simulator) != before  # another visitor gets another space
    finally:
        other.context.close()
