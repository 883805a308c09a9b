"""``python -m lib evaluate`` from outside, as the contract (shared/spec/evaluation.md section 6) says: the JSON
document key by key, exit codes, the recording and --against; against the simulator (--demo) and against a tiny
OpenAI-compatible server on 127.0.0.1 that is not the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MINI = "gpt-4.1-mini-2025-04-14"
MINI_FT = "ft:gpt-4.1-mini-2025-04-14:personal:desk:abc123"

TOP_KEYS = {"eval_file", "examples", "skipped", "baseline", "candidates", "prices_as_of"}
CANDIDATE_KEYS = {
    "label",
    "model",
    "calls",
    "errors",
    "scores",
    "ci95",
    "versus_baseline",
    "usage",
    "cost_usd",
    "cost_per_1k_calls_usd",
    "latency_ms",
}
SCORE_KEYS = {"exact_match", "json_valid", "json_fields", "similarity", "tool_calls", "judge"}
RECORD_KEYS = {"line", "label", "model", "answer", "finish_reason", "usage", "latency_ms", "error", "scores"}


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter with no credentials but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "lib", "evaluate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**clean, **(env or {})},
    )


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def jsonl(*objects) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def say(word: str, system: str = "Repeat the last word.") -> dict:
    return {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Say {word}"},
            {"role": "assistant", "content": word},
        ]
    }


# -- a tiny OpenAI-compatible server that is not the simulator --------------------------------------------
class _Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.server.seen.append((self.path, self.headers.get("Authorization"), body))
        word = body["messages"][-1]["content"].split()[-1]
        if word == "FAIL":
            return self._send(
                400,
                {
                    "error": {
                        "message": "This prompt is refused by the stub.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        if word == "GARBAGE":  # a 200 that is not a chat completion
            data = b"<html>not an API</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        if word == "EMPTY":  # JSON, but no choices
            return self._send(200, {"id": "x", "object": "chat.completion", "choices": []})
        answer = word.lower() if word == "WRONG" else word
        prompt = 2000 if word.startswith("big") else 20  # far above what the prompt holds
        self._send(
            200,
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": 2, "total_tokens": prompt + 2},
            },
        )

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def stub_env(server) -> dict:
    return {"OPENAI_API_KEY": "sk-stub-key", "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"}


@pytest.fixture()
def write(tmp_path):
    def write(name: str, data: bytes | str) -> str:
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    return write


def check_document(doc: dict, labels: list[str]) -> None:
    assert set(doc) == TOP_KEYS
    assert doc["baseline"] == labels[0]
    assert [c["label"] for c in doc["candidates"]] == labels
    for index, c in enumerate(doc["candidates"]):
        assert set(c) == CANDIDATE_KEYS
        assert set(c["scores"]) == SCORE_KEYS
        assert set(c["ci95"]) == {"exact_match", "json_valid"}
        assert set(c["versus_baseline"]) == {"wins", "losses", "p_value"}
        assert set(c["usage"]) == {"prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens"}
        assert set(c["latency_ms"]) == {"p50", "p95"}
        assert c["calls"] == doc["examples"]
        assert c["scores"]["judge"] is None
        low, high = c["ci95"]["exact_match"]
        assert 0 <= low <= c["scores"]["exact_match"] <= high <= 1
        if index:
            assert isinstance(c["versus_baseline"]["wins"], int) and isinstance(c["versus_baseline"]["losses"], int)


# -- against the simulator --------------------------------------------------------------------------------
def test_demo_run_prints_exactly_the_contract_document(tmp_path):
    recording = tmp_path / "rec.jsonl"
    done = run(
        str(SAMPLES / "support_chat_valid.jsonl"),
        "--demo",
        "--json",
        "--candidate",
        f"{MINI_FT},label=ft",
        "--candidate",
        MINI,
        "--candidate",
        f"{MINI},system={SAMPLES / 'README.md'}",
        "--recording",
        str(recording),
        "--concurrency",
        "8",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # one JSON object, nothing else
    doc = json.loads(done.stdout)
    check_document(doc, ["ft", MINI, f"{MINI}+prompt"])
    assert doc["eval_file"] == "support_chat_valid.jsonl" and doc["examples"] == 24 and doc["skipped"] == []
    ft, base, prompted = doc["candidates"]
    assert ft["versus_baseline"] == {"wins": None, "losses": None, "p_value": None}
    # text references: the JSON scores don't apply
    assert base["scores"]["json_valid"] is None and base["ci95"]["json_valid"] is None
    assert base["scores"]["tool_calls"] is None
    # the story: the fine-tune beats the short prompt; the long prompt costs more prompt tokens
    assert ft["scores"]["exact_match"] > base["scores"]["exact_match"]
    assert prompted["usage"]["prompt_tokens"] > 3 * base["usage"]["prompt_tokens"]
    assert base["cost_usd"] == pytest.approx(
        (base["usage"]["prompt_tokens"] - base["usage"]["cached_tokens"]) * 0.4e-6
        + base["usage"]["cached_tokens"] * 0.1e-6
        + base["usage"]["completion_tokens"] * 1.6e-6
    )
    assert base["cost_per_1k_calls_usd"] == pytest.approx(base["cost_usd"] / 24 * 1000)
    assert doc["prices_as_of"]
    assert done.stderr == ""

    lines = recording.read_bytes().splitlines()
    header = json.loads(lines[0])
    import hashlib

    assert header["eval_sha256"] == hashlib.sha256((SAMPLES / "support_chat_valid.jsonl").read_bytes()).hexdigest()
    assert [c["label"] for c in header["candidates"]] == ["ft", MINI, f"{MINI}+prompt"]
    assert header["settings"]["concurrency"] == 8
    rows = [json.loads(line) for line in lines[1:]]
    assert len(rows) == 72 and all(RECORD_KEYS <= set(r) for r in rows)
    assert {(r["line"], r["label"]) for r in rows} == {
        (n, label) for n in range(1, 25) for label in ("ft", MINI, f"{MINI}+prompt")
    }


def test_against_a_recording_its_answers_are_the_references(tmp_path):
    recording = tmp_path / "ft.jsonl"
    eval_file = str(SAMPLES / "support_chat_valid.jsonl")
    first = run(
        eval_file,
        "--demo",
        "--json",
        "--limit",
        "8",
        "--candidate",
        f"{MINI_FT},label=ft",
        "--recording",
        str(recording),
    )
    assert first.returncode == 0, first.stderr
    again = run(
        eval_file,
        "--demo",
        "--json",
        "--against",
        str(recording),
        "--candidate",
        f"{MINI_FT},label=ft-now",
        "--candidate",
        MINI,
    )
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["examples"] == 8 and len(doc["skipped"]) == 16  # lines the recording has no answer for
    same, base = doc["candidates"]
    assert same["scores"]["exact_match"] == 1.0  # the simulator is deterministic: the same model answers the same
    assert base["scores"]["exact_match"] < 1.0


def test_text_table_without_json(tmp_path):
    done = run(str(SAMPLES / "support_chat_valid.jsonl"), "--demo", "--limit", "3", "--candidate", MINI)
    assert done.returncode == 0, done.stderr
    assert "support_chat_valid.jsonl: 3 examples, 0 skipped" in done.stdout
    assert "simulated" in done.stdout and "prices as of" in done.stdout
    assert MINI in done.stdout


# -- against a server that is not the simulator -----------------------------------------------------------
def test_compatible_server_document_with_an_unpriced_model_and_a_failed_call(stub, write):
    eval_file = write(
        "words.jsonl",
        jsonl(
            say("alpha"),
            say("WRONG"),
            say("FAIL"),
            {"messages": [{"role": "user", "content": "no answer here"}]},
            say("beta"),
        ),
    )
    done = run(
        eval_file, "--json", "--candidate", "stub-model", "--candidate", f"{MINI},label=priced", env=stub_env(stub)
    )
    assert done.returncode == 1, done.stderr  # finished, some calls failed
    doc = json.loads(done.stdout)
    check_document(doc, ["stub-model", "priced"])
    assert doc["examples"] == 4 and doc["skipped"] == [4]
    unpriced, priced = doc["candidates"]
    assert unpriced["errors"] == 1 and unpriced["calls"] == 4
    assert unpriced["scores"]["exact_match"] == pytest.approx(2 / 3)  # errors are not scored as wrong
    assert unpriced["cost_usd"] is None and unpriced["cost_per_1k_calls_usd"] is None
    assert unpriced["usage"] == {"prompt_tokens": 60, "cached_tokens": 0, "completion_tokens": 6, "reasoning_tokens": 0}
    assert priced["cost_usd"] == pytest.approx(3 * (20 * 0.4 + 2 * 1.6) / 1e6)
    assert priced["versus_baseline"] == {"wins": 0, "losses": 0, "p_value": None}
    assert "failed" in one_sentence(done.stderr)
    sent = [body for path, auth, body in stub.seen if body["model"] == "stub-model"]
    assert len(sent) == 4 and all(path == "/v1/chat/completions" for path, _, _ in stub.seen)
    assert all(auth == "Bearer sk-stub-key" for _, auth, _ in stub.seen)
    assert sent[0]["max_completion_tokens"] == 256 and sent[0]["temperature"] == 0


def test_answers_that_are_not_chat_completions_are_errors_not_crashes(stub, write):
    eval_file = write("odd.jsonl", jsonl(say("GARBAGE"), say("EMPTY"), say("fine")))
    done = run(eval_file, "--json", "--candidate", "stub-model", env=stub_env(stub))
    assert done.returncode == 1, done.stderr
    [c] = json.loads(done.stdout)["candidates"]
    assert c["calls"] == 3 and c["errors"] == 2 and c["scores"]["exact_match"] == 1.0
    assert "2 of 3 calls failed" in one_sentence(done.stderr)


def test_system_prompt_replacement_reaches_the_server(stub, write):
    stub.seen.clear()
    system = write("system.txt", "You are a very careful assistant.")
    eval_file = write("words.jsonl", jsonl(say("one"), say("two")))
    done = run(
        eval_file,
        "--json",
        "--candidate",
        f"stub-model,system={system},max_tokens=12,temperature=0.5",
        env=stub_env(stub),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["candidates"][0]["label"] == "stub-model+prompt"
    for _, _, body in stub.seen:
        assert body["messages"][0] == {"role": "system", "content": "You are a very careful assistant."}
        assert body["max_completion_tokens"] == 12 and body["temperature"] == 0.5


# -- exit code 2: one sentence, no call -------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "name at least one --candidate"),
        (["--candidate", "m,colour=blue"], "is not one of system=..."),
        (["--candidate", "m,temperature=hot"], "temperature must be a number"),
        (["--candidate", "m,system=/no/such/file.txt"], "cannot read the system file"),
        (["--candidate", "m", "--candidate", "m"], "Two candidates are labelled 'm'"),
        (["--candidate", "m", "--limit", "0"], "limit must be at least 1"),
        (["--candidate", "m", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--candidate", "m", "--against", "/no/such/rec.jsonl"], "cannot read the recording"),
    ],
)
def test_bad_usage_exits_2_with_one_sentence(stub, write, args, fragment):
    stub.seen.clear()
    eval_file = write("words.jsonl", jsonl(say("one")))
    done = run(eval_file, "--json", *args, env=stub_env(stub))
    assert done.returncode == 2
    assert fragment in one_sentence(done.stderr)
    assert done.stdout == "" and stub.seen == []


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "is empty"),
        (b'{"prompt": "a", "completion": "b"}\n', "prompt_completion format"),
        (jsonl({"messages": [{"role": "user", "content": "hi"}]}), "no usable example"),
        (b"not json at all\n", "no usable example: line 1:"),
    ],
)
def test_unusable_sets_exit_2(stub, write, content, fragment):
    done = run(write("bad.jsonl", content), "--candidate", "stub-model", env=stub_env(stub))
    assert done.returncode == 2 and fragment in one_sentence(done.stderr) and done.stdout == ""


def test_missing_file_and_missing_key_exit_2(write):
    done = run("/no/such/eval.jsonl", "--candidate", MINI)
    assert done.returncode == 2 and "cannot read the evaluation file" in one_sentence(done.stderr)
    done = run(write("e.jsonl", jsonl(say("x"))), "--candidate", MINI)
    assert done.returncode == 2 and "no API key" in one_sentence(done.stderr)


def test_estimate_above_max_spend_exits_2_before_any_call(stub, write):
    stub.seen.clear()
    eval_file = write("words.jsonl", jsonl(*[say(f"w{i}") for i in range(20)]))
    done = run(eval_file, "--json", "--candidate", MINI, "--max-spend", "0.000001", env=stub_env(stub))
    assert done.returncode == 2 and "no call was made" in one_sentence(done.stderr)
    assert stub.seen == [] and done.stdout == ""
    done = run(eval_file, "--json", "--candidate", "stub-model", "--max-spend", "5", env=stub_env(stub))
    assert done.returncode == 2 and "no price for stub-model" in one_sentence(done.stderr) and stub.seen == []
    done = run(eval_file, "--json", "--candidate", MINI, "--max-spend", "5", env=stub_env(stub))
    assert done.returncode == 0 and len(stub.seen) == 20


def test_bad_recording_is_one_sentence(stub, write):
    eval_file = write("words.jsonl", jsonl(say("one")))
    bad = write("rec.jsonl", b'{"not": "a recording"}\n')
    done = run(eval_file, "--candidate", "stub-model", "--against", bad, env=stub_env(stub))
    assert done.returncode == 2 and "not a recording header" in one_sentence(done.stderr)


def test_validate_command_is_undisturbed(write):
    done = subprocess.run(
        [sys.executable, "-m", "lib", "validate", str(SAMPLES / "support_chat_valid.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "OK: no errors." in done.stdout


def test_azure_variables_reach_the_deployment_path(sim, write):
    eval_file = write("words.jsonl", jsonl(say("one"), say("two")))
    env = {
        "AZURE_OPENAI_ENDPOINT": sim.root_url,
        "AZURE_OPENAI_API_KEY": "sk-azure-cli-key",
        "OPENAI_API_VERSION": "2025-04-01-preview",
    }
    done = run(eval_file, "--json", "--candidate", f"{MINI_FT},label=ft", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    check_document(doc, ["ft"])
    usage = doc["candidates"][0]["usage"]
    # on Azure a fine-tune bills tokens at its base model's rates (hosting is an hourly fee)
    assert doc["candidates"][0]["cost_usd"] == pytest.approx(
        (usage["prompt_tokens"] * 0.4 + usage["completion_tokens"] * 1.6) / 1e6
    )
    paths = [e["path"] for e in sim.request_log if e["path"].endswith("/chat/completions")]
    assert paths == [f"/openai/deployments/{MINI_FT}/chat/completions"] * 2


def test_a_run_stops_when_its_measured_spend_reaches_max_spend(stub, write):
    from lib.evaluate import Candidate, estimate, load_eval_set

    stub.seen.clear()
    data = jsonl(*[say(f"big{i}") for i in range(20)])
    [planned] = estimate(load_eval_set(data, name="w"), [Candidate(MINI)])
    measured_per_call = (2000 * 0.4 + 2 * 1.6) / 1e6  # what the stub reports for every call
    assert planned.cost_usd < measured_per_call  # the whole estimate is below one measured call
    done = run(
        write("w.jsonl", data),
        "--json",
        "--candidate",
        MINI,
        "--concurrency",
        "1",
        "--max-spend",
        repr(planned.cost_usd),
        env=stub_env(stub),
    )
    assert done.returncode == 1, done.stderr  # the estimate passed, the measured spend stopped it
    [c] = json.loads(done.stdout)["candidates"]
    assert c["calls"] == 1 and c["errors"] == 0 and c["cost_usd"] == pytest.approx(measured_per_call)
    assert len(stub.seen) == 1
    assert one_sentence(done.stderr).startswith("stopped: the measured spend reached --max-spend")
