"""The run as a promptfoo configuration, so the same comparison can run in CI.

promptfoo reads JSON as well as YAML (a YAML parser reads JSON), so the file is JSON and
needs no YAML dependency. Each candidate is a provider (``openai:chat:<model>``) with its
settings; the prompt is the example's messages (a candidate's system prompt replaces the file's
in its provider's own prompt); each example is a test asserting ``equals`` with the reference
(for a JSON reference the parsed object, which promptfoo compares deeply with the parsed output,
plus ``is-json``). promptfoo's ``equals`` on text is exact (no whitespace collapsing), so it can
be stricter than this package's ``exact_match``. Not run against promptfoo itself here (no
promptfoo in the test environment): the shape follows promptfoo's documented config.
"""

from __future__ import annotations

import json

from lib.evaluate.candidates import Candidate, build_request, default_max_tokens, response_format
from lib.evaluate.evalset import EvalSet
from lib.evaluate.scores import is_json, reference_json


def promptfoo_config(eval_set: EvalSet, candidates: list[Candidate]) -> str:
    """promptfoo ``promptfooconfig.yaml`` content (JSON text) for these examples and candidates."""
    providers, prompts = [], []
    for index, candidate in enumerate(candidates):
        prompt_id = f"messages for {candidate.display_label}"
        config: dict = {
            "temperature": candidate.temperature,
            "max_tokens": candidate.max_tokens or default_max_tokens(eval_set, candidate.model),
        }
        if candidate.reasoning_effort:
            config["reasoning_effort"] = candidate.reasoning_effort
        fmt = response_format(candidate, eval_set)
        if fmt is not None:
            config["response_format"] = fmt
        providers.append(
            {
                "id": f"openai:chat:{candidate.model}",
                "label": candidate.display_label,
                "prompts": [prompt_id],
                "config": config,
            }
        )
        # the messages of each test are a variable; this candidate's system prompt (if any) replaces the file's
        prompts.append({"label": prompt_id, "raw": "{{ messages_" + str(index + 1) + " | dump }}"})
    tests = []
    for example in eval_set.examples:
        variables = {}
        for index, candidate in enumerate(candidates):
            request = build_request(candidate, example, eval_set, max_tokens=1, response_format_value={})
            variables[f"messages_{index + 1}"] = request["messages"]
        test: dict = {"description": f"line {example.line}", "vars": variables}
        if example.tools:
            test["options"] = {"provider": {"config": {"tools": example.tools}}}
        asserts = []
        if example.reference.is_tool_calls:
            asserts.append({"type": "is-valid-openai-tools-call"})
        else:
            text = example.reference.text or ""
            expected = reference_json(text)
            if is_json(expected):
                # promptfoo's equals compares an object value with the parsed output, deeply
                asserts.append({"type": "is-json"})
                asserts.append({"type": "equals", "value": expected})
            else:
                asserts.append({"type": "equals", "value": text})
        test["assert"] = asserts
        tests.append(test)
    config = {
        "description": f"Tuning Desk evaluation of {eval_set.name} ({len(eval_set.examples)} examples)",
        "prompts": prompts,
        "providers": providers,
        "tests": tests,
    }
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"
