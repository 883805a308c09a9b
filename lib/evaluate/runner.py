"""Running an evaluation: every (example, candidate) call once, concurrently, stoppable and resumable.

A :class:`Run` sends one ``chat.completions.create`` per example and candidate through the
official SDK (its retries handle 429 with ``Retry-After`` and 5xx), with at most
``concurrency`` calls in flight: that many worker threads pull the next pending call from one
shared queue, so memory does not grow with the number of calls. It records exactly one
:class:`CallResult` per (example, candidate); a call that still fails is recorded with the
sentence :func:`lib.errors.explain` gives and is retried only when the run is resumed.

Driving it::

    run = Run(eval_set, candidates, make_client=lambda: openai.OpenAI(...), concurrency=4, max_spend=2.0)
    run.start()            # background threads; returns at once (a second start() does nothing)
    run.progress()         # Progress(done, total, errors, spend_usd, eta_s, ...) from any thread
    run.stop()             # no new calls; the ones in flight finish and are kept
    run.start()            # resumes: answered calls are never sent again
    run.wait()             # or run.run() to do it all synchronously (the command line)
    run.results()          # [CallResult, ...]
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterable

import openai

from lib.costs import usd
from lib.errors import explain
from lib.evaluate.candidates import (
    Candidate,
    build_request,
    check_labels,
    default_max_tokens,
    is_reasoning_model,
    response_format,
)
from lib.evaluate.evalset import EvalSet
from lib.evaluate.pricing import call_cost, estimate, total_estimate, usage_of
from lib.evaluate.scores import score_answer

DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_RETRIES = 2
# Per call. A silent server costs at most (1 + retries) x this per call; reasoning models may think
# for minutes, so they get longer.
DEFAULT_TIMEOUT_S = 30.0
REASONING_TIMEOUT_S = 120.0


class OverBudget(ValueError):
    """The estimate of the calls still to make is above ``max_spend``; nothing was sent. One sentence."""


@dataclass(slots=True)
class CallResult:
    """What one (example, candidate) call gave: an answer (text, or tool calls as dicts) or an error sentence."""

    line: int
    label: str
    model: str
    answer: str | list | None = None
    finish_reason: str | None = None
    usage: dict | None = None
    latency_ms: float | None = None
    error: str | None = None
    cost_usd: float | None = None
    scores: dict | None = None
    system_fingerprint: str | None = None
    refusal: str | None = None  # the model declined: answered (and billed), scored as wrong

    @property
    def answered(self) -> bool:
        """True when the API gave an answer (a refusal included): it is never sent again."""
        return self.error is None

    def to_record(self) -> dict:
        """The recording line's fields."""
        return {
            "line": self.line,
            "label": self.label,
            "model": self.model,
            "answer": self.answer,
            "finish_reason": self.finish_reason,
            "usage": self.usage,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "scores": self.scores,
            **({"refusal": self.refusal} if self.refusal else {}),
        }


