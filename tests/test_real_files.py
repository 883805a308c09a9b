"""The validator on real public fine-tuning files (../shared/data/real, see its SOURCES.md).

Each test asserts the faults SOURCES.md lists, with their line numbers, and
that nothing else is reported. Under CI the files must be present; elsewhere
the tests skip when ../shared is absent.
"""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from lib.tokens import get_encoding
from lib.validate import conversation, read_example, validate_path
from tests.conftest import real_file


def codes(findings) -> Counter:
    return Counter(f.code for f in findings)


def lines(report, code: str) -> list:
    return sorted(f.line for f in report.errors + report.warnings if f.code == code)


def recipe_tokens(messages, enc) -> int:
    """The cookbook recipe (string values only) with tiktoken as the reference."""
    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            if isinstance(value, str):
                total += len(enc.encode(value, disallowed_special=()))
                total += key == "name"
    return total


def assert_counts_match_tiktoken(path, report, encoding="o200k_base"):
    enc = get_encoding(encoding)
    raw_lines = path.read_bytes().split(b"\n")
    for ln, tokens in enumerate(report.per_example_tokens, 1):
        if tokens is not None:
            example = orjson.loads(raw_lines[ln - 1])
            assert tokens == recipe_tokens(example["messages"], enc), f"line {ln}"


def test_01_cookbook_toy_chat():
    path = real_file("01_cookbook_toy_chat.jsonl")
    report = validate_path(path)
    assert report.format == "chat" and report.lines == 5 and report.examples == 5
    assert codes(report.errors) == {"too_few_examples": 1}  # 5 examples; the lines themselves are valid
    assert lines(report, "missing_system_message") == [3]
    assert lines(report, "missing_user_message") == [4]
    assert codes(report.warnings) == {"missing_system_message": 1, "missing_user_message": 1, "small_dataset": 1}
    assert report.n_messages[1] == 9  # system + 4 user/assistant pairs
    assert report.per_example_tokens[4] == max(report.per_example_tokens)  # "Eat a banana!" x 2000
    assert_counts_match_tiktoken(path, report)


def test_02_cookbook_drone_training_is_clean():
    path = real_file("02_cookbook_drone_training.jsonl")
    report = validate_path(path)
    assert report.ok and report.errors == [] and report.warnings == []
    assert report.format == "chat" and report.lines == report.examples == 103
    # 16 tool definitions on each line are counted (cookbook num_tokens_for_tools)
    example = read_example(path.read_bytes(), 1)
    assert len(example["tools"]) == 16
    assert report.per_example_tokens[0] > recipe_tokens(example["messages"], get_encoding("o200k_base")) + 16 * 7


def test_03_double_encoded_arguments_and_a_duplicate():
    report = validate_path(real_file("03_cookbook_drone_training_2024-06-13.jsonl"))
    assert codes(report.errors) == {"invalid_tool_call": 6}
    assert lines(report, "invalid_tool_call") == [3, 4, 5, 6, 7, 8]
    assert all("JSON-encoded twice" in f.message for f in report.errors)
    assert report.duplicates == {19: 17}
    assert codes(report.warnings) == {"duplicate_example": 1}
    assert "identical to line 17" in report.warnings[0].message


def test_04_vision_chartqa():
    path = real_file("04_foundry_chartqa_multimodal.jsonl")
    report = validate_path(path, model="gpt-4o-2024-08-06")
    assert report.ok and report.examples == 100
    assert codes(report.warnings) == {"missing_system_message": 100}  # the file has no system messages
    bubbles = conversation(read_example(path.read_bytes(), 1))
    assert bubbles[0]["role"] == "user" and bubbles[0].get("images") == 1 and bubbles[-1]["role"] == "assistant"
    # gpt-4o-mini is not listed for vision fine-tuning: one file-level warning, no error
    mini = validate_path(path)
    assert mini.ok and lines(mini, "images_need_vision_model") == [None]


def test_05_rft_data_is_not_valid_sft_and_says_why():
    report = validate_path(real_file("05_foundry_rft_toolcall_developer.jsonl"))
    assert report.lines == 10
    assert lines(report, "example_missing_assistant_message") == list(range(1, 11))
    assert all("reinforcement fine-tuning" in f.message for f in report.errors if f.line is not None)
    assert codes(report.errors) == {"example_missing_assistant_message": 10, "too_few_examples": 1}
    assert lines(report, "developer_role") == list(range(1, 11))
    assert lines(report, "unrecognized_example_key") == list(range(1, 11))  # reference_answer


