"""Shared fixtures: repo paths, real datasets, Streamlit cache isolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# "Today" is an input: every test, and every server a test starts (they inherit the environment),
# runs on this date, so figures that depend on it (net by the shutdown, days left, which models
# are still trainable) are the same whatever day the suite runs. Tests of other days pass
# ``today=`` or set the simulator's ``today``.
PINNED_TODAY = "2026-11-26"
os.environ["TUNING_DESK_TODAY"] = PINNED_TODAY

# Browser fixtures (simulator, app_server, browser, page) for tests/e2e and tests/hardening alike.
pytest_plugins = ["tests.browser"]

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard.py"
SHARED = ROOT.parent / "shared"
REAL_DATA = SHARED / "data" / "real"


def real_file(name: str) -> Path:
    """A file of ../shared/data/real; fails under CI when absent, skips elsewhere."""
    path = REAL_DATA / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must run with ../shared beside the checkout")
        pytest.skip(f"{path} not found (../shared is for development only)")
    return path


@pytest.fixture(scope="module")
def sim(request):
    """A simulator shared by one test module; a module sets ``SIM_SPEED`` to change its pace.

    Give each test its own API key: every key is its own namespace in the simulator.
    """
    from lib.simulator import Simulator

    simulator = Simulator(speed=getattr(request.module, "SIM_SPEED", 50.0)).start(host="127.0.0.1", port=0)
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches are process-global: clear them so tests cannot leak into each other."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch):
    """Never let a developer's real key or endpoint reach a test."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        "OPENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
