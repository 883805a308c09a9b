"""Launch in a real browser: the file chooser, the form, the dialog, Confirm, and a refusal.

The browser session is switched to the "Custom OpenAI-compatible URL"
backend with the test simulator's URL and a key chosen here, so the test can
list that account's jobs with the SDK and count them; the simulator's
request log proves the exact bodies that were sent.
"""

from __future__ import annotations

import re
import secrets

import openai
import pytest
from playwright.sync_api import expect

from tests.conftest import real_file
from tests.browser import (
    assert_no_exception,
    choose_file,
    creates_with,
    fit_to_content,
    open_confirmation,
    open_page,
    shot,
    type_into,
    wait_for_app_run,
)

MINI = "gpt-4o-mini-2024-07-18"
DPO_MODEL = "gpt-4.1-mini-2025-04-14"


def connect(page, app_url: str, simulator, key: str) -> None:
    """Open Launch and point this browser session at the simulator as a custom URL with ``key``."""
    open_page(page, app_url, "Launch")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Custom OpenAI-compatible URL").click()
    wait_for_app_run(page)
    sidebar.get_by_role("textbox", name="Base URL").fill(simulator.base_url)
    sidebar.get_by_role("textbox", name="Base URL").press("Enter")
    wait_for_app_run(page)
    sidebar.get_by_role("textbox", name="API key").fill(key)
    sidebar.get_by_role("textbox", name="API key").press("Enter")
    wait_for_app_run(page)
    assert sidebar.get_by_text("Key set for this session").is_visible()
    assert key not in page.content()  # the key is never drawn back into the page


@pytest.fixture
def key() -> str:
    return "sk-e2e-" + secrets.token_hex(8)


@pytest.fixture
def account(page, app_url, simulator, key):
    """Launch on a custom-URL connection to the simulator; yields an SDK client for that account."""
    simulator.clear_faults()
    connect(page, app_url, simulator, key)
    yield openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    simulator.clear_faults()


