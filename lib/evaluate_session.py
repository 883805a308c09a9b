"""What the Evaluate page decides and keeps between reruns, beside the evaluation engine.

The engine (``lib/evaluate/``) scores, prices and runs; this module holds the page's
own questions: which models to offer as candidates (the account's fine-tunes first,
with the day they stop answering), which of them must be recorded before they go,
and the runs one browser session has started (:class:`SessionRuns`, kept in that
session's state, never in a cache shared by sessions), each started at most once
per confirmed run id.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

from openai.types.fine_tuning import FineTuningJob

from lib import confirm
from lib.costs import usd
from lib.catalog import Catalog, UnknownModelError, base_model_name, is_fine_tuned_name, load_catalog

# A fine-tune that stops answering within this many days is offered "record its answers" first:
# after its shutdown a recording is the only way to keep comparing against it. (A product choice:
# about two months leaves time to record, compare and move; not a platform date.)
RECORD_WITHIN_DAYS = 60

Kind = Literal["fine_tuned", "base", "replacement", "other"]
KIND_LABELS = {"fine_tuned": "fine-tuned", "base": "base model", "replacement": "replacement", "other": "model"}


# --------------------------------------------------------------------------- dates
def shutdown_date(model: str, calendar: str, cat: Catalog | None = None) -> dt.date | None:
    """The day ``model`` stops answering on ``calendar``, or None when none is known.

    A fine-tune stops with its base model; OpenAI's date is never an Azure user's.
    """
    cat = cat or load_catalog()
    try:
        return cat.lifecycle(model, calendar).inference_until
    except UnknownModelError:
        return None


def days_left(date: dt.date | None, today: dt.date) -> int | None:
    return None if date is None else (date - today).days


def _catalog_models(cat: Catalog, calendar: str, today: dt.date) -> dict[str, tuple[Kind, bool]]:
    """``id -> (kind, can be fine-tuned on today)`` of the catalog's priced models that still answer."""
    trainable = {m.id for m in cat.trainable(today, calendar)}
    out: dict[str, tuple[Kind, bool]] = {}
    for info in cat.models.values():
        shutdown = shutdown_date(info.id, calendar, cat)
        if info.base is None or (shutdown is not None and today >= shutdown):
            continue
        out[info.id] = ("base" if info.fine_tunable else "replacement", info.id in trainable)
    return out


# --------------------------------------------------------------------------- candidates on offer
@dataclass(frozen=True)
class ModelOption:
    """A model the page offers as a candidate."""

    id: str
    kind: Kind
    shutdown_date: dt.date | None = None
    can_fine_tune: bool | None = None  # None: not known (a model the catalog does not describe)
    base_model: str | None = None  # of a fine-tune

    def label(self, today: dt.date) -> str:
        """``ft:gpt-4o-mini:acme:bot:abc · fine-tuned · stops answering 2027-01-14 (49 days)``."""
        parts = [self.id, KIND_LABELS[self.kind]]
        left = days_left(self.shutdown_date, today)
        if left is not None:
            parts.append(
                f"stopped answering {self.shutdown_date:%Y-%m-%d}"
                if left <= 0
                else f"stops answering {self.shutdown_date:%Y-%m-%d} ({left} days)"
            )
        if self.can_fine_tune is False:
            parts.append("can't be fine-tuned")
        return " · ".join(parts)


def succeeded_fine_tunes(jobs: Iterable[FineTuningJob]) -> list[tuple[str, str | None]]:
    """``(fine-tuned model, base model)`` of the succeeded SDK jobs in ``jobs``, newest first, each once."""
    seen: dict[str, str | None] = {}
    for job in sorted(jobs, key=lambda j: j.finished_at or j.created_at or 0, reverse=True):
        model = job.fine_tuned_model
        if job.status == "succeeded" and model and model not in seen:
            seen[model] = job.model
    return list(seen.items())


