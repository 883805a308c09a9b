"""The example viewer's parsing: one line read back, and any example as chat bubbles.

Never raises: a line that is not an example reads as None, and a malformed message still becomes a
bubble with what it holds.
"""

from __future__ import annotations

import orjson

from lib.validate.messages import quote


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
    return quote(content, 200), 0


def _bubble(message) -> dict:
    if type(message) is not dict:
        return {"role": "unknown", "text": quote(message, 200)}
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
        call = message["function_call"]
        calls.append({"name": call.get("name"), "arguments": call.get("arguments")})
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
            if type(value) is list:
                messages = value
            else:
                messages = [] if value is None else [{"role": "assistant", "content": value}]
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
                bubbles.append({"role": role, "text": value if type(value) is str else quote(value, 200)})
        return bubbles
    return []
