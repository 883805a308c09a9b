"""Tests of lib.validate: one small crafted line per finding code, exact token counts, the helpers."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from lib import catalog
from lib.catalog import UnknownModelError
from lib.tokens import get_encoding
from lib.validate.codes import SPECIAL_TOKEN_MARK
from lib.validate import (
    DEFAULT_MODEL,
    ERROR_CODES,
    SPECIAL_TOKENS,
    WARNING_CODES,
    FileUnreadable,
    clean_jsonl,
    conversation,
    read_example,
    split_jsonl,
    validate_bytes,
    validate_path,
)
from tests.factories import (
    BAD_LINE, BASE, CRAFTED, LINE_CODES, bot, call, chat, data_uri, good, image_part, jsonl, png, sys_msg, tool, user,
)  # fmt: skip


def check(*extra_lines, model=DEFAULT_MODEL, **kwargs):
    """Report of BASE followed by the crafted lines (the first crafted line is BAD_LINE)."""
    return validate_bytes(jsonl(*BASE, *extra_lines), model=model, **kwargs)


def found(report, code: str) -> list:
    return [f for f in report.errors + report.warnings if f.code == code]


def lines_of(report, code: str) -> set:
    return {f.line for f in found(report, code)}


def test_base_file_is_clean():
    report = check()
    assert report.ok and report.errors == [] and report.warnings == []
    assert report.format == "chat" and report.lines == 50 and report.examples == 50


# --------------------------------------------------------------------------- one crafted line per code


def test_every_contract_code_is_known():
    contract = set(CRAFTED)
    assert contract <= set(ERROR_CODES) | set(WARNING_CODES)
    assert set(ERROR_CODES) <= contract  # no extra error codes beyond the contract


@pytest.mark.parametrize("code", LINE_CODES)
def test_crafted_line_gives_its_code_on_its_line(code):
    report = check(*CRAFTED[code])
    assert lines_of(report, code) == {BAD_LINE}, [f.message for f in report.errors + report.warnings]
    finding = found(report, code)[0]
    assert finding.message.startswith(f"line {BAD_LINE}: ")
    assert finding.severity == ("error" if code in ERROR_CODES else "warning")
    assert report.ok == (code not in ERROR_CODES)
    # nothing else is wrong on the 50 good lines
    assert all(f.line in (None, BAD_LINE, BAD_LINE + 1) for f in report.errors + report.warnings)


def test_unrecognized_role_message_names_line_message_and_role():
    report = check(*CRAFTED["unrecognized_role"])
    (finding,) = found(report, "unrecognized_role")
    assert (
        finding.message
        == f'line {BAD_LINE}: message 2 has role "bot"; expected system, user, assistant, tool or function'
    )


def test_invalid_dpo():
    pair = {
        "input": {"messages": [user("Tell me a joke")]},
        "preferred_output": [bot("Why did the chicken...")],
        "non_preferred_output": [bot("No.")],
    }
    lines = [{**pair, "input": {"messages": [user(f"Joke {i}")]}} for i in range(12)]
    bad = {**pair, "preferred_output": [bot("a"), bot("b")]}
    report = validate_bytes(jsonl(*lines, bad))
    assert report.format == "dpo"
    assert lines_of(report, "invalid_dpo") == {13}
    assert "exactly one assistant message" in found(report, "invalid_dpo")[0].message


def test_invalid_prompt_completion():
    lines = [{"prompt": f"{i} + {i} =", "completion": f" {2 * i}"} for i in range(12)]
    report = validate_bytes(jsonl(*lines, {"prompt": "x", "completion": 5}, {"prompt": "y", "response": "z"}))
    assert report.format == "prompt_completion"
    assert lines_of(report, "invalid_prompt_completion") == {13, 14}
    assert 'rename "response" to "completion"' in found(report, "invalid_prompt_completion")[1].message


def test_too_few_examples():
    report = validate_bytes(jsonl(*BASE[:9]))
    (finding,) = found(report, "too_few_examples")
    assert finding.line is None and "9 valid examples" in finding.message and "at least 10" in finding.message
    assert not report.ok
    assert validate_bytes(jsonl(*BASE[:10])).errors == []


def test_small_dataset():
    report = validate_bytes(jsonl(*BASE[:20]))
    assert report.ok
    assert [f.line for f in found(report, "small_dataset")] == [None]
    assert found(check(), "small_dataset") == []


@pytest.mark.parametrize("n_examples", [0, 1, 9])
def test_a_file_under_ten_examples_is_also_a_small_dataset(n_examples):
    report = validate_bytes(jsonl(*BASE[:n_examples]))
    assert [f.code for f in report.errors] == ["too_few_examples"]
    (warning,) = found(report, "small_dataset")
    assert warning.line is None and f"has {n_examples} valid example" in warning.message


def test_file_too_large(monkeypatch):
    limits = catalog.load_catalog().limits
    monkeypatch.setitem(limits, "max_file_bytes", 1000)
    data = jsonl(*BASE)
    report = validate_bytes(data)
    (finding,) = found(report, "file_too_large")
    assert finding.line is None and not report.ok
    assert report.examples == 0 and report.lines == 50  # lines are counted, not parsed


def test_truncated_uses_the_model_training_limit():
    info = catalog.load_catalog().resolve("gpt-3.5-turbo-0125")
    long_text = " hello" * (info.training_context + 10)
    report = check(chat(sys_msg(), user(long_text), bot()), model="gpt-3.5-turbo-0125")
    (finding,) = found(report, "truncated")
    assert finding.line == BAD_LINE and f"{info.training_context:,}" in finding.message
    assert report.per_example_tokens[BAD_LINE - 1] > info.training_context
    # billing caps each example at the limit
    capped = sum(min(t, info.training_context) for t in report.per_example_tokens)
    assert report.billed_tokens_per_epoch == capped < report.total_tokens


def test_model_retired():
    info = catalog.load_catalog().resolve("gpt-3.5-turbo-0125")
    report = check(model="gpt-3.5-turbo-0125")
    retired = found(report, "model_retired")
    assert bool(retired) == info.is_retired(catalog.today())
    if retired:
        assert retired[0].line is None and report.ok  # still checked, still usable
    assert found(check(), "model_retired") == [] or catalog.load_catalog().resolve(DEFAULT_MODEL).is_retired(
        catalog.today()
    )


def test_train_validation_overlap():
    validation = jsonl(good(3), good(1000), good(7))
    report = validate_bytes(jsonl(*BASE), validation=validation)
    assert report.overlap == [(4, 1), (8, 3)]
    assert lines_of(report, "train_validation_overlap") == {4, 8}
    assert "line 1 of the validation file" in found(report, "train_validation_overlap")[0].message
    assert report.validation is not None and report.validation.examples == 3
    assert report.validation.billed_tokens == 0  # validation tokens are not billed
    assert found(report.validation, "too_few_examples") == []


def test_validation_file_errors_fail_the_report():
    report = validate_bytes(jsonl(*BASE), validation=jsonl(good(1), b"{oops"))
    assert report.errors == [] and not report.ok
    assert lines_of(report.validation, "invalid_json") == {2}


def test_validation_file_of_another_format_is_an_error():
    report = validate_bytes(jsonl(*BASE), validation=jsonl({"prompt": "a", "completion": "b"}))
    assert [f.code for f in report.errors] == ["mixed_formats"]


# --------------------------------------------------------------------------- more checks of each code


@pytest.mark.parametrize("special", SPECIAL_TOKENS)
def test_each_special_token_is_an_error(special):
    assert SPECIAL_TOKEN_MARK in special  # the checks look for special tokens only in texts holding the mark
    report = check(chat(sys_msg(), user(), bot(f"ok {special}")))
    (finding,) = found(report, "special_token")
    assert special in finding.message and "message 3 (assistant)" in finding.message
    for content in (f"{special} first", f"| a table | {special} |", special):  # fast path, every position
        assert lines_of(check(chat(sys_msg(), user(content), bot())), "special_token") == {BAD_LINE}


def test_special_token_in_tool_arguments_and_names_too():
    line = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call(arguments='{"q": "<|im_start|>"}')]},
                tools=[tool()])  # fmt: skip
    assert lines_of(check(line), "special_token") == {BAD_LINE}
    assert lines_of(check(chat(sys_msg(), {**user(), "name": "<|im_sep|>"}, bot())), "special_token") == {BAD_LINE}


def test_text_that_only_looks_special_is_fine():
    assert check(chat(sys_msg(), user("a <| b |> <|other|>"), bot())).ok


@pytest.mark.parametrize(
    "line, reason",
    [
        (b'{"messages": [1, 2}', "invalid JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
        (b'{"a": 1}{"b": 2}', "Extra data"),
        (b'{"a": NaN}', "invalid JSON"),
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b"# my notes", "comment"),
        (b'  {"role": "user", "content": "hi"},', "pretty-printed"),
    ],
)
def test_invalid_json_explains_itself(line, reason):
    report = check(line)
    (finding,) = found(report, "invalid_json")
    assert finding.line == BAD_LINE and reason in finding.message


def test_deep_nesting_inside_a_message_does_not_crash():
    deep = "[" * 1000 + "]" * 1000
    line = b'{"messages": [{"role": "user", "content": ' + deep.encode() + b"}]}"
    report = check(line)
    assert lines_of(report, "missing_content") == {BAD_LINE}


def test_data_type_for_every_non_object():
    report = check(b"42", b'"text"', b"null", b"true")
    assert lines_of(report, "data_type") == {BAD_LINE, BAD_LINE + 1, BAD_LINE + 2, BAD_LINE + 3}


def test_encoding_error_names_the_byte():
    report = check(*CRAFTED["encoding_error"])
    assert "0xe9" in found(report, "encoding_error")[0].message


@pytest.mark.parametrize(
    "head, words",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 100, "gzip"),
        ('{"messages": []}\n'.encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02binary\x00", "binary"),
    ],
)
def test_non_text_files_get_one_file_level_error(head, words):
    report = validate_bytes(head + b"\n" * 5)
    assert [(f.line, f.code) for f in report.errors] == [(None, "encoding_error")]
    assert words in report.errors[0].message


def test_utf8_bom_is_reported_not_crashed():
    report = validate_bytes(b"\xef\xbb\xbf" + jsonl(*BASE))
    assert lines_of(report, "encoding_error") == {1} and "BOM" in report.errors[0].message
    assert report.examples == 49


def test_unknown_format_hints():
    trl = {"prompt": [user()], "chosen": [bot()], "rejected": [bot("no")]}
    message = found(check(trl), "unknown_format")[0].message
    assert "prompt/chosen/rejected" in message and "preferred_output" in message
    assert "ShareGPT" in found(check({"conversations": []}), "unknown_format")[0].message
    assert "single message" in found(check(user()), "unknown_format")[0].message


def test_mixed_formats_message_names_both_formats():
    message = found(check(*CRAFTED["mixed_formats"]), "mixed_formats")[0].message
    assert "prompt/completion" in message and "chat" in message and "line 1" in message


def test_missing_messages_list_variants():
    report = check({"messages": "hello"}, {"messages": None}, {"messages": []})
    assert lines_of(report, "missing_messages_list") == {BAD_LINE, BAD_LINE + 1, BAD_LINE + 2}
    assert report.per_example_tokens[BAD_LINE - 1] is None and report.examples == 50


def test_message_missing_key_variants():
    report = check(chat(sys_msg(), "just a string", user(), bot()), chat(sys_msg(), {"content": "x"}, user(), bot()))
    messages = [f.message for f in found(report, "message_missing_key")]
    assert "message 2 is a string" in messages[0] and 'message 2 has no "role"' in messages[1]


def test_message_unrecognized_key_names_the_key_and_allowed_keys():
    message = found(check(*CRAFTED["message_unrecognized_key"]), "message_unrecognized_key")[0].message
    assert '"mood"' in message and "content, name or role" in message


@pytest.mark.parametrize(
    "message",
    [
        user(""),
        user(None),
        {"role": "user"},
        user(5),
        user([]),
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]},
        {"role": "assistant"},
        {"role": "assistant", "content": ""},
    ],
)
def test_missing_content_variants(message):
    line = (
        chat(sys_msg(), user(), bot(), message) if message["role"] == "assistant" else chat(sys_msg(), message, bot())
    )
    assert lines_of(check(line), "missing_content") == {BAD_LINE}


def test_assistant_with_tool_calls_may_omit_content():
    line = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call()]}, tools=[tool()])
    line_null = chat(sys_msg(), user(), {"role": "assistant", "content": None, "tool_calls": [call()]}, tools=[tool()])
    assert check(line, line_null).ok


@pytest.mark.parametrize("weight", [2, -1, 0.5, True, "1", None])
def test_invalid_weight_values(weight):
    assert lines_of(check(chat(sys_msg(), user(), bot(weight=weight))), "invalid_weight") == {BAD_LINE}


def test_weight_on_user_message_is_invalid():
    report = check(chat(sys_msg(), {**user(), "weight": 1}, bot()))
    assert "only assistant messages" in found(report, "invalid_weight")[0].message


def test_weights_zero_and_one_are_accepted_and_counted():
    report = check(chat(sys_msg(), user(), bot("a", weight=0), user(), bot("b", weight=1)))
    assert report.ok and report.warnings == []


def test_all_weights_zero_is_a_warning():
    report = check(chat(sys_msg(), user(), bot("a", weight=0)))
    assert report.ok and lines_of(report, "no_trained_messages") == {BAD_LINE}


@pytest.mark.parametrize(
    "bad_call, words",
    [
        (call(arguments={"city": "Paris"}), "JSON-encoded string"),
        (call(arguments=json.dumps(json.dumps({"city": "Paris"}))), "JSON-encoded twice"),
        (call(arguments="{city: Paris}"), "not valid JSON"),
        (call(arguments="[1, 2]"), "encodes a list"),
        ({"type": "function", "function": {"name": "f", "arguments": "{}"}}, 'no "id"'),
        ({"id": "c", "type": "web", "function": {"name": "f", "arguments": "{}"}}, 'expected "function"'),
        ({"id": "c", "type": "function", "function": {"arguments": "{}"}}, 'no function "name"'),
    ],
)
def test_invalid_tool_call_variants(bad_call, words):
    line = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [bad_call]}, tools=[tool()])
    finding = found(check(line), "invalid_tool_call")[0]
    assert finding.line == BAD_LINE and words in finding.message


def test_legacy_function_call_checked_like_tool_calls():
    ok = chat(sys_msg(), user(), {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
              {"role": "function", "name": "f", "content": "42"}, bot("42"),
              functions=[{"name": "f", "parameters": {"type": "object", "properties": {}}}])  # fmt: skip
    bad = chat(sys_msg(), user(), {"role": "assistant", "function_call": {"name": "f", "arguments": '"{}"'}}, bot())
    report = check(ok, bad)
    assert lines_of(report, "invalid_tool_call") == {BAD_LINE + 1}
    assert lines_of(check(chat(sys_msg(), user(), {"role": "function", "content": "1"}, bot())), "message_missing_key")


def test_tool_message_must_answer_an_earlier_call():
    answered = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call("call_7")]},
                    {"role": "tool", "tool_call_id": "call_7", "content": "21"}, bot("21 degrees"), tools=[tool()])  # fmt: skip
    before = chat(sys_msg(), user(), {"role": "tool", "tool_call_id": "call_7", "content": "21"},
                  {"role": "assistant", "tool_calls": [call("call_7")]}, bot(), tools=[tool()])  # fmt: skip
    no_id = chat(sys_msg(), user(), {"role": "tool", "content": "21"}, bot())
    report = check(answered, before, no_id)
    assert lines_of(report, "unmatched_tool_message") == {BAD_LINE + 1, BAD_LINE + 2}


@pytest.mark.parametrize(
    "extra",
    [
        {"tools": "get_weather"},
        {"tools": [{"type": "function"}]},
        {"tools": [tool(name="has space")]},
        {"tools": [tool(name="x" * 65)]},
        {"functions": []},
        {"functions": [{"name": "f"}] * 129},
        {"parallel_tool_calls": "no"},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": "none"}}]},
    ],
)
def test_invalid_tools_variants(extra):
    assert lines_of(check(chat(sys_msg(), user(), bot(), **extra)), "invalid_tools") == {BAD_LINE}


def test_valid_tools_with_parallel_tool_calls_false():
    assert check(chat(sys_msg(), user(), bot(), tools=[tool()], parallel_tool_calls=False)).ok


def test_invalid_image_variants():
    eleven = [image_part(f"https://x.test/{i}.png") for i in range(11)]
    lines = [
        chat(sys_msg(), {"role": "user", "content": eleven}, bot()),
        chat(sys_msg(), {"role": "user", "content": [image_part("ftp://x.test/a.png")]}, bot()),
        chat(sys_msg(), {"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, bot()),
        chat(sys_msg(), {"role": "user", "content": [image_part("data:text/plain;base64,aGk=")]}, bot()),
        chat({"role": "system", "content": [image_part("https://x.test/a.png")]}, user(), bot()),
        chat(sys_msg(), {"role": "user", "content": [image_part("https://x.test/a.png", detail="ultra")]}, bot()),
    ]
    report = check(*lines, model="gpt-4o-2024-08-06")
    assert lines_of(report, "invalid_image") == set(range(BAD_LINE, BAD_LINE + 6))
    assert "11 images" in found(report, "invalid_image")[0].message


def test_images_in_user_messages_are_fine_for_a_vision_model():
    line = chat(sys_msg(), {"role": "user", "content": [{"type": "text", "text": "What is it?"},
                                                        image_part(data_uri(png(64, 64)), "low")]}, bot("A dot."))  # fmt: skip
    report = check(line, model="gpt-4o-2024-08-06")
    assert report.ok and report.warnings == []
    warned = check(line)  # gpt-4o-mini is not listed for vision fine-tuning
    assert [f.code for f in warned.warnings] == ["images_need_vision_model"]


def test_image_of_unsupported_format_is_a_warning():
    gif = data_uri(b"GIF89a" + b"\x00" * 20, "gif")
    lying = data_uri(b"GIF89a" + b"\x00" * 20, "png")
    report = check(chat(sys_msg(), {"role": "user", "content": [image_part(gif)]}, bot()),
                   chat(sys_msg(), {"role": "user", "content": [image_part(lying)]}, bot()), model="gpt-4o-2024-08-06")  # fmt: skip
    assert report.ok and lines_of(report, "image_skipped") == {BAD_LINE, BAD_LINE + 1}


def test_developer_role_is_a_warning_only():
    report = check(*CRAFTED["developer_role"])
    assert report.ok and found(report, "missing_system_message") == []


def test_rft_data_is_explained():
    rft = chat({"role": "developer", "content": "Use the tool."}, user("Find shoes"), reference_answer="shoes")
    report = check(rft)
    message = found(report, "example_missing_assistant_message")[0].message
    assert "reinforcement fine-tuning" in message and '"reference_answer"' in message
    assert lines_of(report, "unrecognized_example_key") == {BAD_LINE}


def test_duplicate_names_the_first_line_and_ignores_surrounding_whitespace():
    report = check(b"  " + json.dumps(good(5)).encode() + b"\r")
    (finding,) = found(report, "duplicate_example")
    assert finding.line == BAD_LINE and "identical to line 6" in finding.message
    assert report.duplicates == {BAD_LINE: 6}


def test_crlf_line_endings_are_fine():
    data = jsonl(*BASE).replace(b"\n", b"\r\n")
    report = validate_bytes(data)
    assert report.ok and report.lines == 50 and report.warnings == []


# --------------------------------------------------------------------------- DPO and prompt/completion


def dpo(i=0, **changes):
    pair = {
        "input": {"messages": [sys_msg(), user(f"Question {i}?")]},
        "preferred_output": [bot(f"Good answer {i}.")],
        "non_preferred_output": [bot(f"Bad answer {i}.")],
    }
    pair.update(changes)
    return pair


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"input": "What is the capital of France?"}, '"input" is a string'),
        ({"input": {"messages": []}}, "non-empty list"),
        ({"preferred_output": "Paris"}, "exactly one assistant message"),
        ({"non_preferred_output": []}, "a list of 0"),
        ({"preferred_output": [user("x")]}, 'role "assistant"'),
        ({"input": {"messages": [user("q"), bot("a")]}}, "ends with an assistant message"),
        ({"input": {"messages": [{"role": "user", "content": [image_part("https://x.test/a.png")]}]}}, "text only"),
    ],
)
def test_invalid_dpo_variants(changes, words):
    data = jsonl(*[dpo(i) for i in range(12)], dpo(99, **changes))
    findings = found(validate_bytes(data, model="gpt-4.1-mini-2025-04-14"), "invalid_dpo")
    assert findings and findings[0].line == 13 and any(words in f.message for f in findings)


def test_missing_dpo_side():
    pair = dpo(1)
    del pair["non_preferred_output"]
    report = validate_bytes(jsonl(*[dpo(i) for i in range(12)], pair))
    assert '"non_preferred_output" is missing' in found(report, "invalid_dpo")[0].message


def test_dpo_tokens_count_input_and_preferred_only():
    enc = get_encoding("o200k_base")
    pair = dpo(1)
    report = validate_bytes(jsonl(pair))
    messages = pair["input"]["messages"] + pair["preferred_output"]
    assert report.per_example_tokens == [recipe_tokens(messages, enc)]
    assert report.assistant_tokens == [len(enc.encode(pair["preferred_output"][0]["content"]))]
    assert report.n_messages == [3]


def test_dpo_identical_outputs_warned():
    report = validate_bytes(jsonl(*[dpo(i) for i in range(12)], dpo(50, non_preferred_output=[bot("Good answer 50.")])))
    assert lines_of(report, "dpo_identical_outputs") == {13}


def test_dpo_with_a_model_without_dpo_is_warned():
    report = validate_bytes(jsonl(*[dpo(i) for i in range(12)]), model="gpt-3.5-turbo-0125")
    assert [f.line for f in found(report, "format_not_supported_by_model")] == [None]


def test_prompt_completion_tokens():
    enc = get_encoding("cl100k_base")
    line = {"prompt": "Translate: cheese ->", "completion": " fromage\n"}
    report = validate_bytes(jsonl(line), model="davinci-002")
    assert report.per_example_tokens == [len(enc.encode(line["prompt"])) + len(enc.encode(line["completion"]))]
    assert report.assistant_tokens == [len(enc.encode(line["completion"]))]
    assert report.n_messages == [None]


def test_empty_prompts_are_accepted():
    report = validate_bytes(jsonl(*[{"prompt": "", "completion": f" answer {i}"} for i in range(12)]))
    assert report.ok


# --------------------------------------------------------------------------- token counts


def recipe_tokens(messages, enc) -> int:
    """The cookbook's num_tokens_from_messages, with tiktoken as the reference."""
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += len(enc.encode(value))
            if key == "name":
                total += 1
    return total + 3


