"""Every score of lib/evaluate/scores.py, the Wilson interval and the exact McNemar p-value, against known values."""

import math

import pytest

from lib.evaluate.scores import (
    exact_match,
    json_fields,
    json_valid,
    mcnemar_exact_p,
    score_answer,
    similarity,
    tool_calls_match,
    wilson_interval,
)


# -- exact_match ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, reference, expected",
    [
        ('{"a": 1, "b": [1, 2]}', '{"b": [1, 2], "a": 1}', True),  # key order ignored
        ('{"a": 1.0}', '{"a": 1}', True),  # numbers by value
        ('{"a": 1e0}', '{"a": 1}', True),
        ('{"a": true}', '{"a": 1}', False),  # a boolean is not a number
        ('{"a": [2, 1]}', '{"a": [1, 2]}', False),  # array order matters
        ('{"a": 1, "b": null}', '{"a": 1}', False),  # an extra key is a difference
        ('```json\n{"a": 1}\n```', '{"a": 1}', False),  # fenced JSON is not the JSON
        ('Here it is: {"a": 1}', '{"a": 1}', False),
        ('  {"a":1}\n', '{"a": 1}', True),  # whitespace around JSON is JSON
        ("Hello   world\n", " Hello world", True),  # text: whitespace runs collapsed, trimmed
        ("Hello\tworld", "Hello world", True),
        ("hello world", "Hello world", False),  # case matters
        ("Hello world.", "Hello world", False),
        (None, "anything", False),
        ('"a"', '"a"', True),  # a bare JSON string reference is text, compared as text
        ("1", "1.0", False),  # a bare number reference is text too
    ],
)
def test_exact_match(answer, reference, expected):
    assert exact_match(answer, reference) is expected


# -- json_valid -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, expected",
    [
        ('{"x": 1}', True),
        ("[1, 2]", True),
        ('"just a string"', True),  # strictly JSON, even if not the reference's shape
        ('```json\n{"x": 1}\n```', False),
        ('```\n{"x": 1}\n```', False),
        ('Sure! {"x": 1}', False),
        ('{"x": 1,}', False),
        ('{"x": NaN}', False),  # not JSON (Python would accept it)
        ("", False),
        (None, False),
    ],
)
def test_json_valid_is_strict(answer, expected):
    assert json_valid(answer, '{"x": 2}') is expected


def test_json_valid_does_not_apply_to_text_references():
    assert json_valid('{"x": 1}', "a plain sentence") is None
    assert json_valid("anything", "42") is None


# -- json_fields ------------------------------------------------------------------------------------
def test_json_fields_is_the_share_of_leaf_paths():
    reference = '{"name": "Ada", "address": {"city": "Paris", "zip": "75001"}, "tags": ["a", "b"]}'
    # leaves: name, address.city, address.zip, tags[0], tags[1] -> 5
    answer = '{"name": "Ada", "address": {"city": "Lyon", "zip": "75001"}, "tags": ["a"], "extra": 1}'
    assert json_fields(answer, reference) == pytest.approx(3 / 5)
    assert json_fields(reference, reference) == 1.0
    assert json_fields('{"name": "Ada", "address": {"city": "Paris", "zip": 75001}}', reference) == pytest.approx(2 / 5)


def test_json_fields_numbers_by_value_and_not_applicable_cases():
    assert json_fields('{"n": 1.0}', '{"n": 1}') == 1.0
    assert json_fields('```json\n{"n": 1}\n```', '{"n": 1}') == 0.0  # not JSON: no field
    assert json_fields("[1]", '{"n": 1}') == 0.0
    assert json_fields('{"n": 1}', "[1, 2]") is None  # only where the reference is an object
    assert json_fields('{"n": 1}', "text") is None


def test_json_fields_counts_empty_containers_as_leaves():
    assert json_fields('{"a": {}, "b": []}', '{"a": {}, "b": []}') == 1.0
    assert json_fields('{"a": {"x": 1}, "b": []}', '{"a": {}, "b": []}') == 0.5


# -- similarity -------------------------------------------------------------------------------------
def test_similarity_is_rapidfuzz_ratio_over_100():
    assert similarity("abc", "abc") == 1.0
    assert similarity("abcd", "abce") == pytest.approx(0.75)  # InDel: 2 edits over 8 characters
    assert similarity("", "abc") == 0.0
    assert similarity(None, "abc") == 0.0


