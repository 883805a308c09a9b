"""Benchmark: an evaluation run against the simulator with a fixed latency (contract section 9).

    python benchmarks/evaluate.py                          # 1,000 examples x 3 candidates, L = 0.5 s, C = 16
    python benchmarks/evaluate.py --latency 0.5 --concurrency 32
    python benchmarks/evaluate.py --quick                  # 100 examples, a smoke run

The simulator runs in its own process (as a real backend would), answering every request after
``L`` seconds. This process builds a 1,000-example chat set whose answers are JSON, uploads it to
the simulator (so the simulated fine-tune knows its examples), and runs three candidates (the
fine-tune, the base model, the base model with a long prompt) through :class:`lib.evaluate.Run`
at concurrency ``C``. It prints:

- **speed**: elapsed time of the run against the bound ``1.25 x (3,000 x L / C)`` plus the
  measured start-up (the estimate and preparing the requests, before the first call);
- **memory**: the peak Python allocation (tracemalloc) of a whole run at two sizes (a quarter
  of the examples, and all of them; against a second simulator answering at once) and the process's peak RSS:
  the difference between the two
  sizes is the results themselves (about the size of the recording), not the calls in flight.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.evaluate import Candidate, Run, load_eval_set, recording_bytes, summarize  # noqa: E402

MINI = "gpt-4.1-mini-2025-04-14"
MINI_FT = "ft:gpt-4.1-mini-2025-04-14:personal:bench:abc123"
LONG = (
    "You extract orders from customer messages. Answer with one JSON object and nothing else: no Markdown, "
    "no code fence. Keys: order, item, quantity, express. "
) * 8
SERVER = """
import sys, threading
from lib.simulator import Simulator
sim = Simulator(speed=1.0)
sim.latency = float(sys.argv[1])
sim.start(host="127.0.0.1", port=0)
print(sim.port, flush=True)
threading.Event().wait()
"""


def chat_set(n: int) -> bytes:
    items = ["helmet", "chain", "saddle", "pump", "light", "lock", "tyre", "bell"]
    lines = []
    for i in range(n):
        answer = {"order": f"LC-{40000 + i}", "item": items[i % 8], "quantity": 1 + i % 4, "express": i % 3 == 0}
        user = f"Hi, order LC-{40000 + i}: please send {answer['quantity']} x {answer['item']}."
        lines.append(
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "Extract the order as JSON."},
                        {"role": "user", "content": user},
                        {"role": "assistant", "content": json.dumps(answer)},
                    ]
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def start_server(latency: float):
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}/v1"


def one_run(base_url: str, key: str, data: bytes, n: int, concurrency: int, *, trace: bool):
    make = lambda: openai.OpenAI(base_url=base_url, api_key=key)  # noqa: E731
    make().files.create(file=("eval.jsonl", data), purpose="fine-tune")
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    # start-up includes the server's: its first answer loads the tokenizer (a second or more)
    make().chat.completions.create(model=MINI, messages=[{"role": "user", "content": "warm up"}])
    warmed = time.monotonic()
    cpu_before = time.process_time()
    eval_set = load_eval_set(data, name="eval.jsonl", limit=n)
    candidates = [
        Candidate(MINI_FT, label="fine-tune"),
        Candidate(MINI, label="base"),
        Candidate(MINI, system=LONG, label="base+long prompt"),
    ]
    run = Run(eval_set, candidates, make, concurrency=concurrency)
    run.check_budget()  # what a real run does first (the estimate)
    run.start()
    first_call = time.monotonic()
    run.wait()
    finished = time.monotonic()
    results = run.results()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    report = summarize(eval_set, candidates, results, prices_as_of="bench")
    recording = len(recording_bytes(eval_set, candidates, results))
    return {
        "calls": len(results),
        "errors": run.progress().errors,
        "startup_s": first_call - started,
        "server_warmup_s": warmed - started,
        "cpu_s": time.process_time() - cpu_before,
        "run_s": finished - first_call,
        "peak_bytes": peak,
        "recording_bytes": recording,
        "report": report,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the simulator waits per request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="100 examples")
    args = parser.parse_args()
    n = 100 if args.quick else args.examples
    server, base_url = start_server(args.latency)
    fast_server, fast_url = start_server(0.005)  # memory does not depend on the latency; time does
    try:
        data = chat_set(n)
        timed = one_run(base_url, "sk-bench-speed", data, n, args.concurrency, trace=False)
        calls = timed["calls"]
        ideal = calls * args.latency / args.concurrency
        bound = 1.25 * ideal + timed["startup_s"]
        total = timed["startup_s"] + timed["run_s"]
        verdict = "within" if total <= bound else "OVER"
        print(
            f"speed: {calls} calls ({n} examples x 3 candidates), L = {args.latency:g} s, C = {args.concurrency}: "
            f"{total:.1f} s ({timed['startup_s']:.1f} s start-up, of which {timed['server_warmup_s']:.1f} s the "
            f"server's first answer, + {timed['run_s']:.1f} s calls); "
            f"ideal {ideal:.1f} s, bound 1.25 x ideal + start-up = {bound:.1f} s: {verdict} the bound; "
            f"errors {timed['errors']}; this process used {timed['cpu_s']:.1f} CPU s "
            f"({timed['cpu_s'] / calls * 1000:.1f} ms a call); load average {os.getloadavg()[0]:.1f}"
        )
        for stats in timed["report"].candidates:
            print(
                f"  {stats.label:18} exact {stats.scores['exact_match']:.2f}  json ok {stats.scores['json_valid']:.2f}"
                f"  mean prompt {stats.mean_usage('prompt_tokens'):.0f} tok"
                f"  ${stats.cost_per_1k_calls_usd:.4f}/1k calls"
                f"  p50 {stats.latency_p50_ms:.0f} ms"
            )
        small_n = max(1, n // 4)
        small = one_run(fast_url, "sk-bench-mem-small", data, small_n, args.concurrency, trace=True)
        large = one_run(fast_url, "sk-bench-mem-large", data, n, args.concurrency, trace=True)
        per_call = (large["peak_bytes"] - small["peak_bytes"]) / max(1, large["calls"] - small["calls"])
        print(
            f"memory: peak Python allocation {small['peak_bytes'] / 2**20:.1f} MB for {small['calls']} calls, "
            f"{large['peak_bytes'] / 2**20:.1f} MB for {large['calls']} calls: {per_call / 1024:.1f} KB per extra "
            f"call (its kept result; the recording takes {large['recording_bytes'] / large['calls'] / 1024:.1f} KB "
            f"per call); peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        return 0 if total <= bound else 1
    finally:
        for process in (server, fast_server):
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    sys.exit(main())
