"""The Costs page in a real browser: the chart draws, and the address bar carries the scenario."""

import csv
import io
import urllib.parse
from pathlib import Path

from playwright.sync_api import expect

from tests.browser import AZURE, assert_no_exception, open_page, shot, type_into, use_backend, wait_for_app_run

# gpt-4.1-mini, 600,000 billed tokens x 3 epochs x $5 = $9.00 of training. A 2,000-token prompt cut to
# 150 saves $0.00016 a call ($0.00132 -> $0.00116), so break-even needs 56,250 calls: 2.8 months at
# 20,000 a month, after the 2027-01-14 shutdown.
SCENARIO = {
    "model": "gpt-4.1-mini-2025-04-14",
    "tokens": "600000",
    "examples": "400",
    "epochs": "auto",
    "prompt": "2000",
    "ft_prompt": "150",
    "message": "300",
    "output": "250",
    "calls": "20000",
    "start": "2026-11-26",
    "months": "6",
}


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
    type_into(page, "Calls per month", "50000", role="spinbutton")
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
    expect(alert).to_contain_text(
        "The link's scenario was not loaded: Calls per month cannot be negative", timeout=WAIT
    )
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=WAIT)


# gpt-4.1-mini on Azure: 1,500 prompt tokens saved at the base rate ($0.40 per 1M) save $0.0006 a call;
# one Standard deployment costs $1.70 an hour, $1,224 a month (720 hours): 2.0 million calls a month just
# to pay the hosting. At 2,500,000 calls the calls save $1,500 a month, $276 over the hosting.
AZURE_SCENARIO = {
    "model": "gpt-4.1-mini-2025-04-14",
    "tokens": "600000",
    "examples": "400",
    "epochs": "3",
    "prompt": "2000",
    "ft_prompt": "500",
    "message": "0",
    "output": "250",
    "calls": "2500000",
    "start": "2026-11-26",
    "months": "12",
}


def test_costs_on_azure_weigh_the_hosting_fee_against_the_saving(page, app_url, simulator):
    page.set_viewport_size({"width": 1400, "height": 1250})
    open_page(page, app_url, "Costs", query=urllib.parse.urlencode(AZURE_SCENARIO))
    expect(page.get_by_text("GPT-4.1 mini shuts down 2027-01-14").first).to_be_visible(timeout=WAIT)
    use_backend(page, {"Endpoint": simulator.root_url, "Azure API key": "sk-costs-e2e"}, backend=AZURE)
    assert_no_exception(page)

    main = page.get_by_test_id("stMain")
    # Billing follows the connection: Azure's date, the hosting card, the saving against the fee.
    expect(main.get_by_text("answer until 2027-10-14").first).to_be_visible(timeout=WAIT)
    expect(main.get_by_test_id("stMetric").filter(has_text="Hosting a month")).to_contain_text(
        "$1,224.00", timeout=WAIT
    )
    expect(main.get_by_text("2.0 million calls a month just to pay the hosting").first).to_be_visible(timeout=WAIT)
    expect(main.get_by_text("Fine-tuning pays for itself").first).to_be_visible(timeout=WAIT)
    chart = main.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("GPT-4.1 mini deployments stop 2027-10-14")).to_be_visible(timeout=WAIT)
    expect(chart.get_by_text("Fine-tuned, short prompt (incl. training and hosting)")).to_be_visible(timeout=WAIT)
    assert "2027-01-14" not in main.inner_text()  # never OpenAI's shutdown on an Azure connection
    page.wait_for_function("() => window.location.search.includes('backend=azure')", timeout=WAIT)
    shot(page, "costs-azure", readme=True, full_page=False)

    # Fewer calls than the hosting needs: the verdict says so, whatever the horizon.
    type_into(page, "Calls per month", "2000000", role="spinbutton")
    expect(main.get_by_text("hosting alone outweighs the saving").first).to_be_visible(timeout=WAIT)
    expect(main.get_by_test_id("stMetric").filter(has_text="Break-even")).to_contain_text("never", timeout=WAIT)
    main.get_by_role("tab", name="Calls per month").click()  # the sensitivity views are tabs, drawn when open
    wait_for_app_run(page)
    volume = main.get_by_test_id("stPlotlyChart").nth(1)  # cumulative, the open view
    expect(volume.get_by_text("hosting alone needs 2.0 million calls a month")).to_be_visible(timeout=WAIT)
    assert_no_exception(page)
    shot(page, "costs-azure-hosting-outweighs")
