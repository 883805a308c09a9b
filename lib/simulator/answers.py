"""The simulator's quality model: what a model answers, given the reference it should give.

Seeded by the caller (``random.Random`` over the model and the request), so the same request
always gets the same answer; see :mod:`lib.simulator.chat` for the story it tells. A "caller"
here is anything with ``fine_tuned``, ``replacement``, ``reasoning`` and ``encoding``.
"""

from __future__ import annotations

import json
import random

from lib import tokens

# Chance of an exact answer, by who answers and how it is prompted (see the module docstring).
P_EXACT_OWN_TRAINING = 0.95
P_EXACT_FINE_TUNED = 0.85
P_EXACT_BASE = 0.30
P_EXACT_REPLACEMENT = 0.40
LONG_PROMPT_BONUS = 0.30
SCHEMA_BONUS = 0.15
REASONING_BONUS = 0.05


def system_text(messages: list) -> str:
    for m in messages:
        if isinstance(m, dict) and m.get("role") in ("system", "developer") and isinstance(m.get("content"), str):
            return m["content"]
    return ""


def schema_of(response_format) -> dict | None:
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else {}
    return None


def _p_exact(caller, own_training: bool, long_prompt: bool, schema, reasoning: bool) -> float:
    if caller.fine_tuned:
        return P_EXACT_OWN_TRAINING if own_training else P_EXACT_FINE_TUNED
    p = P_EXACT_REPLACEMENT if caller.replacement else P_EXACT_BASE
    p += LONG_PROMPT_BONUS if long_prompt else 0.0
    p += SCHEMA_BONUS if schema is not None else 0.0
    p += REASONING_BONUS if reasoning else 0.0
    return min(p, 0.9)


def answer_from_reference(
    caller, reference: dict, file_system: str, own_training: bool, messages: list, schema, rng: random.Random
) -> dict:
    """The assistant message: the reference, or a near miss of the kind this caller makes."""
    system = system_text(messages)
    long_prompt = (
        bool(system)
        and system != file_system
        and (tokens.count_text(system, caller.encoding) >= 2 * max(1, tokens.count_text(file_system, caller.encoding)))
    )
    right = rng.random() < _p_exact(caller, own_training, long_prompt, schema, caller.reasoning)
    calls = reference.get("tool_calls")
    legacy = not calls and isinstance(reference.get("function_call"), dict)  # the deprecated functions API
    if legacy:
        calls = [{"type": "function", "function": reference["function_call"]}]
    if calls:
        if not right and not caller.fine_tuned and not long_prompt and rng.random() < 0.5:
            name = (calls[0].get("function") or {}).get("name", "a tool")
            return {"content": f"I would use {name} for this. Shall I go ahead?"}
        made = calls if right else [_near_miss_call(c, rng) for c in calls]
        return {"function_call": made[0]["function"]} if legacy else {"tool_calls": made}
    text = reference.get("content")
    if isinstance(text, list):
        text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
    text = text if isinstance(text, str) else ""
    value = _json_object(text)
    if right:
        return {"content": text}
    if value is None:
        return {"content": _near_miss_text(text, caller.fine_tuned or long_prompt, rng)}
    wrong = json.dumps(_near_miss_json(value, rng), ensure_ascii=False)
    if schema is not None or caller.fine_tuned:
        return {"content": wrong}
    draw = rng.random()
    fence, prose = (0.15, 0.10) if long_prompt else (0.45, 0.25)
    shown = text if rng.random() < 0.6 else wrong  # a fence often holds the right JSON: still not valid JSON
    if draw < fence:
        return {"content": f"```json\n{shown}\n```"}
    if draw < fence + prose:
        return {"content": f"Here is the result:\n{shown}\nLet me know if you need anything else."}
    return {"content": wrong}


def _json_object(text: str):
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and value else None


def _near_miss_json(value: dict, rng: random.Random) -> dict:
    """The object with one leaf changed (a number nudged, a string cut short, a flag flipped, a key dropped)."""
    out = json.loads(json.dumps(value))
    paths = []

    def walk(node, path):
        if isinstance(node, dict) and node:
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list) and node:
            for i, v in enumerate(node):
                walk(v, path + [i])
        else:
            paths.append(path)

    walk(out, [])
    path = rng.choice(paths)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    leaf = parent[path[-1]]
    if isinstance(leaf, bool):
        parent[path[-1]] = not leaf
    elif isinstance(leaf, (int, float)):
        parent[path[-1]] = leaf + rng.choice((1, -1, 10))
    elif isinstance(leaf, str) and len(leaf) > 3:
        parent[path[-1]] = leaf[: max(1, len(leaf) * 2 // 3)]
    elif isinstance(parent, dict) and len(parent) > 1:
        del parent[path[-1]]
    else:
        parent[path[-1]] = "unknown"
    return out


def _near_miss_call(call: dict, rng: random.Random) -> dict:
    function = dict(call.get("function") or {})
    arguments = _json_object(function.get("arguments") or "")
    function["arguments"] = json.dumps(_near_miss_json(arguments, rng)) if arguments else "{}"
    return {**call, "function": function}


def _near_miss_text(text: str, close: bool, rng: random.Random) -> str:
    sentences = [s for s in text.replace("! ", ". ").split(". ") if s]
    if close:
        if len(sentences) > 1:
            return ". ".join(sentences[:-1]).rstrip(".") + "."
        words = text.split()
        return " ".join(words[: max(1, len(words) - 2)])
    opener = rng.choice(("Sure! ", "Great question. ", "Thanks for reaching out! ", "Of course. "))
    return opener + (sentences[0].rstrip(".") + "." if sentences else text) + " Is there anything else I can help with?"


def plausible_answer(messages: list, schema, body: dict, rng: random.Random) -> dict:
    """An answer without a known reference: JSON in the requested shape, or a short reply."""
    if schema is not None:
        return {"content": json.dumps(_fill(schema, rng))}
    user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    user = user if isinstance(user, str) else ""
    words = user.split()[:12]
    topic = " ".join(words) + ("..." if len(user.split()) > 12 else "")
    return {
        "content": f'Thanks for your message about "{topic}". Here is what I can tell you: '
        f"{rng.choice(('it is on its way', 'we can help with that', 'that is possible'))}."
    }


def _fill(schema: dict, rng: random.Random, depth: int = 0):
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "object" or (kind is None and "properties" in schema):
        return (
            {
                k: _fill(v if isinstance(v, dict) else {}, rng, depth + 1)
                for k, v in (schema.get("properties") or {}).items()
            }
            if depth < 8
            else {}
        )
    if kind == "array":
        return [_fill(schema.get("items") or {}, rng, depth + 1)] if depth < 8 else []
    if kind == "integer":
        return rng.randint(0, 100)
    if kind == "number":
        low, high = schema.get("minimum", 0), schema.get("maximum", 100)
        return round(rng.uniform(low, high), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    return rng.choice(("unknown", "pending", "ok", "n/a"))
