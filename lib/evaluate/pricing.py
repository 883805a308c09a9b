"""What calls cost: the measured cost of one call from its usage, and the estimate before a run.

Prices come from ``lib.catalog.inference_prices`` (per 1M tokens); a model the catalog doesn't
know has no price (``None`` and a sentence), never a made-up one. Prompt tokens are counted with
the project's validator (one rule for counting a conversation, tools included), output tokens
are estimated from the references' lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from lib import tokens
from lib.catalog import inference_prices, load_catalog
from lib.evaluate.candidates import (
    Candidate,
    build_request,
    default_max_tokens,
    encoding_of,
    is_fine_tunable,
    reference_as_text,
    response_format,
)
from lib.evaluate.evalset import EvalSet
from lib.validate import DEFAULT_MODEL, validate_bytes

PER_MILLION = 1_000_000
USAGE_KEYS = ("prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens")


def usage_of(usage) -> dict:
    """The four usage figures the contract reports, from an SDK ``CompletionUsage`` (or its dict); 0 where absent."""
    if usage is None:
        return dict.fromkeys(USAGE_KEYS, 0)
    raw = usage if isinstance(usage, dict) else usage.model_dump()
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return {
        "prompt_tokens": int(raw.get("prompt_tokens") or 0),
        "cached_tokens": int(prompt_details.get("cached_tokens") or 0),
        "completion_tokens": int(raw.get("completion_tokens") or 0),
        "reasoning_tokens": int(completion_details.get("reasoning_tokens") or 0),
    }


def call_cost(model: str, usage: dict, *, calendar: str = "openai", fine_tuned: bool | None = None) -> float | None:
    """USD of one call: (prompt - cached) x input + cached x cached-input + completion x output, per 1M tokens.

    ``usage`` is :func:`usage_of`'s dict (completion tokens already include reasoning tokens).
    A model without a cached-input price bills cached tokens at the input price. ``None`` when the
    catalog doesn't know the model.
    """
    prices = inference_prices(model, calendar=calendar, fine_tuned=fine_tuned)
    if prices is None:
        return None
    cached = usage.get("cached_tokens", 0)
    cached_price = prices.input if prices.cached_input is None else prices.cached_input
    return (
        (usage.get("prompt_tokens", 0) - cached) * prices.input
        + cached * cached_price
        + usage.get("completion_tokens", 0) * prices.output
    ) / PER_MILLION


def unknown_price_sentence(model: str) -> str:
    """Why a model has no cost: the catalog has no price for it."""
    return (
        f"No price for {model}: the catalog (prices as of {load_catalog().as_of}) doesn't know this model, "
        "so its cost is not shown rather than guessed."
    )


def prompt_tokens_per_request(requests: list[dict], model: str) -> list[int]:
    """Prompt tokens of each request's messages and tools, counted by the validator's rule with the model's tokenizer.

    Each request is counted as a conversation ending in an empty assistant message, whose own
    cost (3 + the role) is taken off: what is left is the prompt plus the reply priming.
    """
    if not requests:
        return []
    encoding = encoding_of(model)
    lines = []
    for request in requests:
        line = {"messages": [*request["messages"], {"role": "assistant", "content": ""}]}
        for key in ("tools", "functions"):
            if request.get(key):
                line[key] = request[key]
        lines.append(orjson.dumps(line))
    report = validate_bytes(b"\n".join(lines) + b"\n", model=_validator_model(model))
    empty_answer = 3 + tokens.count_text("assistant", encoding)
    return [max(0, (n or 0) - empty_answer) for n in report.per_example_tokens]


def _validator_model(model: str) -> str:
    """A model the validator counts for, with ``model``'s tokenizer (the count depends only on it).

    The validator checks files for training, so it is given a fine-tunable model of the same
    encoding rather than, say, a replacement model that can't be fine-tuned.
    """
    encoding = encoding_of(model)
    for info in load_catalog().models.values():
        if info.encoding == encoding and is_fine_tunable(info):
            return info.id
    return DEFAULT_MODEL


@dataclass(frozen=True)
class CandidateEstimate:
    """The estimated tokens and cost of one candidate's calls over the set (before any call)."""

    label: str
    model: str
    calls: int
    prompt_tokens: int
    output_tokens: int
    cost_usd: float | None
    note: str = ""  # a sentence when there is no price, or what the estimate assumes

    @property
    def cost_per_1k_calls_usd(self) -> float | None:
        return None if self.cost_usd is None or not self.calls else self.cost_usd / self.calls * 1000


def estimate(
    eval_set: EvalSet, candidates: list[Candidate], *, calendar: str = "openai", lines: set[int] | None = None
) -> list[CandidateEstimate]:
    """Estimated tokens and cost per candidate: prompt tokens exact, output as long as the references.

    ``lines`` restricts the estimate to those examples (a resumed run's remaining calls; per
    candidate the same lines). No cached-input discount is assumed (an upper estimate), and
    reasoning tokens are not foreseen (the sentence says so for reasoning models).
    """
    from lib.evaluate.candidates import is_reasoning_model

    examples = [e for e in eval_set.examples if lines is None or e.line in lines]
    out = []
    for candidate in candidates:
        fmt = response_format(candidate, eval_set)
        limit = candidate.max_tokens or default_max_tokens(eval_set, candidate.model)
        requests = [
            build_request(candidate, e, eval_set, max_tokens=limit, response_format_value=fmt) for e in examples
        ]
        prompt = sum(prompt_tokens_per_request(requests, candidate.model))
        encoding = encoding_of(candidate.model)
        output = sum(min(limit, tokens.count_text(reference_as_text(e), encoding)) for e in examples)
        usage = {"prompt_tokens": prompt, "cached_tokens": 0, "completion_tokens": output}
        cost = call_cost(candidate.model, usage, calendar=calendar)
        note = ""
        if cost is None:
            note = unknown_price_sentence(candidate.model)
        elif is_reasoning_model(candidate.model):
            note = "A reasoning model also bills its reasoning tokens as output; the estimate cannot foresee them."
        out.append(
            CandidateEstimate(candidate.display_label, candidate.model, len(examples), prompt, output, cost, note)
        )
    return out


def total_estimate(estimates: list[CandidateEstimate]) -> float | None:
    """The sum of the known costs (None when no candidate has a price)."""
    known = [e.cost_usd for e in estimates if e.cost_usd is not None]
    return sum(known) if known else None
