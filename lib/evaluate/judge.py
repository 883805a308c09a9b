"""The optional judge: a grader model scores each answer 0-1 against the reference, with a rubric the user edits.

A judge's score is an opinion, not a measurement: the page shows it as such, and it costs
money, so it is estimated and confirmed like the run itself. It reuses the run machinery: every
(example, candidate answer) becomes one example of a **grading set** whose prompt asks the
grader for ``{"score": 0-1, "reason": ...}`` through Structured Outputs, and a :class:`Run` of the
grader over that set has the same concurrency, retries, stop/resume, spending limit and
estimate. :func:`apply_verdicts` then fills ``scores["judge"]`` of the candidates' results.

    grading = grading_set(eval_set, candidates, results, judge)
    estimate(grading.eval_set, [grading.candidate])       # confirm this first
    verdicts = Run(grading.eval_set, [grading.candidate], make_client).run()
    results = apply_verdicts(results, grading, verdicts)   # then summarize() as usual
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from lib.evaluate.candidates import Candidate
from lib.evaluate.evalset import EvalSet, Example, Reference
from lib.evaluate.runner import CallResult

DEFAULT_RUBRIC = (
    "You grade an assistant's answer against a reference answer written by an expert. Give a score from 0 to 1: "
    "1 when the answer says the same thing as the reference (wording may differ; for JSON, the same data), 0.5 "
    "when it is partly right or right but wrapped in extra text, 0 when it is wrong, missing or refuses. "
    "Judge only correctness against the reference, not style or length."
)
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1}, "reason": {"type": "string"}},
    "required": ["score", "reason"],
    "additionalProperties": False,
}
VERDICT_MAX_TOKENS = 300


@dataclass(frozen=True)
class Judge:
    """The grader model and the rubric it follows."""

    model: str
    rubric: str = DEFAULT_RUBRIC
    label: str = "judge"


@dataclass(frozen=True)
class GradingSet:
    """The grader's calls: a set whose example ``n`` grades ``keys[n]`` = (line, candidate label)."""

    eval_set: EvalSet
    candidate: Candidate
    keys: dict = field(repr=False)  # grading line -> (line, label)


def _as_text(value) -> str:
    if value is None:
        return "(no answer)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def grading_set(eval_set: EvalSet, candidates: list[Candidate], results: list[CallResult], judge: Judge) -> GradingSet:
    """One grading example per answered (example, candidate), in file then candidate order."""
    examples_by_line = eval_set.by_line()
    labels = [c.display_label for c in candidates]
    found = {(r.line, r.label): r for r in results if r.answered}
    grading, keys = [], {}
    for example in eval_set.examples:
        for label in labels:
            result = found.get((example.line, label))
            if result is None:
                continue
            question = next(
                (m.get("content") for m in reversed(example.prompt_messages) if m.get("role") == "user"), ""
            )
            reference = examples_by_line[example.line].reference
            prompt = (
                f"Question:\n{_as_text(question)}\n\nReference answer:\n"
                f"{_as_text(reference.tool_calls or reference.text)}\n\nAnswer to grade:\n{_as_text(result.answer)}"
            )
            number = len(grading) + 1
            keys[number] = (example.line, label)
            grading.append(
                Example(
                    line=number,
                    prompt_messages=({"role": "system", "content": judge.rubric}, {"role": "user", "content": prompt}),
                    reference=Reference(text='{"score": 1, "reason": ""}'),
                )
            )
    grader = Candidate(judge.model, schema=VERDICT_SCHEMA, label=judge.label, max_tokens=VERDICT_MAX_TOKENS)
    grading_eval = EvalSet(
        name=f"{eval_set.name} (graded by {judge.model})",
        sha256=eval_set.sha256,
        examples=tuple(grading),
        lines=len(grading),
    )
    return GradingSet(grading_eval, grader, keys)


def verdict_score(answer) -> float | None:
    """The 0-1 score of a grader's answer, or None when it is not a verdict."""
    try:
        score = json.loads(answer)["score"] if isinstance(answer, str) else None
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    return min(1.0, max(0.0, float(score)))


def apply_verdicts(results: list[CallResult], grading: GradingSet, verdicts: list[CallResult]) -> list[CallResult]:
    """Copies of ``results`` with ``scores["judge"]`` set from the grader's verdicts (None where it gave none)."""
    judged = {}
    for verdict in verdicts:
        key = grading.keys.get(verdict.line)
        if key is not None and verdict.answered:
            judged[key] = verdict_score(verdict.answer)
    out = []
    for result in results:
        score = judged.get((result.line, result.label))
        if result.scores is not None and score is not None:
            result = replace(result, scores={**result.scores, "judge": score})
        out.append(result)
    return out
