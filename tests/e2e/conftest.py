"""Browser tests. Fixtures and helpers live in ``tests/browser.py`` (shared with tests/hardening).

Only plain helpers are re-exported here, never fixtures: a fixture imported into
this conftest would be a second definition, and a second Chromium, which
Playwright's sync API refuses in one process.
"""

import pytest

from tests.browser import (  # noqa: F401  (helpers some test files import from here)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    E2E_REQUIRED,
    ROOT,
    assert_no_exception,
    choose_file,
    fit_to_content,
    free_port,
    open_page,
    shot,
    start_streamlit,
    wait_for_app_run,
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
