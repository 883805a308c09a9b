"""The simulator's chat completions through the real SDK: determinism, the quality model's story, usage counted
with the tokenizer, reasoning and cached tokens, 404 for unknown or retired models, faults and per-key isolation."""

from __future__ import annotations

import datetime as dt
import json
import time
from contextlib import contextmanager

import openai
import pytest

from lib.evaluate.pricing import prompt_tokens_per_request
from lib.evaluate.scores import exact_match, json_valid
from lib.simulator import chat

SIM_SPEED = 1000.0
MINI = "gpt-4.1-mini-2025-04-14"
MINI_FT = "ft:gpt-4.1-mini-2025-04-14:personal:desk:abc123"
SHORT = "Extract the order as JSON."
LONG = (
    "You extract orders from customer messages. Answer with one JSON object and nothing else: no Markdown, "
    "no code fence, no words before or after. Keys: order (the order number as written), item (the product, "
    "lower case), quantity (a whole number), express (true when the customer asks for fast delivery). "
) * 3


def examples(n: int = 60):
    """Chat examples whose answers are JSON objects (the format a fine-tune is trained for)."""
    items = ["helmet", "chain", "saddle", "pump", "light", "lock"]
    out = []
    for i in range(n):
        answer = {"order": f"LC-{40000 + i}", "item": items[i % 6], "quantity": 1 + i % 4, "express": i % 3 == 0}
        user = (
            f"Hi, order LC-{40000 + i}: please send {answer['quantity']} x {answer['item']}"
            + (" as fast as you can" if answer["express"] else "")
            + "."
        )
        out.append(
            {
                "messages": [
                    {"role": "system", "content": SHORT},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": json.dumps(answer)},
                ]
            }
        )
    return out


def jsonl(objs) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


# The function both tool-call tests train: the assistant looks an order up instead of answering.
LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Find an order.",
    "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
}


def order_lookups(count: int, question: str, assistant_call, **example_fields) -> list[dict]:
    """``count`` examples: a user asks ``question`` about order ``LC-i``, the assistant calls lookup_order.

    ``assistant_call(arguments)`` gives the assistant message's fields for the call's JSON ``arguments``.
    """
    return [
        {
            "messages": [
                {"role": "user", "content": question.format(order=f"LC-{i}")},
                {"role": "assistant", **assistant_call(json.dumps({"order": f"LC-{i}"}))},
            ],
            **example_fields,
        }
        for i in range(count)
    ]


@contextmanager
def simulator_set(sim, name: str, value):
    """The shared simulator with setting ``name`` at ``value`` inside the block; then back to None, its default."""
    setattr(sim, name, value)
    try:
        yield sim
    finally:
        setattr(sim, name, None)


def client(sim, key, **kwargs):
    return openai.OpenAI(base_url=sim.base_url, api_key=key, max_retries=kwargs.pop("max_retries", 0), **kwargs)


def ask(c, model, example, system=None, **kwargs):
    messages = example["messages"][:-1]
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages[1:]]
    return c.chat.completions.create(model=model, messages=messages, **kwargs)


@pytest.fixture(scope="module")
def story(sim):
    """One key with the examples uploaded as a fine-tune file, and every candidate's answers to them."""
    c = client(sim, "sk-story")
    data = examples()
    c.files.create(file=("valid.jsonl", jsonl(data)), purpose="fine-tune")
    schema = {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "strict": True,
            "schema": {"type": "object", "properties": {"order": {"type": "string"}}, "required": ["order"]},
        },
    }
    answers = {"ft": [], "base": [], "long": [], "schema": []}
    for example in data:
        answers["ft"].append(ask(c, MINI_FT, example).choices[0].message.content)
        answers["base"].append(ask(c, MINI, example).choices[0].message.content)
        answers["long"].append(ask(c, MINI, example, system=LONG).choices[0].message.content)
        answers["schema"].append(ask(c, MINI, example, response_format=schema).choices[0].message.content)
    references = [e["messages"][-1]["content"] for e in data]
    return data, references, answers


def rate(score, answers, references):
    return sum(bool(score(a, r)) for a, r in zip(answers, references)) / len(references)


