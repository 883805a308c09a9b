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
import time

import orjson

from lib import tokens
from lib.catalog import UnknownModelError, base_model_name, is_fine_tuned_name, load_catalog
from lib.evaluate.candidates import is_fine_tunable
from lib.simulator.answers import answer_from_reference, plausible_answer, schema_of, system_text
from lib.simulator.dialect import calendar_of
from lib.recent import RecentlyUsed
from lib.simulator.protocol import Response, missing_parameter, unparsable_json
from lib.simulator.state import ApiError, new_id

SIMULATED_FINGERPRINT = "simulated"
INDEX_CACHE_ENTRIES = 16  # parsed files kept (bounded: a public demo has many keys)
INDEX_MAX_FILE_BYTES = 32 * 1024 * 1024  # larger files are not learned from: their answers are only plausible
CACHE_SEEN_ENTRIES = 4096
PROMPT_CACHE_MIN_TOKENS = 1024
PROMPT_CACHE_STEP = 128
REASONING_TOKENS = {"minimal": (0, 16), "low": (32, 160), "medium": (128, 512), "high": (512, 1536)}

_indexes = RecentlyUsed(INDEX_CACHE_ENTRIES)  # (key id, file id) -> {prompt key: (reference message, system text)}
_seen_prefixes = RecentlyUsed(CACHE_SEEN_ENTRIES)  # (key id, model, prefix hash)


def prompt_key(messages: list) -> str:
    """What identifies an example's prompt whatever system prompt is sent: its non-system messages."""
    kept = [
        {
            k: m.get(k)
            for k in ("role", "content", "tool_calls", "tool_call_id", "name", "function_call")
            if m.get(k) is not None
        }
        for m in messages
        if isinstance(m, dict) and m.get("role") not in ("system", "developer")
    ]
    return hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _index_of(key_id: str, stored) -> dict:
    """prompt key -> (reference assistant message, the file's system prompt) for one uploaded chat file (cached)."""
    return _indexes.get((key_id, stored.id), lambda: _prompt_index(stored.data))


def _prompt_index(data: bytes) -> dict:
    """prompt key -> (reference assistant message, system prompt) for a chat file's bytes (a large file: none)."""
    index: dict = {}
    systems: dict = {}  # one copy of each system prompt (every example of a file usually shares it)
    if len(data) > INDEX_MAX_FILE_BYTES:
        return index
    for raw in data.split(b"\n"):
        try:
            obj = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            continue
        messages = obj.get("messages") if isinstance(obj, dict) else None
        if not isinstance(messages, list):
            continue
        last = max(
            (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"), default=None
        )
        if last:
            system = system_text(messages[:last])
            index.setdefault(prompt_key(messages[:last]), (messages[last], systems.setdefault(system, system)))
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
            raise ApiError(
                404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
            ) from None
        if _is_retired(self.info, service.today(), calendar):
            raise ApiError(
                404, f"The model `{model}` has been deprecated and no longer answers.", code="model_not_found"
            )
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
        raise unparsable_json()
    if not model:
        raise missing_parameter("model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise missing_parameter("messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
        ):
            raise ApiError(
                400,
                f"Invalid value for 'messages[{index}].role'.",
                param=f"messages[{index}].role",
                code="invalid_value",
            )
    if body.get("stream"):
        raise ApiError(
            400, "This simulator does not stream; call without stream=true.", param="stream", code="unsupported_value"
        )
    return model, messages


def create_completion(service, ns, request, segments: list[str]):
    """Answer ``POST .../chat/completions`` for namespace ``ns`` (see the module docstring)."""
    body = request.json
    deployment = segments[1] if len(segments) == 4 and segments[0] == "deployments" else None
    if deployment is None and len(segments) != 2:
        raise ApiError(404, f"Invalid URL (POST /{'/'.join(segments)})")
    model, messages = _check_body(body, deployment or (body or {}).get("model"))
    # Azure's paths answer on Azure's calendar (its shutdown dates differ from OpenAI's)
    caller = _Caller(service, ns, model, calendar_of(request))
    if body.get("reasoning_effort") is not None and not caller.reasoning:
        raise ApiError(
            400,
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            param="reasoning_effort",
            code="unsupported_parameter",
        )
    seed = hashlib.sha256(
        orjson.dumps([model, messages, body.get("response_format"), body.get("tools")], option=orjson.OPT_SORT_KEYS)
    ).digest()
    rng = random.Random(seed)
    schema = schema_of(body.get("response_format"))
    found = caller.reference(messages)
    if found is None:
        answer = plausible_answer(messages, schema, body, rng)
    else:
        reference, file_system, own_training = found
        answer = answer_from_reference(caller, reference, file_system, own_training, messages, schema, rng)
    return Response(200, _completion(caller, body, messages, answer, rng))


def _completion(caller: _Caller, body: dict, messages: list, answer: dict, rng: random.Random) -> dict:
    from lib.evaluate.pricing import prompt_tokens_per_request

    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    effort = (body.get("reasoning_effort") or "medium") if caller.reasoning else None
    low, high = REASONING_TOKENS.get(effort, (0, 0)) if effort else (0, 0)
    reasoning = rng.randint(low, high) if high else 0
    content = answer.get("content")
    calls = answer.get("tool_calls")
    function_call = answer.get("function_call")
    output_text = content if content is not None else json.dumps(calls or function_call)
    output = tokens.count_text(output_text, caller.encoding)
    finish = "tool_calls" if calls else "function_call" if function_call else "stop"
    if isinstance(limit, int) and limit > 0 and reasoning + output > limit:
        finish = "length"
        reasoning = min(reasoning, limit)
        room = limit - reasoning
        if content is None or room <= 0:  # a call cut short is no call: nothing usable comes back
            content, calls, function_call, output = "", None, None, 0
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
        message["tool_calls"] = [
            {"id": "call_" + new_id("", 24), "type": "function", "function": c.get("function", {})} for c in calls
        ]
    if function_call:
        message["content"] = None
        message["function_call"] = function_call
    return {
        "id": new_id("chatcmpl-", 29),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": caller.model,
        "system_fingerprint": SIMULATED_FINGERPRINT,
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output + reasoning,
            "total_tokens": prompt + output + reasoning,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


def _cached_tokens(caller: _Caller, messages: list, prompt: int) -> int:
    """Tokens of a system prompt of 1,024+ tokens this key sent this model before (OpenAI caches such prefixes)."""
    system = system_text(messages)
    if prompt < PROMPT_CACHE_MIN_TOKENS or not system:
        return 0
    prefix = tokens.count_text(system, caller.encoding)
    if prefix < PROMPT_CACHE_MIN_TOKENS:
        return 0
    key = (caller.key_id, caller.model, hashlib.sha256(system.encode()).hexdigest())
    if not _seen_prefixes.seen(key):
        return 0
    return min(prompt, prefix) // PROMPT_CACHE_STEP * PROMPT_CACHE_STEP
