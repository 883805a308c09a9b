"""The scanner: checks a file block by block and keeps only compact per-line columns.

Each block of lines is parsed with orjson and checked here (the per-format checks are the mixins
of :mod:`lib.validate.chat`, :mod:`~lib.validate.images`, :mod:`~lib.validate.tools`,
:mod:`~lib.validate.dpo` and :mod:`~lib.validate.completion`); the strings to count are queued with
their kind, and a worker thread counts the block's distinct strings in one batch while the next block is checked
(:meth:`Scanner.feed`, then :meth:`Scanner.settle`). Parsed examples are never kept.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np
import orjson

from lib import catalog as catalog_module
from lib import tokens
from lib.jobspec import FORMAT_LABELS
from lib.validate.chat import ChatChecks
from lib.validate.codes import (
    ASSISTANT, ERROR_CODES, SEVERITY, SPECIAL_TOKEN_MARK, SPECIAL_TOKENS, SYSTEM, WARNING_CODES, Finding,
)  # fmt: skip
from lib.validate.completion import PromptCompletionChecks
from lib.validate.dpo import DpoChecks
from lib.validate.images import ImageChecks
from lib.validate.messages import detect_format, json_error_message, type_name, unknown_format_hint
from lib.validate.report import Report, add_file_findings, billing, stats
from lib.validate.tools import ToolChecks
from lib.validate_tokens import TOOL_TOKEN_CONSTANTS, block_may_diverge

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import ThreadPoolExecutor

CACHE_MAX_CHARS = 16 << 20  # repeated strings remembered across blocks (system prompts)
TOKENS, ASSISTANT_TOKENS, SYSTEM_TOKENS, MESSAGES = range(4)  # the rows of :class:`Columns`
_FINDING_ORDER = {code: i for i, code in enumerate(ERROR_CODES + WARNING_CODES)}


class Example:
    """Per-example state while checking one line."""

    __slots__ = ("ln", "findings", "const", "call_ids", "images", "kind_override", "tool_names")

    def __init__(self, ln: int):
        self.ln = ln
        self.findings: list[Finding] = []
        self.const = 0
        self.call_ids: set | None = None
        self.images = 0
        self.kind_override: int | None = None
        self.tool_names: frozenset | None = None  # names the example's tools/functions define, if any


class Done:
    """A finished result with the interface of a ``Future``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value

    def done(self) -> bool:
        return True


class Columns:
    """The per-line columns (tokens, assistant tokens, system tokens, messages) in one int64 array, -1 where
    a line has none: 32 bytes a line, where four lists of Python ints held about 120, scattered among the
    parsed blocks' short-lived objects so that the freed memory was not reused (the validator's peak)."""

    def __init__(self):
        self.data = np.full((4, 1024), -1, dtype=np.int64)
        self.lines = 0

    def extend(self, n_lines: int) -> None:
        """Room for ``n_lines`` more lines, with no values yet."""
        needed = self.lines + n_lines
        if needed > self.data.shape[1]:
            grown = np.full((4, max(needed, 2 * self.data.shape[1])), -1, dtype=np.int64)
            grown[:, : self.lines] = self.data[:, : self.lines]
            self.data = grown
        self.lines = needed

    def row(self, which: int) -> np.ndarray:
        return self.data[which, : self.lines]

    def as_list(self, which: int) -> list[int | None]:
        """One column as the report keeps it: an int per line, None where the line has no value."""
        return [None if value < 0 else value for value in self.row(which).tolist()]


@dataclass
class Block:
    """A checked block whose distinct strings are being counted.

    Only the distinct strings are kept (a system prompt repeated on every line is kept once), with
    ``index`` saying which one each counted string of the block is: a block waiting for its count
    holds about its own distinct text, so more blocks can wait while the tokenizer loads.
    """

    pending: list  # (line, constant tokens, number of strings, number of messages or -1) per countable example
    index: np.ndarray  # per counted string of the block (in order), its position in ``unique``
    kinds: bytearray  # per counted string, its kind (OTHER, ASSISTANT, SYSTEM)
    unique: list  # the distinct strings
    known: np.ndarray  # per distinct string, its count when an earlier block counted it, else -1
    future: object  # the counts of the distinct strings not known yet, in order


