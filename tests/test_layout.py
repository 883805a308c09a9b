"""The shape of the code base: the rules of the design card that a reader can check by looking.

These read the source, they do not run it. Each one failed on an earlier version of the tree
(a 1,887-line validator, 100-line functions, private helpers imported across modules, test
modules importing each other), which is why they are here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
PAGES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "dashboard.py"]
LIB_FILES = sorted(LIB.rglob("*.py"))
TEST_FILES = sorted((ROOT / "tests").rglob("*.py"))

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.Module):
    """Every (module, names) imported anywhere in the file, including inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]


def test_the_helpers_read_every_file():
    # Guards the globs above: an empty list would make every rule below pass.
    assert len(LIB_FILES) > 40 and len(PAGES) == 6 and len(TEST_FILES) > 30


@pytest.mark.parametrize("path", LIB_FILES, ids=_rel)
def test_only_the_ui_module_of_lib_imports_streamlit(path):
    if path == LIB / "ui.py":
        return
    used = [module for module, _ in _imports(_tree(path)) if module.split(".")[0] == "streamlit"]
    assert not used, f"{_rel(path)} imports {used}: lib stays importable without Streamlit (only lib/ui.py may)"


@pytest.mark.parametrize("path", LIB_FILES, ids=_rel)
def test_no_lib_module_needs_scrolling(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_rel(path)} is {lines} lines: split it along its concerns"


@pytest.mark.parametrize("path", LIB_FILES, ids=_rel)
def test_no_lib_function_needs_scrolling(path):
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(_tree(path))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_rel(path)}: {', '.join(long)}: cut into named steps"


@pytest.mark.parametrize("path", LIB_FILES + PAGES, ids=_rel)
def test_no_private_name_is_imported_from_another_module(path):
    private = [
        f"{name} from {module}"
        for module, names in _imports(_tree(path))
        if module.split(".")[0] == "lib"
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, f"{_rel(path)} imports {private}: give it a public name in one home"


@pytest.mark.parametrize("path", TEST_FILES, ids=_rel)
def test_no_test_module_imports_another_test_module(path):
    borrowed = [
        module
        for module, names in _imports(_tree(path))
        if re.search(r"(^|\.)test_", module) or any(re.match(r"test_", n) for n in names if module == "tests")
    ]
    assert not borrowed, (
        f"{_rel(path)} imports {borrowed}: shared test helpers live in tests/factories.py or tests/browser.py"
    )


@pytest.mark.parametrize("path", PAGES + LIB_FILES, ids=_rel)
def test_nothing_is_drawn_as_raw_html(path):
    text = path.read_text(encoding="utf-8")
    assert "unsafe_allow_html=True" not in text, f"{_rel(path)} draws raw HTML: show values inertly"
    assert "st.html(" not in text, f"{_rel(path)} draws raw HTML: show values inertly"


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_pages_are_file_based(path):
    # The design card fixes file-based multipage; st.navigation would replace it.
    assert "st.navigation(" not in path.read_text(encoding="utf-8")