def model_options(
    fine_tunes: Iterable[tuple[str, str | None]],
    *,
    calendar: str,
    today: dt.date,
    cat: Catalog | None = None,
    extra: Iterable[str] = (),
) -> list[ModelOption]:
    """Every model the page offers, in order: the account's fine-tunes (``fine_tunes`` from
    :func:`succeeded_fine_tunes`, plus any ``extra`` model asked for by another page or typed),
    then the catalog's base models still answering on ``today``, then its replacement models.

    Each says whether it can (still) be fine-tuned; fine-tunes say when they stop answering.
    """
    cat = cat or load_catalog()
    known = _catalog_models(cat, calendar, today)
    options: dict[str, ModelOption] = {}
    for model, base in [*fine_tunes, *((m, None) for m in extra)]:
        if not model or model in options:
            continue
        if is_fine_tuned_name(model) or base:
            options[model] = ModelOption(
                model, "fine_tuned", shutdown_date(model, calendar, cat), base_model=base or base_model_name(model)
            )
        elif model in known:
            kind, tunable = known[model]
            options[model] = ModelOption(model, kind, shutdown_date(model, calendar, cat), can_fine_tune=tunable)
        else:
            options[model] = ModelOption(model, "other")
    for wanted in ("base", "replacement"):
        for model_id, (kind, tunable) in known.items():
            if kind == wanted and model_id not in options:
                options[model_id] = ModelOption(
                    model_id, kind, shutdown_date(model_id, calendar, cat), can_fine_tune=tunable
                )
    return list(options.values())


def record_first(
    options: Iterable[ModelOption], today: dt.date, within_days: int = RECORD_WITHIN_DAYS
) -> list[ModelOption]:
    """The fine-tunes that still answer but stop within ``within_days``: record their answers now."""
    due = []
    for option in options:
        left = days_left(option.shutdown_date, today)
        if option.kind == "fine_tuned" and left is not None and 0 < left <= within_days:
            due.append(option)
    return due


def default_pair(
    options: list[ModelOption], requested: str | None = None, requested_base: str | None = None
) -> tuple[str | None, str | None]:
    """The two candidates to suggest first: a fine-tune as the baseline (the one asked for, else
    the newest) and a rival to prompt (the catalog's first replacement model, else the fine-tune's
    base model); without a fine-tune, the first base model against a replacement or another base."""

    def first(kind: str, but: str | None = None) -> str | None:
        return next((o.id for o in options if o.kind == kind and o.id != but), None)

    tuned = requested or first("fine_tuned")
    base_of_tuned = None
    if tuned:
        try:
            base_of_tuned = load_catalog().resolve(requested_base or base_model_name(tuned)).id
        except UnknownModelError:
            pass
    baseline = tuned or first("base") or (options[0].id if options else None)
    rival = first("replacement") or base_of_tuned or first("base", but=baseline)
    return baseline, (rival if rival != baseline else None)


# --------------------------------------------------------------------------- runs of one session
def new_run_id() -> str:
    """A fresh id for one confirmed run (kept in session state, so a rerun finds the same id)."""
    return "evalrun-" + secrets.token_hex(8)


@dataclass
class PendingRun:
    """A run under confirmation: what will be sent (or resumed), its estimate, and how it runs.

    ``state`` follows :mod:`lib.confirm`: a second Confirm finds it confirmed and starts nothing.
    """

    run_id: str
    eval_set: Any
    candidates: list
    estimates: list
    results: list = field(default_factory=list)  # answers already in hand (a recording, or a resume's)
    concurrency: int = 4
    max_spend: float | None = None
    resume: bool = False
    file: Any = None  # the set's file (a LaunchFile), which the demo simulator is given once
    judge_of: str | None = None  # the run whose answers a grader scores
    grading: Any = None  # the judge's GradingSet
    state: str = confirm.REVIEW


