"""The Costs page in a real browser: the chart draws, and the address bar carries the scenario."""

import csv
import io
import urllib.parse
from pathlib import Path

from playwright.sync_api import expect

from tests.browser import assert_no_exception, open_page, shot, wait_for_app_run

# gpt-4.1-mini, 600,000 billed tokens x 3 epochs x $5 = $9.00 of training. A 2,000-token prompt cut to
# 150 saves $0.00016 a call ($0.00132 -> $0.00116), so break-even needs 56,250 calls: 2.8 months at
# 20,000 a month, after the 2027-01-14 shutdown.
SCENARIO = {"model": "gpt-4.1-mini-2025-04-14", "tokens": "600000", "examples": "400", "epochs": "auto",
            "prompt": "2000", "ft_prompt": "150", "message": "300", "output": "250", "calls": "20000",
            "start": "2026-11-26", "months": "6"}


WAIT = 30_000  # ms; the machine may be busy with other suites, and a first run draws five charts


def url_params(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def test_costs_chart_marks_the_shutdown_and_the_link_follows_the_inputs(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1250})
    open_page(page, app_url, "Costs", query=urllib.parse.urlencode(SCENARIO))
    assert_no_exception(page)
    expect(page.get_by_text("Fine-tuning does not pay").first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("56,250 calls").first).to_be_visible(timeout=WAIT)

    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=WAIT)
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=WAIT)
    # Plotly drew the shutdown marker and the (too late) break-even into the SVG.
    expect(chart.get_by_text("GPT-4.1 mini shuts down 2027-01-14")).to_be_visible(timeout=WAIT)
    expect(chart.get_by_text("break-even 2027-02-21 (too late)")).to_be_visible(timeout=WAIT)
    assert chart.bounding_box()["height"] > 300
    shot(page, "costs", readme=True, full_page=False)

    # Typing a new volume reruns the page and rewrites the address bar.
    calls = page.get_by_label("Calls per month")
    calls.fill("50000")
    calls.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Fine-tuning pays for itself").first).to_be_visible(timeout=WAIT)
    page.wait_for_function("() => window.location.search.includes('calls=50000')", timeout=WAIT)
    params = url_params(page)
    assert params["calls"] == "50000" and params["model"] == "gpt-4.1-mini-2025-04-14"
    assert_no_exception(page)

    # The CSV the browser downloads is the scenario on screen.
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Download this scenario (CSV)").click()
    assert download.value.suggested_filename == "costs-gpt-4.1-mini-2025-04-14-2026-11-26.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert ["input", "calls_per_month", "50000", ""] in rows
    assert ["result", "break_even_calls", "56250", ""] in rows

    # The link alone (a fresh session) brings the scenario back.
    fresh = page.context.new_page()
    open_page(fresh, app_url, "Costs", query=urllib.parse.urlencode(params))
    expect(fresh.get_by_label("Calls per month")).to_have_value("50000", timeout=WAIT)
    expect(fresh.get_by_text("Fine-tuning pays for itself").first).to_be_visible(timeout=WAIT)
    assert_no_exception(fresh)


def test_bad_link_shows_one_message_not_a_traceback(page, app_url):
    open_page(page, app_url, "Costs", query="calls=-5")
    assert_no_exception(page)
    alert = page.get_by_test_id("stAlertContentError").first
    expect(alert).to_contain_text("The link's scenario was not loaded: Calls per month cannot be negative",
                                  timeout=WAIT)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=WAIT)
