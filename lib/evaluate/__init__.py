"""Evaluate: measure, on the user's own examples, whether a fine-tune beats a prompt.

One implementation for the Evaluate page and ``python -m lib evaluate``. Import from the
modules (``from lib.evaluate.runner import Run``) or from here (everything below is re-exported).

Public API
----------
``evalset`` (the set)
    ``load_eval_set(data: bytes, *, name: str, limit: int | None = None, seed: int = 0,
    against: Recording | None = None, against_label: str | None = None) -> EvalSet``
    ``EvalSet(name, sha256, examples: tuple[Example, ...], skipped: tuple[int, ...], lines, references_from)``
    with ``len()``, ``by_line()``, ``references_are_json``;
    ``Example(line, prompt_messages: tuple[dict], tools, functions, reference: Reference, parallel_tool_calls)``
    with ``system``; ``Reference(text: str | None, tool_calls: list | None)`` with ``is_tool_calls``;
    ``EvalInputError(ValueError)``: one sentence naming the line and the problem.

``candidates`` (what is compared)
    ``Candidate(model, system=None, schema=None ("auto" | dict), label=None, temperature=0.0,
    max_tokens=None, reasoning_effort=None)`` with ``display_label`` (label, or model + "+prompt"
    when ``system`` is set) and ``settings()``;
    ``parse_candidate_spec(spec, *, read_file=...) -> Candidate`` (the CLI's SPEC grammar);
    ``check_labels(candidates)``; ``build_request(candidate, example, eval_set) -> dict`` (kwargs of
    ``chat.completions.create``); ``infer_schema(eval_set) -> dict | None``;
    ``default_max_tokens(eval_set, model) -> int`` (reasoning models get 25,000 more for their
    reasoning); ``is_reasoning_model(model) -> bool``;
    ``few_shot_system(system, shots: list[Example]) -> str`` (a long prompt with worked examples);
    ``CandidateSpecError(ValueError)``.

``scores`` (pure)
    ``exact_match``, ``json_valid``, ``json_fields``, ``similarity``, ``tool_calls_match``,
    ``score_answer(answer, reference_text, reference_tool_calls=None) -> dict`` (keys
    ``SCORE_NAMES``; None where a score doesn't apply), ``wilson_interval(successes, n, z=1.96)``,
    ``mcnemar_exact_p(wins, losses)``.

``pricing``
    ``call_cost(model, usage: dict, *, calendar="openai", fine_tuned=None) -> float | None``;
    ``usage_of(sdk_usage) -> dict`` (prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens);
    ``estimate(eval_set, candidates, *, calendar="openai", lines=None) -> list[CandidateEstimate]``
    ``CandidateEstimate(label, model, calls, prompt_tokens, output_tokens, cost_usd | None, note)``
    with ``cost_per_1k_calls_usd``; ``total_estimate(estimates) -> float | None``.

``runner`` (the calls)
    ``Run(eval_set, candidates, make_client: () -> openai.OpenAI, *, concurrency=4, max_spend=None,
    calendar="openai", results=(), on_result=None, max_retries=2, timeout=60.0)``:
    ``start() -> bool`` (background threads; idempotent; raises ``OverBudget`` before any call when
    the estimate is above ``max_spend``), ``run()`` (synchronous), ``stop()``, ``wait(timeout)``,
    ``running``, ``progress() -> Progress(done, total, errors, spend_usd, eta_s, running,
    stopped_reason, in_flight, unpriced_calls)`` (safe from another thread, e.g. an
    ``st.fragment(run_every=...)``), ``results() -> list[CallResult]``, ``remaining()``,
    ``check_budget()``, ``problem`` (a sentence when the run stopped on its own: the client could
    not be built, the recording could not be written; ``stopped_reason`` is then "no_client" or
    "recording_failed"). Resume: ``start()`` again once ``running`` is False, or a new
    ``Run(..., results=old_results)``; answered calls (refusals included) are never sent again.
    ``CallResult(line, label, model, answer (text | tool calls | None), finish_reason, usage,
    latency_ms, error, cost_usd, scores, system_fingerprint, refusal)`` with ``answered``, ``to_record()``.

``report``
    ``summarize(eval_set, candidates, results, *, prices_as_of, calendar="openai") -> Report``;
    ``Report.to_document() -> dict`` (the contract's JSON), ``Report.candidates:
    tuple[CandidateStats]`` (scores, ci95, wins, losses, p_value, usage sums, cost_usd,
    cost_per_1k_calls_usd, latency_p50_ms/p95_ms, answered, ``mean_usage(key)``), ``Report.simulated``;
    ``flips(eval_set, candidates, results) -> list[Flip]``; ``scoreboard_rows(report)``,
    ``scoreboard_csv(report) -> str``; ``text_table(report) -> str``.

``recording``
    ``RecordingWriter(out: binary file, eval_set, candidates, settings=None).write(result)`` (pass
    as ``on_result``); ``recording_bytes(eval_set, candidates, results, settings=None) -> bytes``;
    ``load_recording(data: bytes, *, name=...) -> Recording`` (``header``, ``results``, ``labels``,
    ``baseline``, ``eval_sha256``, ``answers(label)``, ``candidates()``); ``RecordingError(ValueError)``.

``export``
    ``promptfoo_config(eval_set, candidates) -> str`` (JSON text promptfoo reads as its YAML config).

``measured_usage(report, *, fine_tuned_label, prompted_label) -> lib.handoff.MeasuredUsage``
    the figures "Use these measurements on Costs" hands over.

``judge`` (optional, an opinion, costed)
    ``Judge(model, rubric=DEFAULT_RUBRIC, label="judge")``; ``grading_set(eval_set, candidates,
    results, judge) -> GradingSet(eval_set, candidate, keys)``: estimate and ``Run`` it like any
    set (confirm first: it costs money); ``apply_verdicts(results, grading, verdicts) ->
    list[CallResult]`` fills ``scores["judge"]`` (0-1); ``verdict_score(text)``. Without a judge,
    ``judge`` is ``None`` everywhere (the command line has no judge).
"""