# -- tool calls -------------------------------------------------------------------------------------
def _call(name, arguments):
    return {"id": "call_x", "type": "function", "function": {"name": name, "arguments": arguments}}


def test_tool_calls_match_names_in_order_and_arguments_as_json():
    reference = [_call("lookup", '{"order": "LC-1", "n": 1}'), _call("notify", "{}")]
    assert tool_calls_match([_call("lookup", '{"n": 1.0, "order": "LC-1"}'), _call("notify", "{ }")], reference)
    assert not tool_calls_match([_call("notify", "{}"), _call("lookup", '{"order": "LC-1", "n": 1}')], reference)
    assert not tool_calls_match([_call("lookup", '{"order": "LC-2", "n": 1}'), _call("notify", "{}")], reference)
    assert not tool_calls_match([_call("lookup", '{"order": "LC-1", "n": 1}')], reference)
    assert not tool_calls_match([_call("lookup", "not json"), _call("notify", "{}")], reference)
    assert not tool_calls_match(None, reference)
    assert tool_calls_match([_call("x", "{}")], None) is None
    assert tool_calls_match([_call("x", "{}")], []) is None


def test_tool_calls_match_reads_file_shaped_calls_with_object_arguments():
    assert tool_calls_match(
        [{"function": {"name": "f", "arguments": '{"a": 1}'}}], [{"function": {"name": "f", "arguments": {"a": 1}}}]
    )


# -- score_answer -----------------------------------------------------------------------------------
def test_score_answer_text_reference_leaves_json_scores_null():
    scores = score_answer("Hello world", "Hello  world")
    assert scores == {
        "exact_match": True,
        "json_valid": None,
        "json_fields": None,
        "similarity": scores["similarity"],
        "tool_calls": None,
        "judge": None,
    }
    assert 0.9 < scores["similarity"] < 1.0


def test_score_answer_json_reference_fenced_answer():
    scores = score_answer('```json\n{"a": 1}\n```', '{"a": 1}')
    assert scores["exact_match"] is False and scores["json_valid"] is False and scores["json_fields"] == 0.0
    assert scores["tool_calls"] is None and scores["judge"] is None


def test_score_answer_tool_call_reference():
    reference = [_call("lookup", '{"order": "LC-1"}')]
    right = score_answer([_call("lookup", '{"order":"LC-1"}')], None, reference)
    assert right["tool_calls"] is True and right["exact_match"] is True
    assert right["json_valid"] is None and right["similarity"] is None
    prose = score_answer("I would look it up.", None, reference)
    assert prose["tool_calls"] is False and prose["exact_match"] is False


# -- statistics -------------------------------------------------------------------------------------
def test_wilson_interval_known_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.7225, abs=1e-4) and high == 1.0
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_wilson_interval_contains_the_proportion_and_narrows_with_n():
    small = wilson_interval(3, 10)
    large = wilson_interval(300, 1000)
    assert small[0] < 0.3 < small[1] and large[0] < 0.3 < large[1]
    assert (large[1] - large[0]) < (small[1] - small[0])


@pytest.mark.parametrize(
    "wins, losses, expected",
    [
        (1, 6, 0.125),  # 2 * (1 + 7) / 2**7
        (0, 5, 0.0625),
        (2, 8, 0.109375),  # scipy.stats.binomtest(2, 10).pvalue
        (6, 1, 0.125),  # symmetric
        (3, 3, 1.0),  # capped at 1
        (0, 1, 1.0),
        (10, 30, 2 * sum(math.comb(40, i) for i in range(11)) / 2**40),
    ],
)
def test_mcnemar_exact_p(wins, losses, expected):
    assert mcnemar_exact_p(wins, losses) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_without_discordant_pairs_is_null():
    assert mcnemar_exact_p(0, 0) is None


def test_mcnemar_stays_exact_and_fast_for_many_pairs():
    import time

    started = time.monotonic()
    p = mcnemar_exact_p(4900, 5100)
    assert time.monotonic() - started < 2
    # the normal approximation with continuity correction: z = (4900.5 - 5000) / 50
    assert p == pytest.approx(math.erfc(99.5 / 50 / math.sqrt(2)), rel=0.01)