def test_06_weights_are_accepted():
    path = real_file("06_multiturn_weights.jsonl")
    report = validate_path(path)
    assert path.read_bytes().count(b'"weight"') == 6
    assert codes(report.errors) == {"too_few_examples": 1}  # 3 examples; no invalid_weight
    assert codes(report.warnings) == {"small_dataset": 1}
    assert_counts_match_tiktoken(path, report)
    bubbles = conversation(read_example(path.read_bytes(), 1))
    assert {b.get("weight") for b in bubbles if b["role"] == "assistant"} == {0, 1}


def test_07_legacy_functions_are_valid():
    path = real_file("07_legacy_functions_support_bot.jsonl")
    report = validate_path(path)
    assert report.errors == [] and report.examples == 28
    assert codes(report.warnings) == {"small_dataset": 1}
    example = read_example(path.read_bytes(), 1)
    assert "functions" in example
    assert any(b.get("tool_calls") for b in conversation(example))


def test_08_twenty_duplicates_no_errors():
    path = real_file("08_charly_garcia_lyrics_es.jsonl")
    assert not path.read_bytes().endswith(b"\n")
    report = validate_path(path)
    assert report.errors == [] and report.lines == 184
    assert len(report.duplicates) == 20 and codes(report.warnings) == {"duplicate_example": 20}
    assert all(first < line for line, first in report.duplicates.items())
    assert_counts_match_tiktoken(path, report)


def test_09_twi_tutor_is_clean():
    path = real_file("09_twi_tutor.jsonl")
    report = validate_path(path)
    assert report.errors == [] and report.warnings == [] and report.lines == 100
    assert_counts_match_tiktoken(path, report)
    assert_counts_match_tiktoken(path, validate_path(path, model="gpt-3.5-turbo-0125"), "cl100k_base")


def test_10_pretty_printed_json_is_explained():
    report = validate_path(real_file("10_pretty_printed_fitness_es.jsonl"))
    assert report.lines == 96 and report.examples == 0
    broken = [f for f in report.errors if f.code == "invalid_json" and f.line is not None]
    assert len(broken) == 72
    assert all("pretty-printed JSON, not JSONL" in f.message for f in broken)
    assert [f.line for f in report.errors if f.code == "invalid_json" and f.line is None] == [None]
    # the last message of each record parses on its own: a single message, not an example
    assert len(lines(report, "unknown_format")) == 24
    assert all("single message" in f.message for f in report.errors if f.code == "unknown_format")


def test_11_blank_line():
    report = validate_path(real_file("11_blank_line_shakespeare_ml.jsonl"))
    assert lines(report, "blank_line") == [2]
    assert report.lines == 3 and report.examples == 2
    assert codes(report.errors) == {"blank_line": 1, "too_few_examples": 1}


DPO_MODEL = "gpt-4.1-mini-2025-04-14"  # OpenAI offers DPO on the gpt-4.1 family only


def test_12_orca_dpo_is_clean():
    path = real_file("12_foundry_orca_dpo.jsonl")
    report = validate_path(path, model=DPO_MODEL)
    assert report.format == "dpo" and report.ok and report.warnings == []
    assert report.lines == report.examples == 284
    enc = get_encoding("o200k_base")
    raw = path.read_bytes().split(b"\n")
    for ln in (1, 100, 284):
        pair = orjson.loads(raw[ln - 1])
        expected = recipe_tokens(pair["input"]["messages"] + pair["preferred_output"], enc)
        assert report.per_example_tokens[ln - 1] == expected


def test_13_ugc_ads_dpo_is_clean():
    report = validate_path(real_file("13_ugc_ads_dpo.jsonl"), model=DPO_MODEL)
    assert report.format == "dpo" and report.ok and report.warnings == [] and report.examples == 54
    # The same file for gpt-4o-mini, which has no DPO: still a valid file, but the model is the wrong choice.
    on_mini = validate_path(real_file("13_ugc_ads_dpo.jsonl"))
    assert on_mini.ok and "format_not_supported_by_model" in codes(on_mini.warnings)


