"""Check a fine-tuning JSONL file the way the OpenAI API will, and count its tokens exactly.

The contract is ``shared/spec/validation.md``: formats, finding codes, the JSON
report and the command-line exit codes. Every physical line is checked and every
finding names its 1-based line.

Formats (one JSON object per line; the file's format is that of its first
example, and lines of another format are ``mixed_formats``):

- **chat** (supervised): ``messages`` plus optional ``tools``,
  ``parallel_tool_calls`` and legacy ``functions``. Roles system, user,
  assistant, tool, function (``developer`` is a warning). ``weight`` 0/1 on
  assistant messages; content as a string or a list of text / image parts;
  ``tool_calls``, ``function_call`` and tool messages matched to earlier calls.
- **dpo**: ``input.messages`` + one-message ``preferred_output`` and
  ``non_preferred_output`` lists.
- **prompt_completion** (legacy babbage/davinci): string ``prompt`` and ``completion``.

What is counted (the published OpenAI recipe, made exact):

- chat: per message 3 + tokens of every string it carries (role, content text,
  refusal, name, tool_call_id, and for calls the call id, function name and
  arguments) + 1 if it has a ``name``; + 3 for the example; + tool or function
  definitions (``lib.validate_tokens``); + images (85 tokens at
  ``detail: "low"``, the GPT-4o tile estimate otherwise). Content parts count
  the text of their text parts. ``weight: 0`` messages are counted (OpenAI does
  not document whether they are billed).
- dpo: ``input.messages`` + the preferred output as one more message, + 3, +
  tools. The non-preferred output is checked but not counted (undocumented).
- prompt_completion: tokens of prompt + tokens of completion.
- Assistant tokens: the text an assistant message carries (content, refusal,
  call names and arguments); for DPO the preferred output; for
  prompt/completion the completion. System tokens: the content of system (and
  developer) messages.

Strings are counted as ordinary text (special-token strings are both counted as
text and reported as ``special_token`` errors) with
:func:`lib.tokens.count_many`: toktok, and tiktoken for the rare
strings toktok splits differently (characters new in Unicode 17.0).

Beyond the contract's codes, some warnings point at likely mistakes the API
accepts: ``unrecognized_example_key``, ``image_skipped`` (formats or sizes
OpenAI skips), ``images_need_vision_model``, ``no_trained_messages`` (every
weight 0), ``dpo_identical_outputs``, ``format_not_supported_by_model`` and
``undefined_tool`` (a call to a function the example does not define).

Speed and memory: the file is read in blocks of lines; each block is parsed with
orjson and checked while a worker thread counts the previous block's strings in
one batch (toktok and hashlib release the GIL). Repeated strings (system prompts,
tool definitions) are counted once. Only compact per-line columns are kept,
never the parsed examples.

Limits: a file over the catalog's ``max_file_bytes`` (512 MB, the Files API
limit) is reported ``file_too_large`` and its lines are counted but not parsed,
since the API would refuse it before looking at a line. ZIP, gzip, UTF-16 and
other binary files get one file-level ``encoding_error`` instead of a finding
per line. Duplicates are byte-identical lines (``\\r`` and surrounding
whitespace ignored).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np
import orjson

from lib import catalog as catalog_module
from lib import jobspec
from lib import tokens
from lib.validate_tokens import (
    ACCEPTED_IMAGE_TYPES,
    TOOL_TOKEN_CONSTANTS,
    block_may_diverge,
    image_tokens,
    parse_data_uri,
    sniff_image,
)

if TYPE_CHECKING:  # pragma: no cover
    from lib.handoff import DatasetSummary

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"

ERROR_CODES = (
    "encoding_error", "blank_line", "invalid_json", "data_type", "unknown_format", "mixed_formats",
    "missing_messages_list", "message_missing_key", "message_unrecognized_key", "unrecognized_role",
    "missing_content", "example_missing_assistant_message", "invalid_weight", "invalid_tool_call",
    "unmatched_tool_message", "invalid_tools", "special_token", "invalid_image", "invalid_dpo",
    "invalid_prompt_completion", "too_few_examples", "file_too_large",
)  # fmt: skip
WARNING_CODES = (
    "missing_system_message", "missing_user_message", "truncated", "duplicate_example", "developer_role",
    "small_dataset", "train_validation_overlap", "model_retired",
    # Beyond the contract: accepted by the API but worth a look.
    "unrecognized_example_key", "image_skipped", "images_need_vision_model", "no_trained_messages",
    "dpo_identical_outputs", "format_not_supported_by_model", "undefined_tool",
)  # fmt: skip
SEVERITY = {**{c: "error" for c in ERROR_CODES}, **{c: "warning" for c in WARNING_CODES}}

# The strings OpenAI rejects in training text (tokenizer and chat-markup special tokens).
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>",
    "<|im_start|>", "<|im_end|>", "<|im_sep|>",
)  # fmt: skip

CHAT_KEYS = ("messages", "tools", "parallel_tool_calls", "functions")
DPO_KEYS = ("input", "preferred_output", "non_preferred_output")
DPO_INPUT_KEYS = ("messages", "tools", "parallel_tool_calls", "functions")
PROMPT_COMPLETION_KEYS = ("prompt", "completion")
# Keys each role may carry in a supervised example (OpenAPI FineTuneChatRequestInput).
MESSAGE_KEYS = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "weight", "tool_calls", "function_call", "refusal"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
IMAGE_DETAILS = ("low", "high", "auto")

# Token kinds of counted strings: where a string's tokens are summed besides the example total.
_OTHER, _ASSISTANT, _SYSTEM = 0, 1, 2
_ROLE_KIND = {"assistant": _ASSISTANT, "system": _SYSTEM, "developer": _SYSTEM}
_FAST_KIND = {"user": _OTHER, "system": _SYSTEM, "assistant": _ASSISTANT}
_FAST_KIND_CONTEXT = {"user": _OTHER, "system": _SYSTEM, "assistant": _OTHER}  # DPO input: assistant turns are context

_BLOCK_BYTES = 4 << 20  # lines are parsed and counted in blocks of about this size
_MAX_PENDING_BLOCKS = 8  # blocks checked but not yet counted (each holds its strings)
_CACHE_MAX_CHARS = 16 << 20  # repeated strings remembered across blocks (system prompts)
_SNIFF_BYTES = 8192


class FileUnreadable(Exception):
    """The file cannot be read at all (missing, a folder, no permission). The message is one line."""


class Finding(NamedTuple):
    """One problem: its 1-based physical line (None for the whole file), code, message and severity.

    A file can have a finding on each of a million lines, so a finding is small: ``detail`` is the
    message without its ``line N:`` prefix, one string shared by every line that says the same, and
    ``message`` is built when it is read. A tuple: a million of them take 80 MB, not 400, and pickle
    several times faster than dataclass instances.
    """

    line: int | None
    code: str
    detail: str
    severity: str

    @property
    def message(self) -> str:
        return self.detail if self.line is None else f"line {self.line}: {self.detail}"

    def to_json(self) -> dict:
        return {"line": self.line, "code": self.code, "message": self.message}


@dataclass
class Report:
    """Everything the validator found and counted in one file."""

    name: str
    sha256: str
    format: str
    model: str
    encoding: str
    training_limit: int | None
    lines: int
    examples: int
    errors: list[Finding]
    warnings: list[Finding]
    per_example_tokens: list[int | None]
    assistant_tokens: list[int | None]
    system_tokens: list[int | None]
    n_messages: list[int | None]
    total_tokens: int
    assistant_total: int
    stats: dict
    n_epochs: int
    n_epochs_is_estimate: bool
    billed_tokens_per_epoch: int
    billed_tokens: int
    training_cost_usd: float | None
    price_as_of: str
    duplicates: dict[int, int]
    overlap: list[tuple[int, int]]
    validation: "Report | None" = None
    counter: str = ""
    is_validation_file: bool = False

    @property
    def ok(self) -> bool:
        """True when neither this file nor its validation file has an error."""
        return not self.errors and (self.validation is None or self.validation.ok)

    @property
    def error_lines(self) -> set[int]:
        """Physical lines that carry at least one error."""
        return {f.line for f in self.errors if f.line is not None}

    @property
    def valid_examples(self) -> int:
        """Examples with no error on their line."""
        bad = self.error_lines
        return sum(1 for i, n in enumerate(self.per_example_tokens, 1) if n is not None and i not in bad)

    def findings(self) -> list[Finding]:
        """Errors and warnings together, in line order (file-level first)."""
        return sorted(self.errors + self.warnings, key=lambda f: (f.line or 0, f.severity != "error"))

    def to_json(self, *, findings: bool = True) -> dict:
        """The contract's JSON report, plus the extras the pages use.

        ``findings=False`` leaves out ``errors`` and ``warnings`` (here and in the validation report), for
        a writer that streams them (see ``lib/__main__.py``).
        """
        report = {
            "name": self.name,
            "sha256": self.sha256,
            "format": self.format,
            "model": self.model,
            "encoding": self.encoding,
            "training_limit": self.training_limit,
            "lines": self.lines,
            "examples": self.examples,
            "valid_examples": self.valid_examples,
            "ok": self.ok,
            **({"errors": [f.to_json() for f in self.errors],
                "warnings": [f.to_json() for f in self.warnings]} if findings else {}),
            "tokens": {
                "total": self.total_tokens,
                "per_example": self.per_example_tokens,
                "assistant_total": self.assistant_total,
                "assistant_per_example": self.assistant_tokens,
                "system_per_example": self.system_tokens,
                "messages_per_example": self.n_messages,
                "stats": self.stats,
                "counter": self.counter,
            },
            "billing": {
                "n_epochs": self.n_epochs,
                "n_epochs_is_estimate": self.n_epochs_is_estimate,
                "billed_tokens_per_epoch": self.billed_tokens_per_epoch,
                "billed_tokens": self.billed_tokens,
                "training_cost_usd": self.training_cost_usd,
                "price_as_of": self.price_as_of,
            },
            "duplicates": [{"line": line, "same_as": first} for line, first in sorted(self.duplicates.items())],
            "train_validation_overlap": [{"line": t, "validation_line": v} for t, v in self.overlap],
        }
        if self.validation is not None:
            report["validation"] = self.validation.to_json(findings=findings)
        return report

    def summary(self) -> "DatasetSummary":
        """The figures other pages need (see :class:`lib.handoff.DatasetSummary`)."""
        from lib.handoff import DatasetSummary

        def median(values) -> int | None:
            present = [v for v in values if v is not None]
            return int(round(float(np.median(present)))) if present else None

        prompt = [
            None if total is None else total - (assistant or 0)
            for total, assistant in zip(self.per_example_tokens, self.assistant_tokens)
        ]
        return DatasetSummary(
            name=self.name,
            sha256=self.sha256,
            model=self.model,
            format=self.format,
            examples=self.examples,
            total_tokens=self.total_tokens,
            billed_tokens_per_epoch=self.billed_tokens_per_epoch,
            n_epochs=self.n_epochs,
            n_epochs_is_estimate=self.n_epochs_is_estimate,
            median_system_tokens=median(self.system_tokens),
            median_prompt_tokens=median(prompt),
            median_assistant_tokens=median(self.assistant_tokens),
            error_count=len(self.errors),
            warning_count=len(self.warnings),
        )


# --------------------------------------------------------------------------- helpers


def _quote(value, limit: int = 40) -> str:
    """A short, safe rendering of a user value for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"
    }.get(type(value), type(value).__name__)