@pytest.mark.parametrize("model", ["gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125"])
def test_chat_tokens_equal_the_cookbook_recipe(model):
    encoding = catalog.load_catalog().resolve(model).encoding
    enc = get_encoding(encoding)
    examples = [
        chat(
            sys_msg("Tu es un assistant. Réponds en français."), user("Qu'est-ce qu'un café ☕?"), bot("Une boisson.")
        ),
        chat({**user("hi"), "name": "alice"}, bot("Hello, Alice! 👋"), user("東京はどこ?"), bot("日本です。")),
        chat(sys_msg("x" * 5000), user("  spaces\n\nand\ttabs  "), bot("ok")),
    ]
    report = validate_bytes(jsonl(*examples), model=model)
    assert report.encoding == encoding
    assert report.per_example_tokens == [recipe_tokens(e["messages"], enc) for e in examples]
    assert report.assistant_tokens == [
        sum(len(enc.encode(m["content"])) for m in e["messages"] if m["role"] == "assistant") for e in examples
    ]
    assert report.system_tokens == [len(enc.encode(examples[0]["messages"][0]["content"])), None,
                                    len(enc.encode("x" * 5000))]  # fmt: skip
    assert report.total_tokens == sum(report.per_example_tokens)


def test_weight_is_not_counted_as_text():
    enc = get_encoding("o200k_base")
    plain = chat(sys_msg(), user(), bot("a"))
    weighted = chat(sys_msg(), user(), bot("a", weight=1))
    report = validate_bytes(jsonl(plain, weighted))
    assert report.per_example_tokens == [recipe_tokens(plain["messages"], enc)] * 2


