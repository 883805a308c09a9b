"""API faults: each page that calls the API answers in one clear sentence, keeps the input, and recovers.

Every surface that calls the API (the sidebar's connection test, Launch's model
list, upload and create, Jobs' list, opening a job and cancelling one) meets
every fault the simulator can play: 401, 403, 404, 429 with ``Retry-After``,
500, a connection refused (the simulator stopped), a dropped connection, and a
backend slower than the client's timeout. Each session first loads a dataset on
the Dataset page (and on Launch fills the form); after every fault the page must
show exactly one sentence naming the failure (no exception box, no traceback, no
key), still hold the dataset and the form, and work again once the fault is gone.

The sessions are AppTest sessions on the "custom" backend pointed at this
module's simulator over real HTTP, each with its own key (the faults, surfaces and
sessions are in ``faults.py``). The backend going away during live polling is
checked in the browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import openai
import pytest
from playwright.sync_api import expect

from tests.browser import assert_no_exception, connect_custom, wait_for_app_run
from tests.conftest import ROOT
from tests.hardening import figures
from tests.hardening.faults import KINDS, SLOW, SURFACES, Kind, Session, Surface, inject, new_job

SIM_SPEED = 50.0


@pytest.fixture
def frozen(sim):
    """Jobs stay where they are (running jobs can be cancelled) while the test runs."""
    before = sim.speed
    sim.speed = 0.001
    yield
    sim.speed = before


def run_kind(s: Session, surface: Surface, kind: Kind, ctx: dict) -> None:
    """One fault on one surface, recorded as one case of the faults line."""
    with figures.case("faults", f"{kind.name} on {surface.name}") as case:
        if surface.before:
            surface.before(s, ctx)
        path = surface.path.format(job=ctx.get("next") or ctx.get("job")) if surface.path else None
        undo = inject(s.sim, kind, surface.method, path)
        try:
            started = time.perf_counter()
            surface.act(s, ctx)
            case.figures["seconds"] = time.perf_counter() - started
            s.one_sentence(surface.phrase(kind))
            if kind.name == "429":
                assert "in 1 second" in s.one_sentence(surface.phrase(kind))  # Retry-After is passed on
            s.kept()
        finally:
            undo()
        surface.recover(s, ctx)
        s.kept()


@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES])
def test_every_fault_is_one_sentence_and_the_page_recovers(sim, frozen, surface, request):
    s = Session(sim, f"sk-faults-{request.node.callspec.id.replace(' ', '-')}-0123456789")
    ctx = surface.prepare(s)
    failures = []
    for kind in KINDS:
        try:
            run_kind(s, surface, kind, ctx)
        except Exception as exc:  # every fault still runs; the test fails below with all of them
            failures.append(f"{kind.name}: {exc!r}"[:600])
            sim.clear_faults()
    try:
        s.dataset_page_still_ready()  # after seven outages the dataset is still there, checked as before
    except Exception as exc:
        failures.append(f"dataset after the faults: {exc!r}")
    assert not failures, "\n".join(failures)


def test_a_silent_backend_costs_one_bounded_wait_on_every_surface(sim, frozen, tmp_path):
    """Every surface at once against a backend that accepts connections and never answers in time.

    Each session runs in its own process (tests/hardening/slow_session.py): AppTest is not thread-safe,
    and seven waits one after the other would take minutes.
    """
    procs = {}
    for i, surface in enumerate(SURFACES):
        log = (tmp_path / f"session-{i}.log").open("w")
        procs[surface.name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.hardening.slow_session",
                surface.name,
                sim.base_url,
                f"sk-slow-{i}-0123456789",
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def step(name: str) -> dict[str, dict]:
        answers = {}
        for surface_name, proc in procs.items():
            if name != "ready":
                proc.stdin.write(name + "\n")
                proc.stdin.flush()
        for surface_name, proc in procs.items():
            line = proc.stdout.readline()
            answers[surface_name] = json.loads(line) if line else {"error": f"the session ended before {name}"}
        return answers

    failures = []
    try:
        ready = step("ready")
        failures += [f"{name} (setup): {a['error']}" for name, a in ready.items() if a["error"]]
        assert not failures, "\n".join(failures)
        sim.add_fault(times=None, **SLOW.fault)
        try:
            acted = step("acted")
        finally:
            sim.clear_faults()
        recovered = step("recovered")
        for surface in SURFACES:
            a, r = acted[surface.name], recovered[surface.name]
            try:
                with figures.case("faults", f"slow on {surface.name}", seconds=a.get("seconds", 0)):
                    assert a["error"] is None, a["error"]
                    assert r["error"] is None, r["error"]
            except AssertionError as exc:
                failures.append(f"{surface.name}: {exc}")
    finally:
        for proc in procs.values():
            proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- live polling, in the browser


@pytest.mark.e2e
def test_backend_gone_during_live_polling_is_one_sentence_and_polling_recovers(page, app_url, simulator):
    key = "sk-hardening-live-0123456789"
    client = openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    before = simulator.speed
    simulator.speed = 0.05  # the job waits in validating_files while the browser gets ready
    job = new_job(client, suffix="live")
    with figures.case("faults", "backend gone during live polling") as case:
        try:
            page.set_viewport_size({"width": 1400, "height": 2000})
            connect_custom(page, app_url, simulator.base_url, key, "Jobs")
            expect(page.get_by_role("heading", name=job)).to_be_visible()
            refresh = page.get_by_role("spinbutton", name="Refresh every (seconds)")
            refresh.fill("1")
            refresh.press("Enter")
            wait_for_app_run(page)
            simulator.speed = 4.0
            expect(page.locator(".stMarkdownBadge").first).to_contain_text("Running", timeout=30_000)

            port, started = simulator.port, time.perf_counter()
            simulator.stop()
            gone = page.get_by_test_id("stAlert").filter(has_text="Could not reach the API")
            expect(gone).to_have_count(1, timeout=15_000)
            case.figures["seconds"] = time.perf_counter() - started
            page.wait_for_timeout(2500)  # a few more ticks while the backend is gone: still one sentence
            expect(gone).to_have_count(1)
            assert_no_exception(page)
            assert "Traceback" not in page.content() and key not in page.content()
            expect(page.get_by_role("heading", name=job)).to_be_visible()  # what was last seen stays
            assert page.locator(".js-plotly-plot").count() >= 2

            simulator.start(host="127.0.0.1", port=port)
            expect(gone).to_have_count(0, timeout=15_000)
            simulator.speed = 40.0
            expect(page.locator(".stMarkdownBadge").first).to_contain_text("Succeeded", timeout=30_000)
            assert_no_exception(page)
        finally:
            simulator.speed = before
            if not simulator.running:  # never leave the shared simulator stopped
                simulator.start(host="127.0.0.1", port=simulator.port)