from lib.evaluate.candidates import (
    Candidate,
    CandidateSpecError,
    build_request,
    check_labels,
    default_max_tokens,
    few_shot_system,
    infer_schema,
    is_reasoning_model,
    parse_candidate_spec,
)
from lib.evaluate.evalset import EvalInputError, EvalSet, Example, Reference, load_eval_set
from lib.evaluate.export import promptfoo_config
from lib.evaluate.judge import DEFAULT_RUBRIC, GradingSet, Judge, apply_verdicts, grading_set, verdict_score
from lib.evaluate.pricing import CandidateEstimate, call_cost, estimate, total_estimate, usage_of
from lib.evaluate.recording import Recording, RecordingError, RecordingWriter, load_recording, recording_bytes
from lib.evaluate.report import (
    CandidateStats,
    Flip,
    Report,
    flips,
    scoreboard_csv,
    scoreboard_rows,
    summarize,
    text_table,
)
from lib.evaluate.runner import CallResult, OverBudget, Progress, Run
from lib.evaluate.scores import (
    SCORE_NAMES,
    exact_match,
    json_fields,
    json_valid,
    mcnemar_exact_p,
    score_answer,
    similarity,
    tool_calls_match,
    wilson_interval,
)


def measured_usage(report: Report, *, fine_tuned_label: str, prompted_label: str):
    """The measured token means for the Costs page (``lib.handoff.MeasuredUsage``).

    Prompt tokens of the fine-tune (its short prompt) and of the prompted candidate (the long
    prompt); output and reasoning tokens are the prompted candidate's means.
    """
    from lib.handoff import MeasuredUsage

    stats = report.by_label()
    tuned, prompted = stats[fine_tuned_label], stats[prompted_label]
    return MeasuredUsage(
        examples=min(tuned.answered, prompted.answered),
        fine_tuned_model=tuned.model,
        prompted_model=prompted.model,
        prompt_tokens_fine_tuned=tuned.mean_usage("prompt_tokens") or 0.0,
        prompt_tokens_prompted=prompted.mean_usage("prompt_tokens") or 0.0,
        completion_tokens=prompted.mean_usage("completion_tokens") or 0.0,
        reasoning_tokens=prompted.mean_usage("reasoning_tokens") or 0.0,
        simulated=report.simulated,
    )


__all__ = [
    "Candidate",
    "CandidateSpecError",
    "build_request",
    "check_labels",
    "default_max_tokens",
    "few_shot_system",
    "infer_schema",
    "is_reasoning_model",
    "parse_candidate_spec",
    "EvalInputError",
    "EvalSet",
    "Example",
    "Reference",
    "load_eval_set",
    "promptfoo_config",
    "CandidateEstimate",
    "call_cost",
    "estimate",
    "total_estimate",
    "usage_of",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "load_recording",
    "recording_bytes",
    "CandidateStats",
    "Flip",
    "Report",
    "flips",
    "scoreboard_csv",
    "scoreboard_rows",
    "summarize",
    "text_table",
    "CallResult",
    "OverBudget",
    "Progress",
    "Run",
    "SCORE_NAMES",
    "exact_match",
    "json_fields",
    "json_valid",
    "mcnemar_exact_p",
    "score_answer",
    "similarity",
    "tool_calls_match",
    "wilson_interval",
    "measured_usage",
    "DEFAULT_RUBRIC",
    "GradingSet",
    "Judge",
    "apply_verdicts",
    "grading_set",
    "verdict_score",
]