def test_content_parts_count_their_text():
    enc = get_encoding("o200k_base")
    parts = chat(sys_msg(), {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
                 {"role": "assistant", "content": [{"type": "text", "text": "three"}]})  # fmt: skip
    report = validate_bytes(jsonl(parts))
    expected = 3 * 3 + 3 + sum(len(enc.encode(t)) for t in ("system", "user", "assistant", sys_msg()["content"],
                                                             "one", "two", "three"))  # fmt: skip
    assert report.per_example_tokens == [expected]
    assert report.assistant_tokens == [len(enc.encode("three"))]


def test_tool_definitions_follow_the_cookbook_constants():
    enc = get_encoding("o200k_base")
    plain = chat(sys_msg(), user(), bot())
    with_tools = chat(sys_msg(), user(), bot(), tools=[tool()])
    report = validate_bytes(jsonl(plain, with_tools))
    # num_tokens_for_tools for gpt-4o: func_init 7, prop_init 3, prop_key 3, enum_init -3, enum_item 3, func_end 12
    expected = 7 + len(enc.encode("get_weather:Get the weather"))
    expected += 3
    expected += 3 + len(enc.encode("city:string:City name"))
    expected += (
        3 - 3 + 3 + len(enc.encode("celsius")) + 3 + len(enc.encode("fahrenheit")) + len(enc.encode("unit:string:Unit"))
    )
    expected += 12
    assert report.per_example_tokens[1] - report.per_example_tokens[0] == expected


def test_tool_calls_count_id_name_and_arguments():
    enc = get_encoding("o200k_base")
    line = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call("call_1", "f", '{"a": 1}')]},
                {"role": "tool", "tool_call_id": "call_1", "content": "ok"}, bot("done"))  # fmt: skip
    report = validate_bytes(jsonl(line))
    strings = ["system", sys_msg()["content"], "user", "Hi", "assistant", "call_1", "f", '{"a": 1}',
               "tool", "ok", "call_1", "assistant", "done"]  # fmt: skip
    assert report.per_example_tokens == [5 * 3 + 3 + sum(len(enc.encode(s)) for s in strings)]
    assert report.assistant_tokens == [len(enc.encode("f")) + len(enc.encode('{"a": 1}')) + len(enc.encode("done"))]


