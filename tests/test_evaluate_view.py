"""lib.evaluate_view: what the Evaluate page shows and decides, as plain values."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from types import SimpleNamespace

import pytest

from lib import evaluate as ev
from lib import evaluate_view as view
from lib.evaluate_session import CandidateChoice, candidate_labels

MINI = "gpt-4o-mini-2024-07-18"


def chat_jsonl(n: int, *, json_answers: bool = False) -> bytes:
    lines = []
    for i in range(n):
        answer = json.dumps({"n": i}) if json_answers else f"answer {i}"
        messages = [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": answer}]
        lines.append(json.dumps({"messages": messages}))
    return ("\n".join(lines) + "\n").encode()


def test_files_are_read_or_say_why_in_one_sentence():
    eval_set = view.eval_set_or_reason(chat_jsonl(10), "set.jsonl", 4, 7)
    assert len(eval_set) == 4 and eval_set.name == "set.jsonl"
    assert view.eval_set_or_reason(chat_jsonl(10), "set.jsonl", 4, 7).examples == eval_set.examples  # seeded
    assert view.eval_set_or_reason(b"", "empty.jsonl", None, 0).startswith("empty.jsonl is empty")
    assert "line 1: not JSON" in view.recording_or_reason(b"nope\n", "rec.jsonl")
    prompt = view.few_shot_prompt("Be brief.", chat_jsonl(10), "train.jsonl", 2, 1)
    assert prompt.startswith("Be brief.") and "Example 2 answer:" in prompt
    dpo = b'{"input": {"messages": []}, "preferred_output": [], "non_preferred_output": []}\n'
    with pytest.raises(ev.EvalInputError):
        view.few_shot_prompt("Be brief.", dpo, "pairs.jsonl", 2, 1)


def test_set_caption_names_the_file_inertly_and_shortens_skipped_lines():
    eval_set = view.eval_set_or_reason(chat_jsonl(3, json_answers=True), "a_[x](y).jsonl", None, 0)
    caption = view.set_caption(eval_set)
    assert caption.startswith(":material/checklist: 3 examples from `a_[x](y).jsonl`.")
    assert caption.endswith("Structured Outputs is offered below.")
    skipping = dataclasses.replace(eval_set, skipped=tuple(range(1, 15)))
    assert "lines skipped (not usable): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12…." in view.set_caption(skipping)


def test_plan_candidates_gives_the_long_prompt_to_its_rows_and_puts_a_stand_in_first():
    choices = [CandidateChoice(MINI), CandidateChoice(MINI, long_prompt=True, structured=True, max_tokens=64)]
    plan = view.plan_candidates(choices, candidate_labels(choices), "Long prompt.")
    assert [c.display_label for c in plan.candidates] == [MINI, f"{MINI}+prompt+schema"]
    assert plan.candidates[0].system is None and plan.candidates[1].system == "Long prompt."
    assert plan.candidates[1].schema == "auto" and plan.candidates[1].max_tokens == 64
    assert plan.to_call == plan.candidates and plan.problems == []

    recorded = ev.Candidate(model="ft:gpt-4o-mini-2024-07-18:acme:x:1", label="old")
    plan = view.plan_candidates(choices[1:], candidate_labels(choices[1:]), None, recorded)
    assert plan.candidates[0] is recorded and plan.to_call == plan.candidates[1:]
    assert plan.problems == ['Write the long prompt, or turn "Long prompt" off.']
    assert view.plan_candidates([CandidateChoice("")], [""], None).problems  # no candidate at all


def test_the_estimate_key_changes_with_whatever_changes_the_estimate():
    eval_set = view.eval_set_or_reason(chat_jsonl(5), "set.jsonl", None, 0)
    plain = [ev.Candidate(model=MINI)]
    key = view.estimate_key(eval_set, plain)
    assert key == view.estimate_key(eval_set, [ev.Candidate(model=MINI)])
    assert key != view.estimate_key(eval_set, [ev.Candidate(model=MINI, max_tokens=10)])
    assert key != view.estimate_key(dataclasses.replace(eval_set, examples=eval_set.examples[:2]), plain)


def test_the_estimate_caption_says_what_a_demo_would_cost():
    assert view.estimate_caption(0.5, demo=True).startswith("**Demo mode costs nothing.** At OpenAI's list prices")
    assert "$0.50" in view.estimate_caption(0.5, demo=True)
    assert view.estimate_caption(None, demo=False).startswith("Estimated total: **unknown**.")


def test_spending_limit_sentence_only_when_the_estimate_is_above_it():
    assert view.over_spending_limit(1.0, None) is None and view.over_spending_limit(1.0, 1.0) is None
    assert view.over_spending_limit(2.5, 1.0) == (
        "The estimate, $2.50, is above your spending limit of $1.00: raise the limit or evaluate fewer examples."
    )
    assert "less than $0.01" in view.over_spending_limit(0.004, 0.0)


def test_sentences_about_models_runs_and_measurements():
    warning = view.record_first_warning("ft:a*b", dt.date(2027, 1, 14), dt.date(2026, 11, 26))
    assert warning.startswith(r"**ft\:a\*b** stops answering on 2027-01-14 (49 days).")
    assert view.unanswered_text(None, 0) == "Finished: every call answered."
    assert view.unanswered_text("max_spend", 3).startswith("Stopped at the spending limit. 3 calls have no answer")
    assert view.unanswered_text("error", 1).startswith("1 calls have no answer")
    measured = SimpleNamespace(
        examples=12, prompt_tokens_fine_tuned=40.4, prompt_tokens_prompted=900.6, completion_tokens=20.0
    )
    assert view.measured_text(measured, "ft", "base+prompt", True) == (
        r"Measured on 12 examples: 40 prompt tokens a call for ft, 901 with the long prompt (base\+prompt), "
        "20 output tokens (simulated)."
    )
    assert view.download_stem(SimpleNamespace(name="valid.jsonl")) == "valid"
    answered = [SimpleNamespace(answered=True), SimpleNamespace(answered=False)]
    assert view.report_key("r", answered, []) != view.report_key("r", answered[:1] * 2, [])
