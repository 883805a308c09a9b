"""The Jobs page in a real browser: a job watched live to the end, the backend dropping out, a comparison.

The browser session is switched to "Custom OpenAI-compatible URL" pointing at the
test simulator with a key chosen here, so the test creates jobs with the SDK under
the same key and reads exactly that session's calls from the simulator's log.
"""

from __future__ import annotations

import io
import json
import secrets
import time
import zipfile
from pathlib import Path

import openai
import pytest
from playwright.sync_api import expect

from tests.browser import assert_no_exception, open_page, shot, wait_for_app_run
from tests.factories import chat_jsonl

TALL = {"width": 1400, "height": 2600}  # the whole page in view: Streamlit scrolls inside the app, not the body
CONTENT_BOTTOM = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const blocks = document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]');
  return Math.max(...Array.from(blocks, b => b.getBoundingClientRect().bottom)) + (main ? main.scrollTop : 0);
}"""
LOSS_POINTS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  return plot && plot.data ? Math.max(0, ...plot.data.map(t => (t.x || []).length)) : 0;
}"""


@pytest.fixture
def speed(simulator):
    """Set the shared simulator's speed for one test; restored afterwards."""
    before = simulator.speed
    yield lambda value: setattr(simulator, "speed", value)
    simulator.speed = before


def connect_to(page, app_url: str, backend: str, settings: dict[str, str]) -> None:
    """Open Jobs and point this browser session at ``backend`` (its name in the sidebar's picker),
    typing each of ``settings`` (sidebar box label -> value)."""
    page.set_viewport_size(TALL)
    open_page(page, app_url, "Jobs")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=backend).click()
    wait_for_app_run(page)
    for name, value in settings.items():
        box = sidebar.get_by_role("textbox", name=name)
        box.fill(value)
        box.press("Enter")
        wait_for_app_run(page)


def connect(page, app_url: str, base_url: str, key: str) -> None:
    """Open Jobs on the custom backend at ``base_url`` with ``key``."""
    connect_to(page, app_url, "Custom OpenAI-compatible URL", {"Base URL": base_url, "API key": key})


def create_job(client, examples: int = 120, epochs: int | None = None, suffix: str = "e2e") -> str:
    training = client.files.create(file=("train.jsonl", chat_jsonl(examples)), purpose="fine-tune")
    validation = client.files.create(file=("valid.jsonl", chat_jsonl(10, "v")), purpose="fine-tune")
    hyper = {"n_epochs": epochs} if epochs else {}
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=training.id,
        validation_file=validation.id,
        suffix=suffix,
        method={"type": "supervised", "supervised": {"hyperparameters": hyper}},
    )
    return job.id


def badge(page) -> str:
    return page.locator(".stMarkdownBadge").first.inner_text().split()[-1]


def page_shot(page, name: str) -> None:
    """A README screenshot of the whole page: the viewport grows to the content, lazy parts loaded."""
    height = page.evaluate(CONTENT_BOTTOM)
    page.set_viewport_size({"width": TALL["width"], "height": max(1000, min(int(height) + 80, 6000))})
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)  # a loaded machine is slow to fetch them
    page.wait_for_timeout(500)  # let plotly draw at the new size
    shot(page, name, readme=True)
    page.set_viewport_size(TALL)


def calls_for(simulator, job_id: str) -> list[dict]:
    return [r for r in simulator.request_log if job_id in r["path"]]


def test_a_job_is_watched_live_from_queued_to_succeeded(page, app_url, simulator, speed):
    key = "sk-e2e-jobs-" + secrets.token_hex(6)
    client = openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    speed(0.05)  # hold the job in validating_files while the browser gets ready
    job_id = create_job(client)

    connect(page, app_url, simulator.base_url, key)
    expect(page.get_by_role("heading", name=job_id)).to_be_visible()  # the newest job opens by itself
    assert f"job={job_id}" in page.url  # the URL names the job, so a link opens it
    refresh = page.get_by_role("spinbutton", name="Refresh every (seconds)")
    refresh.fill("1")
    refresh.press("Enter")
    wait_for_app_run(page)
    page.evaluate("window.__sameDocument = true")  # gone if the browser reloaded the page

    speed(6.0)  # validating 1.7 s, queued 2.5 s, running 15 s
    statuses, points, outage_done, running_shot = [], [], False, False
    deadline = time.time() + 90
    while time.time() < deadline:
        status, count = badge(page), page.evaluate(LOSS_POINTS)
        if not statuses or statuses[-1] != status:
            statuses.append(status)
        if not points or points[-1] != count:
            points.append(count)
        if status == "Running" and count >= 30 and not outage_done:
            # The backend disappears mid-run: one sentence, then polling recovers on its own.
            port, stopped = simulator.port, time.time()
            simulator.stop()
            speed(8.0)  # 40+ virtual seconds: 160+ events pile up, more than one events page
            expect(page.get_by_text("Could not reach the API").first).to_be_visible(timeout=10_000)
            page.wait_for_timeout(max(0, 5000 - int((time.time() - stopped) * 1000)))
            speed(6.0)
            simulator.start(host="127.0.0.1", port=port)
            expect(page.get_by_text("Could not reach the API")).to_have_count(0, timeout=10_000)
            outage_done = True
        if outage_done and status == "Running" and not running_shot:
            page_shot(page, "jobs-running")
            running_shot = True
        if status == "Succeeded" and page.get_by_text("★ best").count():
            break
        page.wait_for_timeout(250)
    assert running_shot and statuses[-1] == "Succeeded", statuses
    ordered = [s for s in statuses if s in ("Queued", "Running", "Succeeded")]
    assert ordered == ["Queued", "Running", "Succeeded"], statuses
    assert page.evaluate("window.__sameDocument === true")  # no reload: the timed fragment did it all
    assert points == sorted(points) and len(points) >= 4, points  # the curve filled in as the job ran
    expect(page.get_by_text("Checkpoints (the last three epochs)")).to_be_visible()
    expect(page.get_by_role("button", name="Download archive")).to_be_visible()
    assert_no_exception(page)

    # Events came incrementally: newest page first, then the gap left by the outage via `after`.
    events_calls = [r for r in calls_for(simulator, job_id) if r["path"].endswith("/events")]
    assert any("after" in r["query"] for r in events_calls), [r["query"] for r in events_calls]
    assert all(r["query"].get("limit") == "100" for r in events_calls)

    # Once ended: no more calls for the job, whatever the refresh interval.
    wait_for_app_run(page)
    page.wait_for_timeout(1000)
    settled = len(calls_for(simulator, job_id))
    page.wait_for_timeout(3500)  # more than three refresh intervals
    assert len(calls_for(simulator, job_id)) == settled
    page_shot(page, "jobs-finished")

    # The archive downloads as one zip with everything about the job.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download archive").click()
    assert download.value.suggested_filename == f"{job_id}-archive.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    names = {n.split("/", 1)[1] for n in archive.namelist()}
    assert {"README.txt", "job.json", "events.jsonl", "metrics.csv", "checkpoints.json", "files.json"} <= names
    assert json.loads(archive.read(f"{job_id}/job.json"))["status"] == "succeeded"
    newest = client.fine_tuning.jobs.list_events(job_id, limit=1).data[0]
    metrics = archive.read(f"{job_id}/metrics.csv").decode().splitlines()
    assert points[-1] == len(metrics) - 1  # every step reached the chart
    assert metrics[-1].startswith(f"{len(metrics) - 1},{len(metrics) - 1},")  # step N of N total steps
    assert newest.message == "The job has successfully completed"


