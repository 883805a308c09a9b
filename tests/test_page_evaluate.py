"""pages/5_Evaluate.py through AppTest, in demo mode against the simulator over real HTTP.

Each test's AppTest session has its own demo key, so the simulator's request log counts
exactly the calls that session made (the log holds a hash of the key, never the key).
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from lib import confirm, ui
from lib.connection import SIMULATOR_URL_ENV
from lib.evaluate import load_recording
from lib.handoff import LaunchFile, MeasuredUsage
from lib.simulator.state import key_id
from tests.apptest import demo_sdk, open_app
from tests.conftest import APP

SIM_SPEED = 80.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace
PAGE = "pages/5_Evaluate.py"
MINI = "gpt-4o-mini-2024-07-18"
INTENTS = ("order_status", "return", "damaged", "sizing", "warranty")
SYSTEM = "Classify the customer's message. Answer with a JSON object only."


def triage_jsonl(n: int, seed: int) -> bytes:
    """``n`` chat examples whose answers are JSON objects (a support-triage task), written at test time."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        intent, order = rng.choice(INTENTS), f"LC-{rng.randint(10000, 99999)}"
        user = f"[{seed}-{i}] About order {order}: my message is about {intent.replace('_', ' ')}."
        answer = {"intent": intent, "order": order, "urgent": intent == "damaged"}
        lines.append(
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": user},
                        {"role": "assistant", "content": json.dumps(answer)},
                    ]
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


TRAIN = LaunchFile.of("triage_train.jsonl", triage_jsonl(40, 1))
VALID = LaunchFile.of("triage_valid.jsonl", triage_jsonl(12, 2))


@pytest.fixture(autouse=True)
def _demo_points_at_sim(sim, monkeypatch):
    monkeypatch.setenv(SIMULATOR_URL_ENV, sim.base_url)
    sim.clear_faults()
    sim.latency = 0.0
    yield
    sim.clear_faults()
    sim.latency = 0.0


# --------------------------------------------------------------------------- helpers
def open_page(**state) -> AppTest:
    return open_app(PAGE, **state)


def chat_calls(sim, at: AppTest) -> list[dict]:
    me = key_id(at.session_state["demo_api_key"])
    return [
        e
        for e in sim.request_log
        if e["key_id"] == me and e["method"] == "POST" and e["path"].endswith("/chat/completions")
    ]


def shown(elements) -> str:
    """Texts as a reader sees them (user and API text is markdown-escaped)."""
    return " ".join(str(e.value) for e in elements).replace("\\", "")


def fine_tune(at: AppTest) -> tuple[str, str]:
    """A succeeded job in this session's demo account, trained on TRAIN; returns (fine-tuned model, job id)."""
    client = demo_sdk(at)
    training = client.files.create(file=(TRAIN.name, TRAIN.data), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model=MINI, training_file=training.id, suffix="triage")
    deadline = time.time() + 30
    while (job := client.fine_tuning.jobs.retrieve(job.id)).status != "succeeded":
        assert job.status not in ("failed", "cancelled") and time.time() < deadline, job.status
        time.sleep(0.05)
    return job.fine_tuned_model, job.id


def with_set(at: AppTest, file: LaunchFile = VALID, limit: int = 0) -> AppTest:
    at.radio(key="_eval_source").set_value("upload").run()
    at.file_uploader(key="_eval_uploader").set_value((file.name, file.data, "application/jsonl")).run()
    at.number_input(key="_eval_limit").set_value(limit).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def review(at: AppTest) -> AppTest:
    at.button(key="eval_review").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["eval_pending"] is not None, shown(at.error)
    return at


def current_run(at: AppTest):
    return at.session_state["eval_runs"].get(at.session_state["eval_run_id"])


def run_to_end(at: AppTest, timeout: float = 60) -> AppTest:
    run = current_run(at)
    assert run is not None, shown(at.info) + shown(at.error)
    assert run.wait(timeout)
    return at.run()


