"""Every page in a real browser: served, no exception box, shared sidebar, deep links, demo test."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.browser import assert_no_exception, go_to, open_page, shot, sidebar_link, streamlit_server, wait_for_app_run

# The sidebar menu, in its order: (label, URL path, the page's heading, screenshot name).
PAGES = [
    ("Home", "", "Tuning Desk", "home"),
    ("Dataset", "Dataset", "Dataset", "dataset"),
    ("Costs", "Costs", "Costs", "costs-page"),
    ("Launch", "Launch", "Launch", "launch-page"),
    ("Jobs", "Jobs", "Jobs", "jobs-page"),
    ("Evaluate", "Evaluate", "Evaluate", "evaluate-page"),
]


@pytest.mark.parametrize("label, path, heading, name", PAGES)
def test_page_opens_by_deep_link_with_the_shared_sidebar(page, app_url, label, path, heading, name):
    open_page(page, app_url, path)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Connection").first).to_be_visible()
    expect(sidebar.get_by_role("button", name="Test connection")).to_be_visible()
    expect(sidebar.get_by_test_id("stPageLink-NavLink")).to_have_count(len(PAGES))  # the whole menu, on any page
    # the title comes from the page's own set_page_config, proof the page drew its own frame
    assert page.title() == f"{label} · Tuning Desk"
    shot(page, f"smoke-{name}", readme=(name == "home"))


def test_sidebar_menu_says_home_and_each_link_opens_its_page(page, app_url):
    open_page(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_test_id("stSidebarNav")).to_have_count(0)  # Streamlit's own list ("dashboard") is off
    links = sidebar.get_by_test_id("stPageLink-NavLink")
    expect(links).to_have_count(len(PAGES))
    assert [t.strip().splitlines()[-1] for t in links.all_inner_texts()] == [label for label, *_ in PAGES]
    expect(sidebar.get_by_text("dashboard", exact=True)).to_have_count(0)
    shot(page, "nav-home")
    for label, path, _, _ in PAGES[1:] + PAGES[:1]:  # every link in turn, and Home last
        go_to(page, label)
        assert urllib.parse.urlparse(page.url).path == f"/{path}"
        assert page.title() == f"{label} · Tuning Desk"
        assert_no_exception(page)
        # the current page is marked: its label is bold, the others are not
        weights = {
            t: sidebar_link(page, t).get_by_text(t, exact=True).evaluate("e => Number(getComputedStyle(e).fontWeight)")
            for t in ("Home", label)
        }
        assert label == "Home" or weights[label] > weights["Home"], weights
        if label == "Costs":
            shot(page, "nav-costs")


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """The app exactly as README command 1 starts it: no key, no simulator URL, its own demo simulator."""
    with streamlit_server(tmp_path_factory.mktemp("plain"), {}) as server:
        yield server.url, server.log_path


def test_fresh_start_runs_its_own_demo_simulator(page, plain_app):
    """Demo mode with no configuration at all: Test connection lists the models."""
    url, log_path = plain_app
    open_page(page, url)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Test connection").click()
    wait_for_app_run(page)
    alert = page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentSuccess")
    expect(alert).to_contain_text("Reached Demo")
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