def test_a_fine_tune_answers_most_of_its_examples_exactly(story):
    _, references, answers = story
    assert rate(exact_match, answers["ft"], references) >= 0.7
    assert rate(json_valid, answers["ft"], references) == 1.0  # its misses are near misses, still JSON


def test_a_base_model_with_the_short_prompt_often_fences_json_or_answers_in_prose(story):
    _, references, answers = story
    assert rate(exact_match, answers["base"], references) <= 0.5
    invalid = [a for a, r in zip(answers["base"], references) if not json_valid(a, r)]
    assert len(invalid) >= 0.2 * len(references)
    assert any(a.startswith("```json") for a in invalid) and any(a.startswith("Here is") for a in invalid)


def test_a_long_prompt_closes_much_of_the_gap_and_structured_outputs_are_always_json(story):
    _, references, answers = story
    base, long, ft = (rate(exact_match, answers[k], references) for k in ("base", "long", "ft"))
    assert base < long < ft + 0.1
    assert rate(json_valid, answers["long"], references) > rate(json_valid, answers["base"], references)
    assert rate(json_valid, answers["schema"], references) == 1.0


def test_answers_are_deterministic_and_say_they_are_simulated(sim, story):
    data, _, answers = story
    again = ask(client(sim, "sk-story"), MINI, data[0])
    assert again.choices[0].message.content == answers["base"][0]
    assert again.system_fingerprint == "simulated"
    assert again.object == "chat.completion" and again.choices[0].finish_reason == "stop"


def test_usage_is_counted_with_the_models_tokenizer(sim, story):
    data, _, _ = story
    response = ask(client(sim, "sk-story"), MINI, data[1], system=LONG)
    messages = [{"role": "system", "content": LONG}, *data[1]["messages"][1:-1]]
    assert response.usage.prompt_tokens == prompt_tokens_per_request([{"messages": messages}], MINI)[0]
    import tiktoken

    content = response.choices[0].message.content
    assert response.usage.completion_tokens == len(tiktoken.get_encoding("o200k_base").encode(content))
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_another_key_sees_nothing_of_the_first_keys_files(sim, story):
    data, references, _ = story
    stranger = client(sim, "sk-stranger")
    answers = [ask(stranger, MINI_FT, e).choices[0].message.content for e in data[:10]]
    assert rate(exact_match, answers, references[:10]) == 0.0
    assert all(a.startswith("Thanks for your message") for a in answers)


def test_the_fine_tune_of_a_succeeded_job_knows_its_training_file(sim):
    c = client(sim, "sk-job", max_retries=2)
    data = examples(20)
    training = c.files.create(file=("train.jsonl", jsonl(data)), purpose="fine-tune")
    job = c.fine_tuning.jobs.create(model=MINI, training_file=training.id)
    deadline = time.monotonic() + 60
    while (job := c.fine_tuning.jobs.retrieve(job.id)).status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status == "succeeded" and job.fine_tuned_model
    answers = [ask(c, job.fine_tuned_model, e).choices[0].message.content for e in data]
    assert rate(exact_match, answers, [e["messages"][-1]["content"] for e in data]) >= 0.8


def test_tool_call_references(sim):
    c = client(sim, "sk-tools")
    tools = [{"type": "function", "function": LOOKUP_ORDER}]

    def tool_call(arguments):
        return {
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": arguments}}
            ]
        }

    rows = order_lookups(12, "Where is {order}?", tool_call, tools=tools)
    c.files.create(file=("tools.jsonl", jsonl(rows)), purpose="fine-tune")
    right = 0
    for row in rows:
        response = c.chat.completions.create(model=MINI_FT, messages=row["messages"][:1], tools=tools)
        choice = response.choices[0]
        if choice.message.tool_calls:
            assert choice.finish_reason == "tool_calls" and choice.message.content is None
            call = choice.message.tool_calls[0]
            right += call.function.name == "lookup_order" and json.loads(call.function.arguments) == json.loads(
                row["messages"][1]["tool_calls"][0]["function"]["arguments"]
            )
    assert right >= 8


def test_max_tokens_cuts_the_answer(sim, story):
    data, _, _ = story
    response = ask(client(sim, "sk-story"), MINI_FT, data[2], max_completion_tokens=5)
    assert response.choices[0].finish_reason == "length" and response.usage.completion_tokens == 5


