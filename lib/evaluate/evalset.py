"""The evaluation set: prompts and references from a chat fine-tuning JSONL file.

For each example the **prompt** is every message before the last assistant message and the
**reference** is that assistant message (its text, or its ``tool_calls``). Examples the project's
validator rejects, or that have no assistant message, are skipped with their line numbers and
never sent. ``limit`` and ``seed`` take the same seeded random sample for every candidate.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from lib.validate import validate_bytes

if TYPE_CHECKING:  # pragma: no cover
    from lib.evaluate.recording import Recording

# Findings about the file as a training file, not about an example's content: an evaluation set
# may be small or long, and these never make an example unusable as a prompt.
TRAINING_ONLY_CODES = frozenset({"too_few_examples", "file_too_large"})


class EvalInputError(ValueError):
    """The evaluation file (or a recording used as references) cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Reference:
    """What the answer is compared with: the text of the last assistant message, or its tool calls."""

    text: str | None
    tool_calls: list | None = None

    @property
    def is_tool_calls(self) -> bool:
        return bool(self.tool_calls)


@dataclass(frozen=True)
class Example:
    """One usable example: its 1-based physical line, the prompt messages and what is sent with them."""

    line: int
    prompt_messages: tuple = field(repr=False)
    tools: list | None = field(default=None, repr=False)
    functions: list | None = field(default=None, repr=False)
    reference: Reference = field(default_factory=lambda: Reference(None))
    parallel_tool_calls: bool | None = None

    @property
    def system(self) -> str | None:
        """The text of the example's first system message, if any."""
        for message in self.prompt_messages:
            if message.get("role") == "system" and isinstance(message.get("content"), str):
                return message["content"]
        return None


@dataclass(frozen=True)
class EvalSet:
    """The examples to send, the lines skipped, and the file's name and sha256."""

    name: str
    sha256: str
    examples: tuple[Example, ...]
    skipped: tuple[int, ...] = ()
    lines: int = 0
    references_from: str | None = None  # "recording <label>" when --against replaced the references

    def __len__(self) -> int:
        return len(self.examples)

    def by_line(self) -> dict[int, Example]:
        return {example.line: example for example in self.examples}

    @property
    def references_are_json(self) -> bool:
        """True when every text reference is a JSON object (Structured Outputs is then worth offering)."""
        from lib.evaluate.scores import reference_json

        texts = [e.reference.text for e in self.examples if not e.reference.is_tool_calls]
        return bool(texts) and all(isinstance(reference_json(t), dict) for t in texts)


