"""The scoreboard: per-candidate statistics, the contract's JSON document, flips, CSV and a text table.

:func:`summarize` turns a run's results into a :class:`Report`; :meth:`Report.to_document` is
exactly the command line's ``--json`` document: numbers are not rounded and
what doesn't apply is ``None``. Only :func:`text_table` and :func:`scoreboard_csv` round, because
people read them.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from lib.evaluate.candidates import Candidate
from lib.evaluate.evalset import EvalSet
from lib.evaluate.pricing import USAGE_KEYS, call_cost
from lib.evaluate.runner import CallResult
from lib.evaluate.scores import SCORE_NAMES, mcnemar_exact_p, wilson_interval

INTERVAL_SCORES = ("exact_match", "json_valid")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class CandidateStats:
    """Everything the scoreboard says about one candidate."""

    label: str
    model: str
    calls: int
    errors: int
    scores: dict  # name -> mean over the examples where it applies, or None
    ci95: dict  # "exact_match" / "json_valid" -> (lo, hi) or None
    wins: int | None
    losses: int | None
    p_value: float | None
    usage: dict  # sums over answered calls
    cost_usd: float | None
    cost_per_1k_calls_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    answered: int = 0
    refusals: int = 0
    cost_note: str = ""

    def mean_usage(self, key: str) -> float | None:
        """Mean tokens per answered call (``prompt_tokens``, ``completion_tokens``, ...)."""
        return self.usage[key] / self.answered if self.answered else None

    def to_document(self) -> dict:
        return {
            "label": self.label,
            "model": self.model,
            "calls": self.calls,
            "errors": self.errors,
            "scores": {name: self.scores.get(name) for name in SCORE_NAMES},
            "ci95": {
                name: (list(self.ci95[name]) if self.ci95.get(name) is not None else None) for name in INTERVAL_SCORES
            },
            "versus_baseline": {"wins": self.wins, "losses": self.losses, "p_value": self.p_value},
            "usage": {key: self.usage[key] for key in USAGE_KEYS},
            "cost_usd": self.cost_usd,
            "cost_per_1k_calls_usd": self.cost_per_1k_calls_usd,
            "latency_ms": {"p50": self.latency_p50_ms, "p95": self.latency_p95_ms},
        }


@dataclass(frozen=True)
class Report:
    """The scoreboard of one run; ``candidates[0]`` is the baseline."""

    eval_file: str
    examples: int
    skipped: tuple[int, ...]
    baseline: str
    candidates: tuple[CandidateStats, ...]
    prices_as_of: str
    simulated: bool = False
    references_from: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_document(self) -> dict:
        """The contract's JSON document, key for key."""
        return {
            "eval_file": self.eval_file,
            "examples": self.examples,
            "skipped": list(self.skipped),
            "baseline": self.baseline,
            "candidates": [c.to_document() for c in self.candidates],
            "prices_as_of": self.prices_as_of,
        }

    def by_label(self) -> dict[str, CandidateStats]:
        return {c.label: c for c in self.candidates}


