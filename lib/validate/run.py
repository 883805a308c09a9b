"""The validator's entry points: check a file (and its validation file) from memory or from disk.

One worker thread loads the tokenizer, hashes the file and counts block N while the calling thread
checks block N+1; see :class:`lib.validate.scanner.Scanner`. Counting and hashing release the GIL;
loading the tokenizer does not (about 0.4 s, once per process), so the checks wait for it.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from lib import catalog as catalog_module
from lib import tokens
from lib.jobspec import FORMAT_LABELS
from lib.validate import reading
from lib.validate.codes import DEFAULT_MODEL, MESSAGE_KEYS, FileUnreadable, Finding
from lib.validate.messages import sniff_file_kind
from lib.validate.reading import (
    BytesSource, FileSource, blocks_from_bytes, blocks_from_file, open_file,
)  # fmt: skip
from lib.validate.report import Report
from lib.validate.scanner import Block, Scanner

MAX_PENDING_BYTES = 8 << 20  # bytes of blocks checked but not yet counted (each block holds its distinct strings)


def scan(source, *, model: str, n_epochs, name: str, progress, is_validation_file: bool = False) -> Report:
    """Check every block of ``source`` (a :class:`BytesSource` or :class:`FileSource`)."""
    epochs = resolve_epochs(n_epochs)
    scanner = Scanner(model, is_validation_file=is_validation_file)
    n_lines = 0
    whole_file_empty = False
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-counter") as worker:
        reason = _whole_file_reason(source, scanner.catalog.limits["max_file_bytes"])
        if reason is not None:
            n_lines = source.count_lines(worker)  # lines are counted, not parsed
            scanner.skip_lines(n_lines)
            scanner.file_finding(*reason)
        else:
            n_lines, whole_file_empty = _check_blocks(scanner, source, worker, progress)
    if whole_file_empty:  # an empty file is one finding, not a blank_line per line
        scanner.errors = [f for f in scanner.errors if f.code != "blank_line"]
    return scanner.finish(name, source.sha256(), n_lines, epochs, whole_file_empty)


def _whole_file_reason(source, max_bytes: int) -> tuple[str, str] | None:
    """(code, message) when the file is not checked line by line: too large, or not a text file."""
    if source.size > max_bytes:
        return "file_too_large", (
            f"the file is {source.size / 2**20:,.0f} MB; the Files API accepts at most "
            f"{max_bytes / 2**20:,.0f} MB per file, so its lines were not checked — split it into smaller files"
        )
    kind = sniff_file_kind(source.head)
    return None if kind is None else ("encoding_error", kind)


def _check_blocks(scanner: Scanner, source, worker: ThreadPoolExecutor, progress) -> tuple[int, bool]:
    """Feed every block to ``scanner``; returns the number of lines and whether all of them are blank."""
    worker.submit(tokens.count_many, list(MESSAGE_KEYS), scanner.encoding)  # loads the vocabulary early
    n_lines, whole_file_empty, total_bytes = 0, True, source.size
    # Settle blocks as their counts finish; run ahead by at most MAX_PENDING_BYTES (memory),
    # so that a slow count does not hold up the checks.
    pending: deque[Block] = deque()
    max_pending = max(1, MAX_PENDING_BYTES // reading.BLOCK_BYTES)
    for lines, _, end, raw_block in source.blocks(worker):
        if whole_file_empty and any(line.strip() for line in lines):
            whole_file_empty = False
        pending.append(scanner.feed(lines, n_lines + 1, worker, raw_block))
        n_lines += len(lines)
        while pending and (pending[0].future.done() or len(pending) > max_pending):
            scanner.settle(pending.popleft())
        if progress is not None:
            progress(min(1.0, end / total_bytes) if total_bytes else 1.0)
    while pending:
        scanner.settle(pending.popleft())
    return n_lines, whole_file_empty


def _attach_validation(report: Report, validation: Report) -> None:
    report.validation = validation
    if validation.format not in (report.format, "unknown") and report.format != "unknown":
        report.errors.append(Finding(
            None, "mixed_formats",
            f"the validation file is {FORMAT_LABELS[validation.format]} but the training file is "
            f"{FORMAT_LABELS[report.format]}; both must use the same format",
            "error",
        ))  # fmt: skip


def validate_bytes(data: bytes, *, model: str = DEFAULT_MODEL, n_epochs: int | str = "auto",
                   validation: bytes | None = None, name: str = "", progress: Callable[[float], None] | None = None,
                   validation_name: str = "") -> Report:  # fmt: skip
    """Validate an in-memory JSONL file (and optionally its validation file) against ``model``.

    Raises :class:`lib.catalog.UnknownModelError` for an unknown model and
    ``ValueError`` for bad ``n_epochs``; bad data never raises, it becomes findings.
    ``progress(fraction)`` is called after each block of lines.
    """
    data = bytes(data)
    report = scan(BytesSource(data), model=model, n_epochs=n_epochs, name=name, progress=progress)
    if validation is not None:
        validation = bytes(validation)
        other = scan(
            BytesSource(validation), model=model, n_epochs=n_epochs, name=validation_name, progress=None,
            is_validation_file=True,
        )  # fmt: skip
        _attach_validation(report, other)
        _find_overlap(
            report, lambda: _line_keys_from_bytes(data, report), lambda: _line_keys_from_bytes(validation, other)
        )
    return report


def validate_path(path, *, model: str = DEFAULT_MODEL, n_epochs: int | str = "auto",
                  validation: "str | Path | None" = None, name: str = "",
                  progress: Callable[[float], None] | None = None) -> Report:  # fmt: skip
    """Validate a JSONL file on disk, streaming it block by block (see :func:`validate_bytes`).

    ``validation`` is the path of a validation file. Raises :class:`FileUnreadable`
    when a file cannot be opened or read.
    """
    path = Path(path)
    report = _scan_path(path, model=model, n_epochs=n_epochs, name=name or path.name, progress=progress)
    if validation is not None:
        validation = Path(validation)
        other = _scan_path(validation, model=model, n_epochs=n_epochs, name=validation.name, progress=None,
                           is_validation_file=True)  # fmt: skip
        _attach_validation(report, other)
        _find_overlap(
            report, lambda: _line_keys_from_path(path, report), lambda: _line_keys_from_path(validation, other)
        )
    return report


def _scan_path(path: Path, *, model, n_epochs, name, progress, is_validation_file: bool = False) -> Report:
    with open_file(path) as f:
        try:
            source = FileSource(f, path.stat().st_size)
            return scan(
                source, model=model, n_epochs=n_epochs, name=name, progress=progress,
                is_validation_file=is_validation_file,
            )  # fmt: skip
        except OSError as exc:
            raise FileUnreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None


def resolve_epochs(n_epochs: int | str) -> int | None:
    """None for "auto", else the checked integer."""
    if n_epochs == "auto" or n_epochs is None:
        return None
    low, high = catalog_module.load_catalog().limits["n_epochs"]
    try:
        value = int(n_epochs)
    except (TypeError, ValueError):
        raise ValueError(f"epochs must be a whole number from {low} to {high} or 'auto', not {n_epochs!r}") from None
    if isinstance(n_epochs, float) and n_epochs != value or not low <= value <= high:
        raise ValueError(f"epochs must be a whole number from {low} to {high} or 'auto', not {n_epochs!r}")
    return value


# --------------------------------------------------------------------------- train/validation overlap


def _example_key(raw: bytes) -> tuple[int, int]:
    stripped = raw.strip()
    return hash(stripped), len(stripped)


def _line_keys(blocks, report: Report) -> dict[tuple[int, int], int]:
    keys: dict[tuple[int, int], int] = {}
    ln = 0
    tokens_per_line = report.per_example_tokens
    for lines, _, _, _ in blocks:
        for raw in lines:
            ln += 1
            if ln <= len(tokens_per_line) and tokens_per_line[ln - 1] is not None:
                keys.setdefault(_example_key(raw), ln)
    return keys


def _line_keys_from_bytes(data: bytes, report: Report) -> dict:
    return _line_keys(blocks_from_bytes(data), report)


def _line_keys_from_path(path: Path, report: Report) -> dict:
    with open_file(path) as f:
        return _line_keys(blocks_from_file(f), report)


def _find_overlap(report: Report, train_keys, validation_keys) -> None:
    """Warn about examples present in both the training and the validation file."""
    if report.validation is None or not report.examples or not report.validation.examples:
        return
    if any(f.code == "file_too_large" for f in report.errors + report.validation.errors):
        return
    train = train_keys()
    pairs = sorted((train[key], line) for key, line in validation_keys().items() if key in train)
    report.overlap = pairs
    for train_line, validation_line in pairs:
        report.warnings.append(Finding(
            train_line, "train_validation_overlap",
            f"the same example is line {validation_line} of the validation file; "
            "\"the same data should not be present in both train and validation files\"",
            "warning",
        ))  # fmt: skip
    report.warnings.sort(key=lambda f: f.line or 0)