def test_two_jobs_are_compared(page, app_url, simulator, speed):
    key = "sk-e2e-compare-" + secrets.token_hex(6)
    client = openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    speed(60.0)
    first = create_job(client, examples=60, epochs=2, suffix="two-epochs")
    second = create_job(client, examples=60, epochs=4, suffix="four-epochs")
    deadline = time.time() + 30
    while {client.fine_tuning.jobs.retrieve(j).status for j in (first, second)} != {"succeeded"}:
        assert time.time() < deadline
        time.sleep(0.2)

    connect(page, app_url, simulator.base_url, key)
    page.get_by_role("radio", name="Compare jobs").or_(page.get_by_role("button", name="Compare jobs")).click()
    wait_for_app_run(page)
    picker = page.get_by_test_id("stMultiSelect").last  # the first one filters the list by status
    for suffix in ("two-epochs", "four-epochs"):
        picker.locator("input").fill(suffix)
        page.keyboard.press("Enter")
        wait_for_app_run(page)
    page.keyboard.press("Tab")  # leave the picker: its dropdown closes
    wait_for_app_run(page)
    table = page.get_by_test_id("stDataFrame").last
    expect(table).to_contain_text("n_epochs")
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').data.length") >= 2
    assert_no_exception(page)
    page_shot(page, "jobs-compare")


def connect_azure(page, app_url: str, endpoint: str, key: str) -> None:
    """Open Jobs on Azure OpenAI's v1 API at ``endpoint`` with ``key``."""
    connect_to(page, app_url, "Azure OpenAI", {"Endpoint": endpoint, "API version": "v1", "Azure API key": key})


def test_an_azure_job_shows_azures_dates_and_how_to_deploy_it(page, app_url, simulator, speed):
    key = "az-e2e-jobs-" + secrets.token_hex(6)
    client = openai.OpenAI(api_key=key, base_url=simulator.root_url + "/openai/v1/", max_retries=0)
    speed(40.0)
    job_id = create_job(client, examples=60, suffix="azure-e2e")
    deadline = time.time() + 60
    while (job := client.fine_tuning.jobs.retrieve(job_id)).status != "succeeded":
        assert time.time() < deadline, job.status
        time.sleep(0.2)

    connect_azure(page, app_url, simulator.root_url, key)
    expect(page.get_by_role("heading", name=job_id)).to_be_visible()
    expect(page.get_by_text("Deploy it on Azure OpenAI")).to_be_visible()
    expect(page.get_by_text("this fine-tune's deployment answers until 2027-10-01").first).to_be_visible()
    main = page.get_by_test_id("stMain")
    # code blocks render after the rest of the page (their highlighter loads lazily): wait for them
    code = main.get_by_test_id("stCode").filter(has_text=job.fine_tuned_model).first
    expect(code).to_be_visible(timeout=30_000)  # a loaded machine takes a while to fetch the highlighter
    expect(main).to_contain_text("Microsoft.CognitiveServices/accounts/")  # the PUT request
    text = main.inner_text()
    assert job.fine_tuned_model in text
    page.get_by_role("tab", name="az command").click()
    expect(page.get_by_text("az cognitiveservices account deployment create")).to_be_visible()
    text = main.inner_text()
    assert f"--model-name {job.fine_tuned_model}" in text
    assert "does not stop a deployment's charges" in text  # (the monthly fee table is a canvas: AppTest checks it)
    assert "2027-01-14" not in text and "2027-01-06" not in text  # never OpenAI's calendar on Azure
    assert_no_exception(page)
    page_shot(page, "jobs-azure")
    # the browser session really spoke Azure's v1 API
    mine = [r for r in simulator.request_log if job_id in r["path"]]
    assert mine and all(r["path"].startswith("/openai/v1/") for r in mine)
