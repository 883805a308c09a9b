"""Benchmark: the project's validator against the common recipe, on a large chat file.

    python benchmarks/validate.py             # 100,000 and 20,000 examples
    python benchmarks/validate.py --examples 50000
    python benchmarks/validate.py --quick     # 2,000 examples, a smoke run
    python benchmarks/validate.py --examples 100000 --rounds 3   # medians of three turns each

It writes a deterministic chat JSONL file (a few repeated system prompts,
generated prose, some multi-turn examples) into a temporary folder, then runs
each contender in its own subprocess so that peak memory (``ru_maxrss`` of the
child) is measured fairly:

- **recipe**: what most notebooks do — ``json.loads`` every line into a list,
  the cookbook format checks, then tiktoken per message with the cookbook's
  3/1/3 counting.
- **validator**: ``lib.validate.validate_path`` (every check of the contract,
  exact counts through ``lib.tokens.count_many``).
- **limit**: the least any exact validator must do, printed so the distance
  stays visible: parse every line with orjson, then one ``toktok.batch_count``
  of the distinct message texts (tokenizer build included, as in the others).
  Its token total is not the recipe's (it counts distinct texts once, and no
  per-message constants); it is a floor for time, not a result.

Both times cover the work inside the child (tokenizer loading included,
interpreter start-up excluded); CPU seconds (user + system, all threads) are
printed too, since wall time on a shared machine depends on its load. The token
totals must be identical. Nothing is
kept: the temporary file is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENCODING = "o200k_base"  # the encoding of the validator's default model, gpt-4o-mini

WORDS = (
    "the of and to in is that for it as with was on be by this are or at from have an not which but can all "
    "their more one has will about if there when been they also would into so what other its some time only "
    "model data training example answer question customer order account refund shipping delivery policy "
    "product support ticket invoice payment subscription password login error message request response "
    "please thank you help understand explain describe summarize list steps first then finally because "
    "however therefore although usually often sometimes important necessary available possible different "
    "report analysis result value number percent increase decrease average total monthly weekly daily "
    "network server database query index memory latency throughput cache cluster deploy release version "
    "patient doctor treatment symptom dose clinic appointment insurance coverage claim form document "
    "contract clause party agreement term notice period liability warranty invoice vendor supplier "
    "recipe oven minutes temperature flour sugar butter salt pepper garlic onion tomato sauce pan bake "
    "café naïve résumé façade Zürich São Paulo München 東京 会議 データ señor año pequeño déjà vu "
    "running jumped easily quickly carefully we you I he she them our your my his her 2024 3.5 42 100 "
    "e-mail follow-up state-of-the-art well-known (see above) [note] \"quoted\" it's don't can't won't"
).split()

SYSTEM_PROMPTS = [
    "You are a helpful customer-support assistant for an online shop. Answer briefly, politely and accurately. "
    "If you do not know the answer, say so and offer to connect the customer with a human agent. " * 3,
    "You are a medical information assistant. You never diagnose; you explain general information and always "
    "recommend consulting a qualified professional for personal advice. Keep answers under 200 words. " * 2,
    "You are a senior site-reliability engineer. Give concrete, step-by-step troubleshooting advice with the "
    "exact commands to run, and explain the reasoning behind every step in one short sentence. " * 4,
    "You are a contract-review assistant. Point out risky clauses, quote them exactly, and suggest safer "
    "wording. Use plain English and keep the tone neutral. " * 2,
    "Eres un asistente de cocina. Responde en español con recetas claras, cantidades exactas y tiempos. ",
]


def _prose(rng: random.Random, n_words: int) -> str:
    sentences = []
    remaining = n_words
    while remaining > 0:
        length = min(remaining, rng.randint(6, 22))
        words = rng.choices(WORDS, k=length)
        sentences.append(" ".join(words).capitalize() + rng.choice((".", ".", ".", "?", "!")))
        remaining -= length
    text = " ".join(sentences)
    if rng.random() < 0.3:
        text = text.replace(". ", ".\n\n", rng.randint(1, 3))
    return text


def make_dataset(path: Path, n_examples: int, seed: int = 20261126) -> int:
    """Write ``n_examples`` chat examples (about 2 KB each) to ``path``; returns the size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for _ in range(n_examples):
            messages = [{"role": "system", "content": rng.choice(SYSTEM_PROMPTS)}]
            for _turn in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
                messages.append({"role": "user", "content": _prose(rng, rng.randint(15, 70))})
                messages.append({"role": "assistant", "content": _prose(rng, rng.randint(45, 200))})
            f.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    return path.stat().st_size


