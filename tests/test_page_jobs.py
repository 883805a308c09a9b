"""pages/4_Jobs.py through AppTest, against the simulator over real HTTP (custom backend, own key)."""

from __future__ import annotations

import time

import openai
import pytest
from streamlit.testing.v1 import AppTest

from lib import costs, jobs
from tests.conftest import APP
from tests.factories import chat_jsonl
from tests.jobs_support import wait_status

SIM_SPEED = 80.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace

PAGE = "pages/4_Jobs.py"


@pytest.fixture
def key(request):
    return f"sk-page-jobs-{request.node.name}"


@pytest.fixture
def client(sim, key):
    return openai.OpenAI(api_key=key, base_url=sim.base_url, max_retries=0)


@pytest.fixture
def frozen(sim):
    """Call to stop the simulator's clock (almost): the job stays in its current status."""
    before = sim.speed
    yield lambda: setattr(sim, "speed", 0.001)
    sim.speed = before


def make_job(client, *, epochs: int | None = None, suffix: str = "page", metadata: dict | None = None) -> str:
    training = client.files.create(file=("train.jsonl", chat_jsonl(30)), purpose="fine-tune")
    validation = client.files.create(file=("valid.jsonl", chat_jsonl(10, "v")), purpose="fine-tune")
    hyper = {"n_epochs": epochs} if epochs else {}
    return client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=training.id,
        validation_file=validation.id,
        suffix=suffix,
        metadata=metadata,
        method={"type": "supervised", "supervised": {"hyperparameters": hyper}},
    ).id


