"""``POST /chat/completions`` in the simulator: deterministic answers with a quality model that tells the real story.

Wired from :meth:`lib.simulator.api.Service.handle` (``/v1/chat/completions``, Azure's
``/openai/deployments/{name}/chat/completions`` and ``/openai/v1/chat/completions``).

Models: any catalog model that is not shut down on the simulator's date, the fine-tuned
models of the key's succeeded jobs, and any ``ft:`` (or Azure ``.ft-``) name of a known base
model; anything else is 404 ``model_not_found``, as OpenAI answers.

Answers are seeded by the model and the request, so the same request always gets the same
answer. The simulator knows the reference when the prompt (its non-system messages) matches
an example of a chat file uploaded to the key's own space with purpose ``fine-tune``:

- a fine-tuned model answers its own examples exactly most of the time (about 95% of its
  training file, 85% of others, e.g. its validation file), otherwise a near miss (one field or
  a few words off);
- a base or replacement model with the file's short system prompt is right about a third of
  the time; otherwise, for JSON references, it often wraps the JSON in a Markdown code fence
  or answers in prose around it, which is exactly what fine-tuning fixes;
- a long engineered system prompt (at least twice the file's, in tokens) closes much of the
  gap, and Structured Outputs (``response_format`` ``json_schema``) always gives strict JSON;
- reasoning models (the catalog's ``reasoning`` flag, or any ``reasoning_effort``) report
  reasoning tokens, billed inside ``completion_tokens``.

Files over 32 MB are not learned from (memory); at most 16 parsed files are kept.
Without a known reference the answer is plausible: JSON shaped like the requested schema, or
a short reply in prose. Usage is counted with the model's tokenizer (the validator's rule for a
conversation, tools included); a repeated system prompt of 1,024 tokens or more is reported as
cached, in 128-token steps, as OpenAI's prompt caching does. Every answer carries
``system_fingerprint: "simulated"`` so the app can say its numbers are a demo's.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
import threading
import time
from collections import OrderedDict

import orjson

from lib import tokens
from lib.catalog import UnknownModelError, base_model_name, is_fine_tuned_name, load_catalog
from lib.evaluate.candidates import is_fine_tunable
from lib.simulator.state import ApiError, new_id

SIMULATED_FINGERPRINT = "simulated"
INDEX_CACHE_ENTRIES = 16  # parsed files kept (bounded: a public demo has many keys)
INDEX_MAX_FILE_BYTES = 32 * 1024 * 1024  # larger files are not learned from: their answers are only plausible
CACHE_SEEN_ENTRIES = 4096
PROMPT_CACHE_MIN_TOKENS = 1024
PROMPT_CACHE_STEP = 128
REASONING_TOKENS = {"minimal": (0, 16), "low": (32, 160), "medium": (128, 512), "high": (512, 1536)}
# Chance of an exact answer, by who answers and how it is prompted (see the module docstring).
P_EXACT_OWN_TRAINING = 0.95
P_EXACT_FINE_TUNED = 0.85
P_EXACT_BASE = 0.30
P_EXACT_REPLACEMENT = 0.40
LONG_PROMPT_BONUS = 0.30
SCHEMA_BONUS = 0.15
REASONING_BONUS = 0.05

_index_lock = threading.Lock()
_indexes: OrderedDict = OrderedDict()  # (key id, file id) -> {prompt key: (reference message, system text)}
_seen_prefixes: OrderedDict = OrderedDict()  # (key id, model, prefix hash) -> True


def prompt_key(messages: list) -> str:
    """What identifies an example's prompt whatever system prompt is sent: its non-system messages."""
    kept = [{k: m.get(k) for k in ("role", "content", "tool_calls", "tool_call_id", "name", "function_call")
             if m.get(k) is not None}
            for m in messages if isinstance(m, dict) and m.get("role") not in ("system", "developer")]
    return hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _system_text(messages: list) -> str:
    for m in messages:
        if isinstance(m, dict) and m.get("role") in ("system", "developer") and isinstance(m.get("content"), str):
            return m["content"]
    return ""


def _index_of(key_id: str, stored) -> dict:
    """prompt key -> (reference assistant message, the file's system prompt) for one uploaded chat file (cached)."""
    cache_key = (key_id, stored.id)
    with _index_lock:
        if cache_key in _indexes:
            _indexes.move_to_end(cache_key)
            return _indexes[cache_key]
    index: dict = {}
    systems: dict = {}  # one copy of each system prompt (every example of a file usually shares it)
    if len(stored.data) > INDEX_MAX_FILE_BYTES:
        return index
    for raw in stored.data.split(b"\n"):
        try:
            obj = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            continue
        messages = obj.get("messages") if isinstance(obj, dict) else None
        if not isinstance(messages, list):
            continue
        last = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
                   default=None)
        if last:
            system = _system_text(messages[:last])
            index.setdefault(prompt_key(messages[:last]), (messages[last], systems.setdefault(system, system)))
    with _index_lock:
        _indexes[cache_key] = index
        while len(_indexes) > INDEX_CACHE_ENTRIES:
            _indexes.popitem(last=False)
    return index