class SessionRuns:
    """The evaluation runs one browser session started, by run id.

    Lives in that session's ``st.session_state`` (never in ``st.cache_*``, which every session
    shares). :meth:`start_once` starts a run id at most once, however many reruns, double clicks
    or concurrent callbacks ask for it. At most ``keep`` runs are held; the oldest finished ones
    are forgotten first (a running one is never dropped).
    """

    def __init__(self, keep: int = 4) -> None:
        self._keep = keep
        self._runs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start_once(self, run_id: str, start: Callable[[], Any]) -> Any:
        """The run of ``run_id``: the one already started, else ``start()``'s (called once only)."""
        with self._lock:
            if run_id not in self._runs:
                self._runs[run_id] = start()
                self._forget_old(keep_id=run_id)
            return self._runs[run_id]

    def get(self, run_id: str | None) -> Any | None:
        return self._runs.get(run_id) if run_id else None

    def replace(self, run_id: str, run: Any) -> None:
        """Hold ``run`` under ``run_id`` (a resumed run carries on under its id)."""
        with self._lock:
            self._runs[run_id] = run

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._runs

    def __len__(self) -> int:
        return len(self._runs)

    def _forget_old(self, keep_id: str) -> None:
        for run_id in list(self._runs):
            if len(self._runs) <= self._keep:
                return
            run = self._runs[run_id]
            if run_id != keep_id and not _is_running(run):
                del self._runs[run_id]


def _is_running(run: Any) -> bool:
    running = getattr(run, "running", None)
    if callable(running):
        running = running()
    if running is None:
        done = getattr(run, "done", None)
        running = not (done() if callable(done) else bool(done))
    return bool(running)


# --------------------------------------------------------------------------- candidates as the page builds them
@dataclass(frozen=True)
class CandidateChoice:
    """One row of the page's candidate list, before it becomes an engine ``Candidate``."""

    model: str
    long_prompt: bool = False
    structured: bool = False
    temperature: float = 0.0
    max_tokens: int | None = None
    reasoning_effort: str | None = None


class CandidateSlots:
    """The page's candidate rows, kept in a session-state mapping: the ordered row numbers under
    ``<prefix>_slots`` and one permanent key per field and row (``<prefix>_c<n>_model``...), so each
    widget can be bound to its key and survive reruns and page switches. The first row is the
    baseline."""

    FIELDS = ("model", "prompt", "schema", "temperature", "max_tokens", "effort")
    DEFAULT_EFFORT = "default"  # no reasoning_effort sent

    def __init__(self, state: Any, prefix: str = "eval") -> None:
        self._state = state
        self._prefix = prefix
        state.setdefault(f"{prefix}_slots", [])
        state.setdefault(f"{prefix}_next_slot", 0)

    @property
    def rows(self) -> list[int]:
        return list(self._state[f"{self._prefix}_slots"])

    def keys(self, n: int) -> dict[str, str]:
        """The permanent state key of each field of row ``n``."""
        return {name: f"{self._prefix}_c{n}_{name}" for name in self.FIELDS}

    def add(self, model: str | None, *, long_prompt: bool) -> int:
        """Append a row (temperature 0, automatic max tokens, no reasoning effort); returns its number."""
        n = self._state[f"{self._prefix}_next_slot"]
        self._state[f"{self._prefix}_next_slot"] = n + 1
        values = {
            "model": model,
            "prompt": long_prompt,
            "schema": False,
            "temperature": 0.0,
            "max_tokens": 0,
            "effort": self.DEFAULT_EFFORT,
        }
        for name, key in self.keys(n).items():
            self._state[key] = values[name]
        self._state[f"{self._prefix}_slots"] = [*self.rows, n]
        return n

    def remove(self, n: int) -> None:
        self._state[f"{self._prefix}_slots"] = [row for row in self.rows if row != n]

    def make_baseline(self, n: int) -> None:
        self._state[f"{self._prefix}_slots"] = [n, *(row for row in self.rows if row != n)]

    def clear(self) -> None:
        self._state[f"{self._prefix}_slots"] = []

    def models(self) -> list[str]:
        return [m for m in (self._state.get(self.keys(n)["model"]) for n in self.rows) if m]

    def choices(self, *, structured_allowed: bool) -> list["CandidateChoice"]:
        """The rows as :class:`CandidateChoice` (Structured Outputs only where the references are JSON)."""
        out = []
        for n in self.rows:
            get = {name: self._state.get(key) for name, key in self.keys(n).items()}
            out.append(
                CandidateChoice(
                    model=(get["model"] or "").strip(),
                    long_prompt=bool(get["prompt"]),
                    structured=bool(get["schema"]) and structured_allowed,
                    temperature=float(get["temperature"] or 0.0),
                    max_tokens=int(get["max_tokens"] or 0) or None,
                    reasoning_effort=None if get["effort"] in (None, self.DEFAULT_EFFORT) else get["effort"],
                )
            )
        return out