RECIPE = r"""
import json, resource, sys, time
import tiktoken  # its offline cache was seeded by the parent; loading the encoding is timed

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start, start_cpu = time.perf_counter(), cpu()
encoding = tiktoken.get_encoding(sys.argv[3])
with open(sys.argv[1], encoding="utf-8") as f:
    dataset = [json.loads(line) for line in f]

# The cookbook's format checks (Chat_finetuning_data_prep.ipynb).
format_errors = {}
for ex in dataset:
    if not isinstance(ex, dict):
        format_errors["data_type"] = format_errors.get("data_type", 0) + 1
        continue
    messages = ex.get("messages", None)
    if not messages:
        format_errors["missing_messages_list"] = format_errors.get("missing_messages_list", 0) + 1
        continue
    for message in messages:
        if "role" not in message or "content" not in message:
            format_errors["message_missing_key"] = format_errors.get("message_missing_key", 0) + 1
        if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
            format_errors["message_unrecognized_key"] = format_errors.get("message_unrecognized_key", 0) + 1
        if message.get("role", None) not in ("system", "user", "assistant", "function"):
            format_errors["unrecognized_role"] = format_errors.get("unrecognized_role", 0) + 1
        content = message.get("content", None)
        function_call = message.get("function_call", None)
        if (not content and not function_call) or not isinstance(content, str):
            format_errors["missing_content"] = format_errors.get("missing_content", 0) + 1
    if not any(message.get("role", None) == "assistant" for message in messages):
        key = "example_missing_assistant_message"
        format_errors[key] = format_errors.get(key, 0) + 1

def num_tokens_from_messages(messages, tokens_per_message=3, tokens_per_name=1):
    num_tokens = 0
    for message in messages:
        num_tokens += tokens_per_message
        for key, value in message.items():
            num_tokens += len(encoding.encode(value))
            if key == "name":
                num_tokens += tokens_per_name
    num_tokens += 3
    return num_tokens

def num_assistant_tokens_from_messages(messages):
    return sum(len(encoding.encode(m["content"])) for m in messages if m["role"] == "assistant")

lengths = [num_tokens_from_messages(ex["messages"]) for ex in dataset]
assistant = [num_assistant_tokens_from_messages(ex["messages"]) for ex in dataset]
elapsed, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu_seconds, "total": sum(lengths), "assistant": sum(assistant),
                  "errors": sum(format_errors.values()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

VALIDATOR = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from lib.validate import validate_path

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start, start_cpu = time.perf_counter(), cpu()
report = validate_path(sys.argv[1])
elapsed, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
from lib.tokens import fast_counter_name
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu_seconds, "total": report.total_tokens,
                  "assistant": report.assistant_total,
                  "errors": len(report.errors), "warnings": len(report.warnings), "counter": fast_counter_name(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


LIMIT = r"""
import json, resource, sys, time
import orjson, toktok

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start, start_cpu = time.perf_counter(), cpu()
distinct = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        for message in orjson.loads(line)["messages"]:
            distinct[message["content"]] = None
