"""Money: however the user clicks, reloads or waits, one confirmed launch makes one job.

In the real browser, against the simulator (custom backend, a key per test, so
the account's jobs can be counted with the SDK and its create calls read from
the simulator's log):

- clicks in a hurry: Review double-clicked, then Confirm double-clicked and
  pressed with Enter while the create is slow;
- the page reloaded twice while the create is on its way (each reload is a new
  session, which has lost the pending request and its key);
- a create slower than the client's timeout: the page says the job may or may
  not exist, and confirming again (at once, while the first request is still
  being served) reuses the idempotency key.

tests/e2e/test_launch_e2e.py checks a plain double click and what the next
launch of the same settings says after a reload; these push the same paths
harder. Each scenario counts the jobs on the account, the create calls and
their idempotency keys.
"""

from __future__ import annotations

import secrets
import time

import openai
import pytest
from playwright.sync_api import expect

from lib.connection import CALL_TIMEOUT_S
from tests.browser import (
    assert_no_exception,
    choose_file,
    connect_custom,
    creates_with,
    open_confirmation,
    type_into,
    wait_for_app_run,
)
from tests.conftest import ROOT
from tests.hardening import figures

pytestmark = pytest.mark.e2e

DATA = ROOT / "samples" / "support_chat.jsonl"


@pytest.fixture
def account(page, app_url, simulator):
    """Launch, on a custom-URL connection to the simulator with a fresh key; yields (key, SDK client)."""
    simulator.clear_faults()
    key = "sk-money-" + secrets.token_hex(8)
    page.set_viewport_size({"width": 1400, "height": 1400})
    connect_custom(page, app_url, simulator.base_url, key, "Launch")
    yield key, openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    simulator.clear_faults()


def prepare(page, suffix: str) -> None:
    choose_file(page, DATA)
    page.get_by_text("96 examples, chat (supervised)").wait_for(timeout=30_000)
    type_into(page, "Suffix", suffix)


def jobs_with(client, suffix: str) -> list:
    return [j for j in client.fine_tuning.jobs.list(limit=100) if j.user_provided_suffix == suffix]


def test_clicks_in_a_hurry_make_one_job(page, simulator, account):
    _, client = account
    suffix = "hurry-" + secrets.token_hex(3)
    with figures.case("money", "double clicks and Enter on a slow create") as case:
        prepare(page, suffix)
        page.get_by_role("button", name="Review the charge and launch").dblclick()
        wait_for_app_run(page)
        dialog = page.get_by_role("dialog")
        dialog.wait_for()
        if f'"suffix": "{suffix}"' not in dialog.inner_text():  # a loaded machine raced the typing: again
            dialog.get_by_role("button", name="Cancel").click()
            wait_for_app_run(page)
            dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
        simulator.add_fault(latency=2.0, method="POST", path="/fine_tuning/jobs$")
        confirm = dialog.get_by_role("button", name="Confirm and create the job")
        confirm.dblclick()
        try:
            confirm.press("Enter", timeout=1000)
        except Exception:  # already disabled or gone: the first click got through, as it should
            pass
        page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
        wait_for_app_run(page)
        assert_no_exception(page)
        sent = creates_with(simulator, suffix)
        case.figures["creates"] = len(sent)
        assert len({e["idempotency_key"] for e in sent}) == 1, sent
        assert len(jobs_with(client, suffix)) == 1


def test_reloads_during_a_slow_create_make_one_job(page, app_url, simulator, account):
    key, client = account
    suffix = "reload-" + secrets.token_hex(3)
    with figures.case("money", "two reloads during a slow create"):
        prepare(page, suffix)
        dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
        simulator.add_fault(latency=3.0, method="POST", path="/fine_tuning/jobs$")
        dialog.get_by_role("button", name="Confirm and create the job").click()
        page.wait_for_timeout(400)
        page.reload()
        page.wait_for_timeout(400)
        page.reload()
        deadline = time.time() + 20
        while not jobs_with(client, suffix):  # the create went on without the page
            assert time.time() < deadline, "the create never arrived"
            time.sleep(0.2)
        connect_custom(page, app_url, simulator.base_url, key, "Jobs")  # a new session finds it
        job = jobs_with(client, suffix)[0]
        expect(page.get_by_role("heading", name=job.id)).to_be_visible()
        assert_no_exception(page)
        page.wait_for_timeout(500)
        assert len(jobs_with(client, suffix)) == 1 and len(creates_with(simulator, suffix)) == 1


def test_a_create_slower_than_the_timeout_confirmed_again_makes_one_job(page, simulator, account):
    _, client = account
    suffix = "timeout-" + secrets.token_hex(3)
    latency = CALL_TIMEOUT_S + 4
    with figures.case("money", "a create past the client's timeout, confirmed again at once") as case:
        prepare(page, suffix)
        dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
        simulator.add_fault(latency=latency, method="POST", path="/fine_tuning/jobs$")
        started = time.perf_counter()
        dialog.get_by_role("button", name="Confirm and create the job").click()
        expect(page.get_by_text("did not answer in time while creating the job")).to_be_visible(
            timeout=int((CALL_TIMEOUT_S + 15) * 1000)
        )
        case.figures["seconds"] = time.perf_counter() - started
        assert_no_exception(page)
        assert jobs_with(client, suffix) == []  # the first request is still being served
        dialog = open_confirmation(page)  # the same settings: the same key, though nothing is listed yet
        dialog.get_by_role("button", name="Confirm and create the job").click()
        # Only the first request is slowed; the page's run after this one took over 30 s on a loaded machine.
        page.get_by_text("created (validating_files)").wait_for(timeout=60_000)
        time.sleep(max(0.0, latency + 1 - (time.perf_counter() - started)))  # the slow one has been served too
        sent = creates_with(simulator, suffix)
        assert len(sent) == 2 and len({e["idempotency_key"] for e in sent}) == 1, sent
        assert len(jobs_with(client, suffix)) == 1