def test_image_tokens():
    enc = get_encoding("o200k_base")

    def user_with(part):
        return chat(sys_msg(), {"role": "user", "content": [part]}, bot())

    base = validate_bytes(jsonl(chat(sys_msg(), {"role": "user", "content": []}, bot())), model="gpt-4o-2024-08-06")
    del base
    text_only = chat(sys_msg(), user(""), bot())
    plain = recipe_tokens([m for m in text_only["messages"] if m["content"]], enc) + 3 + len(enc.encode("user"))
    lines = [
        user_with(image_part("https://x.test/a.png", "low")),
        user_with(image_part(data_uri(png(1024, 2048)), "high")),  # 768x1536 -> 2x3 tiles
        user_with(image_part(data_uri(png(300, 200)), "auto")),  # 1 tile
        user_with(image_part("https://x.test/a.png")),  # unknown size: 1024x1024 assumed, 4 tiles
    ]
    report = validate_bytes(jsonl(*lines), model="gpt-4o-2024-08-06")
    assert [t - plain for t in report.per_example_tokens] == [85, 85 + 170 * 6, 85 + 170, 85 + 170 * 4]


def test_stats_are_true_percentiles():
    lines = [chat(sys_msg(), user("word " * i), bot()) for i in range(1, 41)]
    report = validate_bytes(jsonl(*lines))
    values = np.array(report.per_example_tokens)
    stats = report.stats
    assert stats["min"] == values.min() and stats["max"] == values.max()
    assert stats["p5"] == pytest.approx(np.percentile(values, 5)) and stats["p95"] == pytest.approx(
        np.percentile(values, 95)
    )
    assert stats["median"] == pytest.approx(np.median(values)) and stats["mean"] == pytest.approx(
        values.mean(), abs=0.01
    )
    assert stats["p5"] != pytest.approx(np.quantile(values, 0.1))  # the cookbook's p10 bug is not repeated