def candidate_labels(choices: list[CandidateChoice]) -> list[str]:
    """A distinct, readable label per choice: the model, ``+prompt`` with the long prompt, ``+schema``
    with Structured Outputs; a repeated one gets `` #2``, `` #3``..."""
    labels: list[str] = []
    for choice in choices:
        label = choice.model + ("+prompt" if choice.long_prompt else "") + ("+schema" if choice.structured else "")
        candidate, n = label, 1
        while candidate in labels:
            n += 1
            candidate = f"{label} #{n}"
        labels.append(candidate)
    return labels


def stand_in(eval_set: Any, recording: Any, label: str) -> tuple[Any, Any, list]:
    """A recording standing in for a model that no longer answers: the set cut to the lines that
    label answered, its candidate (as the recording's header describes it) and its recorded
    results, so a run starts with that candidate's calls already answered and sends none of them.

    Raises ``ValueError`` (one sentence) when the recording was made on another file or that
    label answered none of the set's examples.
    """
    import dataclasses

    if recording.eval_sha256 and recording.eval_sha256 != eval_set.sha256:
        raise ValueError(
            f"The recording was made on another file ({recording.eval_file or 'unnamed'}), not on "
            f"{eval_set.name}: choose the file it was made on."
        )
    answered = {r.line: r for r in recording.results if r.label == label and r.answered}
    examples = tuple(e for e in eval_set.examples if e.line in answered)
    if not examples:
        raise ValueError(
            f"The recording has no answer of {label} for the examples chosen; evaluate all of "
            "the file's examples (or the same sample) it was made on."
        )
    candidate = next((c for c in recording.candidates() if c.display_label == label), None)
    if candidate is None:
        from lib.evaluate.candidates import Candidate

        candidate = Candidate(model=recording.models().get(label, label), label=label)
    restricted = dataclasses.replace(eval_set, examples=examples)
    return restricted, candidate, [answered[e.line] for e in examples]


# --------------------------------------------------------------------------- a run, read for people
def remaining_estimate(run: Any, *, calendar: str) -> list:
    """The estimate of the calls a stopped run still has to make (what Resume would send)."""
    from lib.evaluate.pricing import estimate

    lines_by_label: dict[str, set[int]] = {}
    for candidate, line in run.remaining():
        lines_by_label.setdefault(candidate.display_label, set()).add(line)
    return [
        est
        for c in run.candidates
        if c.display_label in lines_by_label
        for est in estimate(run.eval_set, [c], calendar=calendar, lines=lines_by_label[c.display_label])
    ]


def cost_text(usd_amount: float | None) -> str:
    """An estimate for people: ``$1.23``; ``less than $0.01``; ``unknown`` when a model has no price."""
    if usd_amount is None:
        return "unknown"
    return f"less than {usd(0.01)}" if 0 < usd_amount < 0.01 else usd(usd_amount)