class Scanner(ChatChecks, ImageChecks, ToolChecks, DpoChecks, PromptCompletionChecks):
    """Checks lines block by block and keeps the compact per-line columns."""

    def __init__(self, model: str, *, is_validation_file: bool = False):
        self.catalog = catalog_module.load_catalog()
        self.info = self.catalog.resolve(model)  # raises UnknownModelError
        self.model = model
        self.encoding = self.info.encoding
        self.limit = self.info.training_context
        self.is_validation_file = is_validation_file
        self.tool_constants = TOOL_TOKEN_CONSTANTS[self.encoding]
        self.max_images = self.catalog.limits.get("max_images_per_example")
        self.max_image_bytes = self.catalog.limits.get("max_image_bytes")
        self.errors: list[Finding] = []
        self.warnings: list[Finding] = []
        self.format: str | None = None
        self.format_line: int | None = None
        self.columns = Columns()
        # (hash, length) of each countable example's stripped line, and its line: duplicates are found at the end
        self.key_hashes, self.key_lengths, self.key_lines = array("q"), array("q"), array("q")
        self.duplicates: dict[int, int] = {}
        self.examples = 0
        self.image_examples = 0
        self.count_cache: dict[str, int] = {}
        self.cache_chars = 0
        self.tools_cache: dict[bytes, tuple] = {}
        self.details: dict[str, str] = {}  # one string per distinct finding text (see Finding)
        # filled per block
        self.texts: list[str] = []
        self.kinds = bytearray()

    # ------------------------------------------------------------------ findings

    def file_finding(self, code: str, message: str) -> None:
        """Add a finding about the whole file (no line)."""
        finding = Finding(None, code, message, SEVERITY[code])
        (self.errors if finding.severity == "error" else self.warnings).append(finding)

    def _add(self, ln: int, code: str, message: str, into: list | None = None) -> None:
        detail = self.details.get(message)
        if detail is None:
            detail = message
            if len(self.details) < 4096:  # the repeated texts are few; texts naming other lines are not kept
                self.details[message] = message
        finding = Finding(ln, code, detail, SEVERITY[code])
        if into is not None:
            into.append(finding)
        else:
            (self.errors if finding.severity == "error" else self.warnings).append(finding)

    def _flush(self, findings: list[Finding]) -> None:
        for finding in findings:
            (self.errors if finding.severity == "error" else self.warnings).append(finding)

    # ------------------------------------------------------------------ blocks

    def skip_lines(self, n_lines: int) -> None:
        """Record ``n_lines`` lines that are counted but not checked (a file refused as a whole)."""
        self.columns.extend(n_lines)

    def feed(self, lines: list[bytes], first_ln: int, counter: ThreadPoolExecutor | None = None,
             raw_block: bytes | None = None) -> Block:  # fmt: skip
        """Check one block of physical lines (without their newline) and start counting its strings.

        ``raw_block`` is the block's bytes, for the cheap test of whether any
        string needs tiktoken (see :func:`lib.tokens.count_many`);
        without it every string is checked.

        The count runs on ``counter`` (a one-thread executor) when given, so the
        caller can check the next block meanwhile; :meth:`settle` collects it.
        """
        self.texts = texts = []
        self.kinds = kinds = bytearray()
        pending: list[tuple[int, int, int, int]] = []
        self.skip_lines(len(lines))
        check_line = self._check_line
        for index, raw in enumerate(lines):
            check_line(raw, first_ln + index, pending)
        self.texts, self.kinds = [], bytearray()
        return self._start_count(pending, texts, kinds, counter, raw_block)

    def _check_line(self, raw: bytes, ln: int, pending: list) -> None:
        """Check one line; a countable example joins ``pending`` with its strings queued."""
        obj = self._parse(raw, ln)
        if obj is None:
            return
        fmt = self._line_format(obj, ln)
        if fmt is None:
            return
        texts = self.texts
        start = len(texts)
        ex = Example(ln)
        if fmt == "chat":
            n_msgs = self._chat(obj, ex)
        elif fmt == "dpo":
            n_msgs = self._dpo(obj, ex)
        else:
            n_msgs = self._prompt_completion(obj, ex)
        if ex.findings:
            self._flush(ex.findings)
        if n_msgs is None:  # not countable: the example's container is missing
            del texts[start:]
            del self.kinds[start:]
            return
        self.examples += 1
        if ex.images:
            self.image_examples += 1
        pending.append((ln, ex.const, len(texts) - start, -1 if fmt == "prompt_completion" else n_msgs))
        stripped = raw.strip()
        self.key_hashes.append(hash(stripped))
        self.key_lengths.append(len(stripped))
        self.key_lines.append(ln)

    def _parse(self, raw: bytes, ln: int) -> dict | None:
        """The line's JSON object, or None after the finding that says why there is none."""
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self._bad_line(ln, raw, exc)
            return None
        except RecursionError:  # pragma: no cover - orjson has its own depth limit
            self._add(ln, "invalid_json", "the JSON is nested too deeply to be a training example")
            return None
        if type(obj) is not dict:
            self._add(
                ln, "data_type",
                f"the line is {type_name(obj)}, not a JSON object; each line must be one example object",
            )  # fmt: skip
            return None
        return obj

    def _line_format(self, obj: dict, ln: int) -> str | None:
        """The line's format when it is the file's (the first example's), or None after a finding."""
        fmt = "chat" if "messages" in obj else detect_format(obj)
        if fmt == self.format:
            return fmt
        if fmt == "unknown":
            self._add(ln, "unknown_format", unknown_format_hint(obj))
            return None
        if self.format is None:
            self.format, self.format_line = fmt, ln
            return fmt
        self._add(
            ln, "mixed_formats",
            f"this is a {FORMAT_LABELS[fmt]} example but the file is {FORMAT_LABELS[self.format]} "
            f"(from line {self.format_line}); one file must use one format",
        )  # fmt: skip
        return None

    def _bad_line(self, ln: int, raw: bytes, exc: Exception) -> None:
        if not raw.strip():
            self._add(
                ln, "blank_line",
                "the line is empty; JSONL needs one example on every line, with no blank lines (delete it)",
            )  # fmt: skip
            return
        code, message = json_error_message(raw, exc)
        self._add(ln, code, message)

    def _start_count(self, pending: list, texts: list, kinds: bytearray, counter: ThreadPoolExecutor | None,
                     raw_block: bytes | None) -> Block:  # fmt: skip
        """Count each distinct string of the block once, in one batch; strings counted before come from the cache."""
        position: dict[str, int] = {}  # text -> its place among the distinct texts, in order of first use
        # one pass: setdefault gives a new text the size of ``position`` before it was added, its place
        places = map(position.setdefault, texts, map(len, repeat(position, len(texts))))
        index = np.fromiter(places, dtype=np.int32, count=len(texts))
        unique = list(position)
        cache = self.count_cache
        known = np.fromiter(map(cache.get, unique, repeat(-1)), dtype=np.int64, count=len(unique))
        to_count = [text for text, count in zip(unique, known.tolist()) if count < 0] if cache else unique
        check = raw_block is None or block_may_diverge(raw_block)
        if counter is not None and to_count:
            future = counter.submit(tokens.count_many, to_count, self.encoding, check=check)
        else:
            future = Done(tokens.count_many(to_count, self.encoding, check=check))
        return Block(pending, index, kinds, unique, known, future)

    def settle(self, block: Block) -> None:
        """Wait for a block's counts and fill its per-line columns."""
        unique_counts = block.known
        unique_counts[unique_counts < 0] = block.future.result()
        pending = block.pending
        if not pending:
            return
        counts = unique_counts[block.index]
        kinds_array = np.frombuffer(bytes(block.kinds), dtype=np.uint8)
        n = len(pending)
        lines, consts, n_strings, n_messages = np.array(pending, dtype=np.int64).reshape(n, 4).T
        owner = np.repeat(np.arange(n), n_strings)
        is_system = kinds_array == SYSTEM
        is_assistant = kinds_array == ASSISTANT
        totals = np.bincount(owner, weights=counts, minlength=n).astype(np.int64) + consts
        columns, rows = self.columns.data, lines - 1
        columns[TOKENS, rows] = totals
        columns[ASSISTANT_TOKENS, rows] = np.bincount(owner, weights=counts * is_assistant, minlength=n)
        system = np.bincount(owner, weights=counts * is_system, minlength=n).astype(np.int64)
        columns[SYSTEM_TOKENS, rows] = np.where(np.bincount(owner, weights=is_system, minlength=n) > 0, system, -1)
        columns[MESSAGES, rows] = n_messages
        self._remember_system_counts(block.unique, unique_counts, sorted(set(block.index[is_system].tolist())))
        limit = self.limit
        if limit is None:
            return
        for ln, total in zip(lines[totals > limit].tolist(), totals[totals > limit].tolist()):
            self._add(
                ln, "truncated",
                f"the example has {total:,} tokens, over the {limit:,}-token training limit of "
                f"{self.info.id}; the last {total - limit:,} tokens will be cut off",
            )  # fmt: skip

    def _remember_system_counts(self, unique: list, unique_counts: np.ndarray, system_positions: list[int]) -> None:
        """System prompts repeat across the file: remember their counts for later blocks, within a budget."""
        if self.cache_chars >= CACHE_MAX_CHARS:
            return
        cache = self.count_cache
        for position in system_positions:
            text = unique[position]
            if text not in cache:
                cache[text] = int(unique_counts[position])
                self.cache_chars += len(text)
                if self.cache_chars >= CACHE_MAX_CHARS:
                    break

    # ------------------------------------------------------------------ strings

    def _text(self, ex: Example, text: str, kind: int, where: str, count: bool = True) -> None:
        """Queue ``text`` for counting and check it for special tokens."""
        if count:
            self.texts.append(text)
            self.kinds.append(kind if ex.kind_override is None or kind == SYSTEM else ex.kind_override)
        if SPECIAL_TOKEN_MARK in text:
            self._special(ex, text, where)

    def _special(self, ex: Example, text: str, where: str) -> None:
        for special in SPECIAL_TOKENS:
            if special in text:
                self._add(
                    ex.ln, "special_token",
                    f"{where} contains the special token {special}; OpenAI rejects training files with "
                    "special-token text (the job fails) — remove or rewrite it",
                    ex.findings,
                )  # fmt: skip

    # ------------------------------------------------------------------ the report

    def _find_duplicates(self) -> None:
        """Each countable example identical to an earlier one (same stripped line) gets a finding naming the first."""
        hashes, lengths, lines = (np.frombuffer(a, dtype=np.int64) for a in (self.key_hashes, self.key_lengths,
                                                                               self.key_lines))  # fmt: skip
        order = np.lexsort((lines, lengths, hashes))  # equal examples together, in line order
        hashes, lengths, lines = hashes[order], lengths[order], lines[order]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = (hashes[1:] != hashes[:-1]) | (lengths[1:] != lengths[:-1])
        first = lines[starts][np.cumsum(starts) - 1]
        repeated = ~starts
        for ln, first_ln in sorted(zip(lines[repeated].tolist(), first[repeated].tolist())):
            self.duplicates[ln] = first_ln
            self._add(ln, "duplicate_example", f"identical to line {first_ln}; duplicates add cost, not signal")

    def finish(self, name: str, sha256: str, n_lines: int, n_epochs: int | None, whole_file_empty: bool) -> Report:
        """The file's report, once every block is settled (``n_epochs`` None means "auto")."""
        self._find_duplicates()
        tokens_column = self.columns.row(TOKENS)
        valid = tokens_column[tokens_column >= 0].tolist()
        error_lines = {f.line for f in self.errors if f.line is not None}
        n_valid = sum(1 for ln in (np.flatnonzero(tokens_column >= 0) + 1).tolist() if ln not in error_lines)
        add_file_findings(self, n_valid, whole_file_empty)
        bill = billing(self, valid, n_epochs)
        self.errors.sort(key=lambda f: (f.line or 0, _FINDING_ORDER[f.code]))
        self.warnings.sort(key=lambda f: (f.line or 0, _FINDING_ORDER[f.code]))
        return Report(
            name=name,
            sha256=sha256,
            format=self.format or "unknown",
            model=self.model,
            encoding=self.encoding,
            training_limit=self.limit,
            lines=n_lines,
            examples=self.examples,
            errors=self.errors,
            warnings=self.warnings,
            per_example_tokens=self.columns.as_list(TOKENS),
            assistant_tokens=self.columns.as_list(ASSISTANT_TOKENS),
            system_tokens=self.columns.as_list(SYSTEM_TOKENS),
            n_messages=self.columns.as_list(MESSAGES),
            total_tokens=int(sum(valid)),
            assistant_total=int(self.columns.row(ASSISTANT_TOKENS)[self.columns.row(ASSISTANT_TOKENS) >= 0].sum()),
            stats=stats(valid),
            n_epochs=bill.n_epochs,
            n_epochs_is_estimate=bill.n_epochs_is_estimate,
            billed_tokens_per_epoch=bill.billed_tokens_per_epoch,
            billed_tokens=bill.billed_tokens,
            training_cost_usd=bill.cost_usd,
            price_as_of=self.info.training_as_of,
            duplicates=self.duplicates,
            overlap=[],
            counter=tokens.fast_counter_name(),
            is_validation_file=self.is_validation_file,
        )