def test_lines_and_per_example_columns():
    data = jsonl(good(1), b"not json", good(2))
    report = validate_bytes(data)
    assert report.lines == 3 and report.examples == 2
    assert report.per_example_tokens[1] is None and None not in (
        report.per_example_tokens[0],
        report.per_example_tokens[2],
    )
    assert len(report.assistant_tokens) == len(report.system_tokens) == len(report.n_messages) == 3
    assert validate_bytes(data.rstrip(b"\n")).lines == 3  # no final newline: same count
    assert validate_bytes(b"").lines == 0


def test_empty_file():
    for data in (b"", b"\n", b"\n\n  \n"):
        report = validate_bytes(data)
        assert [f.code for f in report.errors] == ["too_few_examples"] and "empty" in report.errors[0].message
        assert report.format == "unknown" and report.examples == 0


# --------------------------------------------------------------------------- billing


def test_billing_auto_epochs_and_cost():
    report = check()
    info = catalog.load_catalog().resolve(DEFAULT_MODEL)
    assert report.n_epochs == catalog.auto_epochs(50) and report.n_epochs_is_estimate
    assert report.billed_tokens == report.billed_tokens_per_epoch * report.n_epochs
    assert report.training_cost_usd == pytest.approx(report.billed_tokens * info.training_per_1m / 1e6)
    assert report.price_as_of == info.training_as_of


