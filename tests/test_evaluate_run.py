"""A Run through the real openai SDK over HTTP against the simulator: bounded concurrency, stop and resume
without repeating a call, max_spend, retries by the SDK, and one sentence for every failure."""

import threading
import time
from pathlib import Path

import httpx2 as httpx  # the HTTP client openai 3.x is built on
import openai
import pytest

from lib.evaluate.candidates import Candidate
from lib.evaluate.evalset import load_eval_set
from lib.evaluate.runner import OverBudget, Run
from lib.simulator import Simulator
from lib.simulator.state import key_id

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MINI = "gpt-4.1-mini-2025-04-14"
MINI_FT = "ft:gpt-4.1-mini-2025-04-14:personal:desk:abc123"


@pytest.fixture(scope="module")
def eval_set():
    return load_eval_set((SAMPLES / "support_chat_valid.jsonl").read_bytes(), name="support_chat_valid.jsonl")


@pytest.fixture
def fresh_sim():
    """A simulator of this test alone (latency, faults and known keys are simulator-wide)."""
    simulator = Simulator(speed=50.0).start(host="127.0.0.1", port=0)
    yield simulator
    simulator.stop()


def factory(sim, key, **hooks):
    def make():
        http_client = httpx.Client(event_hooks=hooks) if hooks else None
        return openai.OpenAI(base_url=sim.base_url, api_key=key, http_client=http_client)

    return make


def chat_calls(sim, key):
    """Chat requests the simulator received from ``key``: (status, line-identifying user text)."""
    return [e for e in sim.request_log if e["key_id"] == key_id(key) and e["path"].endswith("/chat/completions")]


def test_concurrency_is_bounded_and_used(fresh_sim, eval_set):
    fresh_sim.latency = 0.25
    in_flight, peak, lock = [0], [0], threading.Lock()

    def sent(request):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])

    def received(response):
        with lock:
            in_flight[0] -= 1

    run = Run(
        eval_set, [Candidate(MINI)], factory(fresh_sim, "sk-conc", request=[sent], response=[received]), concurrency=3
    )
    started = time.monotonic()
    results = run.run()
    elapsed = time.monotonic() - started
    assert len(results) == 24 and all(r.answered for r in results)
    assert peak[0] == 3
    assert elapsed < 24 * 0.25 * 0.75  # serial would take 6 s; three at a time about 2 (slack for a loaded machine)
    assert len(chat_calls(fresh_sim, "sk-conc")) == 24


def test_stop_keeps_what_finished_and_resume_never_repeats_a_call(fresh_sim, eval_set):
    fresh_sim.latency = 0.1
    key = "sk-stop"
    candidates = [Candidate(MINI_FT, label="ft"), Candidate(MINI, label="base")]
    run = Run(eval_set, candidates, factory(fresh_sim, key), concurrency=2)
    assert run.start() is True
    assert run.start() is False  # idempotent: a second start while running makes no call
    deadline = time.monotonic() + 30
    while run.progress().done < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    run.stop()
    run.wait(30)
    stopped = run.progress()
    assert stopped.stopped_reason == "stopped" and not stopped.running
    assert 6 <= stopped.done < 48
    assert len(chat_calls(fresh_sim, key)) == stopped.done  # the in-flight calls finished and were kept
    first = {(r.line, r.label): r.answer for r in run.results()}

    assert run.start() is True  # resume
    run.wait(60)
    assert run.progress().done == 48 and run.progress().stopped_reason == "finished"
    assert len(chat_calls(fresh_sim, key)) == 48  # nothing sent twice
    assert all(first[k] == a for k, a in {(r.line, r.label): r.answer for r in run.results()}.items() if k in first)
    assert run.start() is False  # nothing left


def test_a_new_run_resumes_from_earlier_results(fresh_sim, eval_set):
    key = "sk-resume"
    half = load_eval_set((SAMPLES / "support_chat_valid.jsonl").read_bytes(), name="v", limit=10, seed=1)
    earlier = Run(half, [Candidate(MINI)], factory(fresh_sim, key)).run()
    assert len(chat_calls(fresh_sim, key)) == 10
    later = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, key), results=earlier)
    results = later.run()
    assert len(results) == 24
    assert len(chat_calls(fresh_sim, key)) == 24  # only the 14 not answered before were sent