def _is_retired(info, today, calendar: str) -> bool:
    """Shut down on ``calendar``'s dates (a catalog without per-backend dates has one set for all)."""
    if "calendar" in inspect.signature(info.is_retired).parameters:
        return info.is_retired(today, calendar)
    return info.is_retired(today)


def is_reasoning(info) -> bool:
    """True when the catalog marks the model as one that reasons (it then bills reasoning tokens)."""
    return bool(getattr(info, "reasoning", False))


class _Caller:
    """What the simulator knows about the model answering: fine-tuned or not, its files, reasoning."""

    def __init__(self, service, ns, model: str, calendar: str = "openai"):
        catalog = load_catalog()
        self.model = model
        self.own_job = None
        with service.lock:
            service.settle(ns, service.clock.now())  # a job that just succeeded has its model now
            owned = ns.models.get(model)
            files = [f for f in ns.files.values() if f.purpose == "fine-tune" and f.filename.endswith(".jsonl")]
        if owned is not None:
            self.own_job = owned[1]
        try:
            self.info = catalog.resolve(base_model_name(model))
        except UnknownModelError:
            raise ApiError(404, f"The model `{model}` does not exist or you do not have access to it.",
                           code="model_not_found") from None
        if _is_retired(self.info, service.today(), calendar):
            raise ApiError(404, f"The model `{model}` has been deprecated and no longer answers.",
                           code="model_not_found")
        self.fine_tuned = owned is not None or is_fine_tuned_name(model)
        self.replacement = not self.fine_tuned and not is_fine_tunable(self.info)
        self.reasoning = is_reasoning(self.info)
        self.encoding = self.info.encoding
        self.files = files
        self.key_id = ns.key_id

    def reference(self, messages: list):
        """(reference message, file system prompt, in its own training file) or None."""
        key = prompt_key(messages)
        training_id = self.own_job.training_file if self.own_job is not None else None
        for stored in sorted(self.files, key=lambda f: f.id != training_id):
            found = _index_of(self.key_id, stored).get(key)
            if found is not None:
                return found[0], found[1], stored.id == training_id
        return None


def _check_body(body: dict | None, model: str | None) -> tuple[str, list]:
    if body is None:
        raise ApiError(400, "We could not parse the JSON body of your request. The API expects a JSON payload.",
                       code="invalid_json")
    if not model:
        raise ApiError(400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "Missing required parameter: 'messages'.", param="messages",
                       code="missing_required_parameter")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
                "system", "developer", "user", "assistant", "tool", "function"):
            raise ApiError(400, f"Invalid value for 'messages[{index}].role'.", param=f"messages[{index}].role",
                           code="invalid_value")
    if body.get("stream"):
        raise ApiError(400, "This simulator does not stream; call without stream=true.", param="stream",
                       code="unsupported_value")
    return model, messages