parsed = time.perf_counter() - start
counts = toktok.batch_count(list(distinct), sys.argv[3])
elapsed, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu_seconds, "parse_seconds": parsed, "distinct": len(distinct),
                  "total": sum(counts), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, path: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(ROOT), ENCODING],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def _median_run(results: list[dict]) -> dict:
    """The run with the median wall time (an odd count picks the middle one; an even one, the upper)."""
    return sorted(results, key=lambda r: r["seconds"])[len(results) // 2]


def bench(n_examples: int, folder: Path, rounds: int = 1) -> bool:
    """Run one size ``rounds`` times, the contenders taking turns (a machine's slow spell hits all of them);
    prints each round's ratio and the comparison of the median runs, and returns whether the totals agree."""
    path = folder / f"chat_{n_examples}.jsonl"
    started = time.perf_counter()
    size = make_dataset(path, n_examples)
    print(f"\n== {n_examples:,} examples, {size / 1e6:,.1f} MB (generated in {time.perf_counter() - started:.1f} s)")
    runs: dict[str, list[dict]] = {"recipe": [], "validator": [], "limit": []}
    for round_number in range(1, rounds + 1):
        for name, code in (("recipe", RECIPE), ("validator", VALIDATOR), ("limit", LIMIT)):
            runs[name].append(_run(code, path))
        if rounds > 1:
            r, v = runs["recipe"][-1]["seconds"], runs["validator"][-1]["seconds"]
            print(f"  round {round_number}: recipe {r:6.2f} s, validator {v:5.2f} s, validator/recipe {v / r:.3f}x")
    path.unlink()
    recipe, validator, limit = (_median_run(runs[name]) for name in ("recipe", "validator", "limit"))
    if rounds > 1:
        print(f"  median of {rounds} rounds each:")
    contenders = (
        ("recipe    (json + tiktoken 3/1/3)", recipe),
        (f"validator (lib.validate, {validator['counter']})", validator),
    )
    for label, result in contenders:
        print(f"  {label}: {result['seconds']:6.2f} s wall, {result['cpu_seconds']:6.2f} s CPU, "
              f"peak {result['peak_mb']:5.0f} MB, total {result['total']:,} tokens")  # fmt: skip
    ratio = validator["seconds"] / recipe["seconds"]
    cpu_ratio = validator["cpu_seconds"] / recipe["cpu_seconds"]
    same = recipe["total"] == validator["total"] and recipe["assistant"] == validator["assistant"]
    print(f"  validator/recipe: time {ratio:.3f}x (CPU {cpu_ratio:.3f}x), peak memory "
          f"{validator['peak_mb'] / recipe['peak_mb']:.2f}x; token totals {'identical' if same else 'DIFFER'} "
          f"({validator['total']:,} total, {validator['assistant']:,} assistant); "
          f"validator found {validator['errors']} errors, {validator['warnings']} warnings")  # fmt: skip
    print(f"  limit     (orjson + one toktok.batch_count): {limit['seconds']:6.2f} s wall, "
          f"{limit['cpu_seconds']:6.2f} s CPU, peak {limit['peak_mb']:5.0f} MB (parse {limit['parse_seconds']:.2f} s, "
          f"count {limit['distinct']:,} distinct texts {limit['seconds'] - limit['parse_seconds']:.2f} s); "
          f"limit/recipe {limit['seconds'] / recipe['seconds']:.3f}x, validator/limit "
          f"{validator['seconds'] / limit['seconds']:.2f}x")  # fmt: skip
    return same


def _seed_tiktoken_cache() -> None:
    """Put the bundled vocabulary where tiktoken looks, so the recipe child runs offline (not timed)."""
    sys.path.insert(0, str(ROOT))
    from lib.tokens import get_encoding

    get_encoding(ENCODING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, help="run one size with this many examples")
    parser.add_argument("--quick", action="store_true", help="a 2,000-example smoke run")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each contender, taking turns (median shown)")
    args = parser.parse_args(argv)
    sizes = [2000] if args.quick else [args.examples] if args.examples else [100_000, 20_000]
    _seed_tiktoken_cache()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="tuning-desk-bench-") as folder:
        agree = all([bench(n, Path(folder), max(1, args.rounds)) for n in sizes])
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
