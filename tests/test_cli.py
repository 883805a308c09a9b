"""Tests of the command line ``python -m lib validate``: exit codes, one JSON report on stdout, its keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.__main__ import main
from lib.validate import ERROR_CODES
from tests.factories import BAD_LINE, BASE, CRAFTED, LINE_CODES, good, jsonl

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lib", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture()
def write(tmp_path):
    def write(name: str, data: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


def test_clean_file_exits_0_with_a_readable_report(write):
    done = run("validate", write("train.jsonl", jsonl(*BASE)))
    assert done.returncode == 0, done.stderr
    assert "train.jsonl: chat format, 50 lines, 50 examples" in done.stdout
    assert "OK: no errors." in done.stdout and done.stderr == ""


def test_errors_exit_1_and_json_is_exactly_one_object(write):
    path = write("train.jsonl", jsonl(*BASE, *CRAFTED["unrecognized_role"]))
    done = run("validate", path, "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert isinstance(report, dict) and done.stdout.count("\n") == 1
    assert report["errors"][0]["code"] == "unrecognized_role" and report["errors"][0]["line"] == BAD_LINE
    assert done.stderr == ""


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "/no/such/file.jsonl"], "no such file"),
        (["validate", "{train}", "--model", "gpt-99"], "unknown model 'gpt-99'"),
        (["validate", "{train}", "--epochs", "0"], "epochs must be"),
        (["validate"], "required"),
        (["frobnicate"], "invalid choice"),
        ([], "expected a command"),
    ],
)
def test_unusable_input_exits_2_with_one_line_on_stderr(write, args, words):
    train = write("train.jsonl", jsonl(*BASE))
    done = run(*[a.replace("{train}", train) for a in args])
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and words in done.stderr and "Traceback" not in done.stderr


def test_validation_file_and_epochs(write):
    train = write("train.jsonl", jsonl(*BASE))
    valid = write("valid.jsonl", jsonl(good(3), good(500)))
    done = run("validate", train, "--validation-file", valid, "--epochs", "4", "--model", "gpt-4o-mini", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["billing"]["n_epochs"] == 4 and report["billing"]["n_epochs_is_estimate"] is False
    assert report["validation"]["examples"] == 2
    assert [w["code"] for w in report["warnings"]] == ["train_validation_overlap"]
    assert report["warnings"][0]["line"] == 4


def test_json_is_written_in_slices_and_equals_the_report():
    from lib.__main__ import _json_chunks
    from lib.validate import validate_bytes

    train = jsonl(*BASE, *CRAFTED["unrecognized_role"], b"", b"{}")
    report = validate_bytes(train, validation=jsonl(good(3), b"[]", good(500)), name="t", validation_name="v")
    assert len(report.errors) + len(report.warnings) > 3 and report.validation.errors
    streamed = json.loads(b"".join(_json_chunks(report, slice_size=2)))
    assert streamed == json.loads(json.dumps(report.to_json()))


# --------------------------------------------------------------------------- every code through the CLI (in-process)


def cli_json(capsys, *args) -> tuple[int, dict]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out)


@pytest.mark.parametrize("code", LINE_CODES)
def test_each_code_in_the_json_report(code, write, capsys):
    path = write("train.jsonl", jsonl(*BASE, *CRAFTED[code]))
    exit_code, report = cli_json(capsys, "validate", path, "--json")
    kind = "errors" if code in ERROR_CODES else "warnings"
    assert {(f["line"], f["code"]) for f in report[kind]} >= {(BAD_LINE, code)}
    assert exit_code == (1 if code in ERROR_CODES else 0)


def test_file_level_codes_have_null_lines(write, capsys):
    _, report = cli_json(capsys, "validate", write("few.jsonl", jsonl(*BASE[:3])), "--json")
    assert {"line": None, "code": "too_few_examples"} == {k: report["errors"][0][k] for k in ("line", "code")}
    assert [(w["line"], w["code"]) for w in report["warnings"]] == [(None, "small_dataset")]  # under 50 as well
    _, report = cli_json(capsys, "validate", write("some.jsonl", jsonl(*BASE[:20])), "--json")
    assert [(w["line"], w["code"]) for w in report["warnings"]] == [(None, "small_dataset")]


def test_json_report_keys_follow_the_contract(write, capsys):
    _, report = cli_json(capsys, "validate", write("t.jsonl", jsonl(*BASE, b"", good(0))), "--json")
    assert report["format"] == "chat" and report["model"] == "gpt-4o-mini-2024-07-18"
    assert report["encoding"] == "o200k_base" and report["lines"] == 52 and report["examples"] == 51
    tokens = report["tokens"]
    assert len(tokens["per_example"]) == 52 and tokens["per_example"][50] is None
    assert tokens["total"] == sum(t for t in tokens["per_example"] if t is not None)
    assert set(tokens["stats"]) == {"min", "max", "mean", "median", "p5", "p95"}
    billing = report["billing"]
    assert billing["billed_tokens"] == billing["billed_tokens_per_epoch"] * billing["n_epochs"]
    assert isinstance(billing["training_cost_usd"], float) and billing["price_as_of"]
    for finding in report["errors"] + report["warnings"]:
        assert set(finding) == {"line", "code", "message"}


def test_binary_file_is_an_error_not_a_crash(write, capsys):
    exit_code, report = cli_json(capsys, "validate", write("data.zip", b"PK\x03\x04" + bytes(range(256)) * 4), "--json")
    assert exit_code == 1 and report["errors"][0]["code"] == "encoding_error" and report["errors"][0]["line"] is None


def test_human_report_shows_at_most_20_findings_per_code(write, capsys):
    path = write("t.jsonl", jsonl(*BASE, *[b"{bad"] * 30))
    assert main(["validate", path]) == 1
    out = capsys.readouterr().out
    assert out.count("[invalid_json] line") == 20 and "and 10 more (use --json to see all)" in out


def test_folder_is_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err
