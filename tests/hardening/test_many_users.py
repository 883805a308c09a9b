"""Many users: sessions on one server never see each other's key, client, files, jobs or dataset.

In the browser, three people use one Streamlit server at the same time: Alice
and Bob on the custom backend with their own keys, Carol in demo mode. Each
uploads a dataset (Bob's has the same content as Alice's under another name, so
a cache keyed on content alone would show him her file), Alice and Bob each have
a job. Then every page each of them can reach is searched for the others'
markers (key, file name, dataset text, job id, suffix), and the simulator's
request log for calls of one key touching another's objects.

Without a browser: the ``st.cache_resource`` trap (a zero-argument cached
client hands Alice's key to Bob) is shown to be real, and every cached
function of the app (``st.cache_*``, and what ``lib.memo.SharedCache`` keeps across sessions) is
checked not to read session state or take a key.
"""

from __future__ import annotations

import ast
import re
import secrets
from pathlib import Path

import openai
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from lib.simulator.state import key_id
from tests.conftest import ROOT
from tests.browser import assert_no_exception, choose_file, connect_custom, go_to, open_page
from tests.hardening import figures
from tests.factories import chat_jsonl

MINI = "gpt-4o-mini-2024-07-18"
APP_FILES = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "lib").rglob("*.py"))]
# What a cached function must not touch: per-session state, keys, connections and clients.
PER_USER = re.compile(
    r"session_state|\bss\b|api_key|\bkey\b|\bconn(ection)?\b|\bclient\b|secrets|cookies|headers", re.IGNORECASE
)
# The trap the app avoids: a zero-argument global cache reading per-user state.
LEAKY = """
import streamlit as st
from openai import OpenAI

@st.cache_resource
def get_client():  # BUG on purpose: zero-argument global cache reading per-user state
    return OpenAI(api_key=st.session_state["api_key"], base_url="http://127.0.0.1:9/v1")

st.session_state["client_key"] = get_client().api_key
"""


# --------------------------------------------------------------------------- the cache_resource trap
def cached_functions(source: str) -> list[ast.FunctionDef]:
    """Functions decorated with ``st.cache_resource`` or ``st.cache_data`` (with or without arguments)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr in ("cache_resource", "cache_data"):
                    found.append(node)
    return found


def shared_builders(source: str) -> list[ast.FunctionDef]:
    """Functions whose values a cross-session cache keeps: ``build`` in ``SHARED_*.get(key, build, cost)``."""
    tree = ast.parse(source)
    defs = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name.startswith("SHARED_") and len(node.args) >= 2 and isinstance(node.args[1], ast.Name):
                if node.args[1].id in defs:
                    found.append(defs[node.args[1].id])
    return found


def per_user_reads(fn: ast.FunctionDef) -> list[str]:
    """Names and attributes in ``fn`` (its parameters included) that look like per-user state."""
    names = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
    return sorted({n for n in names if PER_USER.search(n)})


def test_the_cache_resource_trap_is_real_and_caught():
    """The trap leaks (Bob gets Alice's client), and the check below flags the code that sets it."""
    with figures.case("many users", "the st.cache_resource trap", sessions=2) as case:
        alice = AppTest.from_string(LEAKY, default_timeout=30)
        alice.session_state["api_key"] = "sk-ALICE-0000"
        alice.run()
        bob = AppTest.from_string(LEAKY, default_timeout=30)
        bob.session_state["api_key"] = "sk-BOB-1111"
        bob.run()
        assert bob.session_state["client_key"] == "sk-ALICE-0000"  # the leak is real in Streamlit 1.67
        [leaky] = cached_functions(LEAKY)
        assert "session_state" in per_user_reads(leaky)  # ... and the check catches it
        case.figures["checks"] = 1


def test_no_cached_function_of_the_app_reads_session_state_or_a_key():
    with figures.case("many users", "cached functions of the app", crossings=0) as case:
        checked, offending = 0, []
        for path in APP_FILES:
            source = path.read_text()
            for fn in cached_functions(source) + shared_builders(source):
                checked += 1
                reads = per_user_reads(fn)
                if reads:
                    offending.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}() reads {reads}")
        case.figures.update(checks=checked, crossings=len(offending))
        assert checked >= 1, "the Dataset page's shared report builder was not found"
        assert not offending, offending


