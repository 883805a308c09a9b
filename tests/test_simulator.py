"""The simulator through the real openai SDK over real HTTP (no mocks).

Each test uses its own API key, so tests sharing the module's simulator never
see each other's files or jobs (that isolation is itself under test).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest
from openai import AzureOpenAI, OpenAI

from lib.catalog import load_catalog
from lib.simulator import SimLimits, Simulator, ensure_demo_simulator
from lib.jobspec import resolve_hyperparameters
from lib.simulator.api import Request, Service
from lib.simulator.curve import MAX_METRIC_EVENTS
from lib.simulator.job import Job
from lib.simulator.state import VirtualClock, key_id
from lib.validate import validate_bytes
from tests.conftest import ROOT
from tests.factories import chat_lines, dpo_jsonl
from tests.factories import jsonl_of_lines as jsonl

SIM_SPEED = 200.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace

TERMINAL = ("succeeded", "failed", "cancelled")


@pytest.fixture
def key(request) -> str:
    """A key of this test only: its own namespace on the shared simulator."""
    return "sk-test-" + hashlib.sha256(request.node.name.encode()).hexdigest()[:16]


def client(sim: Simulator, key: str, **kwargs) -> OpenAI:
    kwargs.setdefault("max_retries", 0)
    return OpenAI(base_url=sim.base_url, api_key=key, **kwargs)


def upload(c, data: bytes | None = None, name: str = "train.jsonl", purpose: str = "fine-tune"):
    return c.files.create(file=(name, jsonl(chat_lines()) if data is None else data), purpose=purpose)


def wait_for(c, job_id: str, predicate=lambda job: job.status in TERMINAL, timeout: float = 15.0):
    deadline = time.time() + timeout
    while True:
        job = c.fine_tuning.jobs.retrieve(job_id)
        if predicate(job):
            return job
        if time.time() > deadline:
            raise AssertionError(f"job {job_id} stuck in {job.status}")
        time.sleep(0.02)


def metrics(c, job_id: str) -> list[dict]:
    """Metrics event data, oldest first."""
    events = list(c.fine_tuning.jobs.list_events(job_id, limit=100))
    return [e.data for e in reversed(events) if e.type == "metrics"]


# --- the happy path ------------------------------------------------------------------------------


def test_supervised_job_runs_to_success_with_events_checkpoints_and_results(sim, key):
    c = client(sim, key)
    train = upload(c)
    valid = upload(c, jsonl(chat_lines(5, offset=100)), name="valid.jsonl")
    assert (train.purpose, train.bytes, train.status) == ("fine-tune", len(jsonl(chat_lines())), "processed")

    job = c.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=train.id,
        validation_file=valid.id,
        suffix="arith",
        seed=42,
        metadata={"team": "maths"},
    )
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.hyperparameters.n_epochs == "auto" and job.fine_tuned_model is None
    assert job.metadata == {"team": "maths"} and job.seed == 42

    running = wait_for(c, job.id, lambda j: j.status != "validating_files" and j.status != "queued")
    if running.status == "running":
        assert running.estimated_finish is not None and running.estimated_finish >= running.created_at
        assert isinstance(running.hyperparameters.n_epochs, int)

    done = wait_for(c, job.id)
    assert done.status == "succeeded" and done.error is None
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:personal:arith:")
    assert done.finished_at >= done.created_at and done.estimated_finish is None
    # 12 examples: "auto" = min(25, 100 // 12) = 8 epochs, batch 1 -> 96 steps
    assert (done.hyperparameters.n_epochs, done.hyperparameters.batch_size) == (8, 1)
    assert done.method.type == "supervised" and done.method.supervised.hyperparameters.n_epochs == 8
    billed = validate_bytes(jsonl(chat_lines()), model="gpt-4o-mini").billed_tokens_per_epoch
    assert done.trained_tokens == billed * 8

    rows = metrics(c, job.id)
    assert [r["step"] for r in rows] == list(range(1, 97))
    assert all(r["total_steps"] == 96 for r in rows)
    assert all("valid_loss" in r and "valid_mean_token_accuracy" in r for r in rows)
    epoch_ends = [r["step"] for r in rows if "full_valid_loss" in r]
    assert epoch_ends == [12 * e for e in range(1, 9)]
    first, last = rows[:10], rows[-10:]
    assert sum(r["train_loss"] for r in last) < sum(r["train_loss"] for r in first) / 2  # it learns

    messages = [e.message for e in c.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert messages[0] == "The job has successfully completed"
    assert f"New fine-tuned model created: {done.fine_tuned_model}" in messages
    assert messages[-1] == "Created fine-tuning job"
    assert any(m.startswith("Step 96/96: training loss=") and "full validation loss=" in m for m in messages)

    checkpoints = c.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [ck.step_number for ck in checkpoints] == [96, 84, 72]  # the last 3 epochs, newest first
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-96"
    assert checkpoints[0].metrics.full_valid_loss is not None and checkpoints[0].fine_tuning_job_id == job.id

    assert len(done.result_files) == 1
    result = c.files.retrieve(done.result_files[0])
    assert result.purpose == "fine-tune-results"
    csv = base64.b64decode(c.files.content(result.id).read()).decode()
    header, *lines = csv.strip().split("\n")
    assert header == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(lines) == 96 and lines[0].startswith("1,") and lines[0].split(",")[3] != ""

    models = {m.id: m for m in c.models.list()}
    assert models[done.fine_tuned_model].shutdown_date == "2027-01-14"
    assert c.models.retrieve(done.fine_tuned_model).owned_by == done.organization_id


def test_events_page_towards_older_events_with_after(sim, key):
    c = client(sim, key)
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=upload(c).id)
    wait_for(c, job.id)
    everything = c.fine_tuning.jobs.list_events(job.id, limit=100)
    assert everything.has_more is True  # 96 metrics + message events > 100
    assert len(everything.data) == 100

    pages, after = [], None
    while True:
        page = c.fine_tuning.jobs.list_events(job.id, limit=7, **({"after": after} if after else {}))
        pages.append(page.data)
        if not page.has_more:
            break
        after = page.data[-1].id
    walked = [e for page in pages for e in page]
    assert all(len(p) == 7 for p in pages[:-1])
    assert [e.id for e in walked[:100]] == [e.id for e in everything.data]
    assert len({e.id for e in walked}) == len(walked)
    assert walked[-1].message == "Created fine-tuning job"
    times = [e.created_at for e in walked]
    assert times == sorted(times, reverse=True)  # newest first
    assert [e.id for e in c.fine_tuning.jobs.list_events(job.id, limit=7)] == [e.id for e in walked]  # auto-paging
    assert len(c.fine_tuning.jobs.list_events(job.id).data) == 20  # default limit
    assert len(c.fine_tuning.jobs.list_events(job.id, limit=500).data) == 100  # capped


def test_same_seed_gives_the_same_loss_curve(sim, key):
    c = client(sim, key)
    file_id = upload(c).id
    jobs = [c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, seed=seed) for seed in (5, 5, 6)]
    curves = [[r["train_loss"] for r in metrics(c, wait_for(c, j.id).id)] for j in jobs]
    assert curves[0] == curves[1]
    assert curves[0] != curves[2]


def test_dpo_job_resolves_beta_and_succeeds(sim, key):
    c = client(sim, key)
    data = upload(c, dpo_jsonl(), name="prefs.jsonl")
    job = c.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=data.id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": "auto", "n_epochs": 2}}},
    )
    assert job.method.type == "dpo" and job.method.dpo.hyperparameters.beta == "auto"
    done = wait_for(c, job.id)
    assert done.status == "succeeded"
    hyper = done.method.dpo.hyperparameters
    assert hyper.beta == 0.1 and hyper.n_epochs == 2 and hyper.batch_size == 1
    rows = metrics(c, job.id)
    assert rows[-1]["total_steps"] == 24 and rows[0]["train_loss"] < 1.0  # DPO loss starts near ln 2

    # a chat file is not preference data: the job fails while validating files
    chat = upload(c)
    failed = wait_for(
        c, c.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=chat.id, method={"type": "dpo"}).id
    )
    assert failed.status == "failed" and failed.error.param == "training_file"
    assert "dpo method" in failed.error.message


def test_invalid_training_file_fails_after_validating_naming_the_line(sim, key):
    c = client(sim, key)
    lines = chat_lines(12)
    lines[2] = '{"messages": [{"role": "user", "content": "unterminated}'
    bad = upload(c, jsonl(lines))
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=bad.id)
    assert job.status == "validating_files" and job.error is None
    failed = wait_for(c, job.id)
    assert failed.status == "failed"
    assert failed.error.param == "training_file" and failed.error.code == "invalid_training_file"
    assert failed.error.message.startswith("The job failed due to an invalid training file. Line 3:")
    assert failed.fine_tuned_model is None and failed.trained_tokens is None and failed.result_files == []
    events = c.fine_tuning.jobs.list_events(job.id).data
    assert events[0].level == "error" and events[0].message == failed.error.message
    assert c.fine_tuning.jobs.checkpoints.list(job.id).data == []

    # an empty line is named too; a validation-file error names the validation file
    lines = chat_lines(12)
    lines.insert(4, "")
    blank = wait_for(c, c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c, jsonl(lines)).id).id)
    assert "Line 5:" in blank.error.message
    bad_valid = upload(c, jsonl(['{"messages": 3}']), name="valid.jsonl")
    v = wait_for(
        c, c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id, validation_file=bad_valid.id).id
    )
    assert v.status == "failed" and v.error.param == "validation_file" and "validation file. Line 1:" in v.error.message


# --- listing -------------------------------------------------------------------------------------


def test_jobs_list_pages_newest_first_and_filters_metadata(sim, key):
    c = client(sim, key)
    file_id = upload(c).id
    created = [
        c.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=file_id, metadata={"run": str(i), "team": "a" if i % 2 else "b"}
        )
        for i in range(5)
    ]
    newest_first = [j.id for j in reversed(created)]
    page = c.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in page.data] == newest_first[:2] and page.has_more is True
    second = c.fine_tuning.jobs.list(limit=2, after=page.data[-1].id)
    assert [j.id for j in second.data] == newest_first[2:4]
    assert [j.id for j in c.fine_tuning.jobs.list(limit=2)] == newest_first  # auto-pagination
    last = c.fine_tuning.jobs.list(limit=2, after=newest_first[3])
    assert [j.id for j in last.data] == newest_first[4:] and last.has_more is False
    team_a = c.fine_tuning.jobs.list(metadata={"team": "a"})
    assert sorted(j.metadata["run"] for j in team_a) == ["1", "3"]
    assert [j.id for j in c.fine_tuning.jobs.list(metadata={"team": "a", "run": "3"})] == [created[3].id]


def test_files_list_filters_orders_pages_and_deletes(sim, key):
    c = client(sim, key)
    first, second = upload(c, name="a.jsonl"), upload(c, name="b.jsonl")
    other = c.files.create(file=("notes.txt", b"hello"), purpose="assistants")
    page = c.files.list(purpose="fine-tune", order="asc", limit=1)
    assert [f.id for f in page.data] == [first.id] and page.has_more is True
    assert [f.id for f in c.files.list(purpose="fine-tune", order="asc", limit=1)] == [first.id, second.id]
    assert [f.id for f in c.files.list()] == [other.id, second.id, first.id]  # newest first by default
    assert c.files.content(first.id).read() == jsonl(chat_lines())
    deleted = c.files.delete(first.id)
    assert deleted.deleted is True and deleted.id == first.id
    with pytest.raises(openai.NotFoundError):
        c.files.retrieve(first.id)
    assert first.id not in [f.id for f in c.files.list()]


def test_uploads_api_chunked_and_its_errors(sim, key):
    c = client(sim, key)
    data = jsonl(chat_lines(40))
    done = c.uploads.upload_file_chunked(
        file=data,
        filename="big.jsonl",
        bytes=len(data),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=1000,
        md5=hashlib.md5(data).hexdigest(),
    )
    assert done.status == "completed" and done.file.bytes == len(data)
    assert c.files.content(done.file.id).read() == data
    parts = [e for e in sim.request_log if e["key_id"] and e["path"].endswith("/parts") and done.id in e["path"]]
    assert len(parts) == math.ceil(len(data) / 1000)

    short = c.uploads.create(bytes=100, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part = c.uploads.parts.create(upload_id=short.id, data=b"x" * 10)
    with pytest.raises(openai.BadRequestError, match="100 bytes"):
        c.uploads.complete(upload_id=short.id, part_ids=[part.id])
    assert c.uploads.cancel(upload_id=short.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="cancelled"):
        c.uploads.parts.create(upload_id=short.id, data=b"x")
    with pytest.raises(openai.BadRequestError) as err:
        c.uploads.create(bytes=10, filename="notes.txt", mime_type="text/plain", purpose="fine-tune")
    assert err.value.param == "filename"


def test_models_list_retrieve_and_continue_training_from_a_fine_tune(sim, key):
    c = client(sim, key)
    models = {m.id: m for m in c.models.list()}
    catalog = load_catalog()
    live = [m for m in catalog.models.values() if not m.is_retired(sim.today)]
    assert {m.id for m in live} <= set(models)
    assert models["gpt-4o-mini"].shutdown_date == "2027-01-14"
    assert "gpt-3.5-turbo-0125" not in models  # shut down on 2026-10-23
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve("gpt-9-imaginary")

    first = wait_for(c, c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id).id)
    more = c.fine_tuning.jobs.create(model=first.fine_tuned_model, training_file=upload(c).id, suffix="v2")
    assert more.model == first.fine_tuned_model
    assert wait_for(c, more.id).fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:personal:v2:")


# --- user actions --------------------------------------------------------------------------------


def test_cancel_freezes_the_job(sim, key):
    c = client(sim, key)
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id)
    sim.speed = 40.0  # a wide running window, so the cancel lands while it runs even on a busy machine
    try:
        wait_for(c, job.id, lambda j: j.status == "running")
        cancelled = c.fine_tuning.jobs.cancel(job.id)
    finally:
        sim.speed = 200.0
    assert cancelled.status == "cancelled" and cancelled.fine_tuned_model is None
    events = [e.id for e in c.fine_tuning.jobs.list_events(job.id, limit=100)]
    time.sleep(0.3)  # at speed 200 the job would have finished by now
    again = c.fine_tuning.jobs.retrieve(job.id)
    assert again.status == "cancelled" and again.finished_at is not None
    assert [e.id for e in c.fine_tuning.jobs.list_events(job.id, limit=100)] == events
    assert c.fine_tuning.jobs.list_events(job.id).data[0].message == "Fine-tuning job cancelled"
    with pytest.raises(openai.BadRequestError, match="already been cancelled"):
        c.fine_tuning.jobs.cancel(job.id)


def test_pause_freezes_progress_and_resume_continues():
    sim = Simulator(speed=60.0).start()
    try:
        c = client(sim, "sk-pause")
        job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id)
        with pytest.raises(openai.BadRequestError, match="only a running job"):
            c.fine_tuning.jobs.pause(job.id)
        wait_for(c, job.id, lambda j: j.status == "running" and metrics(c, j.id))
        paused = c.fine_tuning.jobs.pause(job.id)
        assert paused.status == "paused" and paused.estimated_finish is None
        step_at_pause = metrics(c, job.id)[-1]["step"]
        time.sleep(0.4)  # 24 virtual seconds: a running job would move on ~25 of its 96 steps
        assert c.fine_tuning.jobs.retrieve(job.id).status == "paused"
        assert metrics(c, job.id)[-1]["step"] == step_at_pause
        resumed = c.fine_tuning.jobs.resume(job.id)
        assert resumed.status == "queued"  # briefly, as OpenAI's example response of resume shows
        done = wait_for(c, job.id)
        assert done.status == "succeeded"
        steps = [r["step"] for r in metrics(c, job.id)]
        assert steps == list(range(1, 97))  # continued where it stopped: no step lost or repeated
        messages = [e.message for e in c.fine_tuning.jobs.list_events(job.id, limit=100)]
        assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages
        assert messages.index("Fine-tuning job resumed") < messages.index("Fine-tuning job paused")
    finally:
        sim.stop()


def test_idempotency_key_returns_the_same_job(sim, key):
    c = client(sim, key)
    file_id = upload(c).id
    headers = {"Idempotency-Key": "launch-123"}
    first = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, extra_headers=headers)
    second = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, extra_headers=headers)
    assert first.id == second.id
    assert [j.id for j in c.fine_tuning.jobs.list()] == [first.id]
    other = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert other.id != first.id
    logged = [
        e["idempotency_key"]
        for e in sim.request_log
        if e["path"].endswith("/fine_tuning/jobs")
        and e["method"] == "POST"
        and e["key_id"] == hashlib.sha256(key.encode()).hexdigest()[:12]
    ]
    assert logged == ["launch-123", "launch-123", None]


# --- request checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, param",
    [
        ({"model": "gpt-9-imaginary"}, "model"),
        ({"model": "gpt-3.5-turbo"}, "model"),  # shut down 2026-10-23
        ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 512}}}},
            "method.supervised.hyperparameters.batch_size",
        ),
        ({"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0}}}}, "method.dpo.hyperparameters.beta"),
        ({"method": {"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}}}, "method.type"),
        ({"suffix": "my model"}, "suffix"),
        ({"seed": 2147483648}, "seed"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"training_file": "file-doesnotexist"}, "training_file"),
        ({"validation_file": "file-doesnotexist"}, "validation_file"),
    ],
)
def test_create_refuses_bad_requests_with_the_param(sim, key, changes, param):
    c = client(sim, key)
    model = "gpt-4.1-mini" if "dpo" in param else "gpt-4o-mini"  # DPO exists on the gpt-4.1 family only
    params = {"model": model, "training_file": upload(c).id, **changes}
    with pytest.raises(openai.BadRequestError) as err:
        c.fine_tuning.jobs.create(**params)
    assert err.value.param == param
    assert err.value.message and err.value.status_code == 400
    assert c.fine_tuning.jobs.list().data == []  # nothing was created


def test_create_refuses_a_file_with_the_wrong_purpose(sim, key):
    c = client(sim, key)
    notes = c.files.create(file=("notes.jsonl", jsonl(chat_lines())), purpose="assistants")
    with pytest.raises(openai.BadRequestError, match="purpose 'fine-tune'") as err:
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=notes.id)
    assert err.value.param == "training_file"
    with pytest.raises(openai.BadRequestError, match="Must be .jsonl"):
        c.files.create(file=("train.csv", b"a,b\n"), purpose="fine-tune")


def test_job_creation_is_refused_from_the_platform_deadline():
    deadline = load_catalog().no_new_jobs_from
    sim = Simulator(speed=200.0, today=deadline - dt.timedelta(days=1)).start()
    try:
        c = client(sim, "sk-deadline")
        file_id = upload(c).id
        assert c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).status == "validating_files"
        sim.today = deadline
        with pytest.raises(openai.PermissionDeniedError) as err:
            c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
        assert err.value.code == "fine_tuning_closed" and deadline.isoformat() in err.value.message
        sim.today = load_catalog().retirement_date
        assert "gpt-4o-mini" not in {m.id for m in c.models.list()}  # retired models leave the list
    finally:
        sim.stop()


# --- faults, auth, isolation ---------------------------------------------------------------------


def test_fault_presets_surface_as_typed_sdk_errors(sim, key):
    c = client(sim, key)
    file_id = upload(c).id
    create = dict(model="gpt-4.1-2025-04-14", training_file=file_id)

    sim.add_fault(preset="blocked_org")
    with pytest.raises(openai.PermissionDeniedError) as err:
        c.fine_tuning.jobs.create(**create)
    assert err.value.code == "organization_not_eligible"

    sim.add_fault(preset="daily_limit")
    c.fine_tuning.jobs.list()  # a GET does not trip a fault armed for job creation
    with pytest.raises(openai.RateLimitError) as err:
        c.fine_tuning.jobs.create(**create)
    assert err.value.code == "daily_rate_limit_exceeded"
    assert "fine-tuning requests per day for the model 'gpt-4.1-2025-04-14'" in err.value.message
    assert err.value.response.headers.get("retry-after") is None

    sim.add_fault(preset="rate_limit", path="/models")
    with pytest.raises(openai.RateLimitError) as err:
        c.models.list()
    assert err.value.response.headers["retry-after"] == "1" and err.value.code == "rate_limit_exceeded"

    sim.add_fault(preset="server_error")
    with pytest.raises(openai.InternalServerError):
        c.files.list()

    sim.add_fault(preset="drop")
    with pytest.raises(openai.APIConnectionError):
        c.files.list()

    sim.add_fault(preset="slow", path="/files")
    with pytest.raises(openai.APITimeoutError):
        client(sim, key, timeout=0.3).files.list()

    assert c.fine_tuning.jobs.create(**create).status == "validating_files"  # every fault was used up


def test_custom_faults_count_retry_and_clear(sim, key):
    c = client(sim, key)
    sim.add_fault(503, method="GET", path="/models", times=2, retry_after=0, message="Overloaded")
    for _ in range(2):
        with pytest.raises(openai.InternalServerError, match="Overloaded"):
            c.models.list()
    assert c.models.list().data
    # the SDK's own retries get through once the fault is used up
    sim.add_fault(500, path="/models", times=1)
    assert client(sim, key, max_retries=1).models.list().data
    sim.add_fault(404, path="/models", times=None)
    sim.clear_faults()
    assert c.models.list().data
    sim.latency = 0.2
    try:
        started = time.time()
        c.models.list()
        assert time.time() - started >= 0.2
    finally:
        sim.latency = 0.0


def test_authentication(sim):
    request = urllib.request.Request(sim.base_url + "/models")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 401
    assert "API key" in json.loads(err.value.read())["error"]["message"]

    sim.known_keys = {"sk-known-good"}
    try:
        assert client(sim, "sk-known-good").models.list().data
        with pytest.raises(openai.AuthenticationError) as bad:
            client(sim, "sk-WRONG-secret-value").models.list()
        assert bad.value.code == "invalid_api_key"
        assert "WRONG" not in bad.value.message and "secret" not in str(bad.value.body)
    finally:
        sim.known_keys = None


def test_two_keys_see_disjoint_objects(sim):
    alice, bob = client(sim, "sk-alice-isolation"), client(sim, "sk-bob-isolation")
    file_id = upload(alice).id
    job = alice.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, suffix="alice")
    done = wait_for(alice, job.id)
    bob_job = bob.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(bob).id)

    assert [j.id for j in bob.fine_tuning.jobs.list()] == [bob_job.id]
    assert [j.id for j in alice.fine_tuning.jobs.list()] == [job.id]
    assert file_id not in {f.id for f in bob.files.list()}
    assert done.fine_tuned_model not in {m.id for m in bob.models.list()}
    for call in (
        lambda: bob.fine_tuning.jobs.retrieve(job.id),
        lambda: bob.fine_tuning.jobs.cancel(job.id),
        lambda: bob.fine_tuning.jobs.list_events(job.id),
        lambda: bob.files.retrieve(file_id),
        lambda: bob.files.content(file_id),
        lambda: bob.models.retrieve(done.fine_tuned_model),
    ):
        with pytest.raises(openai.NotFoundError):
            call()
    with pytest.raises(openai.BadRequestError) as err:  # Bob cannot train on Alice's file or model
        bob.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert err.value.param == "training_file"
    with pytest.raises(openai.BadRequestError) as err:
        bob.fine_tuning.jobs.create(model=done.fine_tuned_model, training_file=upload(bob).id)
    assert err.value.param == "model"
    assert alice.fine_tuning.jobs.retrieve(job.id).organization_id != bob_job.organization_id


def test_request_log_never_contains_the_key(sim):
    secret = "sk-proj-SUPERSECRET-0123456789"
    c = client(sim, secret)
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id)
    c.fine_tuning.jobs.retrieve(job.id)
    az = AzureOpenAI(azure_endpoint=sim.root_url, api_version="2025-04-01-preview", api_key=secret, max_retries=0)
    az.fine_tuning.jobs.list()
    mine = [e for e in sim.request_log if e["key_id"] == hashlib.sha256(secret.encode()).hexdigest()[:12]]
    assert len(mine) == 4
    assert mine[0]["body"] == {"purpose": "fine-tune", "filename": "train.jsonl", "bytes": len(jsonl(chat_lines()))}
    assert mine[1]["body"]["model"] == "gpt-4o-mini" and mine[1]["status"] == 200
    assert "SUPERSECRET" not in repr(sim.request_log)
    assert set(mine[0]) == {"time", "method", "path", "query", "body", "key_id", "idempotency_key", "status"}


def test_azure_client_drives_the_same_api(sim, key):
    az = AzureOpenAI(azure_endpoint=sim.root_url, api_version="2025-04-01-preview", api_key=key, max_retries=0)
    uploaded = az.files.create(file=("train.jsonl", jsonl(chat_lines())), purpose="fine-tune")
    job = az.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded.id)
    done = wait_for(az, job.id)
    assert done.status == "succeeded"
    assert az.fine_tuning.jobs.list_events(job.id, limit=3).data[0].message == "The job has successfully completed"
    assert len(az.fine_tuning.jobs.checkpoints.list(job.id).data) == 3
    assert az.models.retrieve(done.fine_tuned_model).id == done.fine_tuned_model
    logged = [e for e in sim.request_log if e["key_id"] == hashlib.sha256(key.encode()).hexdigest()[:12]]
    assert all(e["path"].startswith("/openai/") for e in logged)
    assert all(e["query"].get("api-version") == "2025-04-01-preview" for e in logged)
    # the api-key header and a Bearer header with the same key reach the same namespace
    assert [j.id for j in client(sim, key).fine_tuning.jobs.list()] == [job.id]
    # the newer /openai/v1/ paths work too
    v1 = OpenAI(base_url=sim.root_url + "/openai/v1", api_key=key, max_retries=0)
    assert v1.fine_tuning.jobs.retrieve(job.id).id == job.id


def test_storage_limits_protect_a_public_demo():
    sim = Simulator(speed=200.0, limits=SimLimits(max_namespace_bytes=4000, max_files_per_namespace=3)).start()
    try:
        c = client(sim, "sk-limits")
        upload(c)  # about 1.8 kB
        with pytest.raises(openai.BadRequestError) as err:
            upload(c, jsonl(chat_lines(30)))
        assert err.value.code == "storage_limit_exceeded"
        with pytest.raises(openai.APIStatusError) as err:  # far too large: refused before reading it
            c.files.create(file=("huge.jsonl", b"x" * 2_000_000), purpose="fine-tune")
        assert err.value.status_code == 413
        other = client(sim, "sk-limits-other")
        assert upload(other).bytes > 0  # another key has its own quota
    finally:
        sim.stop()


def test_least_recently_used_and_idle_namespaces_are_dropped():
    wall = [1_000_000.0]
    service = Service(
        VirtualClock(1.0, wall=lambda: wall[0]),
        dt.date.today,
        SimLimits(max_total_bytes=5000, namespace_idle_seconds=3600),
        wall=lambda: wall[0],
    )
    data = jsonl(chat_lines())  # about 1.8 kB
    for name in ("sk-a", "sk-b", "sk-c"):
        ns = service.namespace(name)
        service.handle(ns, Request("POST", "files", form={"file": ("t.jsonl", data), "purpose": "fine-tune"}))
        wall[0] += 1800  # idle long enough to make room for the next key
    assert [ns.key_id for ns in service.namespaces.values()] == [key_id("sk-b"), key_id("sk-c")]  # "sk-a" made room
    wall[0] += 3601 + 60
    service.namespace("sk-d")
    assert [ns.key_id for ns in service.namespaces.values()] == [key_id("sk-d")]  # idle ones are gone


def test_stop_then_start_on_the_same_port_keeps_state():
    sim = Simulator(speed=200.0).start()
    try:
        c = client(sim, "sk-restart")
        job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(c).id)
        port = sim.port
        sim.stop()
        with pytest.raises(openai.APIConnectionError):
            c.fine_tuning.jobs.retrieve(job.id)
        sim.start(port=port)
        assert sim.base_url.endswith(f":{port}/v1")
        assert wait_for(c, job.id).status == "succeeded"
    finally:
        sim.stop()


def test_unknown_paths_and_bad_json_get_error_envelopes(sim, key):
    c = client(sim, key)
    with pytest.raises(openai.NotFoundError, match="Invalid URL"):
        c.get("/fine_tuning/nothing-here", cast_to=object)
    with pytest.raises(openai.BadRequestError, match="JSON"):
        c.post("/fine_tuning/jobs", cast_to=object, body=["not", "an", "object"])
    with pytest.raises(openai.NotFoundError):
        c.fine_tuning.jobs.retrieve("ftjob-doesnotexist")


# --- clock, time model and process helpers -------------------------------------------------------


def test_huge_jobs_keep_true_step_counts_with_a_bounded_number_of_events():
    clock = VirtualClock(1.0)
    job = Job(
        id="ftjob-huge",
        org_id="org-x",
        model="gpt-4o-mini-2024-07-18",
        base_model="gpt-4o-mini-2024-07-18",
        training_file="file-x",
        validation_file=None,
        method_type="supervised",
        requested_hyperparameters={},
        resolved_hyperparameters=resolve_hyperparameters({"batch_size": 1, "n_epochs": 3}, 200_000),
        suffix=None,
        seed=1,
        metadata=None,
        integrations=None,
        created_v=clock.now() - 10_000,
        created_at=0,
        examples=200_000,
        billed_tokens_per_epoch=1,
        fine_tuned_model_name="ft:gpt-4o-mini-2024-07-18:p::x",
    )
    events = job.events(clock.now(), clock)
    rows = [e["data"] for e in events if e["type"] == "metrics"]
    assert len(rows) <= MAX_METRIC_EVENTS + 3
    assert rows[0]["step"] == 600_000 and rows[0]["total_steps"] == 600_000
    assert {200_000, 400_000, 600_000} <= {r["step"] for r in rows}  # epoch ends are always reported
    assert [c["step_number"] for c in job.checkpoints(clock.now(), clock)] == [600_000, 400_000, 200_000]


def test_virtual_clock_speed_changes_never_jump():
    wall = [1000.0]
    clock = VirtualClock(10.0, wall=lambda: wall[0])
    wall[0] += 2
    assert clock.now() == 20.0
    clock.speed = 100.0
    assert clock.now() == 20.0
    wall[0] += 1
    assert clock.now() == 120.0
    assert clock.wall_time_of(10.0) == 1001.0 and clock.wall_time_of(120.0) == 1003.0
    assert clock.wall_time_of(220.0) == 1004.0  # the future, at the current speed
    with pytest.raises(ValueError):
        clock.speed = 0


def test_ensure_demo_simulator_starts_one_per_process():
    found = []
    threads = [threading.Thread(target=lambda: found.append(ensure_demo_simulator())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in found}) == 1
    demo = found[0]
    assert demo.speed == 1.0 and demo.running and demo.base_url.startswith("http://127.0.0.1:")
    from lib.connection import new_demo_key

    assert OpenAI(base_url=demo.base_url, api_key=new_demo_key(), max_retries=0).models.list().data
    with pytest.raises(openai.AuthenticationError):  # the app's demo serves only keys it minted
        OpenAI(base_url=demo.base_url, api_key="sk-demo-x", max_retries=0).models.list()


def test_command_line_prints_how_to_connect():
    proc = subprocess.Popen(
        [sys.executable, "-m", "lib.simulator", "--port", "0", "--speed", "10"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert "listening on http://127.0.0.1:" in lines[0] and "speed 10" in lines[0]
        assert "Any API key works" in lines[1]
        base_url = lines[2].split('base_url="')[1].split('"')[0]
        assert OpenAI(base_url=base_url, api_key="anything", max_retries=0).models.list().data
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- Azure OpenAI's dialect
AZURE_FT = r"^(?P<base>[a-z0-9.-]+-\d{4}-\d{2}-\d{2})\.ft-[0-9a-f]{32}$"


def azure_clients(sim: Simulator, key: str):
    """Both ways of reaching Azure OpenAI: the v1 API with the plain client, and the api-version client."""
    v1 = OpenAI(base_url=sim.root_url + "/openai/v1/", api_key=key, max_retries=0)
    versioned = AzureOpenAI(azure_endpoint=sim.root_url, api_version="2025-04-01-preview", api_key=key, max_retries=0)
    return v1, versioned


@pytest.mark.parametrize("way", ["v1", "api-version"])
def test_azure_paths_give_azure_ids_dates_and_columns(sim, way):
    import re

    v1, versioned = azure_clients(sim, f"az-{way}-ids")
    c = v1 if way == "v1" else versioned
    f = upload(c)
    assert re.fullmatch(r"file-[0-9a-f]{32}", f.id)
    job = c.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=f.id, suffix="x" * 40, extra_body={"trainingType": "GlobalStandard"}
    )
    assert re.fullmatch(r"ftjob-[0-9a-f]{32}", job.id) and job.model_extra["trainingType"] == "GlobalStandard"
    done = wait_for(c, job.id)
    assert done.status == "succeeded"
    match = re.fullmatch(AZURE_FT, done.fine_tuned_model)
    assert match and match["base"] == "gpt-4o-mini-2024-07-18"
    checkpoints = c.fine_tuning.jobs.checkpoints.list(job.id).data
    assert checkpoints and all(re.fullmatch(r"ftchkpt-[0-9a-f]{32}", k.id) for k in checkpoints)
    assert all(k.fine_tuned_model_checkpoint.startswith(done.fine_tuned_model + ":ckpt-step-") for k in checkpoints)
    csv_text = base64.b64decode(c.files.content(done.result_files[0]).read()).decode()
    assert csv_text.splitlines()[0] == (
        "step,train_loss,train_mean_token_accuracy,valid_loss,"
        "validation_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy"
    )
    # the models API shows Azure's dates, not OpenAI's 2027-01-14
    models = {m.id: m for m in c.models.list()}
    mine = models[done.fine_tuned_model].model_extra["deprecation"]
    assert dt.datetime.fromtimestamp(mine["inference"], dt.timezone.utc).date() == dt.date(2027, 10, 1)
    assert "gpt-3.5-turbo-0125" not in models and "gpt-4.1-nano-2025-04-14" in models  # Azure still trains nano
    # the OpenAI path of the same simulator keeps OpenAI's dialect
    plain = client(sim, f"sk-{way}-plain")
    assert plain.files.create(file=("t.jsonl", jsonl(chat_lines())), purpose="fine-tune").id.startswith("file-")
    assert all(m.shutdown_date for m in plain.models.list() if m.id.startswith("gpt-4o-mini"))


def test_azure_rules_suffix_training_type_and_dates(sim):
    v1, _ = azure_clients(sim, "az-rules")
    f = upload(v1)
    with pytest.raises(openai.BadRequestError) as err:
        v1.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id, suffix="x" * 41)
    assert err.value.param == "suffix" and "1 to 40 characters" in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        v1.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id, extra_body={"trainingType": "Cheapest"})
    assert err.value.param == "trainingType" and "GlobalStandard" in err.value.message
    # OpenAI knows no trainingType and still takes 64 characters of suffix
    plain = client(sim, "sk-rules")
    pf = upload(plain)
    with pytest.raises(openai.BadRequestError) as err:
        plain.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=pf.id, extra_body={"trainingType": "Standard"})
    assert err.value.param == "trainingType"
    assert plain.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=pf.id, suffix="x" * 64).id
    # after OpenAI's last day, Azure still trains gpt-4o-mini (until 2027-04-01) and gpt-4.1-nano
    try:
        sim.today = dt.date(2027, 2, 1)
        with pytest.raises(openai.PermissionDeniedError):
            plain.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=pf.id)
        assert v1.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id).status == "validating_files"
        sim.today = dt.date(2027, 4, 1)
        with pytest.raises(openai.BadRequestError) as err:
            v1.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id)
        assert "training ended on 2027-04-01" in err.value.message
        assert v1.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=f.id).id
    finally:
        sim.today = None


def test_azure_fine_tuned_model_continues_training(sim):
    v1, _ = azure_clients(sim, "az-continue")
    f = upload(v1)
    done = wait_for(v1, v1.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=f.id).id)
    again = v1.fine_tuning.jobs.create(model=done.fine_tuned_model, training_file=f.id)
    assert again.model == done.fine_tuned_model
    with pytest.raises(openai.BadRequestError):  # someone else's (or a made-up) fine-tune
        v1.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14.ft-" + "0" * 32, training_file=f.id)