def confirm_and_finish(at: AppTest) -> AppTest:
    review(at)
    at.button(key="eval_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return run_to_end(at)


def table(at: AppTest, column: str):
    """The first table on the page with ``column`` (st.dataframe has no key in AppTest)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def candidate_models(at: AppTest) -> list[str]:
    return [at.session_state[f"eval_c{n}_model"] for n in at.session_state["eval_slots"]]


# --------------------------------------------------------------------------- the whole story
def test_jobs_hands_a_fine_tune_over_and_the_run_tells_the_story(sim):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    model, job_id = fine_tune(at)
    at.query_params["job"] = job_id
    at.switch_page("pages/4_Jobs.py").run()
    at.button(key="jobs_evaluate").click().run()  # "Evaluate this model": hand-over, then switch_page
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Evaluate"
    at.switch_page(PAGE)  # AppTest's next run() would go back to the page it last switched to
    assert at.session_state[ui.EVALUATE_REQUEST] is None  # taken by Evaluate
    # the fine-tune is the baseline, OpenAI's named replacement (which can't be fine-tuned) the prompted
    # rival; its shutdown is 49 days away
    assert candidate_models(at)[:2] == [model, "gpt-6-luna"]
    assert at.session_state[f"eval_c{at.session_state['eval_slots'][1]}_prompt"] is True
    warning = shown(at.warning)
    assert f"{model}** stops answering on 2027-01-14 (49 days)" in warning and "record them first" in warning

    with_set(at)
    assert model in at.selectbox(key=f"_eval_c{at.session_state['eval_slots'][0]}_model").options[0]
    # this story prompts the fine-tune's own base model instead
    at.selectbox(key=f"_eval_c{at.session_state['eval_slots'][1]}_model").set_value(MINI).run()
    assert "12 examples from `triage_valid.jsonl`" in shown(at.caption)
    assert "The answers are JSON: Structured Outputs is offered" in shown(at.caption)
    # the long prompt starts from the file's own system prompt and is kept across reruns
    box = at.text_area(key="_eval_system")
    assert box.value == SYSTEM
    long_prompt = SYSTEM + " Fields: intent (one of " + ", ".join(INTENTS) + "), order, urgent (true if damaged)."
    box.set_value(long_prompt).run()
    at.run()
    assert at.text_area(key="_eval_system").value == long_prompt and at.session_state["eval_system"] == long_prompt
    # a third candidate: the base model with the long prompt and Structured Outputs
    at.button(key="eval_add").click().run()
    third = at.session_state["eval_slots"][2]
    at.selectbox(key=f"_eval_c{third}_model").set_value(MINI).run()
    at.toggle(key=f"_eval_c{third}_schema").set_value(True).run()

    estimate = table(at, "output tokens (est.)")
    assert list(estimate["candidate"]) == [model, f"{MINI}+prompt", f"{MINI}+prompt+schema"]
    assert list(estimate["calls"]) == [12, 12, 12]
    assert estimate["prompt tokens"].iloc[1] > estimate["prompt tokens"].iloc[0]  # the long prompt costs tokens
    assert "Demo mode costs nothing" in shown(at.caption)
    assert chat_calls(sim, at) == []  # nothing is sent before the confirm

    review(at)
    assert at.metric[0].label == "Charge" and at.metric[0].value == "$0.00"
    assert "Demo mode costs nothing" in shown(at.caption)
    assert chat_calls(sim, at) == []
    at.button(key="eval_confirm").click().run()
    run_to_end(at)
    assert not at.exception, [e.value for e in at.exception]
    assert len(chat_calls(sim, at)) == 36  # 12 examples x 3 candidates, each once

    board = table(at, "vs baseline")
    assert list(board["candidate"]) == [model, f"{MINI}+prompt", f"{MINI}+prompt+schema"]
    assert board["vs baseline"].iloc[0] == "baseline" and board["vs baseline"].iloc[1].startswith("+")
    assert "(" in board["exact match"].iloc[0] and "–" in board["exact match"].iloc[0]  # with its interval
    assert board["valid JSON"].iloc[2].startswith("100%")  # Structured Outputs: always strict JSON
    assert "Simulated" in shown(at.caption)
    assert len(at.get("plotly_chart")) == 2
    flips_table = table(at, "who is right")
    assert set(flips_table.columns) >= {"line", "candidate", "baseline answer", "candidate answer", "reference"}
    assert len(at.code) >= 3  # one flip read in full: baseline, candidate, reference as inert code blocks
    assert [b.proto.label for b in at.download_button] == ["Recording (JSONL)", "Scoreboard (CSV)", "promptfoo config"]
    assert "Finished: every call answered." in shown(at.caption)

    # "Use these measurements on Costs": the measured token means, labelled simulated
    at.button(key="eval_to_costs").click().run()
    measured: MeasuredUsage = at.session_state[ui.MEASURED_USAGE]
    assert measured.fine_tuned_model == model and measured.prompted_model == MINI and measured.examples == 12
    assert measured.simulated and measured.prompt_tokens_prompted > measured.prompt_tokens_fine_tuned > 0
    assert any(p.proto.page == "Costs" for p in at.get("page_link"))
    # a rerun sends nothing more
    at.run()
    assert len(chat_calls(sim, at)) == 36


def test_a_double_confirm_or_a_rerun_starts_one_run(sim):
    at = with_set(open_page(), limit=5)
    review(at)
    pending = at.session_state["eval_pending"]
    at.button(key="eval_confirm").click().run()
    assert at.session_state["eval_pending"] is None
    # the second click of a double click reaches the page as the same confirmed request again
    at.session_state["eval_pending"] = dataclasses.replace(pending, state=confirm.CONFIRMED)
    at.run()
    at.session_state["eval_pending"] = dataclasses.replace(pending, state=confirm.CONFIRMED)
    at.run()
    run_to_end(at)
    at.run()
    assert len(at.session_state["eval_runs"]) == 1
    assert len(chat_calls(sim, at)) == 10  # 5 examples x 2 candidates, once each


def test_stop_keeps_what_finished_and_resume_sends_only_the_rest(sim):
    at = with_set(open_page(), limit=8)
    at.number_input(key="_eval_concurrency").set_value(1).run()
    sim.latency = 0.15
    review(at)
    at.button(key="eval_confirm").click().run()
    run = current_run(at)
    deadline = time.time() + 20
    while run.progress().done < 3:
        assert time.time() < deadline
        time.sleep(0.02)
    at.button(key="eval_stop").click().run()
    run.wait(10)
    at.run()
    done = run.progress().done
    assert 3 <= done < 16 and len(chat_calls(sim, at)) == done
    assert "calls have no answer yet" in shown(at.caption)
    answered = {(r.line, r.label) for r in run.results()}
    sim.latency = 0.0
    at.button(key="eval_resume").click().run()  # the confirmation shows what is left
    left = at.session_state["eval_pending"]
    assert left.resume and left.run_id == at.session_state["eval_run_id"]
    assert sum(e.calls for e in left.estimates) == 16 - done
    at.button(key="eval_confirm").click().run()
    run_to_end(at)
    calls = chat_calls(sim, at)
    # every (example, candidate) exactly once: nothing answered before the stop was sent again
    sent = {
        (c["body"]["messages"][-1]["content"], c["body"]["model"], json.dumps(c["body"]["messages"][0])) for c in calls
    }
    assert len(calls) == len(sent) == 16 and len(answered) == done
    assert current_run(at).progress().done == 16 and not at.exception


def test_a_spending_limit_below_the_estimate_blocks_the_run(sim):
    at = with_set(open_page(), limit=5)
    at.toggle(key="_eval_max_spend_on").set_value(True).run()
    at.number_input(key="_eval_max_spend").set_value(0.0).run()
    assert "is above your spending limit of $0.00" in shown(at.error)
    assert at.button(key="eval_review").disabled
    assert chat_calls(sim, at) == []


@pytest.mark.parametrize(
    "data, sentence",
    [
        (b"", "bad.jsonl is empty"),
        (b'{"prompt": "a", "completion": "b"}\n' * 3, "an evaluation set needs chat examples"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}\nnot json at all\n', "(first skipped line: 1)"),
    ],
)
def test_a_bad_file_is_one_sentence(sim, data, sentence):
    at = with_set(open_page(), LaunchFile.of("bad.jsonl", data))
    assert len(at.error) == 1 and sentence in shown(at.error)
    assert not at.exception and chat_calls(sim, at) == []


def test_dataset_hands_its_validation_file_over(sim):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/1_Dataset.py").run()
    at.selectbox(key="_dataset_sample").set_value("support_chat").run()
    at.button(key="_dataset_evaluate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Evaluate"
    assert at.session_state["eval_source"] == "dataset"
    assert at.session_state["eval_handed"].name == "support_chat_valid.jsonl"
    assert "24 examples from `support_chat_valid.jsonl`" in shown(at.caption)


def test_a_file_on_the_account_is_downloaded_through_the_files_api(sim):
    at = open_page()
    uploaded = demo_sdk(at).files.create(file=(VALID.name, VALID.data), purpose="fine-tune")
    at.radio(key="_eval_source").set_value("account").run()
    at.selectbox(key="_eval_account_file").set_value(uploaded.id).run()
    assert "12 examples from `triage_valid.jsonl`" in shown(at.caption)


def test_a_sample_of_the_training_file_says_the_model_has_seen_it(sim):
    at = open_page(**{ui.LAUNCH_TRAINING: TRAIN})
    at.radio(key="_eval_source").set_value("sample").run()
    at.number_input(key="_eval_limit").set_value(10).run()
    assert "a fine-tune has seen them" in shown(at.warning)
    assert "10 examples from `triage_train.jsonl`" in shown(at.caption)

    # the same seed picks the same examples; another seed others
    def sampled(seed: int) -> list[int]:  # the set the page built (never built here: that would fail)
        built = at.session_state["eval_memo"].get(("set", TRAIN.sha256, 10, seed), lambda: pytest.fail("not built"))
        return [e.line for e in built.examples]

    lines = sampled(42)
    at.number_input(key="_eval_seed").set_value(7).run()
    other = sampled(7)
    assert len(lines) == len(other) == 10 and lines != other


def test_few_shot_examples_join_the_long_prompt(sim):
    at = with_set(open_page(**{ui.LAUNCH_TRAINING: TRAIN}), limit=3)
    at.number_input(key="_eval_fewshot").set_value(2).run()
    assert "Drawn from `triage_train.jsonl`" in shown(at.caption)
    review(at)
    prompted = at.session_state["eval_pending"].candidates[1]
    assert prompted.system.startswith(SYSTEM) and "Example 2 answer:" in prompted.system


def test_record_before_it_is_gone_then_compare_against_the_recording(sim):
    at = open_page()
    model, _ = fine_tune(at)
    at.button(key="eval_refresh").click().run()  # read the account's fine-tunes again
    with_set(at, limit=6)
    at.button(key=f"eval_record_{model}").click().run()
    assert candidate_models(at) == [model]
    assert "Recording" in shown(at.info)
    confirm_and_finish(at)
    run = current_run(at)
    from lib.evaluate import recording_bytes

    recording = recording_bytes(run.eval_set, run.candidates, run.results())
    assert load_recording(recording).labels == [model]
    calls_before = len(chat_calls(sim, at))
    assert calls_before == 6

    # later: the recording stands in for the fine-tune; a new candidate is compared against it
    at.file_uploader(key="_eval_recording_uploader").set_value(("rec.jsonl", recording, "application/jsonl")).run()
    assert f"the recorded answers of {model}" in shown(at.info)
    first = at.session_state["eval_slots"][0]
    at.selectbox(key=f"_eval_c{first}_model").set_value(MINI).run()
    at.toggle(key=f"_eval_c{first}_prompt").set_value(True).run()
    estimate = table(at, "output tokens (est.)")
    assert list(estimate["candidate"]) == [f"{MINI}+prompt"]  # the recorded model costs nothing more
    confirm_and_finish(at)
    calls = chat_calls(sim, at)[calls_before:]
    assert len(calls) == 6 and {c["body"]["model"] for c in calls} == {MINI}  # the fine-tune is not called
    board = table(at, "vs baseline")
    assert list(board["candidate"]) == [model, f"{MINI}+prompt"]
    assert board["vs baseline"].iloc[0] == "baseline"


def test_a_recording_of_another_file_is_one_sentence(sim):
    at = with_set(open_page(), limit=0)
    other = (
        b'{"recording": "tuning-desk-evaluate", "version": 1, "eval_file": "x.jsonl", "eval_sha256": "ab",'
        b' "baseline": "m", "candidates": [{"label": "m", "model": "m"}]}\n'
        b'{"line": 1, "label": "m", "model": "m", "answer": "hi"}\n'
    )
    at.file_uploader(key="_eval_recording_uploader").set_value(("rec.jsonl", other, "application/jsonl")).run()
    assert "The recording was made on another file (x.jsonl)" in shown(at.error)
    at.file_uploader(key="_eval_recording_uploader").set_value(("rec.jsonl", b"nope\n", "application/jsonl")).run()
    assert "rec.jsonl, line 1: not JSON" in shown(at.error) and not at.exception


def test_model_answers_are_never_rendered_as_html(sim):
    at = with_set(open_page(), limit=4)
    confirm_and_finish(at)
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)


def test_a_run_leaves_other_pages_and_other_sessions_responsive(sim):
    at = with_set(open_page(), limit=10)
    at.number_input(key="_eval_concurrency").set_value(1).run()
    sim.latency = 0.5  # 20 calls one at a time: about ten seconds of work in the background
    review(at)
    at.button(key="eval_confirm").click().run()
    run = current_run(at)
    assert run.running
    other = AppTest.from_file(str(APP), default_timeout=60)
    other.run()
    other.switch_page(PAGE).run()  # a second visitor opens Evaluate meanwhile: their own, empty page
    assert not other.exception and other.session_state["eval_run_id"] is None
    assert "eval_stop" not in [b.key for b in other.button]
    other.switch_page("pages/2_Costs.py").run()
    at.switch_page("pages/4_Jobs.py").run()  # the same visitor looks at another page
    assert not at.exception and not other.exception
    assert run.running  # all of that was drawn while the run was still working
    at.switch_page(PAGE).run()
    assert at.button(key="eval_stop") and current_run(at) is run  # back: the same run, still going
    run_to_end(at)
    assert table(at, "vs baseline") is not None and len(chat_calls(sim, at)) == 20


def test_a_judge_is_estimated_confirmed_and_shown_as_an_opinion(sim):
    at = with_set(open_page(), limit=4)
    confirm_and_finish(at)
    assert "judge (opinion)" not in table(at, "vs baseline").columns  # no judge, no column
    before = len(chat_calls(sim, at))
    at.button(key="eval_judge_review").click().run()
    pending = at.session_state["eval_pending"]
    assert pending.judge_of == at.session_state["eval_run_id"] and sum(e.calls for e in pending.estimates) == 8
    assert len(chat_calls(sim, at)) == before  # nothing is sent before the confirm
    at.button(key="eval_confirm").click().run()
    judge = at.session_state["eval_runs"].get(
        at.session_state["eval_judges"][at.session_state["eval_run_id"]]["run_id"]
    )
    assert judge.wait(60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    graded = chat_calls(sim, at)[before:]
    assert len(graded) == 8 and all(c["body"]["response_format"]["type"] == "json_schema" for c in graded)
    board = table(at, "judge (opinion)")
    assert all(cell.endswith("%") for cell in board["judge (opinion)"])
    assert "an opinion of a model, not a measurement" in shown(at.caption)
    assert len(at.session_state["eval_runs"]) == 2 and current_run(at) is not judge  # the run shown is the same


def test_a_training_file_that_cannot_give_few_shot_examples_is_one_sentence(sim):
    dpo = LaunchFile.of(
        "pairs.jsonl",
        b'{"input": {"messages": [{"role": "user", "content": "hi"}]}, '
        b'"preferred_output": [{"role": "assistant", "content": "a"}], '
        b'"non_preferred_output": [{"role": "assistant", "content": "b"}]}\n',
    )
    at = with_set(open_page(**{ui.LAUNCH_TRAINING: dpo}), limit=3)
    at.number_input(key="_eval_fewshot").set_value(2).run()
    assert not at.exception and "No few-shot examples: pairs.jsonl is in the dpo format" in shown(at.error)
    assert at.button(key="eval_review").disabled


def test_api_failures_are_one_sentence_each_and_the_page_still_works(sim):
    sim.add_fault(500, path="/fine_tuning/jobs", times=None)
    at = with_set(open_page(), limit=3)
    assert "list the account's fine-tuned models" in shown(at.warning) and not at.exception
    sim.clear_faults()
    sim.add_fault(401, path="/chat/completions", times=None)
    confirm_and_finish(at)
    warning = shown(at.warning)
    assert "6 calls without an answer: The API key was rejected (401)" in warning
    assert warning.count("without an answer") == 1  # the same failure is said once, with its count
    assert "calls have no answer yet" in shown(at.caption)  # and can be resumed once fixed
    sim.clear_faults()
    at.button(key="eval_resume").click().run()
    at.button(key="eval_confirm").click().run()
    run_to_end(at)
    assert "Finished: every call answered." in shown(at.caption) and "without an answer" not in shown(at.warning)


def test_hostile_labels_and_answers_from_a_recording_stay_inert(sim):
    hostile = "[click](https://evil.example/x) <img src=x onerror=alert(1)>"
    from lib.evaluate import load_eval_set

    examples = load_eval_set(VALID.data, name=VALID.name).examples
    head = {
        "recording": "tuning-desk-evaluate",
        "version": 1,
        "eval_file": VALID.name,
        "eval_sha256": VALID.sha256,
        "baseline": hostile,
        "candidates": [{"label": hostile, "model": "ft:gpt-4o-mini-2024-07-18:x:y:z"}],
    }
    rows = [
        {
            "line": e.line,
            "label": hostile,
            "model": "ft:gpt-4o-mini-2024-07-18:x:y:z",
            "answer": hostile,
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
            "latency_ms": 5.0,
            "error": None,
            "scores": {"exact_match": False, "similarity": 0.1},
        }
        for e in examples
    ]
    recording = "\n".join(json.dumps(r) for r in [head, *rows]).encode() + b"\n"
    at = with_set(open_page(), limit=0)
    at.file_uploader(key="_eval_recording_uploader").set_value(("rec.jsonl", recording, "application/jsonl")).run()
    confirm_and_finish(at)
    assert not at.exception, [e.value for e in at.exception]
    assert hostile in list(table(at, "vs baseline")["candidate"])  # shown as written, in a table
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        for element in at.get(kind):
            text = str(element.value)  # markup characters from the file must arrive backslash-escaped
            assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(", text), (kind, text)
            assert not getattr(element.proto, "allow_html", False)
    assert hostile in [c.value for c in at.code]  # a flip's answer, read in full as inert code


def test_a_file_over_the_upload_limit_is_refused_in_one_sentence(sim, monkeypatch):
    import streamlit as st

    real = st.get_option
    monkeypatch.setattr(st, "get_option", lambda name: 0.001 if name == "server.maxUploadSize" else real(name))
    at = with_set(open_page(), VALID)
    assert "triage_valid.jsonl: The file is" in shown(at.error) and "over this app's upload limit" in shown(at.error)
    assert at.session_state["eval_upload"] is None and not at.exception
