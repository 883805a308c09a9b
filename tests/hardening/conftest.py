"""Hardening: the app keeps working, keeps the user's input and lets nothing leak.

The browser fixtures come from ``tests/browser.py`` (registered by
``tests/conftest.py``): one Chromium, simulator and app server for the whole run.
At the end of the run one line per area is printed from what the tests
recorded (see ``figures.py``).
"""

from __future__ import annotations

from tests.hardening import figures


def pytest_terminal_summary(terminalreporter):
    lines = figures.summary_lines()
    if lines:
        terminalreporter.section("hardening")
        for line in lines:
            terminalreporter.write_line(line)
