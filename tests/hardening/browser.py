"""Browser steps the hardening tests share (on top of tests/e2e/conftest.py)."""

from __future__ import annotations

from tests.browser import go_to, open_page, wait_for_app_run

__all__ = ["connect_custom", "go_to"]


def connect_custom(page, app_url: str, base_url: str, key: str, path: str = "") -> None:
    """Open ``path`` and point this browser session at ``base_url`` (custom backend) with ``key``."""
    open_page(page, app_url, path)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Custom OpenAI-compatible URL").click()
    wait_for_app_run(page)
    for name, value in (("Base URL", base_url), ("API key", key)):
        box = sidebar.get_by_role("textbox", name=name)
        box.fill(value)
        box.press("Enter")
        wait_for_app_run(page)
    sidebar.get_by_text("Key set for this session").wait_for()