def estimate_rows(estimates: Iterable[Any]) -> list[dict]:
    """The estimate table: per candidate its calls, prompt and (estimated) output tokens and cost."""
    return [
        {
            "candidate": e.label,
            "calls": e.calls,
            "prompt tokens": e.prompt_tokens,
            "output tokens (est.)": e.output_tokens,
            "cost (est.)": e.cost_usd,
            "per 1,000 calls": e.cost_per_1k_calls_usd,
            "note": e.note,
        }
        for e in estimates
    ]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _with_interval(value: float | None, interval) -> str:
    if value is None:
        return "—"
    if not interval:
        return _percent(value)
    return f"{value:.0%} ({interval[0]:.0%}–{interval[1]:.0%})"


def scoreboard_table(report: Any) -> list[dict]:
    """The scoreboard as people read it: one row per candidate, scores as percentages with their
    95% interval, the wins and losses against the baseline with McNemar's p-value, cost per 1,000
    calls and latency. Scores that apply to no example are left out as columns (``None`` cells)."""
    rows = []
    for index, c in enumerate(report.candidates):
        if index == 0:
            versus = "baseline"
        elif c.wins is None:
            versus = "—"
        else:
            p = "no disagreement" if c.p_value is None else f"p = {c.p_value:.2g}"
            versus = f"+{c.wins} / −{c.losses} ({p})"
        rows.append(
            {
                "candidate": c.label,
                "exact match": _with_interval(c.scores.get("exact_match"), c.ci95.get("exact_match")),
                "valid JSON": _with_interval(c.scores.get("json_valid"), c.ci95.get("json_valid")),
                "JSON fields": _percent(c.scores.get("json_fields")),
                "similarity": None if c.scores.get("similarity") is None else round(c.scores["similarity"], 3),
                "tool calls": _percent(c.scores.get("tool_calls")),
                "judge (opinion)": _percent(c.scores.get("judge")),
                "vs baseline": versus,
                "per 1,000 calls": c.cost_per_1k_calls_usd,
                "p50 ms": c.latency_p50_ms,
                "p95 ms": c.latency_p95_ms,
                "answered": f"{c.answered:,} of {c.calls:,}" + (f" ({c.errors:,} errors)" if c.errors else ""),
            }
        )
    for column in ("valid JSON", "JSON fields", "tool calls", "judge (opinion)"):
        if all(row[column] == "—" for row in rows):
            for row in rows:
                del row[column]
    return rows


def answer_text(answer: Any) -> str:
    """An answer or reference as plain text: text as is, tool calls as indented JSON."""
    import json

    if answer is None:
        return ""
    if isinstance(answer, str):
        return answer
    return json.dumps(answer, indent=2, ensure_ascii=False)


def flip_rows(flips: list) -> list[dict]:
    """The flips table: per example and candidate, who was right, both answers and the reference."""
    return [
        {
            "line": f.line,
            "candidate": f.label,
            "who is right": "candidate" if f.candidate_right else "baseline",
            "baseline answer": answer_text(f.baseline_answer),
            "candidate answer": answer_text(f.candidate_answer),
            "reference": answer_text(f.reference),
        }
        for f in flips
    ]


def error_summary(results: Iterable[Any], limit: int = 3) -> list[tuple[str, int]]:
    """The sentences of failed calls with how many calls each ended, most frequent first (at most
    ``limit``), so a run that failed the same way a hundred times says it once."""
    counts: dict[str, int] = {}
    for result in results:
        if result.error:
            counts[result.error] = counts.get(result.error, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


def costs_pair(candidates: list) -> tuple[str, str] | None:
    """(fine-tuned label, prompted label) whose measured tokens Costs can use: the first fine-tune
    and the first candidate with a replaced system prompt; None when the run has no such pair."""
    tuned = next((c.display_label for c in candidates if is_fine_tuned_name(c.model)), None)
    prompted = next(
        (c.display_label for c in candidates if c.system is not None and not is_fine_tuned_name(c.model)), None
    )
    return (tuned, prompted) if tuned and prompted else None
