"""lib/jobs and lib/charts/jobs.py: pure logic on the SDK's typed objects, and the real SDK over HTTP against the simulator."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import time
import zipfile

import openai
import pytest
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib import jobs
from lib.charts.jobs import compare_figure, training_figure
from tests.factories import chat_jsonl
from tests.jobs_support import wait_status

SIM_SPEED = 80.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace

TODAY = dt.date(2026, 11, 26)


# ------------------------------------------------------------------------------- helpers
def job_of(**fields) -> FineTuningJob:
    """A job as the SDK builds it from a reply holding only ``fields``."""
    return FineTuningJob.construct(**fields)


def event_of(**fields) -> FineTuningJobEvent:
    return FineTuningJobEvent.construct(**fields)


def ev(i: int) -> FineTuningJobEvent:
    return event_of(id=f"ev{i}", created_at=1000 + i, level="info", message=f"event {i}", type="message")


def newest_first(n: int) -> list[FineTuningJobEvent]:
    return [ev(i) for i in range(n, 0, -1)]


def api_page(events: list[FineTuningJobEvent], after: str | None, limit: int) -> tuple[list[FineTuningJobEvent], bool]:
    """What the API answers for ``after`` over ``events`` (newest first)."""
    ids = [e.id for e in events]
    rest = events[ids.index(after) + 1 :] if after else events
    return rest[:limit], len(rest) > limit


@pytest.fixture
def client(sim, request):
    # One key per test: the simulator gives every key its own namespace.
    return openai.OpenAI(api_key=f"sk-test-jobs-{request.node.name}", base_url=sim.base_url, max_retries=0)


def create_job(client, *, examples: int = 30, validation: bool = True, **kwargs) -> FineTuningJob:
    training = client.files.create(file=("train.jsonl", chat_jsonl(examples)), purpose="fine-tune")
    params = dict(model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix="unit")
    if validation:
        params["validation_file"] = client.files.create(
            file=("valid.jsonl", chat_jsonl(10, "v")), purpose="fine-tune"
        ).id
    params.update(kwargs)
    return client.fine_tuning.jobs.create(**params)


# ------------------------------------------------------------------------------- EventLog (pure)
def test_event_log_first_page_then_only_new_events():
    log = jobs.EventLog()
    history = newest_first(3)
    assert log.merge_page(*api_page(history, None, 10)) is None
    assert [e.id for e in log.events] == ["ev3", "ev2", "ev1"] and log.complete
    history = newest_first(5)
    log.merge_page(*api_page(history, None, 10))
    assert [e.id for e in log.events] == ["ev5", "ev4", "ev3", "ev2", "ev1"]
    log.merge_page(*api_page(history, None, 10))  # nothing new: nothing changes
    assert len(log.events) == 5 and log.fetches == 3


def test_event_log_gap_is_filled_on_later_fetches_with_after():
    log = jobs.EventLog()
    log.merge_page(*api_page(newest_first(2), None, 3))
    history = newest_first(9)  # 7 new events, more than one page of 3
    cursor = log.merge_page(*api_page(history, None, 3))
    assert cursor == "ev7" and not log.complete  # ev9..ev7 fetched; ev6..ev3 still missing
    assert [e.id for e in log.events] == ["ev9", "ev8", "ev7", "ev2", "ev1"]
    cursor = log.merge_page(*api_page(history, cursor, 3))
    assert cursor == "ev4"
    cursor = log.merge_page(*api_page(history, cursor, 3))  # ev3, then the seen ev2: gap closed
    assert cursor is None and log.complete
    assert [e.id for e in log.events] == [f"ev{i}" for i in range(9, 0, -1)]


def test_event_log_walks_back_a_long_history_and_new_events_meanwhile():
    log = jobs.EventLog()
    history = newest_first(10)
    cursor = log.merge_page(*api_page(history, None, 4))
    assert cursor == "ev7" and not log.reached_start
    history = newest_first(12)  # two new events arrive while the old ones are still being read
    cursor = log.merge_page(*api_page(history, cursor, 4))
    assert cursor == "ev3"
    cursor = log.merge_page(*api_page(history, cursor, 4))
    assert cursor is None and log.reached_start
    log.merge_page(*api_page(history, None, 4))
    assert [e.id for e in log.events] == [f"ev{i}" for i in range(12, 0, -1)] and log.complete


def test_event_log_newest_page_while_a_gap_is_open_keeps_both():
    log = jobs.EventLog()
    log.merge_page(*api_page(newest_first(6), None, 2))  # ev6 ev5, gap below ev5
    history = newest_first(10)
    log.merge_page(*api_page(history, None, 2), after=None)  # ev10 ev9, a second gap below ev9
    assert log.gaps == ["ev5", "ev9"]
    while log.gaps:
        log.merge_page(*api_page(history, log.cursor, 2))
    assert [e.id for e in log.events] == [f"ev{i}" for i in range(10, 0, -1)]


# ------------------------------------------------------------------------------- pure helpers
def test_metric_rows_and_smoothing():
    events = [
        event_of(id="a", type="metrics", data={"step": 2, "total_steps": 4, "train_loss": 1.0, "valid_loss": 1.2}),
        event_of(id="b", type="message", message="hello"),
        event_of(id="c", type="metrics", data={"step": 1, "total_steps": 4, "train_loss": 2.0}),
    ]
    rows = jobs.metric_rows(events)
    assert [r["step"] for r in rows] == [1, 2] and "valid_loss" not in rows[0]
    assert jobs.job_progress(job_of(status="running"), rows).text() == "Step 2 of 4 (50%)"
    assert jobs.job_progress(job_of(status="succeeded"), rows).fraction == 1.0
    assert jobs.smooth([2.0, None, 1.0], 0.5) == [2.0, None, 1.5]
    assert jobs.smooth([2.0, 1.0], 0.0) == [2.0, 1.0]


def test_decode_result_file_base64_then_utf8():
    text = "step,train_loss\n1,1.5\n"
    assert jobs.decode_result_file(base64.b64encode(text.encode())) == text
    assert jobs.decode_result_file(base64.b64encode(text.encode()) + b"\n") == text
    assert jobs.decode_result_file(text.encode()) == text  # plain CSV stays as it is
    assert jobs.decode_result_file(b"abcd") == "abcd"  # valid base64 of binary junk: kept as text
    assert jobs.decode_result_file(b"\xff\xfe1,2") == "\ufffd\ufffd1,2"  # never raises
    rows = jobs.parse_result_csv("step,train_loss,valid_loss\n1,1.5,\n2,1.2,1.4\n")
    assert rows == [
        {"step": 1, "train_loss": 1.5, "valid_loss": None},
        {"step": 2, "train_loss": 1.2, "valid_loss": 1.4},
    ]


def test_error_sentence_ignores_empty_error_objects():
    assert jobs.error_sentence(job_of(error={})) is None
    assert jobs.error_sentence(job_of(error={"code": None, "message": None, "param": None})) is None
    assert jobs.error_sentence(job_of(error=None)) is None
    sentence = jobs.error_sentence(
        job_of(error={"code": "invalid_training_file", "message": "Bad line 3", "param": "training_file"})
    )
    assert sentence == "Bad line 3. (field: training_file, code: invalid_training_file)"


def test_status_timeline_from_events():
    job = job_of(status="running", created_at=100)
    events = [  # newest first
        event_of(message="Fine-tuning job started", created_at=130),
        event_of(message="Files validated, moving job to queued state", created_at=110),
        event_of(message="Validating training file: file-1", created_at=100),
    ]
    steps = jobs.status_timeline(job, events)
    assert [(s.status, s.state, s.at) for s in steps] == [
        ("validating_files", "done", 100),
        ("queued", "done", 110),
        ("running", "current", 130),
        ("succeeded", "pending", None),
    ]
    paused = jobs.status_timeline(
        job_of(status="paused"), [event_of(message="Fine-tuning job paused", created_at=140), *events]
    )
    assert [s.status for s in paused] == ["validating_files", "queued", "running", "paused", "succeeded"]
    failed = jobs.status_timeline(
        job_of(status="failed", finished_at=120),
        [event_of(message="Invalid file", level="error", created_at=120), events[-1]],
    )
    assert [(s.status, s.state) for s in failed] == [
        ("validating_files", "done"),
        ("queued", "skipped"),
        ("running", "skipped"),
        ("failed", "done"),
    ]


def test_unknown_status_is_not_terminal():
    assert not jobs.is_terminal("paused") and not jobs.is_terminal("brand_new_status")
    assert jobs.is_terminal("cancelled") and jobs.status_label("brand_new_status") == "brand_new_status"


def test_cost_actual_against_metadata_estimate():
    job = job_of(
        model="gpt-4o-mini-2024-07-18", trained_tokens=2_000_000, metadata={jobs.ESTIMATE_TOKENS_KEY: "1500000"}
    )
    cost = jobs.job_cost(job)
    assert cost.price_per_1m == 3.0 and cost.actual_usd == pytest.approx(6.0)
    assert cost.estimated_usd == pytest.approx(4.5) and cost.difference_usd == pytest.approx(1.5)
    running = jobs.job_cost(job_of(model="gpt-4o-mini-2024-07-18", trained_tokens=None))
    assert running.actual_usd is None and "known when the job" in running.note
    junk = jobs.job_cost(job_of(model="gpt-4o-mini-2024-07-18", metadata={jobs.ESTIMATE_USD_KEY: "lots"}))
    assert junk.estimated_usd is None


def test_shutdown_note_names_the_retirement():
    note = jobs.shutdown_note("ft:gpt-4o-mini-2024-07-18:org:x:abc", TODAY)
    assert note.date == dt.date(2027, 1, 14) and note.days_left == 49
    assert "2027-01-14" in note.text and "retirement" in note.text
    gone = jobs.shutdown_note("gpt-3.5-turbo-0125", TODAY)
    assert gone.days_left < 0 and "was shut down" in gone.text
    assert "unknown" in jobs.shutdown_note("my-own-model", TODAY).text


def test_best_checkpoint_by_valid_loss():
    ckpts = [
        FineTuningJobCheckpoint.construct(id="c1", step_number=30, metrics={"valid_loss": 0.5, "full_valid_loss": 0.6}),
        FineTuningJobCheckpoint.construct(id="c2", step_number=60, metrics={"valid_loss": 0.3, "full_valid_loss": 0.4}),
        FineTuningJobCheckpoint.construct(
            id="c3", step_number=90, metrics={"valid_loss": 0.35, "full_valid_loss": 0.2}
        ),
    ]
    assert jobs.best_checkpoint(ckpts)["id"] == "c2"
    no_valid = [FineTuningJobCheckpoint.construct(id="c", step_number=1, metrics={"train_loss": 0.1})]
    assert jobs.best_checkpoint(no_valid) is None


def test_metadata_filter_parsing():
    assert jobs.parse_metadata_filter(" team = search , run=7") == {"team": "search", "run": "7"}
    assert jobs.parse_metadata_filter("") == {}
    with pytest.raises(ValueError, match="key=value"):
        jobs.parse_metadata_filter("team")


def test_clone_prefill_drops_the_old_estimate():
    job = job_of(
        model="gpt-4o-mini-2024-07-18",
        method={
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2.0}},
        },
        fine_tuned_model="ft:gpt-4o-mini-2024-07-18:org:mysuffix:abc",
        seed=7,
        metadata={"team": "a", jobs.ESTIMATE_TOKENS_KEY: "5"},
        training_file="file-t",
        validation_file=None,
    )
    assert jobs.clone_prefill(job) == {
        "model": "gpt-4o-mini-2024-07-18",
        "method": "supervised",
        "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2.0},
        "suffix": "mysuffix",
        "seed": 7,
        "metadata": {"team": "a"},
        "training_file": "file-t",
        "validation_file": None,
    }


def test_charts_draw_each_series():
    rows = [
        {
            "step": s,
            "total_steps": 4,
            "train_loss": 2.0 / s,
            "valid_loss": 2.2 / s,
            "train_mean_token_accuracy": 0.5 + s / 10,
        }
        for s in (1, 2, 3, 4)
    ]
    rows[-1]["full_valid_loss"] = 0.6
    fig = training_figure(rows, smoothing=0.6, total_steps=4)
    names = [t.name for t in fig.data]
    assert {"Train", "Validation", "Full validation"} <= set(names)
    assert len(training_figure(rows, accuracy=True).data) == 1
    assert training_figure([]).layout.annotations  # the empty chart says what it waits for
    overlay = compare_figure({"job a": rows, "job b": rows[:2]}, "train_loss")
    assert [t.name for t in overlay.data] == ["job a", "job b"]


# ------------------------------------------------------------------------------- against the simulator
def test_poll_makes_two_calls_and_follows_the_job_to_the_end(sim, client):
    job = create_job(client)
    watch = jobs.JobWatch(job)
    seen_statuses = []
    sim.clear_log()
    deadline = time.time() + 30
    while not watch.terminal and time.time() < deadline:
        before = len(sim.request_log)
        jobs.poll(client, watch)
        calls = sim.request_log[before:]
        assert len(calls) == 2, calls
        assert calls[0]["path"].endswith(job.id) and calls[1]["path"].endswith("/events")
        if not seen_statuses or seen_statuses[-1] != watch.status:
            seen_statuses.append(watch.status)
        time.sleep(0.1)
    assert watch.status == "succeeded" and "running" in seen_statuses
    jobs.load_final(client, watch)
    assert watch.final_loaded
    everything = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    assert [e.id for e in watch.log.events] == [e.id for e in everything]
    rows = jobs.metric_rows(watch.log.events)
    assert rows[-1]["step"] == rows[-1]["total_steps"] == jobs.job_progress(watch.job, rows).total_steps
    assert len(watch.checkpoints) == 3
    (csv_text,) = watch.result_files.values()
    assert csv_text.startswith("step,train_loss")  # base64 decoded
    assert len(jobs.parse_result_csv(csv_text)) == len(rows)
    assert jobs.best_checkpoint(watch.checkpoints)["checkpoint"].startswith(watch.job.fine_tuned_model)
    assert {watch.job.training_file, watch.job.validation_file} <= set(watch.files)
    steps = jobs.status_timeline(watch.job, watch.log.events)
    assert all(s.state == "done" and s.at for s in steps)
    assert jobs.job_cost(watch.job).actual_usd == pytest.approx(watch.job.trained_tokens * 3.0 / 1e6)


def test_events_catch_up_with_after_from_a_small_page(sim, client):
    job = create_job(client)
    wait_status(client, job.id, {"succeeded"})
    log = jobs.EventLog()
    sim.clear_log()
    jobs.fetch_events_page(client, job.id, log, limit=10)
    assert log.cursor == log.events[-1].id and len(log.events) == 10
    while log.cursor:
        jobs.fetch_events_page(client, job.id, log, limit=10)
    queries = [r["query"] for r in sim.request_log if r["path"].endswith("/events")]
    assert "after" not in queries[0] and all("after" in q for q in queries[1:]) and len(queries) > 2
    everything = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    assert [e.id for e in log.events] == [e.id for e in everything] and log.complete
    assert [e.id for e in jobs.fetch_all_events(client, job.id, limit=7).events] == [e.id for e in everything]


def test_cancel_pause_resume(sim, client):
    job = create_job(client, validation=False)
    wait_status(client, job.id, {"running"})
    paused = jobs.pause_job(client, job.id)
    assert paused.status == "paused" and not jobs.is_terminal(paused.status)
    resumed = jobs.resume_job(client, job.id)
    assert resumed.status in ("queued", "running")
    cancelled = jobs.cancel_job(client, job.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        jobs.cancel_job(client, job.id)  # already ended: the page shows the API's sentence
    watch = jobs.load_final(client, jobs.JobWatch(jobs.fetch_job(client, job.id)))
    history = [s for s, _ in jobs.status_history(watch.job, watch.log.events)]
    assert history == ["validating_files", "queued", "running", "paused", "queued", "cancelled"]
    assert watch.checkpoints == [] and watch.result_files == {}


def test_failed_job_has_an_error_sentence(sim, client):
    bad = client.files.create(file=("bad.jsonl", b'{"messages": []}\n' * 12), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=bad.id)
    job = wait_status(client, job.id, {"failed", "succeeded"})
    assert job.status == "failed" and jobs.error_sentence(job)


def test_list_page_metadata_filter_and_merge(sim, client):
    a = create_job(client, validation=False, metadata={"team": "search"})
    b = create_job(client, validation=False, metadata={"team": "ads"})
    page = jobs.list_jobs_page(client, limit=1)
    assert [j.id for j in page.jobs] == [b.id] and page.has_more and page.next_after == b.id
    older = jobs.list_jobs_page(client, after=page.next_after, limit=1)
    assert [j.id for j in older.jobs] == [a.id]
    only = jobs.list_jobs_page(client, metadata={"team": "search"})
    assert [j.id for j in only.jobs] == [a.id] and not only.has_more
    c = create_job(client, validation=False)
    merged = jobs.merge_job_lists(page.jobs + older.jobs, jobs.list_jobs_page(client, limit=2).jobs)
    assert [j.id for j in merged] == [c.id, b.id, a.id]
    assert jobs.filter_jobs(merged, model="gpt-4o-mini-2024-07-18") == merged
    assert jobs.filter_jobs(merged, statuses=["succeeded"]) == [j for j in merged if j.status == "succeeded"]
    table = jobs.jobs_table(merged)
    assert set(table[0]) >= {"status", "model", "created", "fine_tuned_model", "trained_tokens", "id"}
    running = merged[0].model_copy(update={"status": "running", "trained_tokens": None})
    done = merged[0].model_copy(update={"status": "succeeded", "trained_tokens": 1234567})
    assert [row["trained_tokens"] for row in jobs.jobs_table([running, done])] == ["—", "1,234,567"]


def test_a_listing_reads_the_api_only_as_far_as_needed(sim, client):
    a = create_job(client, validation=False)
    b = create_job(client, validation=False)
    seen = jobs.update_listing(client, None, ("conn", ()), {}, now=100.0, page_size=1)
    assert [j.id for j in seen.jobs] == [b.id] and seen.has_more
    same = jobs.update_listing(client, seen, ("conn", ()), {}, now=110.0, page_size=1, max_age_s=30)
    assert same is seen and seen.fetched_at == 100.0  # young enough: nothing asked
    jobs.update_listing(client, seen, ("conn", ()), {}, now=111.0, older=True, page_size=1, max_age_s=30)
    assert [j.id for j in seen.jobs] == [b.id, a.id]
    c = create_job(client, validation=False)
    jobs.update_listing(client, seen, ("conn", ()), {}, now=200.0, page_size=1, max_age_s=30)  # old: merged
    assert [j.id for j in seen.jobs] == [c.id, b.id, a.id] and seen.fetched_at == 200.0
    other = jobs.update_listing(client, seen, ("conn", (("team", "x"),)), {"team": "x"}, now=201.0)
    assert other is not seen and other.jobs == []  # another filter starts afresh


def test_compare_table_shows_differences_and_final_metrics(sim, client):
    def method(epochs):
        return {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs}}}

    one = create_job(client, method=method(2), seed=1)
    two = create_job(client, method=method(3), seed=1)
    watches = []
    for job in (one, two):
        wait_status(client, job.id, {"succeeded"})
        watches.append(jobs.load_final(client, jobs.JobWatch(jobs.fetch_job(client, job.id))))
    table = jobs.compare_table([w.job for w in watches], {w.job.id: jobs.metric_rows(w.log.events) for w in watches})
    settings = {row["setting"]: row for row in table}
    assert settings["n_epochs"][one.id] == "2" and settings["n_epochs"][two.id] == "3"
    assert "seed" not in settings and "model" not in settings  # equal settings are hidden
    assert settings["Final train loss"][one.id] and settings["Best full validation loss"][two.id]
    full = jobs.compare_table([w.job for w in watches], {}, only_differences=False)
    assert "model" in {row["setting"] for row in full}


def test_archive_holds_everything_about_the_job(sim, client):
    job = create_job(client, metadata={jobs.ESTIMATE_TOKENS_KEY: "1000"})
    wait_status(client, job.id, {"succeeded"})
    watch = jobs.load_final(client, jobs.JobWatch(jobs.fetch_job(client, job.id)))
    data = jobs.build_archive(
        watch.job, watch.log.events, watch.checkpoints, watch.result_files, watch.files, today=TODAY
    )
    zf = zipfile.ZipFile(io.BytesIO(data))
    root = job.id + "/"
    (result_id,) = watch.job.result_files
    assert sorted(zf.namelist()) == sorted(
        root + n
        for n in (
            "README.txt",
            "job.json",
            "events.jsonl",
            "metrics.csv",
            "checkpoints.json",
            "files.json",
            f"results/{result_id}.csv",
        )
    )
    assert json.loads(zf.read(root + "job.json")) == jobs.as_dict(watch.job)  # the reply as the API sent it
    events = [json.loads(line) for line in zf.read(root + "events.jsonl").decode().splitlines()]
    assert [e["id"] for e in events] == [e.id for e in reversed(watch.log.events)]  # oldest first
    assert events[0]["message"] == "Created fine-tuning job"
    assert len(json.loads(zf.read(root + "checkpoints.json"))) == 3
    assert set(json.loads(zf.read(root + "files.json"))) >= {watch.job.training_file, result_id}
    assert zf.read(root + f"results/{result_id}.csv").decode().startswith("step,train_loss")
    metrics = zf.read(root + "metrics.csv").decode().splitlines()
    assert metrics[0].startswith("step,total_steps,train_loss") and len(metrics) > 10
    readme = zf.read(root + "README.txt").decode()
    assert "2027-01-14" in readme and "winding down" in readme and watch.job.fine_tuned_model in readme
    assert jobs.archive_name(watch.job) == f"{job.id}-archive.zip"


# ------------------------------------------------------------------------------- Azure OpenAI
AZURE_FT = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef"


@pytest.fixture
def azure_client(sim, request):
    """Azure OpenAI's v1 API on the simulator (Azure ids, dates and CSV columns)."""
    return openai.OpenAI(
        api_key=f"az-test-jobs-{request.node.name}", base_url=sim.root_url + "/openai/v1/", max_retries=0
    )