def create_completion(service, ns, request, segments: list[str]):
    """Answer ``POST .../chat/completions`` for namespace ``ns`` (see the module docstring)."""
    from lib.simulator.api import Response

    body = request.json
    deployment = segments[1] if len(segments) == 4 and segments[0] == "deployments" else None
    if deployment is None and len(segments) != 2:
        raise ApiError(404, f"Invalid URL (POST /{'/'.join(segments)})")
    model, messages = _check_body(body, deployment or (body or {}).get("model"))
    # Azure's paths answer on Azure's calendar (its shutdown dates differ from OpenAI's)
    caller = _Caller(service, ns, model, "azure" if getattr(request, "flavor", "openai") == "azure" else "openai")
    if body.get("reasoning_effort") is not None and not caller.reasoning:
        raise ApiError(400, "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                       param="reasoning_effort", code="unsupported_parameter")
    seed = hashlib.sha256(orjson.dumps([model, messages, body.get("response_format"), body.get("tools")],
                                       option=orjson.OPT_SORT_KEYS)).digest()
    rng = random.Random(seed)
    schema = _schema_of(body.get("response_format"))
    found = caller.reference(messages)
    if found is None:
        answer = _plausible(messages, schema, body, rng)
    else:
        reference, file_system, own_training = found
        answer = _answer(caller, reference, file_system, own_training, messages, schema, rng)
    return Response(200, _completion(caller, body, messages, answer, rng))


def _schema_of(response_format) -> dict | None:
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else {}
    return None


def _p_exact(caller: _Caller, own_training: bool, long_prompt: bool, schema, reasoning: bool) -> float:
    if caller.fine_tuned:
        return P_EXACT_OWN_TRAINING if own_training else P_EXACT_FINE_TUNED
    p = P_EXACT_REPLACEMENT if caller.replacement else P_EXACT_BASE
    p += LONG_PROMPT_BONUS if long_prompt else 0.0
    p += SCHEMA_BONUS if schema is not None else 0.0
    p += REASONING_BONUS if reasoning else 0.0
    return min(p, 0.9)


def _answer(caller: _Caller, reference: dict, file_system: str, own_training: bool, messages: list, schema,
            rng: random.Random) -> dict:
    """The assistant message: the reference, or a near miss of the kind this caller makes."""
    system = _system_text(messages)
    long_prompt = bool(system) and system != file_system and (
        tokens.count_text(system, caller.encoding) >= 2 * max(1, tokens.count_text(file_system, caller.encoding)))
    right = rng.random() < _p_exact(caller, own_training, long_prompt, schema, caller.reasoning)
    calls = reference.get("tool_calls")
    if calls:
        if right:
            return {"tool_calls": calls}
        if not caller.fine_tuned and not long_prompt and rng.random() < 0.5:
            name = (calls[0].get("function") or {}).get("name", "a tool")
            return {"content": f"I would use {name} for this. Shall I go ahead?"}
        return {"tool_calls": [_near_miss_call(c, rng) for c in calls]}
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


def _plausible(messages: list, schema, body: dict, rng: random.Random) -> dict:
    """An answer without a known reference: JSON in the requested shape, or a short reply."""
    if schema is not None:
        return {"content": json.dumps(_fill(schema, rng))}
    user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    user = user if isinstance(user, str) else ""
    words = user.split()[:12]
    topic = " ".join(words) + ("..." if len(user.split()) > 12 else "")
    return {"content": f"Thanks for your message about \"{topic}\". Here is what I can tell you: "
                       f"{rng.choice(('it is on its way', 'we can help with that', 'that is possible'))}."}


def _fill(schema: dict, rng: random.Random, depth: int = 0):
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "object" or (kind is None and "properties" in schema):
        return {k: _fill(v if isinstance(v, dict) else {}, rng, depth + 1)
                for k, v in (schema.get("properties") or {}).items()} if depth < 8 else {}
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


def _completion(caller: _Caller, body: dict, messages: list, answer: dict, rng: random.Random) -> dict:
    from lib.evaluate.pricing import prompt_tokens_per_request

    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    effort = (body.get("reasoning_effort") or "medium") if caller.reasoning else None
    low, high = REASONING_TOKENS.get(effort, (0, 0)) if effort else (0, 0)
    reasoning = rng.randint(low, high) if high else 0
    content = answer.get("content")
    calls = answer.get("tool_calls")
    output_text = content if content is not None else json.dumps(calls)
    output = tokens.count_text(output_text, caller.encoding)
    finish = "tool_calls" if calls else "stop"
    if isinstance(limit, int) and limit > 0 and reasoning + output > limit:
        finish = "length"
        reasoning = min(reasoning, limit)
        room = limit - reasoning
        if calls or room <= 0:
            content, calls, output = ("" if room <= 0 else None), None, 0
            content = content if content is not None else ""
        else:
            ids = tokens.get_encoding(caller.encoding).encode(content)[:room]
            content = tokens.get_encoding(caller.encoding).decode(ids)
            output = len(ids)
    request = {"messages": messages, "tools": body.get("tools"), "functions": body.get("functions")}
    prompt = prompt_tokens_per_request([request], caller.model)[0]
    cached = _cached_tokens(caller, messages, prompt)
    message: dict = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
    if calls:
        message["content"] = None
        message["tool_calls"] = [{"id": "call_" + new_id("", 24), "type": "function",
                                  "function": c.get("function", {})} for c in calls]
    return {
        "id": new_id("chatcmpl-", 29), "object": "chat.completion", "created": int(time.time()),
        "model": caller.model, "system_fingerprint": SIMULATED_FINGERPRINT, "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt, "completion_tokens": output + reasoning, "total_tokens": prompt + output + reasoning,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        },
    }


def _cached_tokens(caller: _Caller, messages: list, prompt: int) -> int:
    """Tokens of a system prompt of 1,024+ tokens this key sent this model before (OpenAI caches such prefixes)."""
    system = _system_text(messages)
    if prompt < PROMPT_CACHE_MIN_TOKENS or not system:
        return 0
    prefix = tokens.count_text(system, caller.encoding)
    if prefix < PROMPT_CACHE_MIN_TOKENS:
        return 0
    key = (caller.key_id, caller.model, hashlib.sha256(system.encode()).hexdigest())
    with _index_lock:
        seen = key in _seen_prefixes
        _seen_prefixes[key] = True
        _seen_prefixes.move_to_end(key)
        while len(_seen_prefixes) > CACHE_SEEN_ENTRIES:
            _seen_prefixes.popitem(last=False)
    if not seen:
        return 0
    return min(prompt, prefix) // PROMPT_CACHE_STEP * PROMPT_CACHE_STEP
