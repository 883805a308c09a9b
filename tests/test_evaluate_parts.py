"""The evaluation set, candidates and their requests, the report, recordings and the promptfoo export (pure parts)."""

from __future__ import annotations

import csv
import io
import json

import pytest
import tiktoken

from lib.evaluate import (
    CallResult,
    Candidate,
    CandidateSpecError,
    EvalInputError,
    RecordingError,
    build_request,
    flips,
    infer_schema,
    load_eval_set,
    load_recording,
    parse_candidate_spec,
    promptfoo_config,
    recording_bytes,
    scoreboard_csv,
    score_answer,
    summarize,
    text_table,
)
from lib.evaluate.candidates import default_max_tokens, few_shot_system
from lib.evaluate.report import percentile

MINI = "gpt-4.1-mini-2025-04-14"


def jsonl(*objects) -> bytes:
    return b"".join((o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objects)


def chat(user: str, answer, system: str | None = "Be brief.", **extra) -> dict:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    messages.append({"role": "assistant", "content": answer} if isinstance(answer, str) else answer)
    return {"messages": messages, **extra}


# -- the evaluation set -----------------------------------------------------------------------------
def test_prompt_is_everything_before_the_last_assistant_message_and_bad_lines_are_skipped():
    data = jsonl(
        chat("one", "uno"),
        b'{"messages": [broken',
        {"messages": [{"role": "user", "content": "no answer"}]},
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b", "weight": 0},
                {"role": "user", "content": "c"},
                {"role": "assistant", "content": "d", "weight": 1},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": "y"},
                {"role": "banana", "content": "z"},
            ]
        },
    )
    eval_set = load_eval_set(data, name="set.jsonl")
    assert [e.line for e in eval_set.examples] == [1, 4]
    assert eval_set.skipped == (2, 3, 5)
    multi = eval_set.examples[1]
    assert [m["content"] for m in multi.prompt_messages] == ["a", "b", "c"]
    assert all("weight" not in m for m in multi.prompt_messages)  # training-only key never sent
    assert multi.reference.text == "d" and multi.reference.tool_calls is None
    assert eval_set.examples[0].system == "Be brief."
    import hashlib

    assert eval_set.sha256 == hashlib.sha256(data).hexdigest() and eval_set.name == "set.jsonl"


def test_tool_call_references_and_tools_are_kept():
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    call = {
        "role": "assistant",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    eval_set = load_eval_set(jsonl(chat("go", call, tools=tools, parallel_tool_calls=False)), name="t")
    example = eval_set.examples[0]
    assert example.reference.is_tool_calls and example.reference.tool_calls[0]["function"]["name"] == "f"
    request = build_request(Candidate(MINI), example, eval_set)
    assert request["tools"] == tools and request["parallel_tool_calls"] is False


def test_limit_and_seed_take_the_same_sample_every_time():
    data = jsonl(*[chat(f"q{i}", f"a{i}") for i in range(50)])
    first = load_eval_set(data, name="s", limit=10, seed=7)
    again = load_eval_set(data, name="s", limit=10, seed=7)
    other = load_eval_set(data, name="s", limit=10, seed=8)
    assert [e.line for e in first.examples] == [e.line for e in again.examples]
    assert [e.line for e in first.examples] != [e.line for e in other.examples]
    assert [e.line for e in first.examples] == sorted(e.line for e in first.examples) and len(first) == 10
    assert len(load_eval_set(data, name="s", limit=500)) == 50


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (jsonl({"prompt": "a", "completion": "b"}), "prompt_completion format"),
        (jsonl({"messages": [{"role": "user", "content": "only a question"}]}), "no usable example"),
    ],
)
def test_unusable_sets_raise_one_sentence(data, fragment):
    with pytest.raises(EvalInputError, match=fragment) as caught:
        load_eval_set(data, name="bad.jsonl")
    assert "\n" not in str(caught.value)