def _text_of(content) -> str | None:
    """The text of a message's content: a string, or the text parts of a list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(p for p in parts if isinstance(p, str))
    return None


def _example_from(obj: dict, line: int) -> Example | None:
    """The example on a line, or None when it has no assistant message to use as the reference."""
    messages = obj.get("messages")
    if not isinstance(messages, list):
        return None
    last = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"), default=None
    )
    if last is None or last == 0:
        return None
    answer = messages[last]
    calls = answer.get("tool_calls") or None
    if calls is None and isinstance(answer.get("function_call"), dict):
        calls = [{"type": "function", "function": answer["function_call"]}]
    text = _text_of(answer.get("content"))
    if calls is None and text is None:
        return None
    prompt = tuple(_sendable(m) for m in messages[:last])
    return Example(
        line=line,
        prompt_messages=prompt,
        tools=obj.get("tools"),
        functions=obj.get("functions"),
        reference=Reference(text=text if calls is None else text, tool_calls=calls),
        parallel_tool_calls=obj.get("parallel_tool_calls"),
    )


def _sendable(message: dict) -> dict:
    """A prompt message as the API takes it: the training-only ``weight`` key removed."""
    return {k: v for k, v in message.items() if k != "weight"}


def load_eval_set(
    data: bytes,
    *,
    name: str,
    limit: int | None = None,
    seed: int = 0,
    against: "Recording | None" = None,
    against_label: str | None = None,
) -> EvalSet:
    """Read a chat JSONL evaluation file.

    Lines the validator rejects (except for training-only findings such as a file too small to
    train on) and examples without an assistant message are skipped and listed in ``skipped``.
    ``limit`` keeps a seeded random sample of that many examples (in file order). ``against``
    replaces each reference with the recorded answer of ``against_label`` (default: the
    recording's baseline) on the same line of the same file.

    Raises :class:`EvalInputError` (one sentence) for a file that is not a chat file, holds no
    usable example, or does not match the recording.
    """
    data = bytes(data)
    if not data.strip():
        raise EvalInputError(
            f"{name or 'The file'} is empty: an evaluation set needs chat examples, one JSON object a line."
        )
    if limit is not None and limit < 1:
        raise EvalInputError(f"The limit must be at least 1 example, not {limit}.")
    report = _chat_report(data, name)
    rejected = {f.line for f in report.errors if f.line is not None and f.code not in TRAINING_ONLY_CODES}
    examples, skipped = _read_examples(data, rejected)
    sha256 = hashlib.sha256(data).hexdigest()
    references_from = None
    if against is not None:
        examples, more_skipped, references_from = _use_recording(examples, against, against_label, sha256, name)
        skipped = sorted(set(skipped) | set(more_skipped))
    if not examples:
        first = f" (first skipped line: {skipped[0]})" if skipped else ""
        raise EvalInputError(
            f"{name or 'The file'} has no usable example: every line was rejected or has no "
            f"assistant message to compare with{first}."
        )
    if limit is not None and limit < len(examples):
        chosen = sorted(random.Random(seed).sample(range(len(examples)), limit))
        examples = [examples[i] for i in chosen]
    return EvalSet(
        name=name,
        sha256=sha256,
        examples=tuple(examples),
        skipped=tuple(skipped),
        lines=report.lines,
        references_from=references_from,
    )


def _chat_report(data: bytes, name: str):
    """The validator's report of ``data``; :class:`EvalInputError` unless it is a chat file."""
    report = validate_bytes(data, name=name)
    if report.format not in ("chat", "dpo", "prompt_completion"):
        first = next((f for f in report.errors if f.line is not None), None)
        problem = f": {first.message}" if first else ""
        raise EvalInputError(
            f"{name or 'The file'} has no usable example{problem} (an evaluation set needs chat "
            "examples, one JSON object a line)."
        )
    if report.format != "chat":
        raise EvalInputError(
            f"{name or 'The file'} is in the {report.format} format; an evaluation set needs chat examples "
            '(a "messages" list ending with the assistant\'s answer).'
        )
    return report


def _read_examples(data: bytes, rejected: set[int]) -> tuple[list[Example], list[int]]:
    """(the usable examples, in file order; the lines skipped: ``rejected`` ones, unreadable ones and those
    without an assistant message). Blank lines the validator did not reject are neither."""
    examples: list[Example] = []
    skipped: list[int] = []
    for line, raw in enumerate(data.split(b"\n"), 1):
        if line in rejected:  # a blank line the validator rejects is listed too: the Dataset page shows it
            skipped.append(line)
            continue
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            skipped.append(line)
            continue
        example = _example_from(obj, line) if isinstance(obj, dict) else None
        if example is None:
            skipped.append(line)
        else:
            examples.append(example)
    return examples, skipped


def _use_recording(examples: list[Example], recording: "Recording", label: str | None, sha256: str, name: str):
    """The examples with the recording's answers of ``label`` as references; lines it has no answer for are skipped."""
    if recording.eval_sha256 and recording.eval_sha256 != sha256:
        raise EvalInputError(
            f"The recording was made on another file (sha256 {recording.eval_sha256[:12]}...), "
            f"not on {name or 'this file'} ({sha256[:12]}...): use the same evaluation file."
        )
    label = label or recording.baseline
    if label not in recording.labels:
        raise EvalInputError(
            f"The recording has no candidate labelled {label!r}; it has "
            f"{', '.join(repr(x) for x in recording.labels) or 'none'}."
        )
    answers = recording.answers(label)
    kept, skipped = [], []
    for example in examples:
        answer = answers.get(example.line)
        if answer is None:
            skipped.append(example.line)
            continue
        reference = Reference(text=None, tool_calls=answer) if isinstance(answer, list) else Reference(text=answer)
        kept.append(
            Example(
                example.line,
                example.prompt_messages,
                example.tools,
                example.functions,
                reference,
                example.parallel_tool_calls,
            )
        )
    return kept, skipped, f"recording {label}"