def open_jobs(sim, key: str, job: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["backend"] = "custom"
    at.session_state["custom_base_url"] = sim.base_url
    at.session_state["custom_api_key"] = key
    at.run()
    if job:
        at.query_params["job"] = job
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    """Element texts as a reader sees them: API and file text is markdown-escaped (lib.display.md_escape)."""
    return "\n".join(str(e.value) for e in elements).replace("\\", "")


def job_calls(sim, job_id: str) -> list[dict]:
    return [r for r in sim.request_log if job_id in r["path"]]


def test_no_jobs_yet_points_to_launch(sim, key):
    at = open_jobs(sim, key)
    assert "No fine-tuning jobs on this connection yet" in texts(at.info)


def test_a_finished_job_by_link_shows_everything_and_is_not_polled(sim, client, key):
    job_id = make_job(client, metadata={jobs.ESTIMATE_TOKENS_KEY: "3000"})
    wait_status(client, job_id, {"succeeded"})
    at = open_jobs(sim, key, job=job_id)
    job = client.fine_tuning.jobs.retrieve(job_id)
    assert at.session_state["jobs_job"] == job_id and at.query_params["job"] == job_id
    assert [c.value for c in at.code][:1] == [job.fine_tuned_model]  # ready to copy
    assert "Best by validation loss" in texts(at.success)
    assert any(":ckpt-step-" in c.value for c in at.code)  # the best checkpoint, ready to copy
    assert "2027-01-14" in texts(at.warning)
    # OpenAI serves a fine-tune without deploying it: no Azure deployment steps or hosting fee here
    assert not any("az cognitiveservices" in c.value for c in at.code) and "hosting" not in texts(at.warning)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trained tokens"] == f"{job.trained_tokens:,}"
    assert metrics["Actual training cost"] == costs.usd(job.trained_tokens * 3.0 / 1e6)
    assert metrics["Pre-launch estimate"] == "$0.009"  # 3,000 tokens x $3.00 / 1M: under a cent, its digits kept
    assert {b.label for b in at.get("download_button")} >= {"Download archive", "Download result CSV"}
    assert len(at.get("plotly_chart")) == 2
    assert not [b for b in at.button if b.label in ("Cancel job", "Pause", "Resume")]
    sim.clear_log()
    at.run()
    at.slider(key="_jobs_smoothing").set_value(0.9).run()  # a fragment-only rerun
    assert job_calls(sim, job_id) == []  # everything about an ended job is already in session state


def test_picking_another_job_updates_the_url(sim, client, key):
    first = make_job(client, suffix="first")
    second = make_job(client, suffix="second")
    at = open_jobs(sim, key)
    assert at.session_state["jobs_job"] == second  # the newest opens by default
    at.selectbox(key="_jobs_job").set_value(first).run()
    assert at.session_state["jobs_job"] == first and at.query_params["job"] == first


def test_cancel_asks_first(sim, client, key, frozen):
    job_id = make_job(client)
    wait_status(client, job_id, {"running"})
    frozen()
    at = open_jobs(sim, key, job=job_id)
    sim.clear_log()
    at.button(key="jobs_cancel").click().run()
    assert "Training stops for good" in texts(at.warning)
    at.button(key="jobs_cancel_no").click().run()
    assert "Training stops for good" not in texts(at.warning)
    assert not [r for r in sim.request_log if r["path"].endswith("/cancel")]
    at.button(key="jobs_cancel").click().run()
    at.button(key="jobs_cancel_yes").click().run()
    assert [r["method"] for r in sim.request_log if r["path"].endswith(f"{job_id}/cancel")] == ["POST"]
    assert f"Job {job_id} cancelled." in texts(at.success)
    assert client.fine_tuning.jobs.retrieve(job_id).status == "cancelled"
    assert not [b for b in at.button if b.label == "Cancel job"]
    assert {b.label for b in at.get("download_button")} >= {"Download archive"}


def test_pause_and_resume(sim, client, key, frozen):
    job_id = make_job(client)
    wait_status(client, job_id, {"running"})
    frozen()
    at = open_jobs(sim, key, job=job_id)
    at.button(key="jobs_pause").click().run()
    assert client.fine_tuning.jobs.retrieve(job_id).status == "paused"
    assert "Paused" in [b.label for b in at.get("badge")] or "Paused" in texts(at.markdown)
    at.button(key="jobs_resume").click().run()
    assert client.fine_tuning.jobs.retrieve(job_id).status in ("queued", "running")
    assert f"Job {job_id} resumed." in texts(at.success)


def test_clone_into_launch_prefills_the_form(sim, client, key):
    job_id = make_job(client, epochs=2, suffix="clone-me", metadata={"team": "search"})
    wait_status(client, job_id, {"succeeded"})
    at = open_jobs(sim, key, job=job_id)
    at.button(key="jobs_clone").click().run()
    assert not at.exception, [e.value for e in at.exception]
    prefill = jobs.clone_prefill(client.fine_tuning.jobs.retrieve(job_id))
    assert prefill["suffix"] == "clone-me" and prefill["hyperparameters"]["n_epochs"] == 2
    # The Launch page took the prefill and copied it into its form (its own launch.prefill_form).
    from lib import launch

    form = launch.prefill_form(prefill)
    assert form["suffix"] == "clone-me" and form["n_epochs"] == "2" and form["metadata"] == "team=search"
    assert {name: at.session_state["launch_" + name] for name in form} == form


def test_compare_overlays_curves_and_shows_differences(sim, client, key):
    one = make_job(client, epochs=2, suffix="two")
    two = make_job(client, epochs=3, suffix="three")
    wait_status(client, one, {"succeeded"})
    wait_status(client, two, {"succeeded"})
    at = open_jobs(sim, key)
    at.segmented_control(key="_jobs_view").set_value("Compare").run()
    assert "Pick two or more jobs" in texts(at.info)
    at.multiselect(key="_jobs_compare").set_value([one, two]).run()
    assert not at.exception
    table = at.dataframe[-1].value  # the list first, then the comparison
    settings = dict(zip(table["setting"], zip(table[one], table[two])))
    assert settings["n_epochs"] == ("2", "3") and settings["suffix"] == ("two", "three")
    assert "model" not in settings and "Final train loss" in settings
    chart = at.get("plotly_chart")[-1]
    assert "two" in chart.proto.spec and "three" in chart.proto.spec
    at.toggle(key="_jobs_compare_all").set_value(True).run()
    assert "model" in list(at.dataframe[-1].value["setting"])


def test_the_backend_dropping_out_is_one_sentence_and_polling_recovers(sim, client, key, frozen):
    job_id = make_job(client)
    wait_status(client, job_id, {"running"})
    frozen()
    at = open_jobs(sim, key, job=job_id)
    port = sim.port
    sim.stop()
    try:
        time.sleep(1.0)  # older than the "fetched in this run" window
        at.run()
    finally:
        sim.start(host="127.0.0.1", port=port)
    assert not at.exception
    assert "Could not reach the API" in texts(at.warning) and "last seen" in texts(at.warning)
    time.sleep(1.0)
    at.run()
    assert "Could not reach the API" not in texts(at.warning)
    assert at.session_state["jobs_job"] == job_id


def test_bad_or_unknown_job_links(sim, client, key):
    make_job(client)
    at = open_jobs(sim, key, job="ftjob-doesnotexist")
    assert "Not found (404)" in texts(at.error) and not at.exception
    at = open_jobs(sim, key, job="<script>x</script>")
    assert "not a job id" in texts(at.warning)
    assert "<script>" not in texts(at.markdown) + texts(at.subheader)


def test_user_text_is_never_rendered_as_html(sim, client, key):
    marker = "<img src=x onerror=alert(1)>"
    job_id = make_job(client, metadata={"note": marker})
    at = open_jobs(sim, key, job=job_id)
    assert not [m for m in at.markdown if m.proto.allow_html]
    assert not [m for m in at.get("html")]


def test_a_failed_job_says_why_in_one_sentence(sim, client, key):
    bad = client.files.create(file=("bad.jsonl", b'{"messages": []}\n' * 12), purpose="fine-tune")
    job_id = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=bad.id).id
    wait_status(client, job_id, {"failed"})
    at = open_jobs(sim, key, job=job_id)
    errors = [texts([e]) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("The job failed: ") and "training_file" in errors[0]
    assert {b.label for b in at.get("download_button")} == {"Download archive"}  # no result file, still archived


def test_list_pages_and_filters(sim, client, key, frozen):
    training = client.files.create(file=("train.jsonl", chat_jsonl(30)), purpose="fine-tune")
    ids = [
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18", training_file=training.id, metadata={"batch": "a" if i % 2 else "b"}
        ).id
        for i in range(22)
    ]
    frozen()
    at = open_jobs(sim, key)
    assert "20 of 20 loaded jobs" in texts(at.caption)
    assert list(at.dataframe[0].value["id"]) == ids[::-1][:20]  # newest first
    at.button(key="jobs_older").click().run()
    assert "22 of 22 loaded jobs" in texts(at.caption) and not [b for b in at.button if b.key == "jobs_older"]
    at.text_input(key="_jobs_meta_filter").set_value("batch=a").run()  # filtered by the API
    assert set(at.dataframe[0].value["id"]) == set(ids[1::2])
    at.text_input(key="_jobs_meta_filter").set_value("").run()
    at.multiselect(key="_jobs_status_filter").set_value(["succeeded"]).run()
    assert "No fine-tuning jobs" not in texts(at.info) and len(at.dataframe[0].value) == 0
    at.multiselect(key="_jobs_status_filter").set_value([]).run()
    at.selectbox(key="_jobs_model_filter").set_value("gpt-4o-mini-2024-07-18").run()
    assert len(at.dataframe[0].value) == 20
    # The filters live in permanent keys (ui.bind): they survive a page switch.
    at.text_input(key="_jobs_meta_filter").set_value("batch=a").run()
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()
    assert at.text_input(key="_jobs_meta_filter").value == "batch=a"
    assert at.selectbox(key="_jobs_model_filter").value == "gpt-4o-mini-2024-07-18"
    assert set(at.dataframe[0].value["id"]) == set(ids[1::2])


def test_event_level_filter(sim, client, key):
    job_id = make_job(client)
    wait_status(client, job_id, {"succeeded"})
    at = open_jobs(sim, key, job=job_id)
    events = at.dataframe[1].value  # the list, then the events log
    assert len(events) > 90 and set(events["level"]) == {"info"}
    at.pills(key="_jobs_levels").set_value(["error"]).run()
    assert len(at.dataframe[1].value) == 0
