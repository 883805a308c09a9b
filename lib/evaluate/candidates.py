"""Candidates: a model plus how its prompt is built, and the request each example becomes.

``SPEC = MODEL[,system=PATH][,schema=auto|PATH][,label=NAME][,temperature=T][,max_tokens=N][,reasoning_effort=E]``
is the command line's way to write one; the page builds :class:`Candidate` directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lib import tokens
from lib.catalog import encoding_for_model, load_catalog, UnknownModelError
from lib.evaluate.evalset import EvalSet, Example
from lib.evaluate.scores import reference_json

REASONING_EFFORTS = ("minimal", "low", "medium", "high")
MIN_MAX_TOKENS = 256  # contract: default max_tokens is 2x the longest reference, at least this
# OpenAI's reasoning guide: "reserve at least 25,000 tokens for reasoning and outputs" when starting out.
REASONING_RESERVE_TOKENS = 25_000
DEFAULT_ENCODING = "o200k_base"  # for models the catalog doesn't know (every current OpenAI chat model uses it)
SPEC_KEYS = ("system", "schema", "label", "temperature", "max_tokens", "reasoning_effort")


class CandidateSpecError(ValueError):
    """A candidate spec (or candidate list) that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Candidate:
    """A model and how its prompt is built.

    ``system`` replaces every example's system message (or is inserted first); ``schema`` is
    ``"auto"`` (infer a strict JSON Schema from the references) or a JSON Schema dict sent as
    Structured Outputs; ``max_tokens=None`` means 2x the longest reference, at least 256.
    """

    model: str
    system: str | None = field(default=None, repr=False)
    schema: str | dict | None = None
    label: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = None
    reasoning_effort: str | None = None

    @property
    def display_label(self) -> str:
        """The label, or the model id plus ``+prompt`` when a system prompt replaces the file's."""
        if self.label:
            return self.label
        return self.model + ("+prompt" if self.system is not None else "")

    def settings(self) -> dict:
        """The candidate as plain data (for a recording's header); the system prompt in full."""
        return {
            "label": self.display_label,
            "model": self.model,
            "system": self.system,
            "schema": self.schema,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning_effort": self.reasoning_effort,
        }


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def parse_candidate_spec(spec: str, *, read_file: Callable[[str], str] = _read_text) -> Candidate:
    """Parse ``MODEL[,key=value...]``; ``system=PATH`` and ``schema=PATH`` are read through ``read_file``.

    Raises :class:`CandidateSpecError` naming the spec and the problem.
    """
    parts = [p.strip() for p in (spec or "").split(",")]
    model = parts[0]
    if not model or "=" in model:
        raise CandidateSpecError(f"Candidate {spec!r} must start with a model id, e.g. gpt-4.1-mini,label=base.")
    values: dict = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in SPEC_KEYS:
            raise CandidateSpecError(
                f"Candidate {spec!r}: {part!r} is not one of {', '.join(k + '=...' for k in SPEC_KEYS)}."
            )
        if key in values:
            raise CandidateSpecError(f"Candidate {spec!r} sets {key} twice.")
        values[key] = value.strip()
    kwargs: dict = {"model": model}
    if "system" in values:
        kwargs["system"] = _read_spec_file(spec, "system", values["system"], read_file)
    if "schema" in values:
        kwargs["schema"] = "auto" if values["schema"] == "auto" else _schema_file(spec, values["schema"], read_file)
    if "label" in values:
        if not values["label"]:
            raise CandidateSpecError(f"Candidate {spec!r} has an empty label.")
        kwargs["label"] = values["label"]
    if "temperature" in values:
        try:
            kwargs["temperature"] = float(values["temperature"])
        except ValueError:
            raise CandidateSpecError(
                f"Candidate {spec!r}: temperature must be a number, not {values['temperature']!r}."
            ) from None
        if not 0 <= kwargs["temperature"] <= 2:
            raise CandidateSpecError(f"Candidate {spec!r}: temperature must be between 0 and 2.")
    if "max_tokens" in values:
        try:
            kwargs["max_tokens"] = int(values["max_tokens"])
        except ValueError:
            kwargs["max_tokens"] = 0
        if kwargs["max_tokens"] < 1:
            raise CandidateSpecError(
                f"Candidate {spec!r}: max_tokens must be a whole number of at least 1, not {values['max_tokens']!r}."
            )
    if "reasoning_effort" in values:
        if values["reasoning_effort"] not in REASONING_EFFORTS:
            raise CandidateSpecError(
                f"Candidate {spec!r}: reasoning_effort must be one of {', '.join(REASONING_EFFORTS)}."
            )
        kwargs["reasoning_effort"] = values["reasoning_effort"]
    return Candidate(**kwargs)