def test_result_csv_is_read_in_both_spellings():
    openai_csv = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,1.5,0.5,1.6,0.4\n"
    azure_csv = (
        "step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,"
        "full_valid_loss,full_valid_mean_token_accuracy\n1,1.5,0.5,1.6,0.4,1.7,0.3\n"
    )
    (first,), (second,) = jobs.parse_result_csv(openai_csv), jobs.parse_result_csv(azure_csv)
    common = {
        "step": 1,
        "train_loss": 1.5,
        "train_mean_token_accuracy": 0.5,
        "valid_loss": 1.6,
        "valid_mean_token_accuracy": 0.4,
    }
    assert first == common
    assert second == {**common, "full_valid_loss": 1.7, "full_valid_mean_token_accuracy": 0.3}
    assert set(second) <= {"step", *jobs.METRIC_KEYS}  # one name per metric, whichever backend wrote it


def test_azure_ids_are_recognised():
    assert jobs.is_checkpoint_id("ftchkpt-6e0215b6a889694118267ea916d926df")
    assert jobs.is_checkpoint_id("ftckpt_zb8f2lTNOpVyROvKcr7sKj5e")
    assert not jobs.is_checkpoint_id("ftchkpt-NOT HEX") and not jobs.is_checkpoint_id("ftjob-abc")
    assert jobs.is_job_id("ftjob-502ab2db8526dd57e9bdb66c5e24b103")
    rows = jobs.checkpoint_rows(
        [
            FineTuningJobCheckpoint.construct(
                id="ftchkpt-6e02",
                step_number=20,
                metrics={"valid_loss": 0.9},
                fine_tuned_model_checkpoint=AZURE_FT + ":ckpt-step-20",
            )
        ]
    )
    assert rows[0]["step"] == 20 and rows[0]["checkpoint"].endswith(":ckpt-step-20")


