"""Recordings: every answer of a run in a JSONL file, to keep, reload and compare against.

Line 1 is a header ``{"recording": "tuning-desk-evaluate", "version": 1, "eval_file", "eval_sha256",
"examples", "skipped", "baseline", "candidates": [settings...], "settings": {...}, "created_at"}``;
every other line is one (example, candidate): ``{"line", "label", "model", "answer",
"finish_reason", "usage", "latency_ms", "error", "scores"}``. A recording made before a fine-tune
shuts down stands in for it later (``--against``): its answers become the references.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import IO, Iterable

import orjson

from lib.evaluate.candidates import Candidate
from lib.evaluate.evalset import EvalSet
from lib.evaluate.runner import CallResult

FORMAT_NAME = "tuning-desk-evaluate"
FORMAT_VERSION = 1


class RecordingError(ValueError):
    """A file that is not a usable recording; the message is one sentence naming the line."""


def header(eval_set: EvalSet, candidates: list[Candidate], settings: dict | None = None) -> dict:
    """The first line of a recording: the run's settings and the evaluation file's sha256."""
    return {
        "recording": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "eval_file": eval_set.name,
        "eval_sha256": eval_set.sha256,
        "examples": len(eval_set.examples),
        "skipped": list(eval_set.skipped),
        "references_from": eval_set.references_from,
        "baseline": candidates[0].display_label if candidates else None,
        "candidates": [c.settings() for c in candidates],
        "settings": dict(settings or {}),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


class RecordingWriter:
    """Appends results to an open binary file as they finish (thread-safe; pass ``write`` as a run's ``on_result``)."""

    def __init__(self, out: IO[bytes], eval_set: EvalSet, candidates: list[Candidate], settings: dict | None = None):
        self._out = out
        self._lock = threading.Lock()
        self._out.write(orjson.dumps(header(eval_set, candidates, settings)) + b"\n")
        self._out.flush()

    def write(self, result: CallResult) -> None:
        with self._lock:
            self._out.write(orjson.dumps(result.to_record()) + b"\n")
            self._out.flush()


def recording_bytes(
    eval_set: EvalSet, candidates: list[Candidate], results: Iterable[CallResult], settings: dict | None = None
) -> bytes:
    """A whole recording as bytes (the page's download)."""
    lines = [orjson.dumps(header(eval_set, candidates, settings))]
    lines += [orjson.dumps(r.to_record()) for r in results]
    return b"\n".join(lines) + b"\n"


@dataclass(frozen=True)
class Recording:
    """A loaded recording: its header and its results."""

    header: dict
    results: tuple[CallResult, ...] = field(repr=False)

    @property
    def eval_sha256(self) -> str | None:
        return self.header.get("eval_sha256")

    @property
    def eval_file(self) -> str | None:
        return self.header.get("eval_file")

    @property
    def baseline(self) -> str | None:
        return self.header.get("baseline") or (self.labels[0] if self.labels else None)

    @property
    def labels(self) -> list[str]:
        """Candidate labels in the order the header lists them (then any others the lines name)."""
        labels = [c.get("label") for c in self.header.get("candidates", []) if isinstance(c, dict)]
        for result in self.results:
            if result.label not in labels:
                labels.append(result.label)
        return [x for x in labels if x]

    def models(self) -> dict[str, str]:
        """label -> model."""
        return {r.label: r.model for r in self.results}

    def answers(self, label: str) -> dict[int, str | list]:
        """line -> recorded answer of ``label`` (answered calls only; the last one wins)."""
        return {r.line: r.answer for r in self.results if r.label == label and r.answered and r.answer is not None}

    def candidates(self) -> list[Candidate]:
        """The candidates as the header describes them (to re-run or extend the same comparison)."""
        out = []
        for raw in self.header.get("candidates", []):
            if isinstance(raw, dict) and isinstance(raw.get("model"), str):
                out.append(
                    Candidate(
                        model=raw["model"],
                        system=raw.get("system"),
                        schema=raw.get("schema"),
                        label=raw.get("label"),
                        temperature=float(raw.get("temperature") or 0.0),
                        max_tokens=raw.get("max_tokens"),
                        reasoning_effort=raw.get("reasoning_effort"),
                    )
                )
        return out


def load_recording(data: bytes, *, name: str = "the recording") -> Recording:
    """Parse a recording; raises :class:`RecordingError` with one sentence naming the bad line."""
    lines = [ln for ln in bytes(data).split(b"\n")]
    if not lines or not lines[0].strip():
        raise RecordingError(f"{name} is empty: a recording starts with a header line.")
    try:
        head = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        raise RecordingError(f"{name}, line 1: not JSON, so not a recording made by Tuning Desk.") from None
    if not isinstance(head, dict) or head.get("recording") != FORMAT_NAME:
        raise RecordingError(f'{name}, line 1: not a recording header (expected "recording": "{FORMAT_NAME}").')
    if head.get("version") != FORMAT_VERSION:
        raise RecordingError(
            f"{name}, line 1: recording version {head.get('version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION})."
        )
    results = []
    for number, raw in enumerate(lines[1:], 2):
        if not raw.strip():
            continue
        try:
            row = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise RecordingError(f"{name}, line {number}: not JSON.") from None
        if not isinstance(row, dict) or not isinstance(row.get("line"), int) or not isinstance(row.get("label"), str):
            raise RecordingError(f'{name}, line {number}: a result needs a whole-number "line" and a "label".')
        answer = row.get("answer")
        if answer is not None and not isinstance(answer, (str, list)):
            raise RecordingError(f'{name}, line {number}: "answer" must be text, a list of tool calls or null.')
        results.append(
            CallResult(
                line=row["line"],
                label=row["label"],
                model=str(row.get("model") or ""),
                answer=answer,
                finish_reason=row.get("finish_reason"),
                usage=row.get("usage"),
                latency_ms=row.get("latency_ms"),
                error=row.get("error"),
                scores=row.get("scores"),
                refusal=row.get("refusal"),
            )
        )
    return Recording(header=head, results=tuple(results))