def _read_spec_file(spec: str, key: str, path: str, read_file) -> str:
    if not path:
        raise CandidateSpecError(f"Candidate {spec!r}: {key}= needs a file path.")
    try:
        return read_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise CandidateSpecError(f"Candidate {spec!r}: cannot read the {key} file {path!r} ({reason}).") from None


def _schema_file(spec: str, path: str, read_file) -> dict:
    text = _read_spec_file(spec, "schema", path, read_file)
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise CandidateSpecError(f"Candidate {spec!r}: the schema file {path!r} is not JSON ({exc}).") from None
    if not isinstance(schema, dict):
        raise CandidateSpecError(f"Candidate {spec!r}: the schema file {path!r} must hold a JSON Schema object.")
    return schema


def check_labels(candidates: list[Candidate]) -> None:
    """Raise :class:`CandidateSpecError` unless there is a candidate and every label is distinct."""
    if not candidates:
        raise CandidateSpecError("Name at least one candidate (--candidate MODEL).")
    seen: set[str] = set()
    for candidate in candidates:
        label = candidate.display_label
        if label in seen:
            raise CandidateSpecError(f"Two candidates are labelled {label!r}; give one of them label=NAME.")
        seen.add(label)


def is_reasoning_model(model: str) -> bool:
    """True when the catalog marks the model (or its base model) as a reasoning model."""
    try:
        info = load_catalog().resolve(model)
    except UnknownModelError:
        return False
    return bool(getattr(info, "reasoning", False))


def is_fine_tunable(info) -> bool:
    """True for a catalog model that can be fine-tuned (replacement models can't)."""
    flag = getattr(info, "fine_tunable", None)  # the catalog's own flag, where it has one
    return bool(getattr(info, "training_per_1m", None)) if flag is None else bool(flag)


def encoding_of(model: str) -> str:
    """The tokenizer of ``model``; ``o200k_base`` for models the catalog doesn't know."""
    try:
        return encoding_for_model(model)
    except (UnknownModelError, KeyError, ValueError):
        return DEFAULT_ENCODING


def default_max_tokens(eval_set: EvalSet, model: str) -> int:
    """2x the longest reference in the model's tokens, at least 256 (the contract's default).

    A reasoning model's hidden reasoning counts against the same limit, so it gets
    :data:`REASONING_RESERVE_TOKENS` more: without them it would often stop (``length``) before
    writing any answer. Only the tokens used are billed.
    """
    encoding = encoding_of(model)
    longest = 0
    for example in eval_set.examples:
        longest = max(longest, tokens.count_text(reference_as_text(example), encoding))
    limit = max(MIN_MAX_TOKENS, 2 * longest)
    return limit + REASONING_RESERVE_TOKENS if is_reasoning_model(model) else limit


def reference_as_text(example: Example) -> str:
    """The reference as the text a model would produce: its content, or its tool calls as JSON."""
    if example.reference.is_tool_calls:
        return json.dumps(example.reference.tool_calls, ensure_ascii=False)
    return example.reference.text or ""


# JSON Schema's type of each value json.loads returns; bool comes before int, as a bool is an int in Python.
_SCHEMA_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
)


def _type_of(value) -> str | None:
    """The JSON Schema type of a decoded JSON value; None for null."""
    return next((name for kind, name in _SCHEMA_TYPES if isinstance(value, kind)), None)