def _candidate_stats(
    candidate: Candidate, eval_set: EvalSet, found: dict, baseline_right: dict | None, calendar: str
) -> CandidateStats:
    label = candidate.display_label
    results = [found[(e.line, label)] for e in eval_set.examples if (e.line, label) in found]
    answered = [r for r in results if r.answered]
    errors = len(results) - len(answered)
    scores, ci95 = {}, {}
    for name in SCORE_NAMES:
        values = [r.scores.get(name) for r in answered if r.scores and r.scores.get(name) is not None]
        scores[name] = (sum(float(v) for v in values) / len(values)) if values else None
        if name in INTERVAL_SCORES:
            ci95[name] = wilson_interval(sum(1 for v in values if v), len(values)) if values else None
    usage = {key: sum(int((r.usage or {}).get(key) or 0) for r in answered) for key in USAGE_KEYS}
    costs = [
        r.cost_usd if r.cost_usd is not None else (call_cost(r.model, r.usage, calendar=calendar) if r.usage else None)
        for r in answered
    ]
    cost = None if not answered or any(c is None for c in costs) else sum(costs)
    cost_note = ""
    if answered and cost is None:
        from lib.evaluate.pricing import unknown_price_sentence

        cost_note = unknown_price_sentence(candidate.model)
    per_1k = None if cost is None or not answered else cost / len(answered) * 1000
    latencies = [r.latency_ms for r in answered if r.latency_ms is not None]
    wins = losses = None
    p_value = None
    if baseline_right is not None:
        wins = losses = 0
        for r in answered:
            theirs = baseline_right.get(r.line)
            if theirs is None:
                continue  # the baseline has no answer here: not a pair
            mine = bool(r.scores and r.scores.get("exact_match"))
            wins += mine and not theirs
            losses += theirs and not mine
        p_value = mcnemar_exact_p(wins, losses)
    return CandidateStats(
        label=label,
        model=candidate.model,
        calls=len(results),
        errors=errors,
        scores=scores,
        ci95=ci95,
        wins=wins,
        losses=losses,
        p_value=p_value,
        usage=usage,
        cost_usd=cost,
        cost_per_1k_calls_usd=per_1k,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        answered=len(answered),
        refusals=sum(1 for r in answered if r.refusal),
        cost_note=cost_note,
    )


def summarize(
    eval_set: EvalSet,
    candidates: list[Candidate],
    results: list[CallResult],
    *,
    prices_as_of: str,
    calendar: str = "openai",
) -> Report:
    """Per-candidate statistics of a run's results (the first candidate is the baseline).

    ``calls`` counts the examples sent for a candidate (one per example with a result),
    ``errors`` those without an answer; scores, usage, cost and latency are over answered calls.
    Versus the baseline, only examples both answered are paired; the baseline's own
    ``versus_baseline`` figures are ``None``.
    """
    found = {(r.line, r.label): r for r in results}
    baseline = candidates[0].display_label
    baseline_right = {
        r.line: bool(r.scores and r.scores.get("exact_match")) for r in results if r.label == baseline and r.answered
    }
    stats = [
        _candidate_stats(c, eval_set, found, None if i == 0 else baseline_right, calendar)
        for i, c in enumerate(candidates)
    ]
    simulated = any(r.system_fingerprint == "simulated" for r in results)
    return Report(
        eval_file=eval_set.name,
        examples=len(eval_set.examples),
        skipped=eval_set.skipped,
        baseline=baseline,
        candidates=tuple(stats),
        prices_as_of=prices_as_of,
        simulated=simulated,
        references_from=eval_set.references_from,
        notes=tuple(s.cost_note for s in stats if s.cost_note),
    )


@dataclass(frozen=True)
class Flip:
    """An example where the baseline and a candidate disagree on exact match, with both answers and the reference."""

    line: int
    label: str
    baseline_right: bool
    candidate_right: bool
    baseline_answer: str | list | None
    candidate_answer: str | list | None
    reference: str | list | None
    baseline_similarity: float | None
    candidate_similarity: float | None


def flips(eval_set: EvalSet, candidates: list[Candidate], results: list[CallResult]) -> list[Flip]:
    """Every (example, non-baseline candidate) where exactly one of the two is right, in file order."""
    found = {(r.line, r.label): r for r in results}
    baseline = candidates[0].display_label
    out = []
    for example in eval_set.examples:
        base = found.get((example.line, baseline))
        if base is None or not base.answered:
            continue
        base_right = bool(base.scores and base.scores.get("exact_match"))
        for candidate in candidates[1:]:
            other = found.get((example.line, candidate.display_label))
            if other is None or not other.answered:
                continue
            right = bool(other.scores and other.scores.get("exact_match"))
            if right != base_right:
                reference = example.reference.tool_calls or example.reference.text
                out.append(
                    Flip(
                        example.line,
                        candidate.display_label,
                        base_right,
                        right,
                        base.answer,
                        other.answer,
                        reference,
                        (base.scores or {}).get("similarity"),
                        (other.scores or {}).get("similarity"),
                    )
                )
    return out


