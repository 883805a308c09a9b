"""The cost of a call (contract section 5) to the cent, and the estimate before a run."""

import orjson
import pytest
import tiktoken

from lib.catalog import inference_prices
from lib.evaluate.candidates import Candidate
from lib.evaluate.evalset import load_eval_set
from lib.evaluate.pricing import call_cost, estimate, prompt_tokens_per_request, total_estimate, usage_of

MINI = "gpt-4.1-mini-2025-04-14"
MINI_FT = "ft:gpt-4.1-mini-2025-04-14:personal:desk:abc123"


def usage(prompt, cached, completion, reasoning=0):
    return {
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "completion_tokens": completion,
        "reasoning_tokens": reasoning,
    }


def test_catalog_prices_these_tests_assume():
    base, tuned = inference_prices(MINI), inference_prices(MINI_FT)
    assert (base.input, base.cached_input, base.output) == (0.4, 0.1, 1.6)
    assert (tuned.input, tuned.cached_input, tuned.output) == (0.8, 0.2, 3.2)


def test_cost_formula_with_cached_and_reasoning_tokens():
    # (12,000 - 4,096) x 0.40 + 4,096 x 0.10 + 3,000 x 1.60 (reasoning is inside the 3,000), per 1M
    cost = call_cost(MINI, usage(12_000, 4_096, 3_000, reasoning=1_000))
    assert cost == pytest.approx(0.0083712, abs=1e-12)
    # reasoning tokens are not billed a second time
    assert call_cost(MINI, usage(12_000, 4_096, 3_000, reasoning=0)) == pytest.approx(cost, abs=1e-15)


def test_fine_tuned_model_bills_at_fine_tuned_rates_on_openai_and_base_rates_on_azure():
    assert call_cost(MINI_FT, usage(12_000, 4_096, 3_000)) == pytest.approx(0.0167424, abs=1e-12)
    assert call_cost(MINI_FT, usage(12_000, 4_096, 3_000), calendar="azure") == pytest.approx(0.0083712, abs=1e-12)
    # an Azure deployment name says nothing: the caller says it is fine-tuned
    assert call_cost(MINI, usage(12_000, 4_096, 3_000), fine_tuned=True) == pytest.approx(0.0167424, abs=1e-12)


def test_cost_to_the_cent_on_a_million_tokens():
    assert round(call_cost("gpt-4o-2024-08-06", usage(1_000_000, 0, 1_000_000)), 2) == 12.50
    assert round(call_cost("gpt-4o-2024-08-06", usage(1_000_000, 1_000_000, 0)), 2) == 1.25
    assert round(call_cost("ft:gpt-4o-2024-08-06:org:x:id", usage(2_000_000, 0, 500_000)), 2) == 15.00


def test_model_without_cached_price_bills_cached_tokens_at_the_input_price():
    assert call_cost("gpt-3.5-turbo-0125", usage(1_000, 500, 100)) == pytest.approx((1_000 * 0.5 + 100 * 1.5) / 1e6)


def test_unknown_model_has_no_price():
    assert call_cost("stub-model-7b", usage(1_000, 0, 100)) is None
    assert call_cost("ft:unknown-base:org:x:id", usage(1_000, 0, 100)) is None


def test_usage_of_reads_the_sdk_shape_and_missing_details():
    raw = {
        "prompt_tokens": 120,
        "completion_tokens": 40,
        "total_tokens": 160,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 16},
    }
    assert usage_of(raw) == usage(120, 64, 40, 16)
    assert usage_of({"prompt_tokens": 5, "completion_tokens": 2}) == usage(5, 0, 2, 0)
    from openai.types import CompletionUsage

    assert usage_of(CompletionUsage.model_validate(raw)) == usage(120, 64, 40, 16)


def test_prompt_tokens_follow_the_chat_recipe_with_the_models_tokenizer():
    enc = tiktoken.get_encoding("o200k_base")
    messages = [{"role": "system", "content": "You are X."}, {"role": "user", "content": "hello there"}]
    expected = sum(3 + len(enc.encode(m["role"])) + len(enc.encode(m["content"])) for m in messages) + 3
    assert prompt_tokens_per_request([{"messages": messages}], MINI) == [expected]
    with_tools = prompt_tokens_per_request(
        [
            {
                "messages": messages,
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "lookup",
                            "description": "Find an order.",
                            "parameters": {"type": "object", "properties": {}},
                        },
                    }
                ],
            }
        ],
        MINI,
    )
    assert with_tools[0] > expected


def _chat_file(n=4):
    lines = []
    for i in range(n):
        lines.append(
            orjson.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "Answer in JSON."},
                        {"role": "user", "content": f"Question number {i}?"},
                        {"role": "assistant", "content": orjson.dumps({"answer": i, "ok": True}).decode()},
                    ]
                }
            )
        )
    return b"\n".join(lines) + b"\n"


def test_estimate_counts_prompts_exactly_and_outputs_from_the_references():
    eval_set = load_eval_set(_chat_file(), name="e.jsonl")
    enc = tiktoken.get_encoding("o200k_base")
    long_prompt = "Follow these rules carefully. " * 40
    estimates = estimate(
        eval_set, [Candidate(MINI_FT, label="ft"), Candidate(MINI, system=long_prompt), Candidate("stub-model")]
    )
    ft, prompted, unknown = estimates
    assert ft.calls == prompted.calls == 4
    per_prompt = [
        3 + 1 + len(enc.encode("Answer in JSON.")) + 3 + 1 + len(enc.encode(f"Question number {i}?")) + 3
        for i in range(4)
    ]
    assert ft.prompt_tokens == sum(per_prompt)
    assert prompted.prompt_tokens == sum(per_prompt) + 4 * (
        len(enc.encode(long_prompt)) - len(enc.encode("Answer in JSON."))
    )
    outputs = sum(len(enc.encode(orjson.dumps({"answer": i, "ok": True}).decode())) for i in range(4))
    assert ft.output_tokens == outputs
    assert ft.cost_usd == pytest.approx((ft.prompt_tokens * 0.8 + outputs * 3.2) / 1e6)
    assert prompted.label == f"{MINI}+prompt"
    assert unknown.cost_usd is None and "No price for stub-model" in unknown.note
    assert total_estimate(estimates) == pytest.approx(ft.cost_usd + prompted.cost_usd)
    assert ft.cost_per_1k_calls_usd == pytest.approx(ft.cost_usd / 4 * 1000)


def test_estimate_of_some_lines_only():
    eval_set = load_eval_set(_chat_file(), name="e.jsonl")
    [part] = estimate(eval_set, [Candidate(MINI)], lines={1, 3})
    assert part.calls == 2