def test_max_spend_refuses_before_any_call(fresh_sim, eval_set):
    key = "sk-budget"
    run = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, key), max_spend=0.00001)
    with pytest.raises(OverBudget, match=r"above the spending limit of \$0\.00001; no call was made"):
        run.start()
    assert chat_calls(fresh_sim, key) == []


def test_max_spend_stops_a_running_run_once_the_measured_spend_reaches_it(fresh_sim, eval_set, monkeypatch):
    key = "sk-spend"
    probe = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, "sk-probe")).run()
    per_call = sum(r.cost_usd for r in probe) / len(probe)
    # the estimate (about 24 calls' worth) is above the limit, so skip the up-front check to see the running one
    monkeypatch.setattr(Run, "check_budget", lambda self: None)
    run = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, key), concurrency=1, max_spend=per_call * 3)
    run.run()
    progress = run.progress()
    assert progress.stopped_reason == "max_spend"
    assert progress.spend_usd >= per_call * 3
    assert 2 <= progress.done <= 6 and len(chat_calls(fresh_sim, key)) == progress.done


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried_by_the_sdk(fresh_sim, eval_set, status):
    key = f"sk-retry-{status}"
    fresh_sim.add_fault(status=status, method="POST", path="/chat/completions", times=2, retry_after=0)
    small = load_eval_set((SAMPLES / "support_chat_valid.jsonl").read_bytes(), name="v", limit=4)
    run = Run(small, [Candidate(MINI)], factory(fresh_sim, key), concurrency=1)
    results = run.run()
    assert all(r.answered for r in results) and len(results) == 4
    statuses = [e["status"] for e in chat_calls(fresh_sim, key)]
    assert statuses.count(status) == 2 and statuses.count(200) == 4


def _failing_run(sim, eval_set, key, **kwargs):
    small = load_eval_set((SAMPLES / "support_chat_valid.jsonl").read_bytes(), name="v", limit=3)
    candidates = kwargs.pop("candidates", [Candidate(MINI)])
    return Run(small, candidates, factory(sim, key), concurrency=2, **kwargs)


def test_a_rejected_key_is_one_sentence_per_call_and_counted(fresh_sim, eval_set):
    fresh_sim.known_keys = {"sk-the-only-good-key"}
    run = _failing_run(fresh_sim, eval_set, "sk-wrong-key-123456")
    results = run.run()
    assert run.progress().errors == 3 and all(not r.answered for r in results)
    assert results[0].error == "The API key was rejected (401). Check the key in the sidebar, or paste a new one."
    assert "sk-wrong" not in results[0].error
    assert len(chat_calls(fresh_sim, "sk-wrong-key-123456")) == 3  # 401 is not retried


def test_an_unknown_model_is_a_404_sentence(fresh_sim, eval_set):
    run = _failing_run(fresh_sim, eval_set, "sk-404", candidates=[Candidate("gpt-nonexistent")])
    results = run.run()
    assert all(r.error and r.error.startswith("Not found (404)") and "gpt-nonexistent" in r.error for r in results)
    assert run.progress().errors == 3


def test_a_timeout_is_a_sentence(fresh_sim, eval_set):
    fresh_sim.add_fault(latency=3.0, method="POST", path="/chat/completions", times=None)
    run = _failing_run(fresh_sim, eval_set, "sk-timeout", timeout=0.5, max_retries=0)
    results = run.run()
    assert all(r.error and r.error.startswith("The API did not answer in time") for r in results)