@dataclass(frozen=True)
class Progress:
    """A snapshot of a run, safe to read from another thread."""

    done: int
    total: int
    errors: int
    spend_usd: float
    eta_s: float | None
    running: bool
    stopped_reason: str | None  # None, "stopped", "max_spend", "finished", "no_client" or "recording_failed"
    in_flight: int = 0
    unpriced_calls: int = 0  # answered calls of models the catalog has no price for

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Run:
    """One evaluation run; see the module docstring."""

    def __init__(
        self,
        eval_set: EvalSet,
        candidates: list[Candidate],
        make_client: Callable[[], openai.OpenAI],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_spend: float | None = None,
        calendar: str = "openai",
        results: Iterable[CallResult] = (),
        on_result: Callable[[CallResult], None] | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT_S,
    ):
        """``results`` are earlier results to resume from (answered ones are never sent again);
        ``on_result`` is called once per finished call, in the worker thread (e.g. a recording writer)."""
        check_labels(candidates)
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.eval_set = eval_set
        self.candidates = list(candidates)
        self.make_client = make_client
        self.concurrency = concurrency
        self.max_spend = max_spend
        self.calendar = calendar
        self.on_result = on_result
        self.max_retries = max_retries
        self.timeout = timeout
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self.problem: str | None = None  # a sentence when the run stopped for a reason of its own
        self._stop = threading.Event()
        self._results: dict[tuple[int, str], CallResult] = {}
        self._in_flight: set[tuple[int, str]] = set()
        self._threads: list[threading.Thread] = []
        self._pending: list[tuple[int, int]] = []  # (candidate index, example index), consumed from the end
        self._stopped_reason: str | None = None
        self._started_at: float | None = None
        self._done_this_start = 0
        self._spend = 0.0
        self._prepared: dict[str, tuple[int, dict | None]] = {}
        labels = {c.display_label for c in self.candidates}
        lines = {e.line for e in eval_set.examples}
        for result in results:
            if result.label in labels and result.line in lines:
                if result.answered and result.cost_usd is None and result.usage:  # loaded from a recording
                    result = replace(result, cost_usd=call_cost(result.model, result.usage, calendar=calendar))
                self._results[(result.line, result.label)] = result
                if result.answered and result.cost_usd:
                    self._spend += result.cost_usd

    # -- what is left ---------------------------------------------------------------------------
    def remaining(self) -> list[tuple[Candidate, int]]:
        """(candidate, line) of every call not answered yet (errors included: they are retried)."""
        out = []
        for candidate in self.candidates:
            for example in self.eval_set.examples:
                result = self._results.get((example.line, candidate.display_label))
                if result is None or not result.answered:
                    out.append((candidate, example.line))
        return out

    def check_budget(self) -> None:
        """Raise :class:`OverBudget` when spend so far plus the estimate of the remaining calls exceeds
        ``max_spend``."""
        if self.max_spend is None:
            return
        lines_by_label: dict[str, set[int]] = {}
        for candidate, line in self.remaining():
            lines_by_label.setdefault(candidate.display_label, set()).add(line)
        estimates = [
            est
            for candidate in self.candidates
            if candidate.display_label in lines_by_label
            for est in estimate(
                self.eval_set, [candidate], calendar=self.calendar, lines=lines_by_label[candidate.display_label]
            )
        ]
        planned = (total_estimate(estimates) or 0.0) + self._spend
        if planned > self.max_spend:
            raise OverBudget(
                f"The estimated cost, {usd(planned)}, is above the spending limit of "
                f"{usd(self.max_spend)}; no call was made (raise the limit or evaluate fewer examples)."
            )

    # -- driving --------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start (or resume) in background threads; False if already running or nothing is left.

        Raises :class:`OverBudget` (before any call) when the estimate is above ``max_spend``.
        Starts are serialized, so two at once (a double click) start one run.
        """
        with self._start_lock:
            if self.running:
                return False
            # no worker is alive: the results cannot change under the slow part (estimate, limits)
            remaining = self.remaining()
            if not remaining:
                with self._lock:
                    self._stopped_reason = "finished"
                return False
            self.check_budget()
            for candidate in self.candidates:
                if candidate.display_label not in self._prepared:
                    self._prepared[candidate.display_label] = (
                        candidate.max_tokens or default_max_tokens(self.eval_set, candidate.model),
                        response_format(candidate, self.eval_set),
                    )
            index_of_line = {e.line: i for i, e in enumerate(self.eval_set.examples)}
            index_of_label = {c.display_label: i for i, c in enumerate(self.candidates)}
            # example-major order, so every candidate advances together; popped from the end
            pending = [(index_of_label[c.display_label], index_of_line[line]) for c, line in remaining]
            pending.sort(key=lambda pair: (pair[1], pair[0]), reverse=True)
            with self._lock:
                self._pending = pending
                self._stop.clear()
                self._stopped_reason = None
                self.problem = None
                self._started_at = time.monotonic()
                self._done_this_start = 0
                self._threads = [
                    threading.Thread(target=self._worker, name=f"evaluate-{n}", daemon=True)
                    for n in range(min(self.concurrency, len(pending)))
                ]
                for thread in self._threads:
                    thread.start()
        return True

    def run(self) -> list[CallResult]:
        """Run to the end (or a stop) in this thread's time; returns the results."""
        self.start()
        self.wait()
        return self.results()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the workers; True when none is running any more."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.running

    def stop(self) -> None:
        """Launch no new call; the calls in flight finish and are kept."""
        with self._lock:
            self._stop.set()
            self._pending.clear()
            if self._stopped_reason is None:
                self._stopped_reason = "stopped"

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    # -- reading --------------------------------------------------------------------------------
    def results(self) -> list[CallResult]:
        """One result per finished (example, candidate), in candidate then file order."""
        with self._lock:
            found = dict(self._results)
        return [
            found[(e.line, c.display_label)]
            for c in self.candidates
            for e in self.eval_set.examples
            if (e.line, c.display_label) in found
        ]

    def progress(self) -> Progress:
        """Calls done (answered or failed) of the total, errors, spend, and time left at the current pace."""
        with self._lock:
            total = len(self.candidates) * len(self.eval_set.examples)
            done = len(self._results)
            errors = sum(1 for r in self._results.values() if not r.answered)
            unpriced = sum(1 for r in self._results.values() if r.answered and r.cost_usd is None)
            running = any(t.is_alive() for t in self._threads)
            eta = None
            if running and self._done_this_start and self._started_at is not None:
                elapsed = time.monotonic() - self._started_at
                left = len(self._pending) + len(self._in_flight)
                eta = elapsed / self._done_this_start * left
            reason = self._stopped_reason
            if not running and reason is None and self._started_at is not None:
                reason = "finished"
            return Progress(done, total, errors, self._spend, eta, running, reason, len(self._in_flight), unpriced)

    # -- the workers ----------------------------------------------------------------------------
    def _next(self) -> tuple[Candidate, int] | None:
        with self._lock:
            while self._pending and not self._stop.is_set():
                candidate_index, example_index = self._pending.pop()
                candidate = self.candidates[candidate_index]
                example = self.eval_set.examples[example_index]
                key = (example.line, candidate.display_label)
                existing = self._results.get(key)
                if key in self._in_flight or (existing is not None and existing.answered):
                    continue  # never the same call twice
                self._in_flight.add(key)
                return candidate, example_index
            return None

    def _worker(self) -> None:
        try:
            client = self.make_client().with_options(max_retries=self.max_retries, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - e.g. the connection settings went missing
            self._halt("no_client", explain(exc, action="connect"))
            return
        while True:
            job = self._next()
            if job is None:
                return
            candidate, example_index = job
            result = self._call(client, candidate, example_index)
            with self._lock:
                key = (result.line, result.label)
                self._in_flight.discard(key)
                self._results[key] = result
                self._done_this_start += 1
                if result.cost_usd:
                    self._spend += result.cost_usd
                if self.max_spend is not None and self._spend >= self.max_spend and not self._stop.is_set():
                    self._stop.set()
                    self._pending.clear()
                    self._stopped_reason = "max_spend"
            if self.on_result is not None:
                try:
                    self.on_result(result)
                except Exception as exc:  # noqa: BLE001 - e.g. the disk is full: stop rather than lose answers
                    self._halt(
                        "recording_failed",
                        f"Could not record an answer ({exc}); the run stopped, and what finished is kept.",
                    )
                    return

    def _halt(self, reason: str, sentence: str) -> None:
        with self._lock:
            self._stop.set()
            self._pending.clear()
            self._stopped_reason = reason
            self.problem = sentence

    def _call(self, client: openai.OpenAI, candidate: Candidate, example_index: int) -> CallResult:
        example = self.eval_set.examples[example_index]
        label = candidate.display_label
        max_tokens, fmt = self._prepared[label]
        request = build_request(candidate, example, self.eval_set, max_tokens=max_tokens, response_format_value=fmt)
        if is_reasoning_model(candidate.model) and self.timeout == DEFAULT_TIMEOUT_S:
            client = client.with_options(timeout=REASONING_TIMEOUT_S)
        started = time.monotonic()
        try:
            response = client.chat.completions.create(**request)
        except openai.OpenAIError as exc:
            return CallResult(example.line, label, candidate.model, error=explain(exc, action="get an answer"))
        except Exception as exc:  # noqa: BLE001 - a reply the SDK could not parse must not kill the run
            return CallResult(example.line, label, candidate.model, error=explain(exc, action="get an answer"))
        latency_ms = (time.monotonic() - started) * 1000
        try:
            return self._result_of(response, example, candidate, latency_ms)
        except Exception:  # noqa: BLE001 - a server that answers something else than a chat completion
            return CallResult(
                example.line,
                label,
                candidate.model,
                latency_ms=latency_ms,
                error="The API's answer is not a chat completion, so there is no answer to score.",
            )

    def _result_of(self, response, example, candidate: Candidate, latency_ms: float) -> CallResult:
        label = candidate.display_label
        choices = getattr(response, "choices", None) or []
        if not choices:
            return CallResult(
                example.line,
                label,
                candidate.model,
                latency_ms=latency_ms,
                error="The API answered without a choice, so there is no answer to score.",
            )
        choice = choices[0]
        message = choice.message
        answer = _answer_of(message)
        reported = getattr(response, "usage", None)
        usage = usage_of(reported) if reported is not None else None
        cost = call_cost(candidate.model, usage, calendar=self.calendar) if usage is not None else None
        refusal = getattr(message, "refusal", None) if answer is None else None
        reference = example.reference
        scores = score_answer(answer, reference.text, reference.tool_calls)
        return CallResult(
            example.line,
            label,
            candidate.model,
            answer=answer,
            finish_reason=choice.finish_reason,
            usage=usage,
            latency_ms=latency_ms,
            cost_usd=cost,
            scores=scores,
            system_fingerprint=getattr(response, "system_fingerprint", None),
            refusal=str(refusal) if refusal else None,
        )


def _answer_of(message) -> str | list | None:
    """The answer text, or the tool calls (``[{"type", "function": {"name", "arguments"}}]``) when the
    model called tools."""
    calls = getattr(message, "tool_calls", None)
    if calls:
        return [
            {"type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in calls
            if getattr(c, "function", None) is not None
        ]
    function_call = getattr(message, "function_call", None)
    if function_call is not None:
        return [{"type": "function", "function": {"name": function_call.name, "arguments": function_call.arguments}}]
    return message.content