def test_azure_shutdown_note_names_azures_date_not_openais():
    azure = jobs.shutdown_note(AZURE_FT, TODAY, calendar="azure")
    assert "this fine-tune's deployment answers until 2027-10-01" in azure.text
    assert azure.date == dt.date(2027, 10, 1) and azure.days_left == 309
    assert "2027-01-14" not in azure.text and "2027-01-06" not in azure.text
    openai_note = jobs.shutdown_note(AZURE_FT, TODAY)
    assert openai_note.date == dt.date(2027, 1, 14)
    nano = jobs.shutdown_note("gpt-4.1-nano-2025-04-14.ft-" + "a" * 32, TODAY, calendar="azure")
    assert "2027-10-14" in nano.text and "2026-10-23" not in nano.text  # retired on OpenAI, live on Azure


def test_deploying_on_azure_request_and_command_are_exact():
    deployment = jobs.azure_deployment(AZURE_FT)
    assert deployment.deployment == "gpt-4o-mini-ft-01234567"
    assert deployment.url == (
        "https://management.azure.com/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/"
        "Microsoft.CognitiveServices/accounts/<azure-openai-resource>/deployments/gpt-4o-mini-ft-01234567"
        "?api-version=2024-10-21"
    )
    assert deployment.body == {
        "sku": {"name": "standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": AZURE_FT, "version": "1"}},
    }
    assert f"--model-name {AZURE_FT} --model-version 1 --model-format OpenAI" in deployment.az_command
    assert deployment.az_command.startswith("az cognitiveservices account deployment create")
    assert "az account get-access-token" in deployment.curl and json.dumps(deployment.body) in deployment.curl
    assert "deployment delete" in deployment.az_delete and "gpt-4o-mini-ft-01234567" in deployment.az_delete


