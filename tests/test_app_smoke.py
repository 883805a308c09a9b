"""Every page renders with no key, no secrets and no network (AppTest)."""

import pytest
from streamlit.testing.v1 import AppTest

from lib import ui
from tests.conftest import APP, ROOT

PAGES = ["dashboard.py"] + sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def test_pages_are_the_five_workflows():
    assert PAGES == [
        "dashboard.py",
        "pages/1_Dataset.py",
        "pages/2_Costs.py",
        "pages/3_Launch.py",
        "pages/4_Jobs.py",
        "pages/5_Evaluate.py",
    ]


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


def test_sidebar_menu_is_labelled_and_lists_every_page_file():
    """The menu replaces Streamlit's own list (which calls the home page "dashboard"); none is missed."""
    import tomllib

    assert [path for path, _, _ in ui.PAGES] == PAGES
    assert [label for _, label, _ in ui.PAGES] == ["Home", "Dataset", "Costs", "Launch", "Jobs", "Evaluate"]
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showSidebarNavigation"] is False


@pytest.mark.parametrize("page", ["dashboard.py", "pages/2_Costs.py"])
def test_every_page_draws_the_menu(page):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(page).run()
    links = at.sidebar.get("page_link")
    assert [(link.proto.label, link.proto.icon) for link in links] == [(label, icon) for _, label, icon in ui.PAGES]
    assert not at.exception


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
    for case in (
        "Strict output format",
        "Style and tone",
        "Shorter prompts",
        "Domain vocabulary",
        "New facts",
        "Reasoning",
    ):
        assert case in text