def test_explicit_epochs_and_bad_epochs():
    report = check(n_epochs=7)
    assert report.n_epochs == 7 and not report.n_epochs_is_estimate
    assert check(n_epochs="4").n_epochs == 4
    low, high = catalog.load_catalog().limits["n_epochs"]
    for bad in (low - 1, high + 1, "many", 2.5):
        with pytest.raises(ValueError):
            check(n_epochs=bad)


def test_models_by_alias_and_ft_name():
    assert check(model="gpt-4o-mini").encoding == "o200k_base"
    assert check(model="ft:gpt-4.1-mini-2025-04-14:acme::abc123").encoding == "o200k_base"
    assert check(model="ft:gpt-3.5-turbo-0125:acme::x").encoding == "cl100k_base"
    with pytest.raises(UnknownModelError):
        check(model="gpt-99")


def test_rft_model_has_no_token_price_and_no_supervised_training():
    report = check(model="o4-mini-2025-04-16")
    assert report.training_cost_usd is None and report.training_limit is None
    (finding,) = found(report, "format_not_supported_by_model")
    assert finding.line is None and "reinforcement" in finding.message


# --------------------------------------------------------------------------- robustness


def test_a_100_mb_line_does_not_crash():
    line = b'{"messages": [{"role": "user", "content": "' + b"a" * 100_000_000 + b'"}]}'
    report = validate_bytes(line + b"\n")
    assert lines_of(report, "example_missing_assistant_message") == {1}
    assert report.per_example_tokens[0] > 10_000_000


def test_progress_is_reported_up_to_one(monkeypatch):
    from lib.validate import reading

    monkeypatch.setattr(reading, "BLOCK_BYTES", 1000)  # several blocks
    fractions = []
    validate_bytes(jsonl(*BASE), progress=fractions.append)
    assert len(fractions) >= 2 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_many_blocks_give_the_same_report_as_one(monkeypatch):
    from lib.validate import reading

    data = jsonl(*BASE, *CRAFTED["duplicate_example"], *CRAFTED["unrecognized_role"], b"", good(3))
    whole = validate_bytes(data).to_json()
    monkeypatch.setattr(reading, "BLOCK_BYTES", 300)
    assert validate_bytes(data).to_json() == whole


def test_validate_path_equals_validate_bytes(tmp_path):
    data = jsonl(*BASE, *CRAFTED["special_token"], b"")
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    other = tmp_path / "valid.jsonl"
    other.write_bytes(jsonl(good(2)))
    from_disk = validate_path(path, validation=other).to_json()
    in_memory = validate_bytes(
        data, validation=jsonl(good(2)), name="train.jsonl", validation_name="valid.jsonl"
    ).to_json()
    assert from_disk == in_memory
    assert from_disk["sha256"] == __import__("hashlib").sha256(data).hexdigest()


def test_validate_path_errors(tmp_path):
    with pytest.raises(FileUnreadable, match="no such file"):
        validate_path(tmp_path / "missing.jsonl")
    with pytest.raises(FileUnreadable, match="folder"):
        validate_path(tmp_path)


# --------------------------------------------------------------------------- the JSON report and the summary


