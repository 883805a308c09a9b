"""Bad files: the validator and the Dataset page answer every hostile file in bounded time and memory.

Every input class of the Dataset issue (not UTF-8, binary, empty, one giant
line, deeply nested JSON, pretty-printed JSON, a file over the upload limit) and
files made to hurt (a million tiny lines, one 100 MB line, 10,000-deep nesting,
lone surrogates, NUL bytes, a zip named .jsonl) are written at test time into a
temporary directory (tests/hardening/hostile.py), then

- checked by the command line (``python -m lib validate FILE --json``) in its
  own process: exit 0, 1 or 2, one JSON object or one line, never a traceback;
- uploaded to the Dataset page (AppTest) in a fresh process
  (tests/hardening/page_probe.py): one verdict sentence, no exception, a rerun
  that does not redo the work, and the page still working for the next file.

Wall time and peak RSS (the kernel's high-water mark) are measured in those
processes. The budget grows with the input: 150 MB + 6 bytes per byte of the
file + 400 bytes per line, and 5 s + 1 s per 10 MB + 1 s per 100,000 lines.
A few of them also go through a real browser to a real server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.browser import assert_no_exception, choose_file, open_page, streamlit_server, wait_for_app_run
from tests.hardening import figures
from tests.hardening.hostile import BY_NAME, GOOD, HOSTILE, Hostile

MB = 1 << 20


def budget(path: Path) -> tuple[float, float]:
    """(seconds, MB) a file may cost: a fixed part, plus a part per byte and per line."""
    size = path.stat().st_size
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(MB), b""))
    return 5 + size / (10 * MB) + lines / 100_000, 150 + 6 * size / MB + lines * 400 / MB


def run_measured(module_args: list[str], timeout: float, tmp: Path) -> tuple[int, float, float, str, str]:
    """(exit code, seconds, peak RSS in MB, stdout, stderr) of ``python -m MODULE ARGS`` run to its end."""
    peak_file = tmp / "peak.txt"
    peak_file.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.hardening.measure", str(peak_file), *module_args],
            cwd=ROOT,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{' '.join(module_args)} did not finish within {timeout:.0f} s") from None
    seconds = time.perf_counter() - started
    peak_mb = int(peak_file.read_text()) / MB if peak_file.exists() else 0.0
    return (
        done.returncode,
        seconds,
        peak_mb,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def cli_baseline(files) -> float:
    """Peak RSS of the command line on a small good file: what any run costs before the file does."""
    path = files / "baseline.jsonl"
    path.write_bytes(GOOD * 20)
    code, _, peak, _, err = run_measured(["lib", "validate", str(path), "--json"], 120, files)
    assert code in (0, 1), err
    return peak


def check_cli(path: Path, seconds_budget: float) -> tuple[float, float]:
    """The command line on ``path``: one answer, never a traceback. Returns (seconds, peak MB)."""
    code, seconds, peak, out, err = run_measured(
        ["lib", "validate", str(path), "--json"], 4 * seconds_budget + 30, path.parent
    )
    assert "Traceback" not in err, err[-2000:]
    assert code in (0, 1, 2), (code, err[-500:])
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
    else:
        report = json.loads(out)  # exactly one JSON object
        assert report["lines"] >= 0 and isinstance(report["errors"], list)
    return seconds, peak


def check_page(path: Path, hostile: Hostile, seconds_budget: float) -> dict:
    cmd = ["tests.hardening.page_probe", str(path)]
    if hostile.max_upload_mb:
        cmd += ["--max-upload-mb", str(hostile.max_upload_mb)]
    code, _, _, out, err = run_measured(cmd, 4 * seconds_budget + 60, path.parent)
    assert code == 0 and out.strip(), err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["exceptions"] == [], result["exceptions"]
    assert any(word in result["verdict"] for word in hostile.verdict), result["verdict"]
    assert "Traceback" not in result["verdict"] and "\n" not in result["verdict"]
    assert result["usable_after"], "a good file after it was not checked as usual"
    return result


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_file_is_answered_in_bounded_time_and_memory(hostile, files, cli_baseline):
    path = files / hostile.name
    hostile.write(path)
    try:
        seconds_budget, mb_budget = budget(path)
        with figures.case("bad files", hostile.name, size_mb=path.stat().st_size / MB) as case:
            cli_seconds, cli_peak = check_cli(path, seconds_budget)
            page = check_page(path, hostile, seconds_budget)
            page_mb, cli_mb = page["peak_delta_mb"] or 0, max(0.0, cli_peak - cli_baseline)
            case.figures.update(seconds=max(cli_seconds, page["seconds"]), peak_mb=page_mb, cli_peak_mb=cli_mb)
            assert page["seconds"] <= seconds_budget, f"page: {page['seconds']} s > {seconds_budget:.1f} s"
            assert page["rerun_seconds"] <= seconds_budget / 2, f"rerun: {page['rerun_seconds']} s"
            assert page_mb <= mb_budget, f"page: +{page_mb:.0f} MB > {mb_budget:.0f} MB"
            assert cli_seconds <= seconds_budget + 5, f"cli: {cli_seconds:.1f} s"  # + the interpreter's start
            assert cli_mb <= mb_budget, f"cli: +{cli_mb:.0f} MB > {mb_budget:.0f} MB"
    finally:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- a real browser, a real server
BROWSER_FILES = ("really_a_zip.jsonl", "nul_bytes.jsonl", "nesting_10k.jsonl", "million_tiny_lines.jsonl")


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    """A server whose upload limit is 1 MB, so the server's own refusal can be seen with a small file."""
    env = {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1", "TUNING_DESK_SIMULATOR_URL": "http://127.0.0.1:9/v1"}
    with streamlit_server(tmp_path_factory.mktemp("small-limit"), env) as server:
        yield server.url


def verdict(page) -> str:
    return page.get_by_test_id("stAlert").first.inner_text()


@pytest.mark.e2e
def test_hostile_uploads_in_the_browser_leave_the_page_usable(page, app_url, files):
    open_page(page, app_url, "Dataset")
    for name in BROWSER_FILES:
        hostile = BY_NAME[name]
        path = files / f"browser-{name}"
        hostile.write(path)
        try:
            with figures.case("bad files", f"{name} in the browser") as case:
                started = time.perf_counter()
                choose_file(page, path, name=name, label="Training file")
                expect(page.get_by_test_id("stAlert").first).to_contain_text(hostile.verdict[0], timeout=60_000)
                case.figures["seconds"] = time.perf_counter() - started
                assert_no_exception(page)
                assert "Traceback" not in page.content()
                # usable: the same uploader takes a good file next
                choose_file(page, ROOT / "samples" / "support_chat.jsonl", label="Training file")
                expect(page.get_by_test_id("stAlert").first).to_contain_text("Ready to train", timeout=30_000)
                assert_no_exception(page)
        finally:
            path.unlink(missing_ok=True)


@pytest.mark.e2e
def test_a_file_over_the_servers_upload_limit_is_refused_in_the_browser(page, small_limit_server, files):
    path = files / "over_limit_browser.jsonl"
    BY_NAME["over_limit.jsonl"].write(path)
    with figures.case("bad files", "over the server's limit in the browser") as case:
        open_page(page, small_limit_server, "Dataset")
        started = time.perf_counter()
        choose_file(page, path, label="Training file")
        refusal = page.get_by_test_id("stFileUploader").first
        expect(refusal).to_contain_text("1.0MB", timeout=30_000)  # the uploader's own message
        case.figures["seconds"] = time.perf_counter() - started
        wait_for_app_run(page)
        assert_no_exception(page)
        expect(page.get_by_test_id("stAlert").first).to_contain_text("Upload a JSONL file or choose a sample")
        choose_file(page, ROOT / "samples" / "support_chat.jsonl", label="Training file")
        expect(page.get_by_test_id("stAlert").first).to_contain_text("Ready to train", timeout=30_000)
    path.unlink()