def _join(words, last: str = "or") -> str:
    """ "a", "a or b", "a, b or c" (``last`` is the final conjunction)."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def _resolve_epochs(n_epochs: int | str) -> int | None:
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


def _sniff_file_kind(head: bytes) -> str | None:
    """A file-level reason the bytes are not a UTF-8 text file, or None."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "this is a ZIP archive, not a JSONL text file; unzip it and check the .jsonl inside"
    if head.startswith(b"\x1f\x8b"):
        return "this is a gzip-compressed file, not a JSONL text file; decompress it first"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 encoded; save it as UTF-8 (without a byte-order mark)"
    if head.startswith(b"%PDF"):
        return "this is a PDF document, not a JSONL text file"
    if b"\x00" in head:
        return "the file is binary (it contains NUL bytes), not a JSONL text file"
    return None


_PRETTY_PRINTED = (
    " — this line looks like part of a JSON object spread over several lines; the file seems to be "
    "pretty-printed JSON, not JSONL (one complete example per line)"
)


def _fragment_hint(text: bytes) -> bool:
    """True if a line looks like a piece of pretty-printed JSON rather than a whole object."""
    stripped = text.strip()
    if stripped in (b"{", b"[", b"}", b"]", b"},", b"],", b"]}", b"}]", b"}}", b"]},", b"}],"):
        return True
    if stripped.endswith((b"[", b"{", b",")):
        return True
    return stripped.startswith(b'"') and b'":' in stripped[:80]


def _json_error_message(raw: bytes, exc: Exception) -> tuple[str, str]:
    """(code, message without the line prefix) for a line orjson could not parse."""
    reason = str(exc)
    if "not valid UTF-8" in reason:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return "encoding_error", (
                f"the line is not valid UTF-8 (byte 0x{raw[err.start]:02x} at byte {err.start + 1}); "
                "save the file as UTF-8"
            )
        return "invalid_json", "a string holds an invalid character (a lone surrogate escape such as \\ud800)"
    if "surrogate" in reason:
        return "invalid_json", (
            f"invalid JSON: {_at_column(reason)} — a string holds a lone surrogate escape (such as \\ud800), "
            "which is not valid Unicode text"
        )
    if "BOM" in reason:
        return "encoding_error", (
            "the file starts with a UTF-8 byte-order mark (BOM), which JSONL readers reject; "
            "save it as UTF-8 without BOM"
        )
    if "depth limit" in reason or "recursion" in reason.lower():
        return "invalid_json", "the JSON is nested too deeply (over 1024 levels) to be a training example"
    # The stdlib parser words errors more plainly ("Extra data", "Expecting ',' delimiter").
    try:
        json.loads(raw)
        plain = reason
    except RecursionError:
        return "invalid_json", "the JSON is nested too deeply to be a training example"
    except (ValueError, UnicodeDecodeError) as err:
        plain = str(err)
    except Exception:  # noqa: BLE001 - any parser failure is a finding, never a traceback
        plain = reason
    if raw.rstrip(b"\r").count(b"\r") >= 2:
        return "invalid_json", (
            f"invalid JSON: {_at_column(plain)} — the line holds carriage returns (\\r) between examples: "
            "the file seems to use old Mac line endings; save it with \\n (LF) line endings"
        )
    if plain.startswith("Extra data") and not _fragment_hint(raw):
        column = plain.split("column", 1)[-1].split("(")[0].strip()
        return "invalid_json", (
            f"invalid JSON: Extra data at column {column}: there is more than one JSON value on this line "
            "(put each example on its own line)"
        )
    message = "invalid JSON: " + _at_column(plain)
    if raw.lstrip().startswith((b"#", b"//")):
        message += " — this looks like a comment or a note; JSONL has no comments, every line must be an example"
    elif _fragment_hint(raw):
        message += _PRETTY_PRINTED
    return "invalid_json", message


def _at_column(parser_message: str) -> str:
    """"Expecting value: line 1 column 14 (char 13)" -> "Expecting value at column 14".

    The parser's "line 1" would name the wrong line: each JSONL line is parsed on its own.
    """
    # "Unterminated string starting at: line 1 ..." already ends in "at"
    return re.sub(r"( at)?:? line \d+ column (\d+) \(char \d+\)$", r" at column \2", parser_message)


def _unknown_format_hint(obj: dict) -> str:
    keys = set(obj)
    shown = "keys " + _join(sorted(_quote(k) for k in list(keys)[:6]), "and") if keys else "no keys"
    base = f"the object has {shown}; expected chat (\"messages\"), DPO (\"input\", \"preferred_output\", " \
           "\"non_preferred_output\") or prompt/completion (\"prompt\", \"completion\")"  # fmt: skip
    if {"chosen", "rejected"} & keys:
        return (
            base + ". This looks like the Hugging Face TRL preference format (prompt/chosen/rejected): for OpenAI "
            "DPO put the prompt messages in input.messages, chosen in preferred_output and rejected in "
            "non_preferred_output"
        )
    if "conversations" in keys:
        return base + ". This looks like ShareGPT data: rename \"conversations\" to \"messages\" and use role/content"
    if {"instruction", "output"} <= keys:
        return base + ". This looks like Alpaca data: turn instruction/input into a user message and output into " \
                      "an assistant message"  # fmt: skip
    if "role" in keys and "content" in keys:
        return base + ". This is a single message, not an example; if the file is pretty-printed, each example " \
                      "must be on one line"  # fmt: skip
    if "text" in keys:
        return base + ". Plain-text data is not accepted: wrap it as a conversation in \"messages\""
    return base


def _detect_format(obj: dict) -> str:
    if "messages" in obj:
        return "chat"
    if "input" in obj or "preferred_output" in obj or "non_preferred_output" in obj \
            or "preferred_completion" in obj or "non_preferred_completion" in obj:  # fmt: skip
        return "dpo"
    if "chosen" in obj or "rejected" in obj:
        return "unknown"
    if "prompt" in obj or "completion" in obj:
        return "prompt_completion"
    return "unknown"