def test_to_json_has_the_contract_keys_and_is_json():
    report = check(*CRAFTED["unrecognized_role"], *CRAFTED["missing_system_message"])
    data = json.loads(orjson.dumps(report.to_json()))
    assert {"format", "model", "encoding", "lines", "examples", "errors", "warnings", "tokens", "billing"} <= set(data)
    assert {"total", "per_example", "assistant_total", "stats"} <= set(data["tokens"])
    assert set(data["tokens"]["stats"]) == {"min", "max", "mean", "median", "p5", "p95"}
    assert {"n_epochs", "billed_tokens_per_epoch", "billed_tokens", "training_cost_usd", "price_as_of"} <= set(
        data["billing"]
    )
    assert data["errors"][0] == {
        "line": BAD_LINE,
        "code": "unrecognized_role",
        "message": found(report, "unrecognized_role")[0].message,
    }
    assert len(data["tokens"]["per_example"]) == data["lines"]


def test_summary_figures():
    report = check(chat(user("no system"), bot("answer")))
    summary = report.summary()
    assert summary.examples == 51 and summary.total_tokens == report.total_tokens
    assert summary.n_epochs == report.n_epochs and summary.n_epochs_is_estimate
    assert summary.median_system_tokens == int(np.median([t for t in report.system_tokens if t is not None]))
    assert summary.warning_count == 1 and summary.error_count == 0
    assert summary.median_assistant_tokens == int(np.median(report.assistant_tokens))


# --------------------------------------------------------------------------- helpers for the pages


def test_clean_jsonl_keeps_good_lines_byte_exact():
    odd_spacing = b'{"messages":[{"role":"system","content":"x"},  {"role":"user","content":"y"},{"role":"assistant","content":"z"}]}'
    data = jsonl(*BASE[:3], b"", b"{broken", odd_spacing, good(1), b"[]")
    report = validate_bytes(data)
    cleaned = clean_jsonl(data, report)
    assert cleaned.split(b"\n")[:-1] == [*jsonl(*BASE[:3]).split(b"\n")[:-1], odd_spacing, json.dumps(good(1)).encode()]
    deduped = clean_jsonl(data, report, dedupe=True)
    assert deduped.count(b"\n") == 4
    assert validate_bytes(cleaned).errors == [f for f in validate_bytes(cleaned).errors if f.code == "too_few_examples"]


def test_split_jsonl_is_seeded_disjoint_and_keeps_duplicates_together():
    data = jsonl(*BASE, good(4), good(4), b"bad")
    report = validate_bytes(data)
    train, valid = split_jsonl(data, report, validation_fraction=0.2, seed=7)
    assert (train, valid) == split_jsonl(data, report, validation_fraction=0.2, seed=7)
    assert (train, valid) != split_jsonl(data, report, validation_fraction=0.2, seed=8)
    train_lines, valid_lines = train.splitlines(), valid.splitlines()
    assert len(train_lines) + len(valid_lines) == 52 and abs(len(valid_lines) - 10) <= 2
    assert not set(train_lines) & set(valid_lines)
    overlap = validate_bytes(train, validation=valid)
    assert overlap.overlap == []
    with pytest.raises(ValueError):
        split_jsonl(data, report, validation_fraction=1.5, seed=1)


def test_read_example():
    data = jsonl(good(1), b"oops", good(2)).rstrip(b"\n")
    assert read_example(data, 1) == good(1)
    assert read_example(data, 2) is None
    assert read_example(data, 3) == good(2)
    assert read_example(data, 4) is None and read_example(data, 0) is None


def test_conversation_for_each_format():
    tool_chat = chat(sys_msg(), {"role": "user", "content": [{"type": "text", "text": "see"}, image_part("https://x.test/a.png")]},
                     {"role": "assistant", "tool_calls": [call()], "weight": 0}, {"role": "tool", "tool_call_id": "call_1", "content": "21"},
                     bot("21 degrees"))  # fmt: skip
    bubbles = conversation(tool_chat)
    assert [b["role"] for b in bubbles] == ["system", "user", "assistant", "tool", "assistant"]
    assert bubbles[1]["text"] == "see" and bubbles[1]["images"] == 1
    assert bubbles[2]["weight"] == 0 and bubbles[2]["tool_calls"] == [
        {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    ]
    pair = conversation(dpo(3))
    assert [(b["role"], b.get("preference")) for b in pair] == [
        ("system", None), ("user", None), ("assistant", "preferred"), ("assistant", "non_preferred")]  # fmt: skip
    assert conversation({"prompt": "p", "completion": "c"}) == [
        {"role": "user", "text": "p"},
        {"role": "assistant", "text": "c"},
    ]
    assert conversation({"input": "q", "preferred_output": "a", "non_preferred_output": "b"})[0] == {
        "role": "user",
        "text": "q",
    }
    for junk in ({}, {"messages": [5, None, {"role": 3}]}, {"messages": "x"}, {"text": "t"}):
        conversation(junk)  # never raises


def test_call_to_an_undefined_tool_is_a_warning():
    defined = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call(name="get_weather")]}, tools=[tool()])
    undefined = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call(name="get_news")]}, tools=[tool()])
    no_tools = chat(sys_msg(), user(), {"role": "assistant", "tool_calls": [call(name="get_news")]})
    report = check(defined, undefined, no_tools)
    assert report.ok and lines_of(report, "undefined_tool") == {BAD_LINE + 1}
    assert '"get_news"' in found(report, "undefined_tool")[0].message


def test_reading_from_disk_in_small_blocks_with_long_lines(tmp_path, monkeypatch):
    from lib.validate import reading

    long_line = chat(sys_msg(), user("word " * 20_000), bot())
    data = jsonl(*BASE[:20], long_line, *BASE[20:], b"   ", long_line).rstrip(b"\n")
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    whole = validate_bytes(data, name="t.jsonl").to_json()
    monkeypatch.setattr(reading, "BLOCK_BYTES", 4096)  # the long lines span many blocks
    assert validate_path(path).to_json() == whole


