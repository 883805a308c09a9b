"""Injection through a shared link: the Costs page's query parameters render inert (issue 11).

``Costs?start=[Your OpenAI key expired: re-enter it here](https://evil.example/login)`` showed a
live link inside the red error banner; ``model`` and ``calls`` did the same. In the real browser:
no link, image or element from the parameter in the DOM, and the text reads as written.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from lib.display import ZERO_WIDTH_SPACE
from tests.browser import assert_no_exception, open_page
from tests.hardening import figures

pytestmark = pytest.mark.e2e

LURE = "[Your OpenAI key expired: re-enter it here](https://evil.example/login)"
IMAGE = "![x](https://evil.example/pixel.png)"


@pytest.mark.parametrize("param", ["start", "model", "calls"])
def test_a_costs_link_cannot_put_a_live_link_on_the_page(page, app_url, param):
    with figures.case("injection", f"Costs link, {param}="):
        open_page(page, app_url, "Costs", query=f"{param}={quote(LURE + ' ' + IMAGE)}")
        main = page.get_by_test_id("stMain")
        main.get_by_test_id("stAlert").first.wait_for()
        assert_no_exception(page)
        live = page.locator("a[href*='evil.example'], img[src*='evil.example']")
        assert live.count() == 0, live.first.evaluate("el => el.outerHTML")
        shown = main.inner_text().replace(ZERO_WIDTH_SPACE, "")
        assert "Your OpenAI key expired: re-enter it here](https://evil.example/login)" in shown