def test_a_dropped_connection_is_a_sentence_and_resume_pays_only_for_the_failed_calls(fresh_sim, eval_set):
    key = "sk-drop"
    fresh_sim.add_fault(drop=True, method="POST", path="/chat/completions", times=2)
    run = _failing_run(fresh_sim, eval_set, key, max_retries=0)
    run.concurrency = 1
    results = run.run()
    failed = [r for r in results if not r.answered]
    assert len(failed) == 2 and failed[0].error.startswith("Could not reach the API")
    assert run.progress().errors == 2
    answered_before = {r.line for r in results if r.answered}
    run.start()
    run.wait(30)
    assert run.progress().errors == 0 and run.progress().done == 3
    successes = [e for e in chat_calls(fresh_sim, key) if e["status"] == 200]
    assert len(successes) == 3  # each call answered (and billed) exactly once
    assert len(answered_before) == 1


def test_progress_counts_spend_and_time_left_from_another_thread(fresh_sim, eval_set):
    fresh_sim.latency = 0.05
    run = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, "sk-progress"), concurrency=2)
    snapshots = []
    run.start()
    while run.running:
        snapshots.append(run.progress())
        time.sleep(0.02)
    final = run.progress()
    assert final.done == final.total == 24 and final.errors == 0 and final.eta_s is None
    assert final.spend_usd == pytest.approx(sum(r.cost_usd for r in run.results()))
    assert any(s.eta_s is not None and s.eta_s > 0 for s in snapshots)
    assert all(a.done <= b.done for a, b in zip(snapshots, snapshots[1:]))


def test_a_judge_grades_every_answer_through_its_own_run(fresh_sim, eval_set):
    from lib.evaluate import Judge, apply_verdicts, estimate, grading_set, summarize

    key = "sk-judge"
    small = load_eval_set((SAMPLES / "support_chat_valid.jsonl").read_bytes(), name="v", limit=5)
    candidates = [Candidate(MINI_FT, label="ft"), Candidate(MINI, label="base")]
    results = Run(small, candidates, factory(fresh_sim, key)).run()
    grading = grading_set(small, candidates, results, Judge("gpt-4.1-2025-04-14", rubric="Grade strictly."))
    assert len(grading.eval_set) == 10
    [cost] = estimate(grading.eval_set, [grading.candidate])
    assert cost.cost_usd > 0 and cost.calls == 10
    verdicts = Run(grading.eval_set, [grading.candidate], factory(fresh_sim, key)).run()
    sent = chat_calls(fresh_sim, key)[-10:]
    assert all(e["body"]["messages"][0] == {"role": "system", "content": "Grade strictly."} for e in sent)
    assert all(e["body"]["response_format"]["type"] == "json_schema" for e in sent)
    judged = apply_verdicts(results, grading, verdicts)
    assert all(0 <= r.scores["judge"] <= 1 for r in judged)
    report = summarize(small, candidates, judged, prices_as_of="x")
    assert all(c.scores["judge"] is not None for c in report.candidates)
    assert all(r.scores["judge"] is None for r in results)  # the originals are untouched


def test_a_recording_that_cannot_be_written_stops_the_run_and_keeps_what_finished(fresh_sim, eval_set):
    written = []

    def full_disk(result):
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(result)

    run = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, "sk-disk"), concurrency=1, on_result=full_disk)
    run.run()
    progress = run.progress()
    assert progress.stopped_reason == "recording_failed" and "No space left" in run.problem
    assert progress.done == 4 and len(chat_calls(fresh_sim, "sk-disk")) == 4


def test_a_client_that_cannot_be_built_is_a_sentence(eval_set):
    def no_client():
        raise ValueError("Paste an API key in the sidebar first.")

    run = Run(eval_set, [Candidate(MINI)], no_client, concurrency=2)
    run.run()
    assert run.progress().stopped_reason == "no_client" and run.problem == "Paste an API key in the sidebar first."
    assert run.progress().done == 0


def test_two_starts_at_once_make_each_call_once(fresh_sim, eval_set):
    fresh_sim.latency = 0.05
    run = Run(eval_set, [Candidate(MINI)], factory(fresh_sim, "sk-double"), concurrency=4)
    outcomes = []
    clicks = [threading.Thread(target=lambda: outcomes.append(run.start())) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    run.wait(60)
    assert sorted(outcomes) == [False, True]
    assert len(chat_calls(fresh_sim, "sk-double")) == 24
