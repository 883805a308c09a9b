"""The Evaluate page's own decisions (lib/evaluate_session.py) and its figures (lib/charts/evaluate.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from openai.types.fine_tuning import FineTuningJob

from lib import catalog
from lib import evaluate_session as es
from lib.charts import evaluate as charts

TODAY = dt.date(2026, 11, 26)
FT_MINI = "ft:gpt-4o-mini-2024-07-18:acme:support:abc123"
FT_41 = "ft:gpt-4.1-2025-04-14:acme:triage:def456"


def job(model, fine_tuned, status="succeeded", finished=100) -> FineTuningJob:
    """A job as the SDK hands it over (the page passes listed jobs on unconverted)."""
    return FineTuningJob.construct(
        id=f"ftjob-{finished}",
        model=model,
        fine_tuned_model=fine_tuned,
        status=status,
        finished_at=finished,
        created_at=finished - 10,
    )


# --------------------------------------------------------------------------- dates and offers
def test_a_fine_tune_stops_with_its_base_model_on_its_backend_s_calendar():
    assert es.shutdown_date(FT_MINI, "openai") == dt.date(2027, 1, 14)
    assert es.shutdown_date(FT_MINI, "azure") != dt.date(2027, 1, 14)  # OpenAI's date is never an Azure user's
    assert es.shutdown_date("some-local-model", "openai") is None


def test_succeeded_fine_tunes_newest_first_once_each():
    jobs = [
        job("gpt-4o-mini-2024-07-18", FT_MINI, finished=100),
        job("gpt-4.1-2025-04-14", FT_41, finished=300),
        job("gpt-4.1-2025-04-14", None, status="failed", finished=400),
        job("gpt-4.1-2025-04-14", "ft:gpt-4.1-2025-04-14:acme:x:running", status="running", finished=0),
        job("gpt-4o-mini-2024-07-18", FT_MINI, finished=50),
    ]
    assert es.succeeded_fine_tunes(jobs) == [(FT_41, "gpt-4.1-2025-04-14"), (FT_MINI, "gpt-4o-mini-2024-07-18")]


def test_options_put_the_fine_tunes_first_then_live_base_models():
    options = es.model_options([(FT_MINI, "gpt-4o-mini-2024-07-18")], calendar="openai", today=TODAY)
    assert options[0].id == FT_MINI and options[0].kind == "fine_tuned"
    assert options[0].label(TODAY) == f"{FT_MINI} · fine-tuned · stops answering 2027-01-14 (49 days)"
    bases = {o.id for o in options if o.kind == "base"}
    assert {"gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"} <= bases
    assert bases <= set(catalog.load_catalog().models)
    assert "gpt-4.1-nano-2025-04-14" not in {o.id for o in options}  # retired 2026-10-23: does not answer
    kinds = [o.kind for o in options]
    assert kinds == sorted(kinds, key=["fine_tuned", "base", "replacement"].index)  # replacements come last
    assert all(o.can_fine_tune is False for o in options if o.kind == "replacement")
    # after the last day for new jobs, a base model still answers but can't be fine-tuned any more
    later = es.model_options([], calendar="openai", today=dt.date(2027, 1, 8))
    assert later and all(o.can_fine_tune is False for o in later)
    assert "can't be fine-tuned" in later[0].label(dt.date(2027, 1, 8))


def test_a_model_asked_for_by_another_page_is_offered_even_if_not_listed():
    options = es.model_options([], calendar="openai", today=TODAY, extra=[FT_41])
    assert options[0].id == FT_41 and options[0].kind == "fine_tuned"
    assert options[0].base_model == "gpt-4.1-2025-04-14"


def test_record_first_lists_fine_tunes_that_stop_within_sixty_days():
    options = es.model_options([(FT_MINI, None)], calendar="openai", today=TODAY)
    assert [o.id for o in es.record_first(options, TODAY)] == [FT_MINI]  # 49 days left
    assert es.record_first(options, dt.date(2026, 11, 14)) == []  # 61 days left
    assert es.record_first(options, dt.date(2027, 1, 14)) == []  # gone: too late to record
    azure = es.model_options([("gpt-4.1-mini-2025-04-14.ft-0123456789abcdef", None)], calendar="azure", today=TODAY)
    assert es.record_first(azure, TODAY) == []  # no OpenAI date forced on an Azure deployment


def test_default_pair_is_the_fine_tune_against_a_prompted_rival():
    options = es.model_options([(FT_41, "gpt-4.1-2025-04-14"), (FT_MINI, None)], calendar="openai", today=TODAY)
    baseline, rival = es.default_pair(options)
    assert baseline == FT_41
    replacements = [o.id for o in options if o.kind == "replacement"]
    assert rival == (replacements[0] if replacements else "gpt-4.1-2025-04-14")
    assert es.default_pair(options, requested=FT_MINI)[0] == FT_MINI
    no_tunes = es.model_options([], calendar="openai", today=TODAY)
    baseline, rival = es.default_pair(no_tunes)
    assert baseline and rival and baseline != rival


# --------------------------------------------------------------------------- one start per run id
class FakeRun:
    def __init__(self):
        self.finished = False

    def running(self):
        return not self.finished


def test_start_once_starts_a_run_id_once_even_when_asked_at_the_same_time():
    runs = es.SessionRuns()
    started = []

    def start():
        time.sleep(0.05)  # a slow start: the second caller arrives meanwhile
        started.append(1)
        return FakeRun()

    run_id = es.new_run_id()
    results = []
    threads = [threading.Thread(target=lambda: results.append(runs.start_once(run_id, start))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 1 and len({id(r) for r in results}) == 1 and len(runs) == 1
    assert es.new_run_id() != run_id


def test_old_finished_runs_are_forgotten_but_never_a_running_one():
    runs = es.SessionRuns(keep=2)
    first = runs.start_once("a", FakeRun)  # still running
    second = runs.start_once("b", FakeRun)
    second.finished = True
    runs.start_once("c", FakeRun)
    assert "a" in runs and "b" not in runs and "c" in runs and runs.get("a") is first


# --------------------------------------------------------------------------- figures
DOCUMENT = {
    "baseline": "ft",
    "candidates": [
        {
            "label": "ft",
            "scores": {"exact_match": 0.9, "similarity": 0.95},
            "ci95": {"exact_match": [0.8, 0.95]},
            "cost_per_1k_calls_usd": 0.5,
        },
        {
            "label": "base+prompt",
            "scores": {"exact_match": 0.6, "similarity": 0.8},
            "ci95": {"exact_match": [0.45, 0.73]},
            "cost_per_1k_calls_usd": 1.25,
        },
        {"label": "unknown-model", "scores": {"exact_match": 0.3}, "ci95": {}, "cost_per_1k_calls_usd": None},
    ],
}


def test_score_cost_figure_places_priced_candidates_with_their_interval():
    fig = charts.score_cost_figure(DOCUMENT, simulated=True)
    assert [t.name for t in fig.data] == ["ft", "base+prompt"]
    ft, rival = fig.data
    assert (ft.x[0], ft.y[0]) == (0.5, 0.9) and ft.marker.symbol == "diamond"
    assert rival.error_y.array[0] == 0.73 - 0.6 and abs(rival.error_y.arrayminus[0] - 0.15) < 1e-12
    assert "simulated" in fig.layout.title.text
    assert "unknown-model" in fig.layout.annotations[0].text  # listed, not placed at a made-up price


def test_similarity_figure_one_box_per_candidate_without_errors():
    rows = [
        {"line": 1, "label": "ft", "scores": {"similarity": 1.0}},
        {"line": 2, "label": "ft", "scores": {"similarity": 0.5}},
        {"line": 1, "label": "base+prompt", "scores": {"similarity": 0.25}},
        {"line": 2, "label": "base+prompt", "scores": None, "error": "timeout"},
    ]
    fig = charts.similarity_figure(rows, ["ft", "base+prompt"])
    assert [list(t.y) for t in fig.data] == [[1.0, 0.5], [0.25]]
    assert list(fig.data[0].customdata) == [1, 2]
    empty = charts.similarity_figure([], ["ft"])
    assert "No answers" in empty.layout.annotations[0].text


def test_labels_from_a_file_or_an_api_are_plain_text_in_the_figures():
    hostile = '<a href="https://evil.example/x">click</a>'
    document = {
        "candidates": [
            {"label": hostile, "scores": {"exact_match": 0.5}, "ci95": {}, "cost_per_1k_calls_usd": 1.0},
            {"label": hostile + "2", "scores": {}, "ci95": {}, "cost_per_1k_calls_usd": None},
        ]
    }
    rows = [{"line": 1, "label": hostile, "scores": {"similarity": 0.5}}]
    cost, similarity = charts.score_cost_figure(document), charts.similarity_figure(rows, [hostile])
    shown = [
        cost.data[0].name,
        cost.data[0].text[0],
        cost.layout.annotations[0].text,
        similarity.data[0].name,
        similarity.data[0].x[0],
    ]
    assert all("<" not in text and "&lt;a href=" in text for text in shown), shown


def test_candidate_rows_keep_each_field_in_its_own_key_and_reorder():
    state: dict = {}
    slots = es.CandidateSlots(state)
    first = slots.add(FT_MINI, long_prompt=False)
    second = slots.add("gpt-4o-mini-2024-07-18", long_prompt=True)
    third = slots.add("gpt-4o-mini-2024-07-18", long_prompt=True)
    state[slots.keys(third)["schema"]] = True
    state[slots.keys(third)["effort"]] = "low"
    state[slots.keys(third)["max_tokens"]] = 300
    assert slots.rows == [first, second, third] and state["eval_c1_prompt"] is True
    choices = slots.choices(structured_allowed=True)
    assert [c.long_prompt for c in choices] == [False, True, True]
    assert (choices[2].structured, choices[2].reasoning_effort, choices[2].max_tokens) == (True, "low", 300)
    assert (choices[1].reasoning_effort, choices[1].max_tokens) == (None, None)  # "default", 0 = automatic
    assert slots.choices(structured_allowed=False)[2].structured is False  # only where references are JSON
    assert es.candidate_labels(choices) == [
        FT_MINI,
        "gpt-4o-mini-2024-07-18+prompt",
        "gpt-4o-mini-2024-07-18+prompt+schema",
    ]
    slots.make_baseline(third)
    slots.remove(first)
    assert slots.rows == [third, second] and slots.models()[0] == "gpt-4o-mini-2024-07-18"
    assert slots.add("x", long_prompt=False) == 3  # numbers are never reused: a removed row's keys stay its own
    repeated = [es.CandidateChoice("m"), es.CandidateChoice("m"), es.CandidateChoice("m", long_prompt=True)]
    assert es.candidate_labels(repeated) == ["m", "m #2", "m+prompt"]


# --------------------------------------------------------------------------- a run, read for people
def _set_and_results():
    from lib import evaluate as ev

    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "Answer in JSON."},
                    {"role": "user", "content": f"q{i}"},
                    {"role": "assistant", "content": json.dumps({"n": i})},
                ]
            }
        )
        for i in range(1, 5)
    ]
    eval_set = ev.load_eval_set(("\n".join(lines) + "\n").encode(), name="set.jsonl")
    tuned = ev.Candidate(FT_MINI)
    prompted = ev.Candidate("gpt-4o-mini-2024-07-18", system="A long prompt.")
    results = []
    for example in eval_set.examples:
        right = json.dumps({"n": example.line})
        for candidate, answer in ((tuned, right), (prompted, right if example.line == 1 else "```json\n" + right)):
            scores = ev.score_answer(answer, example.reference.text)
            results.append(
                ev.CallResult(
                    example.line,
                    candidate.display_label,
                    candidate.model,
                    answer=answer,
                    usage={"prompt_tokens": 10, "completion_tokens": 4},
                    latency_ms=20.0,
                    scores=scores,
                )
            )
    results[-1] = ev.CallResult(4, prompted.display_label, prompted.model, error="The API key was rejected (401).")
    return ev, eval_set, [tuned, prompted], results


def test_scoreboard_table_reads_as_people_read_it():
    ev, eval_set, candidates, results = _set_and_results()
    report = ev.summarize(eval_set, candidates, results, prices_as_of="2026-11-26")
    rows = es.scoreboard_table(report)
    assert [r["candidate"] for r in rows] == [FT_MINI, "gpt-4o-mini-2024-07-18+prompt"]
    assert rows[0]["exact match"].startswith("100% (") and rows[0]["vs baseline"] == "baseline"
    assert rows[1]["exact match"].startswith("33% (")  # 1 of the 3 answered; the error is not scored as wrong
    assert rows[1]["vs baseline"] == "+0 / −2 (p = 0.5)"
    assert rows[1]["answered"] == "3 of 4 (1 errors)"
    assert "tool calls" not in rows[0] and "judge (opinion)" not in rows[0]  # apply to no example: no column
    assert rows[0]["valid JSON"].startswith("100%") and rows[0]["per 1,000 calls"] > 0


def test_flips_errors_and_the_pair_costs_can_use():
    ev, eval_set, candidates, results = _set_and_results()
    rows = es.flip_rows(ev.flips(eval_set, candidates, results))
    assert [(r["line"], r["who is right"]) for r in rows] == [(2, "baseline"), (3, "baseline")]
    assert rows[0]["candidate answer"].startswith("```json") and rows[0]["reference"] == '{"n": 2}'
    assert es.answer_text([{"type": "function", "function": {"name": "f", "arguments": "{}"}}]).startswith("[\n")
    assert es.error_summary(results) == [("The API key was rejected (401).", 1)]
    assert es.costs_pair(candidates) == (FT_MINI, "gpt-4o-mini-2024-07-18+prompt")
    assert es.costs_pair(candidates[:1]) is None  # no prompted rival: nothing to hand over


def test_a_recording_stands_in_only_on_its_own_file_and_lines():
    ev, eval_set, candidates, results = _set_and_results()
    recording = ev.load_recording(ev.recording_bytes(eval_set, candidates, results))
    cut, stand, recorded = es.stand_in(eval_set, recording, "gpt-4o-mini-2024-07-18+prompt")
    assert [e.line for e in cut.examples] == [1, 2, 3]  # line 4 has no recorded answer
    assert stand.display_label == "gpt-4o-mini-2024-07-18+prompt" and stand.system == "A long prompt."
    assert [r.line for r in recorded] == [1, 2, 3]
    other = ev.load_eval_set(
        b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n', name="other.jsonl"
    )
    with pytest.raises(ValueError, match="made on another file"):
        es.stand_in(other, recording, FT_MINI)
    run = ev.Run(cut, [stand, ev.Candidate("gpt-4.1-mini-2025-04-14")], make_client=lambda: None, results=recorded)
    left = es.remaining_estimate(run, calendar="openai")
    assert [(e.label, e.calls) for e in left] == [("gpt-4.1-mini-2025-04-14", 3)]  # the recorded calls cost nothing


def test_cost_text_and_estimate_rows_read_as_people_read_them():
    from types import SimpleNamespace

    assert es.cost_text(None) == "unknown"
    assert es.cost_text(0.004) == "less than $0.01"
    assert es.cost_text(0) == "$0.00"
    assert es.cost_text(1234.5) == "$1,234.50"
    estimate = SimpleNamespace(
        label="m+prompt",
        calls=3,
        prompt_tokens=900,
        output_tokens=60,
        cost_usd=0.5,
        cost_per_1k_calls_usd=166.7,
        note="",
    )
    assert es.estimate_rows([estimate]) == [
        {
            "candidate": "m+prompt",
            "calls": 3,
            "prompt tokens": 900,
            "output tokens (est.)": 60,
            "cost (est.)": 0.5,
            "per 1,000 calls": 166.7,
            "note": "",
        }
    ]
