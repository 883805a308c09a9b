"""Hardening: the app keeps working, keeps the user's input and lets nothing leak.

The browser fixtures come from ``tests/e2e/conftest.py`` (imported here, so the
hardening tests get their own simulator, server and Chromium for the session).
At the end of the run one line per area is printed from what the tests
recorded (see ``figures.py``).
"""

from __future__ import annotations

from tests.e2e.conftest import app_server, app_url, browser, page, simulator  # noqa: F401  (fixtures)
from tests.hardening import figures


def pytest_terminal_summary(terminalreporter):
    lines = figures.summary_lines()
    if lines:
        terminalreporter.section("hardening")
        for line in lines:
            terminalreporter.write_line(line)