# -- candidates -------------------------------------------------------------------------------------
def test_spec_grammar(tmp_path):
    system = tmp_path / "long.txt"
    system.write_text("Be thorough.", encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object", "properties": {}}', encoding="utf-8")
    c = parse_candidate_spec(
        f"{MINI},system={system},schema={schema},label=mini long,temperature=0.3,max_tokens=99,reasoning_effort=low"
    )
    assert (c.model, c.system, c.schema, c.label, c.temperature, c.max_tokens, c.reasoning_effort) == (
        MINI,
        "Be thorough.",
        {"type": "object", "properties": {}},
        "mini long",
        0.3,
        99,
        "low",
    )
    assert parse_candidate_spec(f"{MINI},schema=auto").schema == "auto"
    assert parse_candidate_spec(MINI).display_label == MINI
    assert parse_candidate_spec(f"{MINI},system={system}").display_label == f"{MINI}+prompt"


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("", "must start with a model id"),
        ("label=x", "must start with a model id"),
        (f"{MINI},flavour=x", "is not one of"),
        (f"{MINI},label=", "empty label"),
        (f"{MINI},label=a,label=b", "sets label twice"),
        (f"{MINI},temperature=3", "between 0 and 2"),
        (f"{MINI},max_tokens=-4", "at least 1"),
        (f"{MINI},reasoning_effort=extreme", "must be one of"),
        (f"{MINI},system=/nope/nothing.txt", "cannot read the system file"),
    ],
)
def test_bad_specs_are_one_sentence(spec, fragment):
    with pytest.raises(CandidateSpecError, match=fragment):
        parse_candidate_spec(spec)


def test_system_prompt_replaces_or_is_inserted():
    eval_set = load_eval_set(jsonl(chat("hi", "hello"), chat("yo", "hey", system=None)), name="s")
    with_system, without = eval_set.examples
    c = Candidate(MINI, system="LONG PROMPT")
    assert build_request(c, with_system, eval_set)["messages"] == [
        {"role": "system", "content": "LONG PROMPT"},
        {"role": "user", "content": "hi"},
    ]
    assert build_request(c, without, eval_set)["messages"][0] == {"role": "system", "content": "LONG PROMPT"}
    assert build_request(Candidate(MINI), with_system, eval_set)["messages"][0]["content"] == "Be brief."


def test_default_max_tokens_is_twice_the_longest_reference_at_least_256():
    enc = tiktoken.get_encoding("o200k_base")
    long_answer = "word " * 300
    eval_set = load_eval_set(jsonl(chat("a", "short"), chat("b", long_answer)), name="s")
    assert default_max_tokens(eval_set, MINI) == 2 * len(enc.encode(long_answer))
    small = load_eval_set(jsonl(chat("a", "short")), name="s")
    assert default_max_tokens(small, MINI) == 256
    request = build_request(Candidate(MINI), small.examples[0], small)
    assert request["max_completion_tokens"] == 256 and request["temperature"] == 0.0
    assert build_request(Candidate(MINI, max_tokens=10), small.examples[0], small)["max_completion_tokens"] == 10


def test_schema_auto_is_inferred_strictly_from_the_references():
    eval_set = load_eval_set(
        jsonl(chat("a", '{"id": 1, "tags": ["x"], "note": "n"}'), chat("b", '{"id": 2.5, "tags": [], "extra": true}')),
        name="s",
    )
    schema = infer_schema(eval_set)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["id", "tags", "note", "extra"]
    assert schema["properties"]["id"] == {"type": "number"}
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert schema["properties"]["note"]["type"] == ["string", "null"]  # missing in one reference
    request = build_request(Candidate(MINI, schema="auto"), eval_set.examples[0], eval_set)
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["strict"] is True
    text_set = load_eval_set(jsonl(chat("a", "plain")), name="s")
    assert infer_schema(text_set) is None
    with pytest.raises(CandidateSpecError, match="schema=auto needs references"):
        build_request(Candidate(MINI, schema="auto"), text_set.examples[0], text_set)


def test_few_shot_prompt_holds_the_examples_as_text():
    shots = load_eval_set(jsonl(chat("What is 2+2?", "4"), chat("Capital of France?", "Paris")), name="t").examples
    text = few_shot_system("Answer briefly.", list(shots))
    assert text.startswith("Answer briefly.") and "What is 2+2?" in text and "Paris" in text