def test_14_dpo_with_plain_strings():
    report = validate_path(real_file("14_dpo_plain_strings.jsonl"))
    assert report.format == "dpo"
    messages = [f.message for f in report.errors if f.code == "invalid_dpo"]
    assert [f.line for f in report.errors if f.code == "invalid_dpo"] == [1, 1, 1]
    assert '"input" is a string' in messages[0]
    assert any('"preferred_output" is a string' in m for m in messages)
    assert any('"non_preferred_output" is a string' in m for m in messages)


def test_15_notes_are_not_jsonl():
    report = validate_path(real_file("15_dpo_notes_not_jsonl.jsonl"))
    assert report.lines == 25 and report.examples == 0
    assert len([f for f in report.errors if f.code == "invalid_json" and f.line]) == 22
    assert lines(report, "blank_line") == [4, 9, 25]
    assert "comment" in next(f.message for f in report.errors if f.line == 1)


def test_16_trl_preference_format_is_unknown_with_a_hint():
    report = validate_path(real_file("16_trl_style_emoji_dpo.jsonl"))
    assert report.format == "unknown" and report.examples == 0
    assert lines(report, "unknown_format") == list(range(1, 501))
    assert all("prompt/chosen/rejected" in f.message for f in report.errors if f.code == "unknown_format")


def test_17_mandarin_prompt_completion_is_clean():
    path = real_file("17_mandarin2cantonese_prepared.jsonl")
    report = validate_path(path, model="davinci-002")
    assert report.format == "prompt_completion" and report.errors == []
    assert report.lines == report.examples == 3565
    enc = get_encoding("cl100k_base")
    first = read_example(path.read_bytes(), 1)
    assert report.per_example_tokens[0] == len(enc.encode(first["prompt"])) + len(enc.encode(first["completion"]))


def test_18_german_unprepared_has_8_duplicates():
    report = validate_path(real_file("18_gendern_german_unprepared.jsonl"), model="davinci-002")
    assert report.errors == [] and report.format == "prompt_completion"
    assert codes(report.warnings) == {"duplicate_example": 8, "model_retired": 1}
    # gpt-4o-mini (the default) trains on chat only: the same file gets one file-level warning more.
    (wrong,) = [
        f
        for f in validate_path(real_file("18_gendern_german_unprepared.jsonl")).warnings
        if f.code == "format_not_supported_by_model"
    ]
    assert wrong.line is None and "davinci-002 or babbage-002" in wrong.message


def test_19_wrong_key_and_two_objects_on_a_line():
    report = validate_path(real_file("19_nextjs_concat_objects.jsonl"))
    assert report.lines == 42
    assert lines(report, "invalid_prompt_completion") == [1, 2, 3, 4, 5]
    assert all(
        'rename "answer" to "completion"' in f.message for f in report.errors if f.code == "invalid_prompt_completion"
    )
    (extra,) = [f for f in report.errors if f.code == "invalid_json"]
    assert extra.line == 6 and "Extra data" in extra.message and "more than one JSON value" in extra.message
    assert codes(report.errors) == {"invalid_prompt_completion": 5, "invalid_json": 1}


def test_20_empty_prompts_are_accepted():
    report = validate_path(real_file("20_kanye_empty_prompts.jsonl"), model="babbage-002")
    assert report.errors == [] and report.lines == 180
    assert codes(report.warnings) == {"duplicate_example": 6, "model_retired": 1}


def test_21_response_instead_of_completion():
    report = validate_path(real_file("21_norwegian_prompt_response.jsonl"))
    assert report.format == "prompt_completion" and report.examples == 0
    assert lines(report, "invalid_prompt_completion") == list(range(1, 18))
    assert all('rename "response" to "completion"' in f.message for f in report.errors if f.line)


def test_22_empty_file():
    report = validate_path(real_file("22_empty_file.jsonl"))
    assert report.lines == 1 and report.examples == 0
    assert [(f.line, f.code) for f in report.errors] == [(None, "too_few_examples")]
    assert "empty" in report.errors[0].message


@pytest.mark.parametrize("name", ["02_cookbook_drone_training.jsonl", "12_foundry_orca_dpo.jsonl",
                                  "17_mandarin2cantonese_prepared.jsonl"])  # fmt: skip
def test_clean_files_stay_clean_after_clean_jsonl(name):
    from lib.validate import clean_jsonl, validate_bytes

    data = real_file(name).read_bytes()
    report = validate_bytes(data)
    assert clean_jsonl(data, report) == data.rstrip(b"\n") + b"\n"