def _schema_of(values: list) -> dict:
    """A strict JSON Schema every value fits (keys shared by all objects are required; others nullable)."""
    kinds = {_type_of(v) for v in values}
    nullable = None in kinds
    kinds.discard(None)
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    if len(kinds) != 1:
        schema: dict = {"type": sorted(kinds) or ["string"]} if kinds else {"type": "string"}
    else:
        kind = kinds.pop()
        present = [v for v in values if v is not None]
        if kind == "object":
            keys: list[str] = []
            for obj in present:
                keys.extend(k for k in obj if k not in keys)
            properties = {}
            for key in keys:
                sub = [obj.get(key) for obj in present]
                properties[key] = _schema_of(sub)  # missing in some objects: None among the values, so nullable
            schema = {"type": "object", "properties": properties, "required": keys, "additionalProperties": False}
        elif kind == "array":
            items = [item for array in present for item in array]
            schema = {"type": "array", "items": _schema_of(items) if items else {"type": "string"}}
        else:
            schema = {"type": kind}
    if nullable:
        kind = schema["type"]
        schema["type"] = (kind if isinstance(kind, list) else [kind]) + ["null"]
    return schema


def infer_schema(eval_set: EvalSet) -> dict | None:
    """A strict JSON Schema the references share (Structured Outputs ``schema=auto``), or None when they
    aren't JSON objects."""
    objects = []
    for example in eval_set.examples:
        if example.reference.is_tool_calls:
            return None
        value = reference_json(example.reference.text)
        if not isinstance(value, dict):
            return None
        objects.append(value)
    return _schema_of(objects) if objects else None


def response_format(candidate: Candidate, eval_set: EvalSet) -> dict | None:
    """The ``response_format`` argument for the candidate, or None without a schema."""
    if candidate.schema is None:
        return None
    schema = infer_schema(eval_set) if candidate.schema == "auto" else candidate.schema
    if schema is None:
        raise CandidateSpecError(
            f"Candidate {candidate.display_label!r}: schema=auto needs references that are "
            "all JSON objects, and these are not."
        )
    return {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": schema}}


def prompt_messages(candidate: Candidate, example: Example) -> list[dict]:
    """The example's prompt with the candidate's system prompt replacing (or inserted before) its system message."""
    messages = list(example.prompt_messages)
    if candidate.system is None:
        return messages
    system = {"role": "system", "content": candidate.system}
    for index, message in enumerate(messages):
        if message.get("role") in ("system", "developer"):
            messages[index] = {**system, "role": message["role"]}
            return messages
    return [system, *messages]


def build_request(
    candidate: Candidate,
    example: Example,
    eval_set: EvalSet,
    *,
    max_tokens: int | None = None,
    response_format_value: dict | None = None,
) -> dict:
    """The keyword arguments of ``client.chat.completions.create`` for one example and candidate.

    ``max_tokens`` and ``response_format_value`` let a run compute the set-wide values once
    (:func:`default_max_tokens`, :func:`response_format`); by default they are computed here.
    The output limit is sent as ``max_completion_tokens`` (``max_tokens`` is refused by
    reasoning models). Reasoning models get no ``temperature`` unless the candidate set one
    other than 0 (they refuse it).
    """
    request: dict = {"model": candidate.model, "messages": prompt_messages(candidate, example)}
    if example.tools:
        request["tools"] = example.tools
        if example.parallel_tool_calls is not None:
            request["parallel_tool_calls"] = example.parallel_tool_calls
    if example.functions:
        request["functions"] = example.functions
    reasoning = is_reasoning_model(candidate.model)
    if not reasoning or candidate.temperature != 0.0:
        request["temperature"] = candidate.temperature
    limit = candidate.max_tokens or max_tokens or default_max_tokens(eval_set, candidate.model)
    request["max_completion_tokens"] = limit
    if candidate.reasoning_effort:
        request["reasoning_effort"] = candidate.reasoning_effort
    fmt = response_format_value if response_format_value is not None else response_format(candidate, eval_set)
    if fmt is not None:
        request["response_format"] = fmt
    return request


def few_shot_system(system: str, shots: list[Example], *, header: str = "Examples:") -> str:
    """``system`` followed by worked examples (each prompt's last user message and its reference), as plain text.

    The page draws ``shots`` from the training file; they then belong to the candidate's ``system``.
    """
    blocks = [system.rstrip(), "", header]
    for number, example in enumerate(shots, 1):
        user = next((m.get("content") for m in reversed(example.prompt_messages) if m.get("role") == "user"), "")
        user = user if isinstance(user, str) else json.dumps(user, ensure_ascii=False)
        blocks += [f"Example {number} input:", user, f"Example {number} answer:", reference_as_text(example), ""]
    return "\n".join(blocks).rstrip() + "\n"