def test_supervised_launch_and_double_click_makes_one_job(page, simulator, account):
    suffix = "e2e-sft-" + secrets.token_hex(3)
    choose_file(page, real_file("09_twi_tutor.jsonl"))
    page.get_by_text("100 examples, chat (supervised)").wait_for()
    type_into(page, "Epochs", "3")
    type_into(page, "Suffix", suffix)
    type_into(page, "Seed", "42")
    type_into(page, "Metadata", "team=support\nrun=e2e", commit="Control+Enter")  # a text area
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("$0.04")
    assert_no_exception(page)
    fit_to_content(page)
    shot(page, "launch-form", readme=True)

    # the create call is made slow so that the second click lands while it runs
    simulator.add_fault(latency=1.5, method="POST", path="/fine_tuning/jobs$")
    dialog = open_confirmation(
        page,
        {"Epochs": "3", "Suffix": suffix, "Seed": "42"},
        shows=('"n_epochs": 3', f'"suffix": "{suffix}"', '"seed": 42', '"team": "support"'),
    )
    page.set_viewport_size({"width": 1400, "height": 1100})
    assert "Estimated charge" in dialog.inner_text() and "$0.04" in dialog.inner_text()
    assert "2027-01-14" in dialog.inner_text() and "2027-01-06" in dialog.inner_text()
    shot(page, "launch-confirm", readme=True, full_page=False)
    dialog.get_by_role("button", name="Confirm and create the job").dblclick()
    page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
    wait_for_app_run(page)
    assert_no_exception(page)

    sent = creates_with(simulator, suffix)
    upload = account.files.list().data[0]
    expected = {
        "model": MINI,
        "training_file": upload.id,
        "method": {
            "type": "supervised",
            "supervised": {
                "hyperparameters": {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": "auto"}
            },
        },
        "suffix": suffix,
        "seed": 42,
        "metadata": {
            "team": "support",
            "run": "e2e",
            "estimated_trained_tokens": "12210",
            "estimated_cost_usd": "0.0366",
        },
    }
    assert sent and all(e["body"] == expected for e in sent)
    assert len({e["idempotency_key"] for e in sent}) == 1  # however many clicks got through, one key
    jobs = [j for j in account.fine_tuning.jobs.list() if j.user_provided_suffix == suffix]
    assert len(jobs) == 1
    link = page.get_by_role("link", name=f"Watch {jobs[0].id} on the Jobs page")
    assert upload.filename == "09_twi_tutor.jsonl"
    link.click()
    wait_for_app_run(page)
    assert page.url.endswith(f"/Jobs?job={jobs[0].id}")


def test_dpo_launch(page, simulator, account):
    suffix = "e2e-dpo-" + secrets.token_hex(3)
    # OpenAI offers DPO on the gpt-4.1 family, not on gpt-4o-mini (issue 12, defect 3)
    choose_file(page, real_file("13_ugc_ads_dpo.jsonl"))
    label = page.get_by_test_id("stWidgetLabel").get_by_text("Model", exact=True)
    page.get_by_test_id("stSelectbox").filter(has=label).click()
    page.get_by_role("option", name=re.compile(re.escape(DPO_MODEL))).click()
    wait_for_app_run(page)
    page.get_by_text("The supervised method needs chat examples").first.wait_for()
    page.get_by_text("DPO (preference pairs)", exact=True).click()
    page.get_by_text("54 examples, DPO (preference pairs)").wait_for()
    page.get_by_role("textbox", name="Beta (DPO)", exact=True).wait_for()
    wait_for_app_run(page)
    typed = {"Beta (DPO)": "0.2", "Suffix": suffix}
    for label, value in typed.items():
        type_into(page, label, value)
    dialog = open_confirmation(page, typed, shows=('"beta": 0.2', f'"suffix": "{suffix}"'))
    dialog.get_by_role("button", name="Confirm and create the job").click()
    page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
    sent = creates_with(simulator, suffix)
    assert len(sent) == 1
    assert sent[0]["body"] == {
        "model": DPO_MODEL,
        "training_file": account.files.list().data[0].id,
        "method": {
            "type": "dpo",
            "dpo": {
                "hyperparameters": {
                    "n_epochs": "auto",
                    "batch_size": "auto",
                    "learning_rate_multiplier": "auto",
                    "beta": 0.2,
                }
            },
        },
        "suffix": suffix,
        "metadata": sent[0]["body"]["metadata"],
    }
    assert set(sent[0]["body"]["metadata"]) == {"estimated_trained_tokens", "estimated_cost_usd"}
    assert [j.method.type for j in account.fine_tuning.jobs.list()] == ["dpo"]


def test_blocked_organisation_is_one_sentence_and_the_form_stays(page, simulator, account):
    suffix = "e2e-refused-" + secrets.token_hex(3)
    choose_file(page, real_file("09_twi_tutor.jsonl"))
    type_into(page, "Suffix", suffix)
    type_into(page, "Epochs", "2")
    dialog = open_confirmation(
        page, {"Suffix": suffix, "Epochs": "2"}, shows=(f'"suffix": "{suffix}"', '"n_epochs": 2')
    )
    simulator.add_fault(preset="blocked_org")
    dialog.get_by_role("button", name="Confirm and create the job").click()
    alert = page.get_by_text("OpenAI refused to create the job for this organization (403)")
    alert.wait_for(timeout=30_000)
    wait_for_app_run(page)
    assert_no_exception(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.get_by_role("textbox", name="Suffix", exact=True).input_value() == suffix
    assert page.get_by_role("textbox", name="Epochs", exact=True).input_value() == "2"
    assert "Traceback" not in page.content()
    assert list(account.fine_tuning.jobs.list()) == []
    fit_to_content(page)
    shot(page, "launch-refusal", readme=True)


def test_refresh_during_create_then_the_same_launch_is_flagged(page, app_url, simulator, account, key):
    """A reload loses the session (and its key) while the create is on its way: one job, and a warning."""
    suffix = "e2e-reload-" + secrets.token_hex(3)
    data = real_file("09_twi_tutor.jsonl")
    choose_file(page, data)
    type_into(page, "Suffix", suffix)
    dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
    simulator.add_fault(latency=2.0, method="POST", path="/fine_tuning/jobs$")
    dialog.get_by_role("button", name="Confirm and create the job").click()
    page.wait_for_timeout(500)
    page.reload()
    connect(page, app_url, simulator, key)  # a new session: the form and the key are gone
    assert page.get_by_role("textbox", name="Suffix", exact=True).input_value() == ""
    choose_file(page, data)
    type_into(page, "Suffix", suffix)
    dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
    dialog.get_by_text("was already created as ftjob-").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_for_app_run(page)
    jobs = [j for j in account.fine_tuning.jobs.list() if j.user_provided_suffix == suffix]
    assert len(jobs) == 1 and len(creates_with(simulator, suffix)) == 1


def test_dataset_handoff_to_a_job_in_demo_mode(page, app_url, simulator):
    """The Dataset page's "Use for launch", then Launch in its default demo mode."""
    simulator.clear_faults()
    suffix = "e2e-handoff-" + secrets.token_hex(3)
    open_page(page, app_url, "Dataset")
    choose_file(page, real_file("09_twi_tutor.jsonl"))
    page.get_by_role("button", name="Use for launch").click()
    wait_for_app_run(page)
    page.get_by_role("link", name="Continue to Launch").click()
    wait_for_app_run(page)
    assert page.url.endswith("/Launch")
    assert page.get_by_text("Handed over by the Dataset page.").is_visible()
    page.get_by_text("100 examples, chat (supervised)").wait_for()
    type_into(page, "Suffix", suffix)
    dialog = open_confirmation(page, {"Suffix": suffix}, shows=(f'"suffix": "{suffix}"',))
    assert "`09_twi_tutor.jsonl`" not in dialog.inner_text() and "09_twi_tutor.jsonl" in dialog.inner_text()
    dialog.get_by_role("button", name="Confirm and create the job").click()
    page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
    assert_no_exception(page)
    sent = creates_with(simulator, suffix)
    assert len(sent) == 1
    upload = [
        e
        for e in simulator.request_log
        if e["method"] == "POST" and e["path"] == "/v1/files" and e["key_id"] == sent[0]["key_id"]
    ]
    assert len(upload) == 1 and sent[0]["body"]["model"] == MINI


def test_launch_on_azure_with_a_training_tier(page, app_url, simulator):
    """Azure OpenAI through the api-version client: the tier, the 40-character suffix, Azure's dates and
    the hosting fee in the confirmation, and the job created on Azure's paths with its trainingType."""
    key = "az-e2e-" + secrets.token_hex(8)
    open_page(page, app_url, "Launch")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Azure OpenAI").click()
    wait_for_app_run(page)
    for name, value in (("Endpoint", simulator.root_url), ("Azure API key", key)):
        box = sidebar.get_by_role("textbox", name=name)
        box.fill(value)
        box.press("Enter")
        wait_for_app_run(page)
    choose_file(page, real_file("09_twi_tutor.jsonl"))
    page.get_by_text("100 examples, chat (supervised)").wait_for()
    page.get_by_text("Global · 10-30% below Standard.").click()
    wait_for_app_run(page)
    suffix = "azure-" + secrets.token_hex(3)
    type_into(page, "Suffix", suffix)
    main_text = page.get_by_test_id("stMain").inner_text()
    assert "2026-10-23" not in main_text and "2027-01-14" not in main_text
    assert_no_exception(page)
    fit_to_content(page)
    shot(page, "launch-azure", readme=True)
    dialog = open_confirmation(page, {"Suffix": suffix}, shows=('"trainingType": "GlobalStandard"', suffix))
    text = dialog.inner_text()
    assert "$1.70 per hour" in text and "this fine-tune's deployment answers until 2027-10-01" in text
    assert "2027-01-14" not in text and "2027-01-06" not in text
    dialog.get_by_role("button", name="Confirm and create the job").click()
    page.get_by_text("created (validating_files)").wait_for(timeout=30_000)
    sent = creates_with(simulator, suffix)
    assert len(sent) == 1 and sent[0]["path"] == "/openai/fine_tuning/jobs" and sent[0]["query"].get("api-version")
    assert sent[0]["body"]["trainingType"] == "GlobalStandard"