_FORMAT_LABEL = jobspec.FORMAT_LABELS


# --------------------------------------------------------------------------- the scanner


class _Example:
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


class _Done:
    """A finished result with the interface of a ``Future``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value

    def done(self) -> bool:
        return True


@dataclass
class _Block:
    """A checked block whose strings are being counted."""

    pending: list
    texts: list
    kinds: bytearray
    unique: list
    future: object


class _Scanner:
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
        self.per_example: list[int | None] = []
        self.assistant: list[int | None] = []
        self.system: list[int | None] = []
        self.n_messages: list[int | None] = []
        self.keys: dict[tuple[int, int], int] = {}
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

    def _file(self, code: str, message: str) -> None:
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

    def feed(self, lines: list[bytes], first_ln: int, counter: "ThreadPoolExecutor | None" = None,
             raw_block: bytes | None = None) -> "_Block":  # fmt: skip
        """Check one block of physical lines (without their newline) and start counting its strings.

        ``raw_block`` is the block's bytes, for the cheap test of whether any
        string needs tiktoken (see :func:`lib.tokens.count_many`);
        without it every string is checked.

        The count runs on ``counter`` (a one-thread executor) when given, so the
        caller can check the next block meanwhile; :meth:`settle` collects it.
        """
        self.texts = texts = []
        self.kinds = kinds = bytearray()
        pending: list[tuple[int, int, int]] = []  # (line, constant tokens, number of strings)
        loads = orjson.loads
        n = len(lines)
        for column in (self.per_example, self.assistant, self.system, self.n_messages):
            column.extend([None] * n)
        keys, duplicates = self.keys, self.duplicates
        for index, raw in enumerate(lines):
            ln = first_ln + index
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError as exc:
                self._bad_line(ln, raw, exc)
                continue
            except RecursionError:  # pragma: no cover - orjson has its own depth limit
                self._add(ln, "invalid_json", "the JSON is nested too deeply to be a training example")
                continue
            if type(obj) is not dict:
                self._add(
                    ln, "data_type",
                    f"the line is {_type_name(obj)}, not a JSON object; each line must be one example object",
                )  # fmt: skip
                continue
            fmt = "chat" if "messages" in obj else _detect_format(obj)
            if fmt != self.format:
                if fmt == "unknown":
                    self._add(ln, "unknown_format", _unknown_format_hint(obj))
                    continue
                if self.format is None:
                    self.format, self.format_line = fmt, ln
                else:
                    self._add(
                        ln, "mixed_formats",
                        f"this is a {_FORMAT_LABEL[fmt]} example but the file is {_FORMAT_LABEL[self.format]} "
                        f"(from line {self.format_line}); one file must use one format",
                    )  # fmt: skip
                    continue
            start = len(texts)
            ex = _Example(ln)
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
                del kinds[start:]
                continue
            self.examples += 1
            if ex.images:
                self.image_examples += 1
            if fmt != "prompt_completion":
                self.n_messages[ln - 1] = n_msgs
            pending.append((ln, ex.const, len(texts) - start))
            stripped = raw.strip()
            first = keys.setdefault((hash(stripped), len(stripped)), ln)
            if first != ln:
                duplicates[ln] = first
                self._add(ln, "duplicate_example", f"identical to line {first}; duplicates add cost, not signal")
        self.texts, self.kinds = [], bytearray()
        # Count each distinct string once; strings already counted in earlier blocks come from the cache.
        cache = self.count_cache
        unique = [t for t in dict.fromkeys(texts) if t not in cache] if cache else list(dict.fromkeys(texts))
        check = raw_block is None or block_may_diverge(raw_block)
        if counter is not None and unique:
            future = counter.submit(tokens.count_many, unique, self.encoding, check=check)
        else:
            future = _Done(tokens.count_many(unique, self.encoding, check=check))
        return _Block(pending, texts, kinds, unique, future)

    def settle(self, block: "_Block") -> None:
        """Wait for a block's counts and fill its per-line columns."""
        pending, texts, kinds = block.pending, block.texts, block.kinds
        lookup = dict(zip(block.unique, block.future.result()))
        if not pending:
            return
        cache = self.count_cache
        if cache:
            counts = np.array([lookup[t] if t in lookup else cache[t] for t in texts], dtype=np.int64)
        else:
            counts = np.array(list(map(lookup.__getitem__, texts)), dtype=np.int64)
        kinds_array = np.frombuffer(bytes(kinds), dtype=np.uint8)
        n = len(pending)
        owner = np.repeat(np.arange(n), np.array([k for _, _, k in pending], dtype=np.int64))
        is_system = kinds_array == _SYSTEM
        totals = np.bincount(owner, weights=counts, minlength=n).astype(np.int64).tolist()
        assistant = np.bincount(owner, weights=counts * (kinds_array == _ASSISTANT), minlength=n).astype(np.int64).tolist()
        system = np.bincount(owner, weights=counts * is_system, minlength=n).astype(np.int64).tolist()
        has_system = (np.bincount(owner, weights=is_system, minlength=n) > 0).tolist()
        # System prompts repeat across the file: remember their counts for later blocks, within a budget.
        if self.cache_chars < _CACHE_MAX_CHARS:
            for index in np.flatnonzero(is_system).tolist():
                text = texts[index]
                if text not in cache:
                    cache[text] = int(counts[index])
                    self.cache_chars += len(text)
                    if self.cache_chars >= _CACHE_MAX_CHARS:
                        break
        per_example, assistant_column, system_column = self.per_example, self.assistant, self.system
        limit = self.limit
        for i, (ln, const, _) in enumerate(pending):
            total = totals[i] + const
            per_example[ln - 1] = total
            assistant_column[ln - 1] = assistant[i]
            system_column[ln - 1] = system[i] if has_system[i] else None
            if limit is not None and total > limit:
                self._add(
                    ln, "truncated",
                    f"the example has {total:,} tokens, over the {limit:,}-token training limit of "
                    f"{self.info.id}; the last {total - limit:,} tokens will be cut off",
                )  # fmt: skip

    def _bad_line(self, ln: int, raw: bytes, exc: Exception) -> None:
        if not raw.strip():
            self._add(
                ln, "blank_line",
                "the line is empty; JSONL needs one example on every line, with no blank lines (delete it)",
            )  # fmt: skip
            return
        code, message = _json_error_message(raw, exc)
        self._add(ln, code, message)

    # ------------------------------------------------------------------ strings

    def _text(self, ex: _Example, text: str, kind: int, where: str, count: bool = True) -> None:
        """Queue ``text`` for counting and check it for special tokens."""
        if count:
            self.texts.append(text)
            self.kinds.append(kind if ex.kind_override is None or kind == _SYSTEM else ex.kind_override)
        if "<|" in text:
            self._special(ex, text, where)

    def _special(self, ex: _Example, text: str, where: str) -> None:
        for special in SPECIAL_TOKENS:
            if special in text:
                self._add(
                    ex.ln, "special_token",
                    f"{where} contains the special token {special}; OpenAI rejects training files with "
                    "special-token text (the job fails) — remove or rewrite it",
                    ex.findings,
                )  # fmt: skip

    # ------------------------------------------------------------------ chat

    def _chat(self, obj: dict, ex: _Example) -> int | None:
        messages = obj.get("messages")
        if type(messages) is not list or not messages:
            if "messages" not in obj:
                why = 'there is no "messages" list'
            elif type(messages) is not list:
                why = f'"messages" is {_type_name(messages)}, not a list of messages'
            else:
                why = '"messages" is empty'
            self._add(ex.ln, "missing_messages_list", why, ex.findings)
            return None
        extra = ()
        if len(obj) > 1:  # most examples hold "messages" only
            extra = [k for k in obj if k not in CHAT_KEYS]
            if extra:
                self._add(
                    ex.ln, "unrecognized_example_key",
                    f"key {_join(_quote(k) for k in extra[:5])} is not part of the chat format "
                    "(messages, tools, parallel_tool_calls, functions); the API may reject or ignore it",
                    ex.findings,
                )  # fmt: skip
            self._tools(obj, ex, "")
        ex.const += 3
        roles, trained, last_role = self._messages(messages, ex, "message")
        if "assistant" not in roles:
            message = "the example has no assistant message, so there is nothing to learn"
            # a final user turn alone is just an unanswered question; RFT data also has a developer turn or grader keys
            if "developer" in roles or extra:
                hints = []
                if "developer" in roles:
                    hints.append("a developer message")
                if extra:
                    hints.append(f"extra key {_quote(extra[0])}")
                if last_role == "user":
                    hints.append("a final user message")
                message += (
                    f" — it looks like reinforcement fine-tuning (RFT) data ({_join(hints, 'and')}): that format is "
                    "graded rather than imitated and needs method \"reinforcement\" on an RFT model; for "
                    "supervised fine-tuning add the assistant answer to learn"
                )
            self._add(ex.ln, "example_missing_assistant_message", message, ex.findings)
        elif trained == 0:
            self._add(
                ex.ln, "no_trained_messages",
                "every assistant message has weight 0, so the example trains nothing but still costs tokens",
                ex.findings,
            )  # fmt: skip
        if "system" not in roles and "developer" not in roles:
            self._add(ex.ln, "missing_system_message", "the example has no system message", ex.findings)
        if "user" not in roles:
            self._add(ex.ln, "missing_user_message", "the example has no user message", ex.findings)
        if ex.images:
            self._check_images(ex)
        return len(messages)

    def _messages(self, messages: list, ex: _Example, label: str, *, count: bool = True) -> tuple[set, int, str | None]:
        """Check a list of messages; returns the roles seen, the trained assistant count and the last role."""
        roles: set[str] = set()
        fast_kind = _FAST_KIND if ex.kind_override is None else _FAST_KIND_CONTEXT
        texts_append, kinds_append = self.texts.append, self.kinds.append
        trained = 0
        last_role = None
        const = 0
        for i, m in enumerate(messages, 1):
            # Fast path: the common {"role", "content"} message with text content.
            if count and type(m) is dict and len(m) == 2:
                role = m.get("role")
                content = m.get("content")
                if type(content) is str and content and type(role) is str and role in fast_kind:
                    # The role string is counted like any text (see the module docstring).
                    const += 3
                    texts_append(role)
                    kinds_append(_OTHER)
                    texts_append(content)
                    kinds_append(fast_kind[role])
                    if "<|" in content:
                        self._special(ex, content, f"{label} {i} ({role})")
                    roles.add(role)
                    last_role = role
                    if role == "assistant":
                        trained += 1
                    continue
            role = self._message(m, i, ex, label, count)
            if role is not None:
                roles.add(role)
                last_role = role
                if role == "assistant" and (type(m) is not dict or m.get("weight", 1) != 0):
                    trained += 1
        ex.const += const
        return roles, trained, last_role

    def _message(self, m, i: int, ex: _Example, label: str, count: bool) -> str | None:
        """Check one message in full; returns its role when it has a usable one."""
        ln, out = ex.ln, ex.findings
        where = f"{label} {i}"
        if type(m) is not dict:
            self._add(ln, "message_missing_key", f"{where} is {_type_name(m)}, not an object with role and content", out)
            return None
        if "role" not in m:
            self._add(ln, "message_missing_key", f'{where} has no "role"', out)
            return None
        role = m["role"]
        if type(role) is not str or role not in MESSAGE_KEYS:
            self._add(
                ln, "unrecognized_role",
                f"{where} has role {_quote(role)}; expected system, user, assistant, tool or function", out,
            )  # fmt: skip
            if count:
                ex.const += 3
                if type(role) is str:
                    self._text(ex, role, _OTHER, where)
            return None
        where = f"{label} {i} ({role})"
        if role == "developer":
            self._add(
                ln, "developer_role",
                f'{where}: the "developer" role is used by reinforcement fine-tuning; OpenAI has not confirmed '
                'that supervised fine-tuning accepts it — "system" is the safe choice',
                out,
            )  # fmt: skip
        if count:
            ex.const += 3
            self._text(ex, role, _OTHER, where)
        allowed = MESSAGE_KEYS[role]
        for key in m:
            if key in allowed:
                continue
            if key == "weight":
                self._add(ln, "invalid_weight", f"{where} has a weight; only assistant messages can carry one", out)
            elif key == "audio":
                self._add(
                    ln, "message_unrecognized_key", f'{where} has "audio"; fine-tuning accepts text and images only',
                    out,
                )  # fmt: skip
            else:
                self._add(
                    ln, "message_unrecognized_key",
                    f"{where} has key {_quote(key)}, which the API does not accept; a {role} message may have "
                    f"{_join(sorted(allowed))}",
                    out,
                )  # fmt: skip
        kind = _ROLE_KIND.get(role, _OTHER)
        has_call = role == "assistant" and (m.get("tool_calls") is not None or m.get("function_call") is not None)
        self._content(m, role, where, ex, kind, has_call, count)
        if "name" in m:
            name = m["name"]
            if type(name) is not str or not name:
                self._add(ln, "message_unrecognized_key", f'{where} has a "name" that is not a non-empty string', out)
            else:
                if count:
                    ex.const += 1
                self._text(ex, name, _OTHER, f"{where} name", count)
        elif role == "function":
            self._add(ln, "message_missing_key", f'{where} has no "name" (a function message names its function)', out)
        if role == "assistant":
            if "weight" in m:
                weight = m["weight"]
                if type(weight) is not int or weight not in (0, 1):
                    self._add(ln, "invalid_weight", f"{where} has weight {_quote(weight)}; it must be 0 or 1", out)
            if "refusal" in m and m["refusal"] is not None:
                if type(m["refusal"]) is not str:
                    self._add(ln, "missing_content", f'{where} has a "refusal" that is not a string', out)
                else:
                    self._text(ex, m["refusal"], kind, f"{where} refusal", count)
            if m.get("tool_calls") is not None:
                self._tool_calls(m["tool_calls"], where, ex, count)
            if m.get("function_call") is not None:
                self._function_call(m["function_call"], where, ex, count)
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if type(call_id) is not str or not call_id:
                self._add(
                    ln, "unmatched_tool_message",
                    f'{where} has no "tool_call_id"; a tool message answers an earlier assistant tool call', out,
                )  # fmt: skip
            else:
                if ex.call_ids is None or call_id not in ex.call_ids:
                    self._add(
                        ln, "unmatched_tool_message",
                        f"{where} answers tool_call_id {_quote(call_id)}, but no earlier assistant message in this "
                        "example made a call with that id",
                        out,
                    )  # fmt: skip
                self._text(ex, call_id, _OTHER, f"{where} tool_call_id", count)
        return role

    def _content(self, m: dict, role: str, where: str, ex: _Example, kind: int, has_call: bool, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        content = m.get("content")
        if content is None:
            if not has_call:
                missing = "has no content" if "content" not in m else "has null content"
                self._add(ln, "missing_content", f"{where} {missing}", out)
            return
        if type(content) is str:
            if not content and not has_call:
                self._add(ln, "missing_content", f"{where} has empty content", out)
            elif content:
                self._text(ex, content, kind, where, count)
            return
        if type(content) is not list:
            self._add(
                ln, "missing_content",
                f"{where} content is {_type_name(content)}; expected a string or a list of content parts", out,
            )  # fmt: skip
            return
        if not content and not has_call:
            self._add(ln, "missing_content", f"{where} has an empty content list", out)
            return
        for j, part in enumerate(content, 1):
            part_where = f"{where} content part {j}"
            if type(part) is not dict:
                self._add(ln, "missing_content", f"{part_where} is {_type_name(part)}, not an object", out)
                continue
            part_type = part.get("type")
            if part_type == "text":
                text = part.get("text")
                if type(text) is not str:
                    self._add(ln, "missing_content", f'{part_where} has no "text" string', out)
                elif text:
                    self._text(ex, text, kind, part_where, count)
            elif part_type == "image_url":
                self._image_part(part, role, part_where, ex, count)
            elif part_type == "refusal" and role == "assistant":
                text = part.get("refusal")
                if type(text) is not str:
                    self._add(ln, "missing_content", f'{part_where} has no "refusal" string', out)
                else:
                    self._text(ex, text, kind, part_where, count)
            else:
                accepted = "text and image_url" if role == "user" else "text"
                if role == "assistant":
                    accepted = "text and refusal"
                self._add(
                    ln, "missing_content",
                    f"{part_where} has type {_quote(part_type)}; a {role} message accepts {accepted} parts "
                    "(fine-tuning takes text and images only)",
                    out,
                )  # fmt: skip

    def _image_part(self, part: dict, role: str, where: str, ex: _Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if role != "user":
            self._add(ln, "invalid_image", f"{where} is an image; only user messages may contain images", out)
            return
        ex.images += 1
        spec = part.get("image_url")
        url = spec.get("url") if type(spec) is dict else spec if type(spec) is str else None
        detail = spec.get("detail", "auto") if type(spec) is dict else "auto"
        if type(url) is not str or not url:
            self._add(ln, "invalid_image", f'{where} has no "image_url.url"', out)
            return
        if detail not in IMAGE_DETAILS:
            self._add(ln, "invalid_image", f"{where} has detail {_quote(detail)}; expected low, high or auto", out)
            detail = "auto"
        size = None
        if url.startswith("data:"):
            parsed = parse_data_uri(url)
            if parsed is None:
                self._add(
                    ln, "invalid_image",
                    f"{where} is a data URI that is not a base64 image (expected data:image/png;base64,...)", out,
                )  # fmt: skip
                return
            subtype, n_bytes, head = parsed
            sniffed, size = sniff_image(head)
            if subtype not in ACCEPTED_IMAGE_TYPES:
                self._add(
                    ln, "image_skipped",
                    f"{where} is image/{subtype}; OpenAI accepts JPEG, PNG and WEBP and skips other images", out,
                )  # fmt: skip
            elif sniffed is None or sniffed != ACCEPTED_IMAGE_TYPES[subtype]:
                self._add(
                    ln, "image_skipped",
                    f"{where} says image/{subtype} but its bytes are "
                    f"{'not a recognised image' if sniffed is None else sniffed}; OpenAI skips invalid images",
                    out,
                )  # fmt: skip
            if self.max_image_bytes and n_bytes > self.max_image_bytes:
                self._add(
                    ln, "image_skipped",
                    f"{where} is {n_bytes / 1e6:.1f} MB, over the {self.max_image_bytes / 1e6:.0f} MB image "
                    "limit; OpenAI skips it",
                    out,
                )  # fmt: skip
        elif not url.startswith(("https://", "http://")):
            self._add(ln, "invalid_image", f"{where} url is neither an http(s) URL nor a data URI", out)
            return
        if count:
            ex.const += image_tokens(detail, size)

    def _check_images(self, ex: _Example) -> None:
        if self.max_images and ex.images > self.max_images:
            self._add(
                ex.ln, "invalid_image",
                f"the example has {ex.images} images; at most {self.max_images} are allowed per example",
                ex.findings,
            )  # fmt: skip

    def _arguments(self, args, where: str, ex: _Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(args) is not str:
            self._add(
                ln, "invalid_tool_call",
                f'{where} "arguments" is {_type_name(args)}; it must be a JSON-encoded string such as '
                '"{\\"city\\": \\"Paris\\"}"',
                out,
            )  # fmt: skip
            return
        try:
            decoded = orjson.loads(args)
        except orjson.JSONDecodeError:
            self._add(ln, "invalid_tool_call", f'{where} "arguments" is not valid JSON: {_quote(args, 60)}', out)
        else:
            if type(decoded) is str:
                self._add(
                    ln, "invalid_tool_call",
                    f'{where} "arguments" is JSON-encoded twice (a JSON string holding {_quote(decoded, 50)}); '
                    "it must encode an object once",
                    out,
                )  # fmt: skip
            elif type(decoded) is not dict:
                self._add(
                    ln, "invalid_tool_call",
                    f'{where} "arguments" encodes {_type_name(decoded)}; it must encode a JSON object', out,
                )  # fmt: skip
        self._text(ex, args, _ASSISTANT if ex.kind_override is None else ex.kind_override, f"{where} arguments", count)

    def _tool_calls(self, calls, where: str, ex: _Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(calls) is not list or not calls:
            self._add(ln, "invalid_tool_call", f'{where} "tool_calls" must be a non-empty list of calls', out)
            return
        if ex.call_ids is None:
            ex.call_ids = set()
        for k, call in enumerate(calls, 1):
            call_where = f"{where} tool call {k}"
            if type(call) is not dict:
                self._add(ln, "invalid_tool_call", f"{call_where} is {_type_name(call)}, not an object", out)
                continue
            call_id = call.get("id")
            if type(call_id) is not str or not call_id:
                self._add(ln, "invalid_tool_call", f'{call_where} has no "id" string', out)
            else:
                ex.call_ids.add(call_id)
                self._text(ex, call_id, _OTHER, f"{call_where} id", count)
            if call.get("type") != "function":
                self._add(ln, "invalid_tool_call", f'{call_where} has type {_quote(call.get("type"))}; expected "function"', out)
            function = call.get("function")
            if type(function) is not dict:
                self._add(ln, "invalid_tool_call", f'{call_where} has no "function" object', out)
                continue
            name = function.get("name")
            if type(name) is not str or not name:
                self._add(ln, "invalid_tool_call", f'{call_where} has no function "name"', out)
            else:
                self._text(ex, name, _ASSISTANT if ex.kind_override is None else ex.kind_override, f"{call_where} name", count)
                self._check_defined(name, call_where, ex)
            self._arguments(function.get("arguments"), call_where, ex, count)

    def _function_call(self, call, where: str, ex: _Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if type(call) is not dict:
            self._add(ln, "invalid_tool_call", f'{where} "function_call" is {_type_name(call)}, not an object', out)
            return
        name = call.get("name")
        if type(name) is not str or not name:
            self._add(ln, "invalid_tool_call", f'{where} function_call has no "name"', out)
        else:
            self._text(ex, name, _ASSISTANT if ex.kind_override is None else ex.kind_override, f"{where} function_call name", count)
            self._check_defined(name, f"{where} function_call", ex)
        self._arguments(call.get("arguments"), f"{where} function_call", ex, count)

    def _check_defined(self, name: str, where: str, ex: _Example) -> None:
        if ex.tool_names is not None and name not in ex.tool_names:
            self._add(
                ex.ln, "undefined_tool",
                f"{where} calls {_quote(name)}, which is not among the functions this example defines "
                f"({_join(sorted(_quote(n) for n in ex.tool_names)[:8], 'and') if ex.tool_names else 'none'})",
                ex.findings,
            )  # fmt: skip

    # ------------------------------------------------------------------ tools

    def _tools(self, container: dict, ex: _Example, prefix: str) -> None:
        """Check and count top-level ``tools`` / ``functions`` / ``parallel_tool_calls`` (cached by content)."""
        tools = container.get("tools")
        functions = container.get("functions")
        parallel = container.get("parallel_tool_calls")
        if tools is None and functions is None and parallel is None:
            return
        try:
            key = orjson.dumps([tools, functions, parallel])
        except (TypeError, orjson.JSONEncodeError):  # pragma: no cover - parsed JSON always re-encodes
            key = None
        cached = self.tools_cache.get(key) if key is not None else None
        if cached is None:
            cached = self._check_tools(tools, functions, parallel, prefix)
            if key is not None and len(self.tools_cache) < 256:
                self.tools_cache[key] = cached
        problems, const, strings, names = cached
        ex.tool_names = names
        for code, message in problems:
            self._add(ex.ln, code, message, ex.findings)
        ex.const += const
        for text, where in strings:
            self._text(ex, text, _OTHER, where)

    def _check_tools(self, tools, functions, parallel, prefix: str) -> tuple:
        problems: list[tuple[str, str]] = []
        strings: list[tuple[str, str]] = []
        c = self.tool_constants
        const = 0
        definitions = []
        if parallel is not None and type(parallel) is not bool:
            problems.append(("invalid_tools", f'{prefix}"parallel_tool_calls" must be true or false'))
        if tools is not None:
            if type(tools) is not list:
                problems.append(("invalid_tools", f'{prefix}"tools" is {_type_name(tools)}; expected a list'))
            else:
                for k, tool in enumerate(tools, 1):
                    if type(tool) is not dict or tool.get("type") != "function" or type(tool.get("function")) is not dict:
                        problems.append((
                            "invalid_tools",
                            f'{prefix}tool {k} must be {{"type": "function", "function": {{"name": ..., '
                            '"parameters": ...}}',
                        ))  # fmt: skip
                        continue
                    definitions.append((f"{prefix}tool {k}", tool["function"]))
        if functions is not None:
            if type(functions) is not list or not functions:
                problems.append(("invalid_tools", f'{prefix}"functions" must be a non-empty list'))
            else:
                if len(functions) > 128:
                    problems.append(("invalid_tools", f'{prefix}"functions" has {len(functions)} entries; at most 128'))
                for k, function in enumerate(functions, 1):
                    if type(function) is not dict:
                        problems.append(("invalid_tools", f"{prefix}function {k} is {_type_name(function)}, not an object"))
                        continue
                    definitions.append((f"{prefix}function {k}", function))
        for where, function in definitions:
            name = function.get("name")
            if type(name) is not str or not name or len(name) > 64 or not all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in name):
                problems.append((
                    "invalid_tools",
                    f"{where} has name {_quote(name)}; a function name is 1-64 letters, digits, _ or -",
                ))  # fmt: skip
                name = name if type(name) is str else ""
            description = function.get("description", "")
            if type(description) is not str:
                problems.append(("invalid_tools", f'{where} "description" must be a string'))
                description = ""
            parameters = function.get("parameters")
            if parameters is not None and type(parameters) is not dict:
                problems.append(("invalid_tools", f'{where} "parameters" must be a JSON Schema object'))
                parameters = None
            const += c["func_init"]
            strings.append((f"{name}:{description.removesuffix('.')}", where))
            properties = parameters.get("properties") if parameters else None
            if type(properties) is dict and properties:
                const += c["prop_init"]
                for prop_key, prop in properties.items():
                    const += c["prop_key"]
                    prop = prop if type(prop) is dict else {}
                    prop_type = prop.get("type", "")
                    prop_type = prop_type if type(prop_type) is str else orjson.dumps(prop_type).decode()
                    prop_desc = prop.get("description", "")
                    prop_desc = prop_desc if type(prop_desc) is str else ""
                    enum = prop.get("enum")
                    if type(enum) is list:
                        const += c["enum_init"]
                        for item in enum:
                            const += c["enum_item"]
                            strings.append((item if type(item) is str else orjson.dumps(item).decode(), where))
                    strings.append((f"{prop_key}:{prop_type}:{prop_desc.removesuffix('.')}", where))
        if definitions:
            const += c["func_end"]
        names = frozenset(f.get("name") for _, f in definitions if type(f.get("name")) is str)
        return problems, const, strings, names if definitions else None

    # ------------------------------------------------------------------ DPO

    def _dpo(self, obj: dict, ex: _Example) -> int | None:
        ln, out = ex.ln, ex.findings
        if "preferred_completion" in obj or "non_preferred_completion" in obj:
            self._add(
                ln, "invalid_dpo",
                'the keys are "preferred_completion"/"non_preferred_completion"; OpenAI\'s DPO format names them '
                '"preferred_output" and "non_preferred_output"',
                out,
            )  # fmt: skip
        extra = [k for k in obj if k not in DPO_KEYS and k not in ("preferred_completion", "non_preferred_completion")]
        if extra:
            self._add(
                ln, "unrecognized_example_key",
                f"key {_join(_quote(k) for k in extra[:5])} is not part of the DPO format "
                "(input, preferred_output, non_preferred_output); the API may reject or ignore it",
                out,
            )  # fmt: skip
        source = obj.get("input")
        messages = source.get("messages") if type(source) is dict else None
        if type(source) is not dict:
            shown = "missing" if "input" not in obj else _type_name(source)
            self._add(
                ln, "invalid_dpo",
                f'"input" is {shown}; it must be an object {{"messages": [...]}} holding the prompt messages', out,
            )  # fmt: skip
        elif type(messages) is not list or not messages:
            self._add(ln, "invalid_dpo", '"input.messages" must be a non-empty list of messages', out)
            messages = None
        outputs = {}
        for side in ("preferred_output", "non_preferred_output"):
            value = obj.get(side)
            if side not in obj:
                self._add(ln, "invalid_dpo", f'"{side}" is missing', out)
            elif type(value) is not list or len(value) != 1:
                shown = f"a list of {len(value)}" if type(value) is list else _type_name(value)
                self._add(
                    ln, "invalid_dpo",
                    f'"{side}" is {shown}; it must be a list of exactly one assistant message, '
                    '[{"role": "assistant", "content": "..."}]',
                    out,
                )  # fmt: skip
            elif type(value[0]) is not dict or value[0].get("role") != "assistant":
                self._add(ln, "invalid_dpo", f'"{side}" must hold one message with role "assistant"', out)
            else:
                outputs[side] = value[0]
        if type(source) is dict:
            extra_input = [k for k in source if k not in DPO_INPUT_KEYS]
            if extra_input:
                self._add(
                    ln, "unrecognized_example_key",
                    f"input key {_join(_quote(k) for k in extra_input[:5])} is not part of the DPO format", out,
                )  # fmt: skip
        if messages is None:
            return None
        self._tools(source, ex, "input ")
        ex.const += 3
        ex.kind_override = _OTHER  # the input's assistant turns are context, not the trained answer
        _, _, last_role = self._messages(messages, ex, "input message")
        ex.kind_override = None
        if last_role == "assistant":
            self._add(
                ln, "invalid_dpo",
                "input.messages ends with an assistant message; the preferred and non-preferred outputs must be "
                "the answer to the last input message",
                out,
            )  # fmt: skip
        if ex.images:
            self._add(ln, "invalid_dpo", "DPO supports text only; input.messages contains an image", out)
        for side, label in (("preferred_output", "preferred output"), ("non_preferred_output", "non-preferred output")):
            message = outputs.get(side)
            if message is None:
                continue
            count = side == "preferred_output"
            images_before = ex.images
            self._message(message, 1, ex, label, count)
            if ex.images != images_before:
                self._add(ln, "invalid_dpo", f"DPO supports text only; the {label} contains an image", out)
        preferred, rejected = outputs.get("preferred_output"), outputs.get("non_preferred_output")
        if preferred is not None and rejected is not None and preferred.get("content") == rejected.get("content") \
                and preferred.get("tool_calls") == rejected.get("tool_calls"):  # fmt: skip
            self._add(
                ln, "dpo_identical_outputs",
                "the preferred and non-preferred outputs are identical, so the pair teaches no preference", out,
            )  # fmt: skip
        return len(messages) + (1 if "preferred_output" in outputs else 0)

    # ------------------------------------------------------------------ prompt / completion

    def _prompt_completion(self, obj: dict, ex: _Example) -> int | None:
        ln, out = ex.ln, ex.findings
        usable = True
        for key in PROMPT_COMPLETION_KEYS:
            if key not in obj:
                usable = False
                alternatives = [k for k in obj if k not in PROMPT_COMPLETION_KEYS]
                hint = f'; rename {_quote(alternatives[0])} to "{key}"' if len(alternatives) == 1 else ""
                self._add(ln, "invalid_prompt_completion", f'there is no "{key}"{hint}', out)
            elif type(obj[key]) is not str:
                usable = False
                self._add(ln, "invalid_prompt_completion", f'"{key}" is {_type_name(obj[key])}; it must be a string', out)
        extra = [k for k in obj if k not in PROMPT_COMPLETION_KEYS]
        if usable and extra:
            self._add(
                ln, "unrecognized_example_key",
                f"key {_join(_quote(k) for k in extra[:5])} is not part of the prompt/completion format", out,
            )  # fmt: skip
        if not usable:
            return None
        self._text(ex, obj["prompt"], _OTHER, '"prompt"')
        self._text(ex, obj["completion"], _ASSISTANT, '"completion"')
        return 0

    # ------------------------------------------------------------------ the report

    def finish(self, name: str, sha256: str, n_lines: int, n_epochs: int | None, whole_file_empty: bool) -> Report:
        valid = [t for t in self.per_example if t is not None]
        error_lines = {f.line for f in self.errors if f.line is not None}
        n_valid = sum(1 for i, t in enumerate(self.per_example, 1) if t is not None and i not in error_lines)
        limits = self.catalog.limits
        unreadable = any(f.line is None for f in self.errors)  # file_too_large, or not a text file
        pieces = sum(1 for f in self.errors if f.code == "invalid_json" and f.message.endswith(_PRETTY_PRINTED))
        if pieces >= 3:
            self._file(
                "invalid_json",
                f"{pieces} lines are pieces of JSON objects spread over several lines: the file looks like "
                "pretty-printed JSON, not JSONL; write each example on one line (json.dumps(example) per line)",
            )
        if self.is_validation_file and not unreadable and n_valid == 0:
            self._file(
                "too_few_examples",
                "the validation file has no valid examples; add some (or launch without a validation file)",
            )
        if not self.is_validation_file and not unreadable:
            if whole_file_empty:
                self._file(
                    "too_few_examples",
                    f"the file is empty: it has no examples; fine-tuning needs at least {limits['min_examples']}",
                )
            elif n_valid < limits["min_examples"]:
                self._file(
                    "too_few_examples",
                    f"the file has {n_valid} valid example{'s' if n_valid != 1 else ''}; fine-tuning needs at least "
                    f"{limits['min_examples']}",
                )
            if n_valid < limits["recommended_examples"]:  # every file under 50, the ones under 10 too
                self._file(
                    "small_dataset",
                    f"the file has {n_valid} valid example{'s' if n_valid != 1 else ''}; results usually start to "
                    f"improve from about {limits['recommended_examples']}",
                )
        if self.info.is_retired(catalog_module.today()):
            self._file(
                "model_retired",
                f"{self.info.id} was shut down on {self.info.shutdown_date.isoformat()}; new jobs cannot use it "
                "(the file is still checked)",
            )
        method = jobspec.FORMAT_METHOD.get(self.format or "")
        if method is not None and not jobspec.takes_format(self.info, self.format):
            if method not in self.info.methods:
                self._file(
                    "format_not_supported_by_model",
                    f"this is {_FORMAT_LABEL[self.format]} data for {method} training, but {self.info.id} is not "
                    f"listed for it (it supports {_join(self.info.methods) if self.info.methods else 'no'} training)",
                )
            else:  # the model trains with this method on another format (chat versus legacy prompt/completion)
                wanted = _join([_FORMAT_LABEL[f] for f in jobspec.formats_for_method(self.info, method)])
                others = _join([m.id for m in jobspec.models_for_format(self.format)] or ["no listed model"])
                self._file(
                    "format_not_supported_by_model",
                    f"this is {_FORMAT_LABEL[self.format]} data, but {method} training of {self.info.id} reads {wanted} "
                    f"examples only ({_FORMAT_LABEL[self.format]} data is for {others})",
                )
        if self.image_examples:
            vision = [m.id for m in self.catalog.models.values() if m.vision]
            if not self.info.vision:
                self._file(
                    "images_need_vision_model",
                    f"{self.image_examples} example{'s' if self.image_examples != 1 else ''} contain images, but "
                    f"{self.info.id} is not listed for vision fine-tuning ({_join(vision) if vision else 'no model'} is)",
                )
            max_image_examples = limits.get("max_image_examples")
            if max_image_examples and self.image_examples > max_image_examples:
                self._file(
                    "invalid_image",
                    f"{self.image_examples:,} examples contain images; at most {max_image_examples:,} are allowed",
                )
        examples = self.examples
        total = int(sum(valid))
        assistant_total = int(sum(a for a in self.assistant if a is not None))
        if n_epochs is None:
            epochs, estimate = catalog_module.auto_epochs(examples), True
        else:
            epochs, estimate = n_epochs, False
        limit = self.limit
        billed_per_epoch = int(sum(min(t, limit) for t in valid)) if limit is not None else total
        if self.is_validation_file:  # "we don't charge for tokens used for training validation"
            billed_per_epoch = 0
        billed = billed_per_epoch * epochs
        price = self.info.training_per_1m
        cost = round(billed * price / 1_000_000, 6) if price is not None else None
        order = {code: i for i, code in enumerate(ERROR_CODES + WARNING_CODES)}
        self.errors.sort(key=lambda f: (f.line or 0, order[f.code]))
        self.warnings.sort(key=lambda f: (f.line or 0, order[f.code]))
        return Report(
            name=name,
            sha256=sha256,
            format=self.format or "unknown",
            model=self.model,
            encoding=self.encoding,
            training_limit=limit,
            lines=n_lines,
            examples=examples,
            errors=self.errors,
            warnings=self.warnings,
            per_example_tokens=self.per_example,
            assistant_tokens=self.assistant,
            system_tokens=self.system,
            n_messages=self.n_messages,
            total_tokens=total,
            assistant_total=assistant_total,
            stats=_stats(valid),
            n_epochs=epochs,
            n_epochs_is_estimate=estimate,
            billed_tokens_per_epoch=billed_per_epoch,
            billed_tokens=billed,
            training_cost_usd=cost,
            price_as_of=self.info.training_as_of,
            duplicates=self.duplicates,
            overlap=[],
            counter=tokens.fast_counter_name(),
            is_validation_file=self.is_validation_file,
        )


def _stats(values: list[int]) -> dict:
    """min, max, mean, median and the true 5th / 95th percentiles (linear interpolation)."""
    if not values:
        return {"min": None, "max": None, "mean": None, "median": None, "p5": None, "p95": None}
    array = np.asarray(values, dtype=np.float64)
    p5, median, p95 = np.percentile(array, [5, 50, 95])
    return {
        "min": int(array.min()),
        "max": int(array.max()),
        "mean": round(float(array.mean()), 2),
        "median": float(median),
        "p5": round(float(p5), 2),
        "p95": round(float(p95), 2),
    }


# --------------------------------------------------------------------------- reading


def _blocks_from_bytes(data: bytes, block_bytes: int | None = None):
    """Yield (lines, start offset, end offset) blocks covering ``data``; a final newline adds no line."""
    block_bytes = block_bytes or _BLOCK_BYTES
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", min(start + block_bytes, size - 1))
        end = size if end == -1 else end + 1
        chunk = data[start:end]
        lines = chunk.split(b"\n")
        if chunk.endswith(b"\n"):
            lines.pop()
        yield lines, start, end, chunk
        start = end


def _blocks_from_file(f, block_bytes: int | None = None, on_chunk: Callable[[bytes], object] | None = None):
    """Like :func:`_blocks_from_bytes`, reading a binary file object block by block."""
    block_bytes = block_bytes or _BLOCK_BYTES
    unfinished: list[bytes] = []  # pieces of a line longer than a block, joined once it ends
    offset = 0
    while True:
        chunk = f.read(block_bytes)
        if on_chunk is not None and chunk:
            on_chunk(chunk)
        if not chunk:
            if unfinished:
                tail = b"".join(unfinished)
                yield [tail], offset, offset + len(tail), tail
            return
        cut = chunk.rfind(b"\n")
        if cut == -1:
            unfinished.append(chunk)
            continue
        body = b"".join([*unfinished, chunk[:cut]]) if unfinished else chunk[:cut]
        unfinished = [chunk[cut + 1 :]] if cut + 1 < len(chunk) else []
        yield body.split(b"\n"), offset, offset + len(body) + 1, body
        offset += len(body) + 1


def _count_lines(chunks) -> int:
    """Physical lines in a stream of byte chunks (a final newline adds no line)."""
    newlines, last = 0, b"\n"
    for chunk in chunks:
        if chunk:
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return newlines + (last != b"\n")


class _BytesSource:
    """An in-memory file for :func:`_scan`."""

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)
        self.head = data[:_SNIFF_BYTES]
        self._sha = None

    def blocks(self, worker: ThreadPoolExecutor):
        self._hash_on(worker)
        return _blocks_from_bytes(self.data)

    def count_lines(self, worker: ThreadPoolExecutor) -> int:
        self._hash_on(worker)
        return _count_lines([self.data])

    def _hash_on(self, worker: ThreadPoolExecutor) -> None:
        # hashlib releases the GIL on large inputs, so hashing overlaps the checks.
        self._sha = worker.submit(lambda: hashlib.sha256(self.data).hexdigest())

    def sha256(self) -> str:
        return self._sha.result()


class _FileSource:
    """A file on disk for :func:`_scan`, read once, block by block."""

    def __init__(self, f, size: int):
        self.f = f
        self.size = size
        self.head = f.read(_SNIFF_BYTES)
        f.seek(0)
        self._sha = hashlib.sha256()

    def blocks(self, worker: ThreadPoolExecutor):
        # The worker hashes each chunk in order, between token counts.
        return _blocks_from_file(self.f, on_chunk=lambda chunk: worker.submit(self._sha.update, chunk))

    def count_lines(self, worker: ThreadPoolExecutor) -> int:
        def chunks():
            for chunk in iter(lambda: self.f.read(_BLOCK_BYTES), b""):
                worker.submit(self._sha.update, chunk)
                yield chunk

        return _count_lines(chunks())

    def sha256(self) -> str:
        return self._sha.hexdigest()


def _scan(source, *, model: str, n_epochs, name: str, progress, is_validation_file: bool = False) -> Report:
    """Check every block of ``source`` (a :class:`_BytesSource` or :class:`_FileSource`)."""
    epochs = _resolve_epochs(n_epochs)
    scanner = _Scanner(model, is_validation_file=is_validation_file)
    max_bytes = scanner.catalog.limits["max_file_bytes"]
    total_bytes = source.size
    n_lines = 0
    whole_file_empty = False
    # One worker thread loads the tokenizer, hashes the file and counts block N (toktok and hashlib
    # release the GIL) while this thread checks block N+1.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-counter") as worker:
        file_reason = None
        if total_bytes > max_bytes:
            file_reason = "file_too_large", (
                f"the file is {total_bytes / 2**20:,.0f} MB; the Files API accepts at most "
                f"{max_bytes / 2**20:,.0f} MB per file, so its lines were not checked — split it into smaller files"
            )
        elif (kind := _sniff_file_kind(source.head)) is not None:
            file_reason = "encoding_error", kind
        if file_reason is not None:
            n_lines = source.count_lines(worker)  # lines are counted, not parsed
            for column in (scanner.per_example, scanner.assistant, scanner.system, scanner.n_messages):
                column.extend([None] * n_lines)
            scanner._file(*file_reason)
        else:
            worker.submit(tokens.count_many, list(MESSAGE_KEYS), scanner.encoding)  # loads the vocabulary early
            whole_file_empty = True
            # Settle blocks as their counts finish; run ahead by at most _MAX_PENDING_BLOCKS (memory),
            # which keeps this thread busy while the worker loads the vocabulary.
            pending: deque[_Block] = deque()
            for lines, _, end, raw_block in source.blocks(worker):
                if whole_file_empty and any(line.strip() for line in lines):
                    whole_file_empty = False
                pending.append(scanner.feed(lines, n_lines + 1, worker, raw_block))
                n_lines += len(lines)
                while pending and (pending[0].future.done() or len(pending) > _MAX_PENDING_BLOCKS):
                    scanner.settle(pending.popleft())
                if progress is not None:
                    progress(min(1.0, end / total_bytes) if total_bytes else 1.0)
            while pending:
                scanner.settle(pending.popleft())
    if whole_file_empty:  # an empty file is one finding, not a blank_line per line
        scanner.errors = [f for f in scanner.errors if f.code != "blank_line"]
    return scanner.finish(name, source.sha256(), n_lines, epochs, whole_file_empty)


def _attach_validation(report: Report, validation: Report) -> None:
    report.validation = validation
    if validation.format not in (report.format, "unknown") and report.format != "unknown":
        report.errors.append(Finding(
            None, "mixed_formats",
            f"the validation file is {_FORMAT_LABEL[validation.format]} but the training file is "
            f"{_FORMAT_LABEL[report.format]}; both must use the same format",
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
    report = _scan(_BytesSource(data), model=model, n_epochs=n_epochs, name=name, progress=progress)
    if validation is not None:
        validation = bytes(validation)
        other = _scan(
            _BytesSource(validation), model=model, n_epochs=n_epochs, name=validation_name, progress=None,
            is_validation_file=True,
        )  # fmt: skip
        _attach_validation(report, other)
        _find_overlap(report, lambda: _line_keys_from_bytes(data, report), lambda: _line_keys_from_bytes(validation, other))
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
        _find_overlap(report, lambda: _line_keys_from_path(path, report), lambda: _line_keys_from_path(validation, other))
    return report


def _open(path: Path):
    if not path.exists():
        raise FileUnreadable(f"{path}: no such file")
    if path.is_dir():
        raise FileUnreadable(f"{path}: is a folder, not a file")
    try:
        return path.open("rb")
    except OSError as exc:
        raise FileUnreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _scan_path(path: Path, *, model, n_epochs, name, progress, is_validation_file: bool = False) -> Report:
    with _open(path) as f:
        try:
            source = _FileSource(f, path.stat().st_size)
            return _scan(
                source, model=model, n_epochs=n_epochs, name=name, progress=progress,
                is_validation_file=is_validation_file,
            )  # fmt: skip
        except OSError as exc:
            raise FileUnreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None


# --------------------------------------------------------------------------- overlap


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
    return _line_keys(_blocks_from_bytes(data), report)


def _line_keys_from_path(path: Path, report: Report) -> dict:
    with _open(path) as f:
        return _line_keys(_blocks_from_file(f), report)


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
    report.warnings.sort(key=lambda f: (f.line or 0))


# --------------------------------------------------------------------------- editing helpers


def _physical_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return lines


def clean_jsonl(data: bytes, report: Report, *, dedupe: bool = False) -> bytes:
    """The good lines of ``data``, byte-exact, one per line with a final newline.

    Drops lines with errors, blank lines and lines that are not examples
    (and later duplicates of an earlier line when ``dedupe``).
    """
    bad = report.error_lines
    keep = []
    for ln, raw in enumerate(_physical_lines(data), 1):
        if ln in bad or not raw.strip():
            continue
        if ln > len(report.per_example_tokens) or report.per_example_tokens[ln - 1] is None:
            continue
        if dedupe and ln in report.duplicates:
            continue
        keep.append(raw)
    return b"".join(line + b"\n" for line in keep)


def split_jsonl(data: bytes, report: Report, *, validation_fraction: float, seed: int) -> tuple[bytes, bytes]:
    """A seeded (train, validation) split of the good lines.

    Identical lines always land on the same side, so the split never creates a
    train/validation overlap. Each side keeps the file's line order.
    """
    if not 0 < validation_fraction < 1:
        raise ValueError("validation_fraction must be between 0 and 1")
    bad = report.error_lines
    groups: dict[int, list[tuple[int, bytes]]] = {}
    for ln, raw in enumerate(_physical_lines(data), 1):
        if ln in bad or not raw.strip():
            continue
        if ln > len(report.per_example_tokens) or report.per_example_tokens[ln - 1] is None:
            continue
        groups.setdefault(report.duplicates.get(ln, ln), []).append((ln, raw))
    heads = sorted(groups)
    random.Random(seed).shuffle(heads)
    n_lines = sum(len(g) for g in groups.values())
    target = max(1, round(n_lines * validation_fraction)) if n_lines > 1 else 0
    chosen: set[int] = set()
    taken = 0
    for head in heads:
        if taken >= target:
            break
        chosen.add(head)
        taken += len(groups[head])
    train, valid = [], []
    for head, members in groups.items():
        (valid if head in chosen else train).extend(members)
    train.sort()
    valid.sort()
    return b"".join(r + b"\n" for _, r in train), b"".join(r + b"\n" for _, r in valid)


def read_example(data: bytes, line: int) -> dict | None:
    """The parsed object on physical ``line`` (1-based) of ``data``, or None if it is not a JSON object."""
    if line < 1:
        return None
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start)
        if start == -1:
            return None
        start += 1
    end = data.find(b"\n", start)
    raw = data[start:] if end == -1 else data[start:end]
    if start >= len(data) and not raw:
        return None
    try:
        obj = orjson.loads(raw)
    except (orjson.JSONDecodeError, RecursionError):
        return None
    return obj if type(obj) is dict else None


def _bubble_text(content) -> tuple[str, int]:
    """(text, number of images) of a message content of any shape."""
    if content is None:
        return "", 0
    if type(content) is str:
        return content, 0
    if type(content) is list:
        texts, images = [], 0
        for part in content:
            if type(part) is dict:
                if part.get("type") == "image_url":
                    images += 1
                elif type(part.get("text")) is str:
                    texts.append(part["text"])
                elif type(part.get("refusal")) is str:
                    texts.append(part["refusal"])
            elif type(part) is str:
                texts.append(part)
        return "\n".join(texts), images
    return _quote(content, 200), 0


def _bubble(message) -> dict:
    if type(message) is not dict:
        return {"role": "unknown", "text": _quote(message, 200)}
    role = message.get("role")
    text, images = _bubble_text(message.get("content"))
    bubble = {"role": role if type(role) is str else "unknown", "text": text}
    if "weight" in message:
        bubble["weight"] = message["weight"]
    calls = []
    for call in message.get("tool_calls") or [] if type(message.get("tool_calls")) is list else []:
        function = call.get("function") if type(call) is dict else None
        if type(function) is dict:
            calls.append({"name": function.get("name"), "arguments": function.get("arguments")})
    if type(message.get("function_call")) is dict:
        calls.append({"name": message["function_call"].get("name"), "arguments": message["function_call"].get("arguments")})
    if calls:
        bubble["tool_calls"] = calls
    if images:
        bubble["images"] = images
    if type(message.get("name")) is str:
        bubble["name"] = message["name"]
    if type(message.get("tool_call_id")) is str:
        bubble["tool_call_id"] = message["tool_call_id"]
    return bubble


def conversation(example: dict) -> list[dict]:
    """Chat bubbles ``[{role, text, weight?, tool_calls?, images?, ...}]`` for any format; never raises.

    DPO gives the input messages, then the preferred and the non-preferred answer
    (marked with ``preference``); prompt/completion gives a user and an assistant bubble.
    """
    if type(example) is not dict:
        return []
    if type(example.get("messages")) is list:
        return [_bubble(m) for m in example["messages"]]
    if any(k in example for k in ("input", "preferred_output", "non_preferred_output")):
        bubbles = []
        source = example.get("input")
        if type(source) is dict and type(source.get("messages")) is list:
            bubbles = [_bubble(m) for m in source["messages"]]
        elif type(source) is str:
            bubbles = [{"role": "user", "text": source}]
        for side, preference in (("preferred_output", "preferred"), ("non_preferred_output", "non_preferred")):
            value = example.get(side)
            messages = value if type(value) is list else [{"role": "assistant", "content": value}] if value is not None else []
            for message in messages:
                bubble = _bubble(message)
                bubble["preference"] = preference
                bubbles.append(bubble)
        return bubbles
    if "prompt" in example or "completion" in example:
        bubbles = []
        for key, role in (("prompt", "user"), ("completion", "assistant")):
            value = example.get(key)
            if value is not None:
                bubbles.append({"role": role, "text": value if type(value) is str else _quote(value, 200)})
        return bubbles
    return []
