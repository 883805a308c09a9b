"""The app in AppTest, opened the way a visitor arrives: their session and link first, the home page's
run, then a switch to the page under test.

One helper for the AppTest modules (a test module never imports another one's helpers); the browser's
counterpart is ``tests/browser.py`` (``open_page``, ``connect``).
"""

from __future__ import annotations

import os

import openai
from streamlit.testing.v1 import AppTest

from lib.connection import SIMULATOR_URL_ENV
from tests.conftest import APP


def custom_backend(base_url: str, key: str) -> dict[str, str]:
    """The session state of a visitor connected to ``base_url`` with ``key``, as the sidebar keeps it
    ("Custom OpenAI-compatible URL"): pass it to :func:`open_app` as ``**custom_backend(url, key)``."""
    return {"backend": "custom", "custom_base_url": base_url, "custom_api_key": key}


def open_app(page: str | None = None, *, query: dict | None = None, timeout: float = 60, **state) -> AppTest:
    """dashboard.py with ``query`` in its link and ``state`` in its session before the first run, then
    switched to ``page`` (``"pages/2_Costs.py"``; None stays home). Fails on an exception box."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update(query or {})
    for name, value in state.items():
        at.session_state[name] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def demo_sdk(at: AppTest) -> openai.OpenAI:
    """The SDK as this AppTest session's demo key: its own namespace in the demo simulator."""
    return openai.OpenAI(
        api_key=at.session_state["demo_api_key"], base_url=os.environ[SIMULATOR_URL_ENV], max_retries=0
    )