# -- the report -------------------------------------------------------------------------------------
def results_for(eval_set, label, model, rights, **extra):
    out = []
    for example, right in zip(eval_set.examples, rights):
        if right is None:
            out.append(CallResult(example.line, label, model, error="The API did not answer in time."))
            continue
        answer = example.reference.text if right else "wrong"
        out.append(
            CallResult(
                example.line,
                label,
                model,
                answer=answer,
                finish_reason="stop",
                usage={"prompt_tokens": 100, "cached_tokens": 0, "completion_tokens": 10, "reasoning_tokens": 0},
                latency_ms=float(100 * example.line),
                scores=score_answer(answer, example.reference.text),
                **extra,
            )
        )
    return out


def test_summary_wins_losses_and_the_document():
    eval_set = load_eval_set(jsonl(*[chat(f"q{i}", f"a{i}") for i in range(10)]), name="s.jsonl")
    ft = Candidate(f"ft:{MINI}:o:x:1", label="ft")
    base = Candidate(MINI, label="base")
    ft_right = [True, True, True, True, True, True, True, False, False, None]
    base_right = [True, False, False, False, False, False, True, True, False, True]
    results = results_for(eval_set, "ft", ft.model, ft_right) + results_for(eval_set, "base", MINI, base_right)
    report = summarize(eval_set, [ft, base], results, prices_as_of="2026-11-26")
    doc = report.to_document()
    ft_doc, base_doc = doc["candidates"]
    assert ft_doc["calls"] == 10 and ft_doc["errors"] == 1
    assert ft_doc["scores"]["exact_match"] == pytest.approx(7 / 9)  # the error is not scored
    # pairs where both answered: lines 1-9; base wins on line 8, loses on lines 2-6
    assert base_doc["versus_baseline"] == {"wins": 1, "losses": 5, "p_value": pytest.approx(0.21875)}
    assert base_doc["usage"] == {
        "prompt_tokens": 1000,
        "cached_tokens": 0,
        "completion_tokens": 100,
        "reasoning_tokens": 0,
    }
    assert base_doc["cost_usd"] == pytest.approx(10 * (100 * 0.4 + 10 * 1.6) / 1e6)
    assert base_doc["latency_ms"] == {"p50": pytest.approx(550.0), "p95": pytest.approx(955.0)}
    rows = flips(eval_set, [ft, base], results)
    assert [(f.line, f.baseline_right, f.candidate_right) for f in rows] == [
        (2, True, False),
        (3, True, False),
        (4, True, False),
        (5, True, False),
        (6, True, False),
        (8, False, True),
    ]
    table = list(csv.DictReader(io.StringIO(scoreboard_csv(report))))
    assert table[1]["label"] == "base" and table[1]["wins"] == "1" and table[0]["wins"] == ""
    assert "base" in text_table(report) and "+1/-5" in text_table(report)


def test_unknown_model_costs_null_with_a_sentence():
    eval_set = load_eval_set(jsonl(chat("q", "a")), name="s")
    results = results_for(eval_set, "stub", "stub-model", [True])
    report = summarize(eval_set, [Candidate("stub-model", label="stub")], results, prices_as_of="x")
    stats = report.candidates[0]
    assert stats.cost_usd is None and stats.cost_per_1k_calls_usd is None
    assert "No price for stub-model" in stats.cost_note and report.notes


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 95) == 5 and percentile([], 50) is None


# -- recordings -------------------------------------------------------------------------------------
def test_recording_round_trip_and_as_references():
    eval_set = load_eval_set(jsonl(*[chat(f"q{i}", f"a{i}") for i in range(3)]), name="s.jsonl")
    candidates = [Candidate(MINI, label="mini")]
    results = results_for(eval_set, "mini", MINI, [True, False, None])
    data = recording_bytes(eval_set, candidates, results, settings={"seed": 0})
    recording = load_recording(data)
    assert recording.eval_sha256 == eval_set.sha256 and recording.labels == ["mini"]
    assert recording.answers("mini") == {1: "a0", 2: "wrong"}  # the failed call has no answer
    assert recording.candidates()[0].label == "mini"
    against = load_eval_set(jsonl(*[chat(f"q{i}", f"a{i}") for i in range(3)]), name="s.jsonl", against=recording)
    assert [e.reference.text for e in against.examples] == ["a0", "wrong"] and against.skipped == (3,)
    assert against.references_from == "recording mini"


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "is empty"),
        (b"nope\n", "line 1: not JSON"),
        (b'{"recording": "something-else"}\n', "line 1: not a recording header"),
        (b'{"recording": "tuning-desk-evaluate", "version": 9}\n', "version 9 is not supported"),
        (b'{"recording": "tuning-desk-evaluate", "version": 1}\n{"line": "x"}\n', "line 2: a result needs"),
        (b'{"recording": "tuning-desk-evaluate", "version": 1}\n{bad\n', "line 2: not JSON"),
    ],
)
def test_bad_recordings_are_one_sentence(data, fragment):
    with pytest.raises(RecordingError, match=fragment):
        load_recording(data, name="rec.jsonl")