# --------------------------------------------------------------------------- three people, one server
class Person:
    def __init__(self, name: str, browser, app_url: str, simulator, demo: bool = False, content: bytes | None = None):
        self.name, self.demo = name, demo
        self.key = None if demo else f"sk-{name.lower()}-{secrets.token_hex(8)}"
        self.file_name = f"{name.lower()}-private-{secrets.token_hex(3)}.jsonl"
        self.marker = f"{name}s-secret-question-{secrets.token_hex(4)}"
        self.content = content or chat_jsonl(20, tag=self.marker + " ")
        self.suffix = f"{name.lower()}-{secrets.token_hex(2)}"
        self.jobs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1600})
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.html: dict[str, str] = {}
        self.app_url, self.simulator = app_url, simulator

    def start(self) -> None:
        if self.demo:
            open_page(self.page, self.app_url, "Dataset")
        else:
            connect_custom(self.page, self.app_url, self.simulator.base_url, self.key, "Dataset")

    def upload(self, tmp: Path) -> None:
        path = tmp / self.file_name
        path.write_bytes(self.content)
        choose_file(self.page, path, label="Training file")
        expect(self.page.get_by_test_id("stAlert").first).to_contain_text("examples", timeout=30_000)

    def look(self, label: str) -> None:
        go_to(self.page, label)
        assert_no_exception(self.page)
        self.html[label] = self.page.content()

    def markers(self) -> dict[str, str]:
        found = {
            "file name": self.file_name,
            "suffix": self.suffix,
            "dataset text": self.marker,
            **{f"job {j}": j for j in self.jobs},
        }
        if self.key:
            found["key"] = self.key
        return found


@pytest.mark.e2e
def test_three_people_on_one_server_see_only_their_own(browser, app_url, simulator, tmp_path):
    alice = Person("Alice", browser, app_url, simulator)
    bob = Person("Bob", browser, app_url, simulator, content=alice.content)
    carol = Person("Carol", browser, app_url, simulator, demo=True)
    people = [alice, bob, carol]
    with figures.case("many users", "three browser sessions on one server", sessions=len(people)) as case:
        try:
            for person in people:  # interleaved: the server holds all three sessions at once
                person.start()
            for person in people:
                person.upload(tmp_path)
            for person in (alice, bob):  # a job each, made with their own key outside the app
                sdk = openai.OpenAI(api_key=person.key, base_url=simulator.base_url, max_retries=0)
                training = sdk.files.create(file=(person.file_name, person.content), purpose="fine-tune")
                person.jobs.append(
                    sdk.fine_tuning.jobs.create(model=MINI, training_file=training.id, suffix=person.suffix).id
                )
            for label in ("Launch", "Jobs", "Dataset"):
                for person in people:
                    person.look(label)
            # each sees their own dataset and jobs ...
            for person in people:
                assert person.file_name in person.html["Dataset"]
                for job in person.jobs:
                    assert job in person.html["Jobs"]
            assert "No fine-tuning jobs on this connection yet" in carol.html["Jobs"]  # demo: her own, empty space
            # ... and nothing of anyone else's, on any page
            crossings, checks = [], 0
            for person in people:
                for other in people:
                    if other is person:
                        continue
                    for what, marker in other.markers().items():
                        if what == "dataset text" and other.content == person.content:
                            continue  # Bob uploaded the same examples (under his own file name)
                        for label, html in person.html.items():
                            checks += 1
                            if marker in html:
                                crossings.append(f"{person.name} sees {other.name}'s {what} on {label}")
            # and in the simulator: one key's calls only touch that key's objects
            ids = {p.name: set(p.jobs) for p in people}
            for entry in simulator.request_log:
                for person in (alice, bob):
                    if entry["key_id"] != key_id(person.key):
                        continue
                    checks += 1
                    foreign = [j for o, js in ids.items() if o != person.name for j in js if j in entry["path"]]
                    if foreign:
                        crossings.append(f"{person.name}'s key called {entry['path']}")
            case.figures.update(checks=checks, crossings=len(crossings))
            assert not crossings, crossings
        finally:
            for person in people:
                person.context.close()
