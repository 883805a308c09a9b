"""What the Evaluate page shows and decides, as plain values: the page only draws them.

Reading the user's files into the engine's objects (or the one sentence why not), the
candidates built from the page's rows, what the estimate depends on, and the sentences
the page says about a set, a run and its measurements. The engine is ``lib/evaluate/``;
the page's state between reruns is :mod:`lib.evaluate_session`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lib import evaluate as ev
from lib.costs import usd
from lib.display import md_code, md_escape
from lib.evaluate_session import CandidateChoice, cost_text, days_left

SKIPPED_SHOWN = 12  # skipped line numbers named in the set's caption; the rest is "…"


# --------------------------------------------------------------------------- the user's files
def eval_set_or_reason(data: bytes, name: str, limit: int | None, seed: int) -> Any:
    """The evaluation set read from ``data`` (a seeded sample of ``limit``), or the sentence why it can't be used."""
    try:
        return ev.load_eval_set(data, name=name, limit=limit, seed=seed)
    except ev.EvalInputError as exc:
        return str(exc)


def recording_or_reason(data: bytes, name: str) -> Any:
    """A recording downloaded from the page, or the sentence naming its bad line."""
    try:
        return ev.load_recording(data, name=name)
    except ev.RecordingError as exc:
        return str(exc)


def few_shot_prompt(system: str, train_data: bytes, train_name: str, n: int, seed: int) -> str:
    """The long prompt followed by ``n`` worked examples drawn (seeded) from the training file.

    Raises :class:`lib.evaluate.EvalInputError` when the training file cannot give them.
    """
    shots = ev.load_eval_set(train_data, name=train_name, limit=n, seed=seed).examples
    return ev.few_shot_system(system, list(shots))


def set_caption(eval_set: Any) -> str:
    """``24 examples from `file.jsonl`; lines skipped (not usable): 3, 9.`` (markdown, the name escaped)."""
    skipped = ""
    if eval_set.skipped:
        named = ", ".join(map(str, eval_set.skipped[:SKIPPED_SHOWN]))
        skipped = f"; lines skipped (not usable): {named}" + ("…" if len(eval_set.skipped) > SKIPPED_SHOWN else "")
    json_note = " The answers are JSON: Structured Outputs is offered below." if eval_set.references_are_json else ""
    return f":material/checklist: {len(eval_set):,} examples from {md_code(eval_set.name)}{skipped}.{json_note}"


# --------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class CandidatePlan:
    """The candidates to run (a recording's stand-in first), the ones that cost calls, and what blocks a run."""

    candidates: list
    to_call: list
    problems: list[str]


def plan_candidates(
    choices: list[CandidateChoice], labels: list[str], system: str | None, stand_in: Any = None
) -> CandidatePlan:
    """Engine candidates from the page's rows (``labels`` from :func:`candidate_labels`), the long prompt
    ``system`` given to the rows that use it, and a recording's ``stand_in`` candidate as the baseline."""
    candidates = [
        ev.Candidate(
            model=c.model,
            system=system if c.long_prompt else None,
            schema="auto" if c.structured else None,
            label=label,
            temperature=c.temperature,
            max_tokens=c.max_tokens,
            reasoning_effort=c.reasoning_effort,
        )
        for c, label in zip(choices, labels)
        if c.model
    ]
    problems = []
    if any(c.long_prompt for c in choices) and not system:
        problems.append('Write the long prompt, or turn "Long prompt" off.')
    if stand_in is not None:
        candidates.insert(0, stand_in)
    try:
        ev.check_labels(candidates)
    except ev.CandidateSpecError as exc:
        problems.append(str(exc))
    return CandidatePlan(candidates, candidates[1:] if stand_in is not None else candidates, problems)


def estimate_key(eval_set: Any, candidates: list) -> tuple:
    """Everything the estimate depends on: the set's lines and references, each candidate's settings."""
    return (
        eval_set.sha256,
        tuple(e.line for e in eval_set.examples),
        eval_set.references_from,
        tuple(
            (c.display_label, c.model, hash(c.system), c.schema, c.temperature, c.max_tokens, c.reasoning_effort)
            for c in candidates
        ),
    )


def estimate_caption(total: float | None, *, demo: bool) -> str:
    """How the estimate under the table was made, and its total (what it would cost, in demo mode)."""
    if demo:
        return (
            f"**Demo mode costs nothing.** At OpenAI's list prices these calls would cost {cost_text(total)}: "
            "prompt tokens counted exactly, output estimated from the references."
        )
    return (
        f"Estimated total: **{cost_text(total)}**. Prompt tokens counted exactly with each model's tokenizer; "
        "output estimated from the references' lengths; no cache discount assumed."
    )


def over_spending_limit(total: float | None, limit: float | None) -> str | None:
    """The sentence when the estimate is above the user's spending limit, else None."""
    if total is None or limit is None or total <= limit:
        return None
    return (
        f"The estimate, {cost_text(total)}, is above your spending limit of {usd(limit)}: "
        "raise the limit or evaluate fewer examples."
    )


# --------------------------------------------------------------------------- sentences about models, runs, measurements
def record_first_warning(model: str, shutdown: dt.date, today: dt.date) -> str:
    """Why a fine-tune about to stop answering should be recorded now (markdown, the id escaped)."""
    return (
        f"**{md_escape(model)}** stops answering on {shutdown:%Y-%m-%d} ({days_left(shutdown, today)} days). "
        "After that day its answers can only be compared if they were recorded: record them first."
    )


STOPPED = {"stopped": "Stopped. ", "max_spend": "Stopped at the spending limit. "}


def unanswered_text(stopped_reason: str | None, unanswered: int) -> str:
    """What a run that is no longer working left: the calls Resume would send, or that all are answered."""
    if not unanswered:
        return "Finished: every call answered."
    return (
        f"{STOPPED.get(stopped_reason or '', '')}{unanswered:,} calls have no answer yet (stopped before them, or "
        "failed); Resume sends only those, never an answered one again."
    )


def measured_text(measured: Any, fine_tuned_label: str, prompted_label: str, simulated: bool) -> str:
    """The measured token means handed to Costs, in one sentence (labels escaped)."""
    return (
        f"Measured on {measured.examples:,} examples: {measured.prompt_tokens_fine_tuned:,.0f} prompt tokens a "
        f"call for {md_escape(fine_tuned_label)}, {measured.prompt_tokens_prompted:,.0f} with the long prompt "
        f"({md_escape(prompted_label)}), {measured.completion_tokens:,.0f} output tokens"
        + (" (simulated)." if simulated else ".")
    )


def report_key(run_id: str, results: list, verdicts: list) -> tuple:
    """What a run's report depends on: a resume turns errors into answers and a judge adds verdicts."""
    return ("report", run_id, len(results), sum(r.answered for r in results), sum(v.answered for v in verdicts))


def download_stem(eval_set: Any) -> str:
    """The downloads' file name stem: the set's file name without its extension."""
    return eval_set.name.rsplit(".", 1)[0] or "evaluation"