def test_skipped_files_still_have_one_column_entry_per_line(monkeypatch):
    monkeypatch.setitem(catalog.load_catalog().limits, "max_file_bytes", 100)
    report = validate_bytes(jsonl(*BASE[:7]))
    assert report.lines == 7 and report.per_example_tokens == [None] * 7 == report.n_messages
    binary = validate_bytes(b"PK\x03\x04\n\n\nend")
    assert binary.lines == 4 and len(binary.assistant_tokens) == 4


def test_roles_of_any_json_type_are_findings_not_crashes():
    lines = [chat(sys_msg(), {"role": role, "content": "x"}, bot()) for role in (["user"], {"a": 1}, 3, None, True)]
    report = check(*lines)
    assert lines_of(report, "unrecognized_role") == set(range(BAD_LINE, BAD_LINE + 5))


FUZZ_KEYS = ["role", "content", "name", "weight", "tool_calls", "function_call", "tool_call_id", "refusal", "type",
             "text", "image_url", "url", "detail", "function", "arguments", "id", "messages", "tools", "functions",
             "parallel_tool_calls", "input", "preferred_output", "non_preferred_output", "prompt", "completion",
             "parameters", "properties", "enum", "description", "audio", "chosen", "rejected"]  # fmt: skip
FUZZ_STRINGS = ["user", "assistant", "system", "tool", "function", "developer", "text", "image_url", "refusal", "low",
                "https://x.test/a.png", "data:image/png;base64,iVBORw0KGgo=", "data:image/gif;base64,R0lGODlh", "{}",
                '{"a": 1}', '"{}"', "call_1", "f", "<|endoftext|>", "", "\U000323b0'l"]  # fmt: skip


def fuzz_value(rng, depth=0):
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([None, True, False, 0, 1, 2, -1, 0.5, 1e20, rng.choice(FUZZ_STRINGS)])
    if roll < 0.6:
        return [fuzz_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(FUZZ_KEYS): fuzz_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def fuzz_example(rng):
    roll = rng.random()
    if roll < 0.5:
        messages = []
        for _ in range(rng.randint(0, 5)):
            message = {k: fuzz_value(rng, 2) for k in rng.sample(FUZZ_KEYS[:10], rng.randint(0, 4))}
            if rng.random() < 0.7:
                message["role"] = rng.choice([*FUZZ_STRINGS[:6], ["user"], {"a": 1}, 3])
            messages.append(message if rng.random() < 0.9 else fuzz_value(rng, 2))
        example = {"messages": messages}
        for key in ("tools", "functions", "parallel_tool_calls"):
            if rng.random() < 0.2:
                example[key] = fuzz_value(rng, 1)
        return example
    if roll < 0.7:
        keys = rng.sample(["input", "preferred_output", "non_preferred_output", "x"], rng.randint(1, 4))
        return {k: fuzz_value(rng, 1) for k in keys}
    if roll < 0.85:
        return {k: fuzz_value(rng, 1) for k in rng.sample(["prompt", "completion", "response"], rng.randint(1, 3))}
    return fuzz_value(rng)


@pytest.mark.parametrize("seed", range(4))
def test_random_json_never_raises(seed):
    import random

    rng = random.Random(seed)
    for round_ in range(40):
        lines = [json.dumps(fuzz_example(rng)).encode() for _ in range(rng.randint(1, 25))]
        data = b"\n".join(lines)
        for model in ("gpt-4o-mini", "gpt-4o-2024-08-06"):
            report = validate_bytes(data, model=model, validation=data if round_ % 5 == 0 else None)
            orjson.dumps(report.to_json())
            report.summary()
            assert len(report.per_example_tokens) == report.lines == len(lines)
        for line in range(1, len(lines) + 1):
            example = read_example(data, line)
            if example is not None:
                conversation(example)


def test_old_mac_line_endings_are_explained():
    data = jsonl(*BASE[:12]).replace(b"\n", b"\r")
    report = validate_bytes(data)
    assert report.lines == 1 and "line endings" in found(report, "invalid_json")[0].message


def test_report_pickles_for_streamlit_cache():
    import pickle

    report = validate_bytes(jsonl(*BASE, *CRAFTED["duplicate_example"]), validation=jsonl(good(1)))
    again = pickle.loads(pickle.dumps(report))
    assert again.to_json() == report.to_json() and again.ok == report.ok and again.validation.examples == 1


def test_parser_message_names_the_column_once():
    report = validate_bytes(b'{"messages": [{"role": "user", "content": "abc}\n')
    message = next(f.message for f in report.errors if f.code == "invalid_json")
    assert "at at" not in message and "starting at column" in message


def test_empty_validation_file_is_an_error():
    train = b"".join(
        b'{"messages": [{"role": "user", "content": "q%d"}, {"role": "assistant", "content": "a"}]}\n' % i
        for i in range(12)
    )
    report = validate_bytes(train, validation=b"\n")
    assert not report.ok
    assert [f.code for f in report.validation.errors] == ["too_few_examples"]


def test_unanswered_question_is_not_called_rft_data():
    plain = validate_bytes(b'{"messages": [{"role": "user", "content": "hi"}]}\n')
    rft = validate_bytes(b'{"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "hi"}]}\n')
    missing = lambda r: next(f.message for f in r.errors if f.code == "example_missing_assistant_message")  # noqa: E731
    assert "reinforcement" not in missing(plain)
    assert "reinforcement" in missing(rft)
