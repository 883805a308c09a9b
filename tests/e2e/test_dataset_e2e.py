"""The Dataset page in a real browser: uploads through the file chooser, what the user sees, downloads.

Screenshots for the README: dataset-clean, dataset-broken, dataset-dpo (docs/screenshots/).
"""

from __future__ import annotations

import json

from playwright.sync_api import expect

from lib import validate
from tests.conftest import ROOT, real_file
from tests.browser import (
    assert_no_exception,
    choose_file,
    fit_to_content,
    go_to,
    open_page,
    shot,
    wait_for_app_run,
)

SAMPLES = ROOT / "samples"


def go_to_line(page, line: int) -> None:
    box = page.get_by_role("spinbutton", name="Line")
    box.fill(str(line))
    box.press("Enter")
    wait_for_app_run(page)


def expect_verdict(page, text: str) -> None:
    """The first alert (the verdict) says ``text`` (retried: a loaded machine may still be drawing)."""
    expect(page.get_by_test_id("stAlert").first).to_contain_text(text, timeout=30_000)


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text()


def test_clean_file_with_validation_file(page, app_url):
    open_page(page, app_url, "Dataset")
    choose_file(page, SAMPLES / "support_chat.jsonl", label="Training file")
    choose_file(page, SAMPLES / "support_chat_valid.jsonl", label="Validation file")
    assert_no_exception(page)
    expect_verdict(page, "Ready to train: 96 examples and no errors.")
    report = validate.validate_bytes((SAMPLES / "support_chat.jsonl").read_bytes())
    assert metric(page, "Examples") == "96"
    assert metric(page, "Tokens") == f"{report.total_tokens:,}"
    assert metric(page, "Billed tokens") == f"{report.billed_tokens:,}"
    assert metric(page, "Estimated training cost") == f"${report.training_cost_usd:,.2f}"
    # Waited for, not sampled: the verdict can show before the validation file's run has drawn the rest.
    expect(page.get_by_text("No example appears in both files.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Epochs (auto, estimated)")).to_be_visible()
    expect(page.get_by_text("No problems: every line is a valid example.")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    fit_to_content(page)
    shot(page, "dataset-clean", readme=True)


def test_broken_file_problems_viewer_and_cleaned_download(page, app_url):
    open_page(page, app_url, "Dataset")
    choose_file(page, SAMPLES / "support_chat_faulty.jsonl", label="Training file")
    choose_file(page, SAMPLES / "support_chat_faulty_valid.jsonl", label="Validation file")
    assert_no_exception(page)
    expect_verdict(page, "Fix 12 errors on 10 lines before training")
    assert page.get_by_test_id("stDataFrame").first.is_visible()
    pills = page.get_by_test_id("stButtonGroup").filter(has_text="Findings per code")
    assert "invalid_json · 1" in pills.inner_text()
    # Selecting a row of the problems table (a canvas grid: click the row's checkbox cell) opens its line.
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 * 3 + 17)  # header, then the 4th row: line 12
    wait_for_app_run(page)
    assert page.get_by_role("spinbutton", name="Line").input_value() == "12"
    # Jump to the line with the hostile text: shown verbatim, nothing rendered, long words wrapped.
    go_to_line(page, 15)
    assert page.get_by_test_id("stAlert").filter(has_text='message 3 has role "bot"').is_visible()
    go_to_line(page, 50)
    user_text = page.get_by_test_id("stChatMessage").nth(1).get_by_test_id("stText")
    assert "<script>alert('hi')</script>" in user_text.inner_text()
    assert "[click here](https://evil.example)" in user_text.inner_text()
    assert page.locator("a[href*='evil.example'], img[src*='evil.example'], script:text('alert')").count() == 0
    overflow = user_text.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, "a long unbroken URL must wrap inside its bubble"
    # The cleaned file downloads with the error and blank lines gone.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download cleaned file").click()
    path = download.value.path()
    assert download.value.suggested_filename == "support_chat_faulty.clean.jsonl"
    cleaned = open(path, "rb").read()
    data = (SAMPLES / "support_chat_faulty.jsonl").read_bytes()
    assert cleaned == validate.clean_jsonl(data, validate.validate_bytes(data))
    assert page.get_by_text("Also in the validation file (2)").is_visible()
    assert_no_exception(page)
    go_to_line(page, 12)  # a readable finding for the screenshot: the unanswered question
    fit_to_content(page)
    shot(page, "dataset-broken", readme=True)


def test_dpo_real_file(page, app_url):
    open_page(page, app_url, "Dataset")
    # OpenAI offers DPO on the gpt-4.1 family only: pick a model that trains this file
    page.get_by_test_id("stSelectbox").filter(has_text="Model").first.click()
    page.get_by_role("option", name="GPT-4.1 mini ·").first.click()
    wait_for_app_run(page)
    path = real_file("13_ugc_ads_dpo.jsonl")
    choose_file(page, path, label="Training file")
    assert_no_exception(page)
    expect_verdict(page, "Ready to train: 54 examples and no errors.")
    assert page.get_by_text("DPO (preference pairs)").first.is_visible()
    assert page.get_by_text("Preferred", exact=True).is_visible()
    assert page.get_by_text("Non-preferred", exact=True).is_visible()
    first = json.loads(path.read_bytes().splitlines()[0])
    preferred = first["preferred_output"][0]["content"]
    assert preferred[:60] in page.get_by_test_id("stText").all_inner_texts()[-2][:80]
    fit_to_content(page)
    shot(page, "dataset-dpo", readme=True)


def test_report_survives_a_page_switch_in_the_browser(page, app_url):
    open_page(page, app_url, "Dataset")
    choose_file(page, real_file("03_cookbook_drone_training_2024-06-13.jsonl"), label="Training file")
    expect_verdict(page, "Fix 6 errors on 6 lines")
    go_to(page, "Costs")
    assert "/Costs" in page.url
    go_to(page, "Dataset")
    expect_verdict(page, "Fix 6 errors on 6 lines")
    assert page.get_by_text("uploaded earlier").first.is_visible()
    assert_no_exception(page)


def test_not_a_jsonl_file_is_one_sentence(page, app_url, tmp_path):
    zipped = tmp_path / "data.zip"
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("train.jsonl", (SAMPLES / "support_chat.jsonl").read_text())
    open_page(page, app_url, "Dataset")
    choose_file(page, zipped, label="Training file")
    assert_no_exception(page)
    expect_verdict(page, "This file can't be used for fine-tuning: this is a ZIP archive")
    assert page.get_by_test_id("stMetric").count() == 0