def test_a_hostile_model_id_cannot_break_out_of_the_copied_commands():
    import shlex

    hostile = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef'; rm -rf ~; echo '"
    deployment = jobs.azure_deployment(hostile)
    words = shlex.split(deployment.az_command.replace("\\\n", " "))
    assert words[words.index("--model-name") + 1] == hostile  # one argument, exactly the id
    assert "rm" not in words and ";" not in "".join(w for w in words if w != hostile)
    curl_words = shlex.split(deployment.curl.replace("\\\n", " "))
    assert json.loads(curl_words[curl_words.index("-d") + 1])["properties"]["model"]["name"] == hostile
    assert all(c.isalnum() or c in "._-" for c in deployment.deployment)


def test_hosting_costs_per_month_and_the_charges_note():
    costs = {c.deployment_type: c for c in jobs.azure_hosting_costs()}
    assert costs["standard"].usd_per_month == pytest.approx(1.70 * 720) == pytest.approx(1224.0)
    assert costs["global_standard"].usd_per_month == pytest.approx(1224.0) and costs["global_standard"].doubtful
    assert costs["developer"].usd_per_month == 0 and "24 hours" in costs["developer"].note
    note = jobs.azure_charges_note()
    assert "does not stop a deployment's charges" in note and "15 days" in note