def _fmt(value, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


SCOREBOARD_COLUMNS = (
    "label",
    "model",
    "calls",
    "errors",
    "exact_match",
    "exact_match_ci95_lo",
    "exact_match_ci95_hi",
    "json_valid",
    "json_valid_ci95_lo",
    "json_valid_ci95_hi",
    "json_fields",
    "similarity",
    "tool_calls",
    "judge",
    "wins",
    "losses",
    "p_value",
    "mean_prompt_tokens",
    "mean_completion_tokens",
    "mean_reasoning_tokens",
    "cost_usd",
    "cost_per_1k_calls_usd",
    "latency_p50_ms",
    "latency_p95_ms",
)


def scoreboard_rows(report: Report) -> list[dict]:
    """One dict per candidate with :data:`SCOREBOARD_COLUMNS` (unrounded; None where not applicable)."""
    rows = []
    for c in report.candidates:
        em, jv = c.ci95.get("exact_match"), c.ci95.get("json_valid")
        rows.append(
            {
                "label": c.label,
                "model": c.model,
                "calls": c.calls,
                "errors": c.errors,
                "exact_match": c.scores["exact_match"],
                "exact_match_ci95_lo": em[0] if em else None,
                "exact_match_ci95_hi": em[1] if em else None,
                "json_valid": c.scores["json_valid"],
                "json_valid_ci95_lo": jv[0] if jv else None,
                "json_valid_ci95_hi": jv[1] if jv else None,
                "json_fields": c.scores["json_fields"],
                "similarity": c.scores["similarity"],
                "tool_calls": c.scores["tool_calls"],
                "judge": c.scores["judge"],
                "wins": c.wins,
                "losses": c.losses,
                "p_value": c.p_value,
                "mean_prompt_tokens": c.mean_usage("prompt_tokens"),
                "mean_completion_tokens": c.mean_usage("completion_tokens"),
                "mean_reasoning_tokens": c.mean_usage("reasoning_tokens"),
                "cost_usd": c.cost_usd,
                "cost_per_1k_calls_usd": c.cost_per_1k_calls_usd,
                "latency_p50_ms": c.latency_p50_ms,
                "latency_p95_ms": c.latency_p95_ms,
            }
        )
    return rows


def scoreboard_csv(report: Report) -> str:
    """The scoreboard as CSV text (empty cells where a figure doesn't apply)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SCOREBOARD_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in scoreboard_rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def text_table(report: Report) -> str:
    """A readable table for the command line without ``--json`` (rounded for reading)."""
    header = (
        "candidate",
        "calls",
        "errors",
        "exact",
        "95% CI",
        "json ok",
        "fields",
        "similar",
        "tools",
        "vs base",
        "p",
        "$/1k calls",
        "p50 ms",
        "p95 ms",
    )
    rows = []
    for c in report.candidates:
        em = c.ci95.get("exact_match")
        rows.append(
            (
                c.label,
                str(c.calls),
                str(c.errors),
                _fmt(c.scores["exact_match"]),
                f"{em[0]:.2f}-{em[1]:.2f}" if em else "",
                _fmt(c.scores["json_valid"]),
                _fmt(c.scores["json_fields"]),
                _fmt(c.scores["similarity"]),
                _fmt(c.scores["tool_calls"]),
                "" if c.wins is None else f"+{c.wins}/-{c.losses}",
                "<0.001" if c.p_value is not None and c.p_value < 0.001 else _fmt(c.p_value, 3),
                "n/a" if c.cost_per_1k_calls_usd is None else f"{c.cost_per_1k_calls_usd:.4f}",
                _fmt(c.latency_p50_ms, 0),
                _fmt(c.latency_p95_ms, 0),
            )
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        f"{report.eval_file}: {report.examples} examples, {len(report.skipped)} skipped; baseline {report.baseline}"
        + (" (simulated answers: demo numbers)" if report.simulated else "")
    ]
    if report.references_from:
        lines.append(f"references: the answers of {report.references_from}")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines += list(report.notes)
    lines.append(f"prices as of {report.prices_as_of}")
    return "\n".join(lines)
