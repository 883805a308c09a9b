"""lib/jobs: what the Jobs page asks of it (watch store, opening a job, actions, list view, rows, archive snapshot).

Pure parts on hand-built jobs; the calls through the real SDK over HTTP against the simulator.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import zipfile

import openai
import pytest
from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib import jobs
from tests.factories import chat_jsonl
from tests.jobs_support import wait_status

SIM_SPEED = 80.0
TODAY = dt.date(2026, 11, 26)


def job(**fields) -> FineTuningJob:
    """A job as the SDK builds it from a reply with only the fields a test needs."""
    return FineTuningJob.construct(
        **{"id": "ftjob-1", "status": "running", "model": "gpt-4o-mini-2024-07-18", **fields}
    )


@pytest.fixture
def client(sim, request):
    return openai.OpenAI(api_key=f"sk-jobs-watch-{request.node.name}", base_url=sim.base_url, max_retries=0)


def start_job(client, **kwargs) -> str:
    training = client.files.create(file=("train.jsonl", chat_jsonl(30)), purpose="fine-tune")
    return client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix="watch", **kwargs
    ).id


# ------------------------------------------------------------------------------- the watch store
def test_the_store_keeps_the_newest_and_never_drops_a_job_in_use():
    store = jobs.WatchStore(limit=3)
    for i in range(1, 5):
        store.keep("conn-a", jobs.JobWatch(job(id=f"ftjob-{i}")), in_use={"ftjob-1"})
    assert len(store) == 3
    assert store.get("conn-a", "ftjob-1") is not None  # in use: kept although the oldest
    assert store.get("conn-a", "ftjob-2") is None  # the oldest not in use went
    assert [k for k, _ in store.items()] == ["conn-a:ftjob-1", "conn-a:ftjob-3", "conn-a:ftjob-4"]
    store.keep("conn-a", jobs.JobWatch(job(id="ftjob-3", status="succeeded")))  # kept again: the newest
    assert [k for k, _ in store.items()][-1] == "conn-a:ftjob-3"
    assert store.jobs("conn-a")["ftjob-3"].status == "succeeded"


def test_the_store_separates_connections_and_may_hold_more_in_use_than_its_limit():
    store = jobs.WatchStore(limit=1)
    store.keep("conn-a", jobs.JobWatch(job(id="ftjob-1")))
    store.keep("conn-b", jobs.JobWatch(job(id="ftjob-1", status="failed")), in_use={"ftjob-1"})
    assert store.jobs("conn-a") == {} and store.jobs("conn-b")["ftjob-1"].status == "failed"
    store.keep("conn-b", jobs.JobWatch(job(id="ftjob-2")), in_use={"ftjob-1", "ftjob-2"})
    assert set(store.jobs("conn-b")) == {"ftjob-1", "ftjob-2"}  # both compared: neither is dropped
    assert store.get("conn-b", None) is None


# ------------------------------------------------------------------------------- opening and acting
def test_open_watch_fetches_once_per_window_and_never_an_ended_job(sim, client):
    job_id = start_job(client)
    sim.clear_log()
    watch = jobs.open_watch(client, None, job_id, now=1000.0)
    assert watch.id == job_id and watch.fetched_at == 1000.0
    assert jobs.open_watch(client, watch, job_id, now=1000.5, fresh_for=0.8) is watch
    assert len([r for r in sim.request_log if r["path"].endswith(job_id)]) == 1  # fresh: not asked again
    jobs.open_watch(client, watch, job_id, now=1002.0, fresh_for=0.8)
    assert watch.fetched_at == 1002.0
    wait_status(client, job_id, {"succeeded"})
    jobs.open_watch(client, watch, job_id, now=1003.0)
    assert watch.terminal
    sim.clear_log()
    jobs.open_watch(client, watch, job_id, now=2000.0)
    assert sim.request_log == []  # an ended job does not change


def test_a_job_for_comparison_has_its_whole_history(sim, client):
    job_id = start_job(client)
    wait_status(client, job_id, {"succeeded"})
    watch = jobs.watch_with_history(client, None, job_id, now=time.time())
    assert watch.terminal and watch.log.complete and jobs.metric_rows(watch.log.events)
    sim.clear_log()
    assert jobs.watch_with_history(client, watch, job_id, now=time.time()) is watch
    assert sim.request_log == []  # ended and complete: nothing to ask


def test_actions_offered_follow_the_status():
    running = jobs.JobWatch(job(status="running"))
    assert jobs.offered_actions(running) == {"clone", "cancel", "pause"}
    assert jobs.offered_actions(jobs.JobWatch(job(status="paused"))) == {"clone", "cancel", "resume"}
    assert jobs.offered_actions(jobs.JobWatch(job(status="queued"))) == {"clone", "cancel"}
    done = jobs.JobWatch(job(status="succeeded", fine_tuned_model="ft:gpt-4o-mini-2024-07-18:o:x:1"))
    assert jobs.offered_actions(done) == {"clone", "evaluate"}  # records not loaded yet: no archive
    done.log.reached_start, done.checkpoints, done.result_files = True, [], {}
    assert jobs.offered_actions(done) == {"clone", "evaluate", "archive"}
    failed = jobs.JobWatch(job(status="failed"))
    assert "evaluate" not in jobs.offered_actions(failed) and "cancel" not in jobs.offered_actions(failed)


def test_run_action_says_what_happened_and_keeps_the_new_job(sim, client):
    job_id = start_job(client)
    wait_status(client, job_id, {"running"})
    before = sim.speed
    sim.speed = 0.001
    try:
        watch = jobs.open_watch(client, None, job_id, now=time.time())
        assert jobs.run_action(client, watch, "pause", now=5.0) == f"Job {job_id} paused."
        assert watch.status == "paused" and watch.fetched_at == 5.0
        said = jobs.run_action(client, watch, "resume", now=6.0)
        assert said.startswith(f"Job {job_id} resumed.") and watch.status in ("queued", "running")
        assert said.endswith(f"It is now {jobs.status_label(watch.status).lower()}.")
        assert jobs.run_action(client, watch, "cancel", now=7.0) == f"Job {job_id} cancelled."
    finally:
        sim.speed = before
    with pytest.raises(KeyError):
        jobs.run_action(client, watch, "delete", now=8.0)


def test_the_cancel_question_escapes_the_id():
    assert "Cancel job ftjob\\_a\\*b?" in jobs.cancel_question("ftjob_a*b")
    assert "cannot be resumed" in jobs.cancel_question("ftjob-1")


def test_live_caption_for_a_running_and_an_ended_job():
    running = jobs.JobWatch(job(estimated_finish=1_000_000_300), fetched_at=1_000_000_000.0)
    text = jobs.live_caption(running, 1_000_000_000.0, 2.5)
    assert text.startswith("About 5 min left") and text.endswith("every 2.5 s") and "refreshed 2001-09-09" in text
    ended = jobs.JobWatch(job(status="succeeded", finished_at=1_000_000_000))
    assert jobs.live_caption(ended, 0, 5) == "The job has ended (2001-09-09 01:46:40 UTC); it is no longer refreshed."


# ------------------------------------------------------------------------------- the list
def test_list_view_uses_fresher_copies_and_forgets_a_model_filter_it_cannot_apply():
    listed = [job(id="ftjob-2", status="queued"), job(id="ftjob-1", model="gpt-4.1-2025-04-14")]
    fresher = {"ftjob-2": job(id="ftjob-2", status="succeeded")}
    view = jobs.list_view(listed, fresher, statuses=["succeeded"], model="gpt-4o-mini-2024-07-18")
    assert [j.id for j in view.shown] == ["ftjob-2"] and view.loaded[0].status == "succeeded"
    assert view.models == ["gpt-4.1-2025-04-14", "gpt-4o-mini-2024-07-18"]
    other = jobs.list_view(listed, {}, statuses=[], model="gpt-3.5-turbo-0125")  # a model of another account
    assert other.model == jobs.ANY_MODEL and len(other.shown) == 2
    assert other.caption.startswith("2 of 2 loaded jobs")
    assert "with that metadata" in jobs.empty_list_text(True) and "with that" not in jobs.empty_list_text(False)


def test_picker_options_put_an_unlisted_open_job_first():
    assert jobs.picker_options(["a", "b"], "c") == ["c", "a", "b"]
    assert jobs.picker_options(["a", "b"], "b") == ["a", "b"]
    assert jobs.picker_options([], None) == []
    assert jobs.listing_key("conn", {"b": "2", "a": "1"}) == jobs.listing_key("conn", {"a": "1", "b": "2"})


# ------------------------------------------------------------------------------- rows and labels
def test_timeline_style_marks_failure_red_and_pauses_orange():
    step = jobs.TimelineStep
    assert jobs.timeline_style(step("failed", "Failed", 5, "done")) == ("red", jobs.STATUS_ICONS["failed"])
    assert jobs.timeline_style(step("paused", "Paused", None, "current"))[0] == "orange"
    assert jobs.timeline_style(step("succeeded", "Succeeded", None, "pending")) == jobs.STEP_STYLE["pending"]
    assert jobs.step_time(step("running", "Running", None, "current")) == "now"
    assert jobs.step_time(step("queued", "Queued", None, "skipped")) == "—"
    assert jobs.status_color("paused") == "orange" and jobs.status_color("brand_new") == "blue"


def test_timezone_named_falls_back_to_utc():
    assert str(jobs.timezone_named("Europe/Berlin")) == "Europe/Berlin"
    assert jobs.timezone_named(None) is None and jobs.timezone_named("Mars/Olympus") is None
    assert jobs.timezone_named("../../etc/passwd") is None


def test_checkpoint_table_marks_the_best_and_says_why():
    checkpoints = [
        FineTuningJobCheckpoint.construct(
            id=f"c{step}",
            step_number=step,
            fine_tuned_model_checkpoint=f"ft:m:ckpt-step-{step}",
            metrics={"valid_loss": loss},
        )
        for step, loss in ((30, 0.5), (60, 0.3))
    ]
    table, best = jobs.checkpoint_table(checkpoints)
    assert [(r["best"], r["step"]) for r in table] == [("", 30), ("★ best", 60)]
    assert set(table[0]) == {"best", "step", "checkpoint", *jobs.METRIC_KEYS}
    assert jobs.best_checkpoint_text(best).startswith(
        "Best by validation loss: the checkpoint at step 60 (validation loss 0.3000)."
    )
    assert "Azure OpenAI" in jobs.best_checkpoint_text(best, "azure")
    full = {"step": 1200, "full_valid_loss": 0.25}
    assert (
        "Best by full validation loss: the checkpoint at step 1,200 (full validation loss 0.2500)"
        in jobs.best_checkpoint_text(full)
    )
    assert jobs.checkpoint_table([]) == ([], None)


def test_file_rows_name_each_files_role_and_a_failed_read():
    the_job = job(training_file="file-t", validation_file="file-v", result_files=["file-r", "file-t"])
    train = FileObject.construct(id="file-t", filename="train.jsonl", bytes=10, created_at=1_000_000_000)
    files = {"file-t": train, "file-v": "Gone (404)."}  # a file's object, or why it could not be read
    rows = jobs.file_rows(the_job, files)
    assert [(r["role"], r["id"]) for r in rows] == [
        ("result", "file-t"),
        ("validation", "file-v"),
        ("result", "file-r"),
    ]
    assert rows[0]["filename"] == "train.jsonl" and rows[0]["created"] == "2001-09-09 01:46:40 UTC"
    assert rows[1]["note"] == "Gone (404)." and rows[2]["filename"] is None


def test_caption_and_settings_of_a_job():
    the_job = job(
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2}}},
        user_provided_suffix="mine",
        seed=3,
    )
    assert jobs.job_caption(the_job) == "gpt-4o-mini-2024-07-18 · dpo · suffix mine"
    hyper, identity = jobs.settings_of(the_job)
    assert hyper == {"method": "dpo", "beta": "0.1", "n_epochs": "2"}
    assert identity == {"seed": 3, "suffix": "mine", "metadata": {}}
    assert jobs.job_caption(job()) == "gpt-4o-mini-2024-07-18 · supervised"


def test_cost_report_texts():
    cost = jobs.job_cost(job(trained_tokens=2_000_000, metadata={jobs.ESTIMATE_TOKENS_KEY: "1500000"}))
    assert cost.difference_text == "+$1.50 vs estimate" and "No pre-launch estimate" not in cost.explanation
    cheaper = jobs.job_cost(job(trained_tokens=1_000_000, metadata={jobs.ESTIMATE_TOKENS_KEY: "1500000"}))
    assert cheaper.difference_text == "-$1.50 vs estimate"
    unknown = jobs.job_cost(job(trained_tokens=1_000_000))
    assert unknown.difference_text is None and unknown.explanation.endswith(
        "(Launch stores one in the job's metadata)."
    )


def test_hosting_rows_flag_doubtful_fees():
    costs = jobs.azure_hosting_costs()
    rows = jobs.hosting_rows(costs)
    assert len(rows) == len(costs) and rows[0]["Deployment type"] == costs[0].label
    assert rows[0][f"Per month ({costs[0].hours_per_month} h)"].startswith("$")
    assert all(r["Note"].startswith("Doubtful. ") == c.doubtful for r, c in zip(rows, costs))


def test_events_caption_counts_levels_and_says_when_more_are_coming():
    events = [FineTuningJobEvent.construct(level=level) for level in ("info", "warn", "info")]
    assert jobs.events_caption(events) == "3 events seen (2 info, 1 warn), newest first."
    assert jobs.events_caption(events, complete=False).endswith("Older events are still being fetched.")


def test_paging_reads_has_more_or_guesses_from_a_full_page():
    class Page:
        def __init__(self, data, has_more=None):
            self.data, self.has_more = data, has_more

    a, b = (FineTuningJobEvent.construct(id=i) for i in "ab")
    items, more = jobs.page_items(Page([a], has_more=True), 10)
    assert items == [a] and items[0] is a and more is True  # the SDK's objects, as they came
    assert jobs.page_items(Page([a, b]), 2)[1] is True  # no has_more: a full page may have more
    assert jobs.page_items(Page([a]), 2)[1] is False
    assert jobs.page_items(Page(None), 2) == ([], False)


# ------------------------------------------------------------------------------- compare and archive
def test_comparison_labels_curves_and_running_jobs():
    one = jobs.JobWatch(job(id="ftjob-aaaaaa1", status="succeeded", user_provided_suffix="one"))
    two = jobs.JobWatch(job(id="ftjob-bbbbbb2", status="running"))
    one.log.events = [FineTuningJobEvent.construct(id="e1", type="metrics", data={"step": 1, "train_loss": 1.0})]
    compared = jobs.comparison([one, two])
    assert compared.labels == {"ftjob-aaaaaa1": "one (…aaaaa1)", "ftjob-bbbbbb2": "…bbbbb2"}
    assert compared.curves == {"one (…aaaaa1)": [{"step": 1, "train_loss": 1.0}], "…bbbbb2": []}
    assert compared.running == ["…bbbbb2"]
    assert {r["setting"] for r in compared.table()} == {"status", "suffix", "Final train loss"}


def test_archive_snapshot_is_a_copy_and_builds_the_zip(sim, client):
    job_id = start_job(client)
    wait_status(client, job_id, {"succeeded"})
    watch = jobs.load_final(client, jobs.open_watch(client, None, job_id, now=time.time()))
    snapshot = jobs.ArchiveSnapshot.of(watch, TODAY, "azure")
    watch.log.events.clear()  # the session changes after the click: the snapshot does not
    assert snapshot.name == f"{job_id}-archive.zip" and snapshot.events
    with zipfile.ZipFile(io.BytesIO(snapshot.build())) as zf:
        readme = zf.read(f"{job_id}/README.txt").decode()
        assert json.loads(zf.read(f"{job_id}/job.json"))["id"] == job_id
        assert len(zf.read(f"{job_id}/events.jsonl").splitlines()) == len(snapshot.events)
    assert "Azure OpenAI retires fine-tuned deployments" in readme and "archived 2026-11-26" in readme


def test_compared_jobs_load_until_a_call_fails_then_show_what_was_seen(sim, client):
    from lib import calls

    first, second = start_job(client), start_job(client)
    wait_status(client, first, {"succeeded"})
    wait_status(client, second, {"succeeded"})
    store, guard = jobs.WatchStore(), calls.FailureGuard()
    chosen = [first, "ftjob-missing", second]
    watches, failures = jobs.watches_with_history(client, store, "c", chosen, in_use=set(), guard=guard, now=1.0)
    assert [w.id for w in watches] == [first] and [f[0] for f in failures] == ["ftjob-missing"]
    assert guard.failures == ["compare"] and store.get("c", second) is None  # not asked after the failure
    watches, failures = jobs.watches_with_history(
        client, store, "c", [first, second], in_use=set(), guard=calls.FailureGuard(), now=2.0
    )
    assert [w.id for w in watches] == [first, second] and not failures
    assert all(w.log.complete for w in watches)