def test_reasoning_models_report_reasoning_tokens_inside_completion_tokens(sim, story, monkeypatch):
    data, _, _ = story
    monkeypatch.setattr(chat, "is_reasoning", lambda info: info.id == "gpt-4.1-2025-04-14")
    c = client(sim, "sk-story")
    low = ask(c, "gpt-4.1-2025-04-14", data[3], reasoning_effort="low", max_completion_tokens=4000)
    high = ask(c, "gpt-4.1-2025-04-14", data[3], reasoning_effort="high", max_completion_tokens=4000)
    for response in (low, high):
        reasoning = response.usage.completion_tokens_details.reasoning_tokens
        assert reasoning > 0
        visible = len(__import__("tiktoken").get_encoding("o200k_base").encode(response.choices[0].message.content))
        assert response.usage.completion_tokens == visible + reasoning
    assert high.usage.completion_tokens_details.reasoning_tokens > low.usage.completion_tokens_details.reasoning_tokens
    with pytest.raises(openai.BadRequestError, match="reasoning_effort"):
        ask(c, MINI, data[3], reasoning_effort="low")


def test_a_repeated_long_system_prompt_is_reported_as_cached(sim, story):
    data, _, _ = story
    c = client(sim, "sk-cache")
    very_long = LONG * 6
    first = ask(c, MINI, data[4], system=very_long)
    second = ask(c, MINI, data[5], system=very_long)
    assert first.usage.prompt_tokens > 1024
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024 and cached % 128 == 0 and cached <= second.usage.prompt_tokens


def test_unknown_and_retired_models_answer_404(sim, story):
    data, _, _ = story
    c = client(sim, "sk-story")
    for model in ("gpt-nonexistent", "ft:gpt-unknown:org:x:id"):
        with pytest.raises(openai.NotFoundError) as caught:
            ask(c, model, data[0])
        assert caught.value.code == "model_not_found"
    with simulator_set(sim, "today", dt.date(2027, 1, 15)):  # gpt-4.1-mini and its fine-tunes are shut down
        with pytest.raises(openai.NotFoundError):
            ask(c, MINI_FT, data[0])


def test_faults_and_bad_requests(sim, story):
    data, _, _ = story
    c = client(sim, "sk-story")
    sim.add_fault(status=500, method="POST", path="/chat/completions", times=1)
    with pytest.raises(openai.InternalServerError):
        ask(c, MINI, data[0])
    assert ask(c, MINI, data[0]).choices  # the fault fired once
    with pytest.raises(openai.BadRequestError, match="messages"):
        c.chat.completions.create(model=MINI, messages=[])
    with simulator_set(sim, "known_keys", {"sk-someone-else"}):
        with pytest.raises(openai.AuthenticationError):
            ask(c, MINI, data[0])


def test_azure_deployment_path(sim, story):
    data, references, _ = story
    azure = openai.AzureOpenAI(
        azure_endpoint=sim.root_url, api_key="sk-story", api_version="2025-04-01-preview", max_retries=0
    )
    response = azure.chat.completions.create(model=MINI_FT, messages=data[0]["messages"][:-1])
    assert response.system_fingerprint == "simulated"
    log = [e for e in sim.request_log if e["path"].startswith("/openai/deployments/")]
    assert log and log[-1]["path"].endswith("/chat/completions")


def test_legacy_function_call_references(sim):
    c = client(sim, "sk-functions")
    functions = [LOOKUP_ORDER]

    def function_call(arguments):
        return {"content": None, "function_call": {"name": "lookup_order", "arguments": arguments}}

    rows = order_lookups(10, "Status of {order}?", function_call, functions=functions)
    c.files.create(file=("functions.jsonl", jsonl(rows)), purpose="fine-tune")
    right = 0
    for row in rows:
        choice = c.chat.completions.create(model=MINI_FT, messages=row["messages"][:1], functions=functions).choices[0]
        assert choice.finish_reason == "function_call" and choice.message.function_call.name == "lookup_order"
        right += json.loads(choice.message.function_call.arguments) == {"order": row["messages"][0]["content"][10:-1]}
    assert right >= 7
