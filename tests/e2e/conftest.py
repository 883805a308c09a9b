"""Browser tests. Fixtures and helpers live in ``tests/browser.py`` (shared with tests/hardening);
import helpers from there, never from this file or from another test module."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
