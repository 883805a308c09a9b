"""Scores of one answer against its reference, and the statistics over many.

Pure functions, no I/O. A score that does not apply to an example is ``None``
(``json_valid`` where the reference is not JSON, ``tool_calls`` where it calls
no tool, ...), so means are taken only over the examples where it applies.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rapidfuzz import fuzz

SCORE_NAMES = ("exact_match", "json_valid", "json_fields", "similarity", "tool_calls", "judge")
_WHITESPACE = re.compile(r"\s+")
_NOT_JSON = object()


def parse_json_strict(text: str | None) -> Any:
    """The JSON value ``text`` holds as a whole, or ``_NOT_JSON``.

    Strict: a Markdown code fence, prose around the JSON or NaN/Infinity make it not JSON.
    Leading and trailing whitespace is allowed (JSON allows it).
    """
    if not isinstance(text, str):
        return _NOT_JSON
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def reference_json(text: str | None) -> Any:
    """The reference's JSON object or array, or ``_NOT_JSON`` when it is text (or a bare JSON scalar)."""
    value = parse_json_strict(text)
    return value if isinstance(value, (dict, list)) else _NOT_JSON


def is_json(value: Any) -> bool:
    """True unless ``value`` is the "not JSON" marker of :func:`parse_json_strict`."""
    return value is not _NOT_JSON


def json_equal(a: Any, b: Any) -> bool:
    """Equal as data: key order ignored, numbers by value (1 == 1.0), booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def normalize_text(text: str) -> str:
    """Trimmed, with every run of whitespace collapsed to one space."""
    return _WHITESPACE.sub(" ", text).strip()


def exact_match(answer: str | None, reference: str) -> bool:
    """JSON references: equal as data; text references: equal after whitespace collapse."""
    if answer is None:
        return False
    expected = reference_json(reference)
    if is_json(expected):
        got = parse_json_strict(answer)
        return is_json(got) and json_equal(got, expected)
    return normalize_text(answer) == normalize_text(reference)


def json_valid(answer: str | None, reference: str) -> bool | None:
    """Whether the answer parses strictly as JSON; ``None`` when the reference is not JSON."""
    if not is_json(reference_json(reference)):
        return None
    return is_json(parse_json_strict(answer))


def _leaves(value: Any, path: tuple = ()):
    """(path, leaf value) of every leaf of a JSON value; an empty object or array is a leaf."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, path + (("k", key),))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, path + (("i", index),))
    else:
        yield path, value


def _at(value: Any, path: tuple) -> Any:
    for kind, step in path:
        if kind == "k" and isinstance(value, dict) and step in value:
            value = value[step]
        elif kind == "i" and isinstance(value, list) and step < len(value):
            value = value[step]
        else:
            return _NOT_JSON
    return value


def json_fields(answer: str | None, reference: str) -> float | None:
    """Share of the reference object's leaf paths whose value the answer has, equal.

    ``None`` unless the reference is a JSON object; 0.0 when the answer is not a JSON object.
    """
    expected = reference_json(reference)
    if not isinstance(expected, dict):
        return None
    got = parse_json_strict(answer)
    leaves = list(_leaves(expected))
    if not isinstance(got, dict):
        return 0.0
    hits = sum(1 for path, leaf in leaves if is_json(found := _at(got, path)) and json_equal(found, leaf))
    return hits / len(leaves)


def similarity(answer: str | None, reference: str) -> float:
    """Normalized InDel similarity, ``rapidfuzz.fuzz.ratio(answer, reference) / 100`` (0 for no answer)."""
    if answer is None:
        return 0.0
    return fuzz.ratio(answer, reference) / 100.0


def _call_parts(call: Any) -> tuple[str | None, Any]:
    """(function name, parsed arguments) of a tool call given as a dict (API or file shape)."""
    if not isinstance(call, dict):
        return None, _NOT_JSON
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    arguments = function.get("arguments")
    parsed = (
        parse_json_strict(arguments)
        if isinstance(arguments, str)
        else (arguments if arguments is not None else _NOT_JSON)
    )
    return function.get("name"), parsed


def tool_calls_match(answer_calls: list | None, reference_calls: list | None) -> bool | None:
    """Same function names in the same order, arguments equal as JSON; ``None`` if the reference calls none."""
    if not reference_calls:
        return None
    if not answer_calls or len(answer_calls) != len(reference_calls):
        return False
    for got, want in zip(answer_calls, reference_calls):
        got_name, got_args = _call_parts(got)
        want_name, want_args = _call_parts(want)
        if got_name != want_name or not is_json(got_args) or not is_json(want_args):
            return False
        if not json_equal(got_args, want_args):
            return False
    return True


def score_answer(
    answer: str | list | None,
    reference_text: str | None,
    reference_tool_calls: list | None = None,
) -> dict[str, float | bool | None]:
    """Every score of one answer: ``{name: value}`` for :data:`SCORE_NAMES`, ``None`` where it doesn't apply.

    ``answer`` is the answer text, or a list of tool calls when the model called tools. Against a
    tool-call reference only ``tool_calls`` (and ``exact_match``, equal to it) apply; ``judge`` is
    filled in by :mod:`lib.evaluate.judge` when a grader runs.
    """
    if reference_tool_calls:
        calls = answer if isinstance(answer, list) else None
        match = bool(tool_calls_match(calls, reference_tool_calls))
        return {
            "exact_match": match,
            "json_valid": None,
            "json_fields": None,
            "similarity": None,
            "tool_calls": match,
            "judge": None,
        }
    text = answer if isinstance(answer, str) else None
    reference = reference_text or ""
    return {
        "exact_match": exact_match(text, reference),
        "json_valid": json_valid(text, reference),
        "json_fields": json_fields(text, reference),
        "similarity": similarity(text, reference),
        "tool_calls": None,
        "judge": None,
    }


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% with the default ``z``); ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact_p(wins: int, losses: int) -> float | None:
    """Exact two-sided McNemar p-value: binomial(wins + losses, 0.5), doubled smaller tail, capped at 1.

    ``None`` when there are no discordant pairs.
    """
    n = wins + losses
    if n == 0:
        return None
    k = min(wins, losses)
    total, term = 0, 1  # term = comb(n, i), built up exactly with integers
    for i in range(k + 1):
        total += term
        term = term * (n - i) // (i + 1)
    return min(1.0, 2 * total / 2**n)  # int / int: exact, then one rounding
