"""Evaluate in a real browser, in demo mode: the user's whole path to a measured answer.

A bundled sample goes from Dataset to Launch, the job is watched on Jobs until it succeeds,
"Evaluate this model" opens Evaluate with the fine-tune as the baseline and the Dataset's
validation file as the set; the estimate is confirmed with a double click, and the run ends
in the scoreboard, the charts and the flips. The simulator's log proves each
(example, candidate) was called exactly once.
"""

from __future__ import annotations

import secrets

from playwright.sync_api import expect

from tests.browser import (
    ROOT,
    assert_no_exception,
    choose_file,
    creates_with,
    open_page,
    shot,
    type_into,
    wait_for_app_run,
)

SAMPLE = "Support chat: clean (96 examples + validation file)"
LONG_PROMPT = (
    "You are Pip, the support assistant of Larkspur Cycles, an online bike shop in Portland, Oregon. "
    "Be warm, brief and concrete: two or three sentences. Use the customer's order number when they give one, "
    "and their first name if they sign. Returns are accepted within 30 days of delivery; never promise a refund "
    "outside that window, offer to escalate instead. Shipping: orders leave within two working days; tracking "
    "appears within a day of the label. Warranty: frames five years, parts one year, with a photo of the fault. "
    "Sizing: ask for height and inseam. Ask at most one clarifying question. Never invent an order status."
)


def test_a_demo_evaluation_end_to_end(page, app_url, simulator):
    suffix = "e2e-eval-" + secrets.token_hex(3)
    page.set_viewport_size({"width": 1400, "height": 1200})

    # Dataset: a bundled sample with its validation file, handed to Launch
    open_page(page, app_url, "Dataset")
    page.get_by_test_id("stSelectbox").filter(has_text="Or try a bundled sample").click()
    page.get_by_role("option", name=SAMPLE).click()
    wait_for_app_run(page)
    page.get_by_role("button", name="Use for launch").click()
    wait_for_app_run(page)
    page.get_by_role("link", name="Continue to Launch").click()
    wait_for_app_run(page)

    # Launch: one job, confirmed
    type_into(page, "Suffix", suffix)
    page.get_by_role("button", name="Review the charge and launch").click()
    wait_for_app_run(page)
    page.get_by_role("dialog").get_by_role("button", name="Confirm and create the job").click()
    page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
    wait_for_app_run(page)
    create = creates_with(simulator, suffix)
    me = create[0]["key_id"]  # this browser's demo space

    # Jobs: watched until it succeeds, then "Evaluate this model"
    page.get_by_role("link", name="on the Jobs page").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="Evaluate this model").wait_for(timeout=90_000)
    wait_for_app_run(page)
    page.get_by_role("button", name="Evaluate this model").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Evaluate").first).to_be_visible()
    assert page.url.endswith("/Evaluate")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("support_chat_valid.jsonl").first).to_be_visible()  # the Dataset's validation file
    expect(main.get_by_text("24 examples from").first).to_be_visible()
    expect(main.get_by_text(f":{suffix}:").first).to_be_visible()  # the fine-tune is the baseline
    expect(main.get_by_text("stops answering on 2027-01-14 (49 days)").first).to_be_visible()
    assert_no_exception(page)

    # the long prompt the fine-tune lets a team drop, then the estimate and the confirm (double-clicked)
    type_into(
        page, "The long prompt", LONG_PROMPT, commit=lambda p: p.get_by_role("heading", name="Evaluate").first.click()
    )
    expect(main.get_by_text("Demo mode costs nothing").first).to_be_visible()
    page.get_by_role("button", name="Review the estimate and run").click()
    wait_for_app_run(page)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "Demo mode costs nothing" in dialog.inner_text() and "$0.00" in dialog.inner_text()
    calls = [e for e in simulator.request_log if e["key_id"] == me and e["path"].endswith("/chat/completions")]
    assert calls == []  # nothing is sent before the confirm
    dialog.get_by_role("button", name="Confirm and run").dblclick()
    page.get_by_role("heading", name="Scoreboard").wait_for(timeout=90_000)
    wait_for_app_run(page)
    assert_no_exception(page)

    calls = [e for e in simulator.request_log if e["key_id"] == me and e["path"].endswith("/chat/completions")]
    assert len(calls) == 48  # 24 examples x 2 candidates, each exactly once despite the double click
    expect(main.get_by_text("Finished: every call answered.")).to_be_visible()
    expect(main.get_by_text("Simulated: a simulator gave these answers").first).to_be_visible()
    expect(main.get_by_role("heading", name="Flips")).to_be_visible()
    expect(main.get_by_role("button", name="Recording (JSONL)")).to_be_visible()
    assert page.locator(".js-plotly-plot").count() == 2
    shot(page, "evaluate", readme=True)


def test_progress_is_polled_live_and_stop_then_resume_pay_each_call_once(page, app_url, simulator):
    page.set_viewport_size({"width": 1400, "height": 1600})
    open_page(page, app_url, "Evaluate")
    choose_file(page, ROOT / "samples" / "support_chat_valid.jsonl", label="Evaluation file (JSONL)")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("24 examples from").first).to_be_visible()
    for label, value in (("Examples to evaluate (0 = all)", "8"), ("Calls at a time", "1")):
        box = page.get_by_role("spinbutton", name=label)
        box.fill(value)
        box.press("Enter")
        wait_for_app_run(page)
    expect(main.get_by_text("8 examples from").first).to_be_visible()
    before = len(simulator.request_log)
    simulator.latency = 0.4  # 16 calls one at a time: about seven seconds
    try:
        page.get_by_role("button", name="Review the estimate and run").click()
        wait_for_app_run(page)
        page.get_by_role("dialog").get_by_role("button", name="Confirm and run").click()
        done = page.get_by_test_id("stMetricValue").first
        expect(done).to_contain_text("/ 16", timeout=30_000)
        first = done.inner_text()
        expect(done).not_to_have_text(first, timeout=15_000)  # the fragment polls: no click needed
        page.get_by_role("button", name="Stop").click()
        main.get_by_text("calls have no answer yet").wait_for(timeout=30_000)
        wait_for_app_run(page)
    finally:
        simulator.latency = 0.0
    calls = [e for e in simulator.request_log[before:] if e["path"].endswith("/chat/completions")]
    assert 0 < len(calls) < 16
    page.get_by_role("button", name="Resume").click()
    wait_for_app_run(page)
    dialog = page.get_by_role("dialog")
    assert "only the calls without an answer are sent" in dialog.inner_text()
    dialog.get_by_role("button", name="Confirm and run").click()
    main.get_by_text("Finished: every call answered.").wait_for(timeout=60_000)
    wait_for_app_run(page)
    assert_no_exception(page)
    calls = [e for e in simulator.request_log[before:] if e["path"].endswith("/chat/completions")]
    assert len(calls) == 16  # 8 examples x 2 candidates: nothing answered before the stop was sent again