def test_a_recording_of_another_file_or_label_is_refused():
    eval_set = load_eval_set(jsonl(chat("q", "a")), name="s.jsonl")
    recording = load_recording(recording_bytes(eval_set, [Candidate(MINI)], results_for(eval_set, MINI, MINI, [True])))
    with pytest.raises(EvalInputError, match="made on another file"):
        load_eval_set(jsonl(chat("q", "b")), name="other.jsonl", against=recording)
    with pytest.raises(EvalInputError, match="no candidate labelled 'ghost'"):
        load_eval_set(jsonl(chat("q", "a")), name="s.jsonl", against=recording, against_label="ghost")


# -- promptfoo --------------------------------------------------------------------------------------
def test_promptfoo_config_has_providers_prompts_and_assertions():
    eval_set = load_eval_set(jsonl(chat("q1", '{"b": 1, "a": [1]}'), chat("q2", "plain answer")), name="s")
    config = json.loads(
        promptfoo_config(eval_set, [Candidate(f"ft:{MINI}:o:x:1", label="ft"), Candidate(MINI, system="LONG")])
    )
    assert [p["id"] for p in config["providers"]] == [f"openai:chat:ft:{MINI}:o:x:1", f"openai:chat:{MINI}"]
    assert [p["label"] for p in config["providers"]] == ["ft", f"{MINI}+prompt"]
    assert all(p["prompts"][0] == prompt["label"] for p, prompt in zip(config["providers"], config["prompts"]))
    first, second = config["tests"]
    assert first["assert"] == [{"type": "is-json"}, {"type": "equals", "value": {"b": 1, "a": [1]}}]
    assert second["assert"] == [{"type": "equals", "value": "plain answer"}]
    assert first["vars"]["messages_2"][0] == {"role": "system", "content": "LONG"}
    assert first["vars"]["messages_1"][0] == {"role": "system", "content": "Be brief."}


def test_verdict_score_reads_and_clamps():
    from lib.evaluate import verdict_score

    assert verdict_score('{"score": 0.5, "reason": "half"}') == 0.5
    assert verdict_score('{"score": 7, "reason": ""}') == 1.0
    assert verdict_score('{"score": true}') is None
    assert verdict_score("not json") is None and verdict_score(None) is None


def test_a_reasoning_model_gets_room_to_reason_and_no_temperature(monkeypatch):
    from lib.evaluate import candidates

    monkeypatch.setattr(candidates, "is_reasoning_model", lambda model: model == "thinker")
    small = load_eval_set(jsonl(chat("a", "short")), name="s")
    assert default_max_tokens(small, "thinker") == 256 + candidates.REASONING_RESERVE_TOKENS
    request = build_request(Candidate("thinker", reasoning_effort="low"), small.examples[0], small)
    assert "temperature" not in request and request["reasoning_effort"] == "low"
    assert build_request(Candidate("thinker", temperature=1.0), small.examples[0], small)["temperature"] == 1.0


def test_blank_lines_the_validator_rejects_are_listed_as_skipped():
    data = jsonl(chat("a", "b")) + b"\n" + jsonl(chat("c", "d"))
    eval_set = load_eval_set(data, name="s")
    assert [e.line for e in eval_set.examples] == [1, 3] and eval_set.skipped == (2,)
    crlf = json.dumps(chat("a", "b")).encode() + b"\r\n" + json.dumps(chat("c", "d")).encode() + b"\r\n"
    assert load_eval_set(crlf, name="s").skipped == ()