def test_azure_cost_is_labelled_openais_list_price():
    cost = jobs.job_cost(job_of(model="gpt-4o-mini-2024-07-18", trained_tokens=1_000_000), calendar="azure")
    assert cost.actual_usd == pytest.approx(3.0)
    assert "OpenAI's list price" in cost.note and "Azure" in cost.note


def test_an_azure_job_end_to_end_through_the_watcher(sim, azure_client):
    training = azure_client.files.create(file=("train.jsonl", chat_jsonl(30)), purpose="fine-tune")
    validation = azure_client.files.create(file=("valid.jsonl", chat_jsonl(10, "v")), purpose="fine-tune")
    job = azure_client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=training.id,
        validation_file=validation.id,
        extra_body={"trainingType": "Developer"},
    )
    wait_status(azure_client, job.id, {"succeeded"})
    watch = jobs.load_final(azure_client, jobs.JobWatch(jobs.fetch_job(azure_client, job.id)))
    assert watch.job.fine_tuned_model.startswith("gpt-4o-mini-2024-07-18.ft-")
    assert all(jobs.is_checkpoint_id(c.id) and c.id.startswith("ftchkpt-") for c in watch.checkpoints)
    best = jobs.best_checkpoint(watch.checkpoints)
    assert best is not None and best["checkpoint"].startswith(watch.job.fine_tuned_model + ":ckpt-step-")
    (text,) = watch.result_files.values()
    assert text.startswith("step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy")
    rows = jobs.parse_result_csv(text)
    assert rows and all(r["valid_mean_token_accuracy"] is not None for r in rows if r["valid_loss"] is not None)
    readme = jobs.archive_readme(watch.job, TODAY, events=1, checkpoints=3, result_files=[], calendar="azure")
    assert "2027-10-01" in readme and "2027-01-14" not in readme and "Azure OpenAI" in readme
