"""Every page renders with no key, no secrets and no network (AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP, ROOT

PAGES = ["dashboard.py"] + sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def test_pages_are_the_five_workflows():
    assert PAGES == ["dashboard.py", "pages/1_Dataset.py", "pages/2_Costs.py", "pages/3_Launch.py",
                     "pages/4_Jobs.py", "pages/5_Evaluate.py"]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_in_demo_mode(page):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["backend"] == "demo"
    # the shared sidebar is drawn on every page
    assert at.sidebar.selectbox(key="_backend").value == "demo"
    assert at.sidebar.button(key="_test_connection")


def test_no_st_navigation_anywhere():
    """st.navigation with a pages/ folder breaks deep links after a restart (the entrypoint never runs for them)."""
    files = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "lib").rglob("*.py")]
    offenders = [f.name for f in files if "st.navigation(" in f.read_text()]
    assert offenders == []


def test_home_page_shows_deadline_and_workflow():
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    warnings = " ".join(w.value for w in at.warning)
    assert "2027-01-06" in warnings and "2027-01-14" in warnings
    text = " ".join(m.value for m in at.markdown)
    for case in ("Strict output format", "Style and tone", "Shorter prompts", "Domain vocabulary",
                 "New facts", "Reasoning"):
        assert case in text
