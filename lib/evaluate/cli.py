"""``python -m lib evaluate EVAL.jsonl --candidate SPEC [...]``: the evaluation from the command line.

Connection as the SDK reads it (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``,
``OPENAI_PROJECT_ID``; Azure when ``AZURE_OPENAI_ENDPOINT`` is set, with ``AZURE_OPENAI_API_KEY``
and ``OPENAI_API_VERSION``), or ``--demo`` for an in-process simulator on 127.0.0.1 (nothing
is sent anywhere else and nothing is charged; the evaluation file is placed in the demo key's
space first, as a job's files would be, so simulated fine-tunes know their examples).

Exit codes: 0 every call answered; 1 finished, some calls failed (or the run stopped at
``--max-spend``); 2 bad usage, unreadable file, no usable example, or the estimate is above
``--max-spend`` (one sentence on stderr, no call made). ``--json`` prints exactly one JSON object
on stdout and nothing else; progress and notes go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import openai
import orjson

from lib.catalog import load_catalog
from lib.evaluate.candidates import CandidateSpecError, check_labels, parse_candidate_spec
from lib.evaluate.evalset import EvalInputError, load_eval_set
from lib.evaluate.pricing import estimate
from lib.evaluate.recording import RecordingError, RecordingWriter, load_recording
from lib.evaluate.report import summarize, text_table
from lib.evaluate.runner import DEFAULT_CONCURRENCY, OverBudget, Run

EXIT_OK, EXIT_SOME_FAILED, EXIT_UNUSABLE = 0, 1, 2
USAGE = (
    "python -m lib evaluate EVAL.jsonl --candidate SPEC [--candidate SPEC ...] [--limit N] [--seed S] "
    "[--concurrency C] [--max-spend USD] [--recording OUT.jsonl] [--against RECORDING.jsonl] [--json] [--demo]"
)


class _UsageError(Exception):
    pass


class _Unusable(Exception):
    """A file that cannot be read or written; the message is the whole sentence."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # noqa: D401 - argparse API
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib evaluate", description="Score candidates on your own chat examples.")
    parser.add_argument("file", help="the evaluation set (chat JSONL)")
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="SPEC",
        help="MODEL[,system=PATH][,schema=auto|PATH][,label=NAME][,temperature=T][,max_tokens=N]"
        "[,reasoning_effort=E]; the first is the baseline",
    )
    parser.add_argument("--limit", type=int, help="a seeded random sample of N examples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"calls in flight at most (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument("--max-spend", dest="max_spend", type=float, help="stop before spending more (USD)")
    parser.add_argument("--recording", help="write every answer to this JSONL file")
    parser.add_argument("--against", help="use a recording's answers as the references")
    parser.add_argument(
        "--against-label",
        dest="against_label",
        help="which recorded candidate's answers (default: the recording's baseline)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--demo", action="store_true", help="use the built-in simulator (no key, no cost)")
    return parser


def _say(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _client_factory(demo_sim, demo_key: str | None):
    """A function returning an SDK client for the configured backend (and the price calendar)."""
    if demo_sim is not None:
        return (lambda: openai.OpenAI(base_url=demo_sim.base_url, api_key=demo_key)), "openai"
    if os.environ.get("AZURE_OPENAI_ENDPOINT"):
        from lib.connection import DEFAULT_AZURE_API_VERSION

        if not os.environ.get("AZURE_OPENAI_API_KEY"):
            raise _UsageError("AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not")
        version = os.environ.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
        return (lambda: openai.AzureOpenAI(api_version=version)), "azure"
    if not os.environ.get("OPENAI_API_KEY"):
        raise _UsageError("no API key: set OPENAI_API_KEY (and OPENAI_BASE_URL for another server), or use --demo")
    return (lambda: openai.OpenAI()), "openai"


def _start_demo():
    """A simulator of this command alone on 127.0.0.1, serving only the one demo key minted for it."""
    from lib.connection import new_demo_key
    from lib.simulator import Simulator

    key = new_demo_key()
    return Simulator(speed=1.0, known_keys={key}).start(host="127.0.0.1", port=0), key


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise _Unusable(f"cannot read the {what} {path}: it is a folder") from None
    except OSError as exc:
        raise _Unusable(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def main(argv: list[str]) -> int:
    """Run the evaluate command; returns the exit code."""
    demo_sim = None
    try:
        try:
            args = _parser().parse_args(argv)
            if not args.candidate:
                raise _UsageError("name at least one --candidate MODEL")
            if args.concurrency < 1:
                raise _UsageError("--concurrency must be at least 1")
            if args.max_spend is not None and not args.max_spend >= 0:
                raise _UsageError("--max-spend must be a number of dollars, 0 or more")
            candidates = [parse_candidate_spec(spec) for spec in args.candidate]
            check_labels(candidates)
            data = _read(args.file, "evaluation file")
            against = None
            if args.against:
                against = load_recording(_read(args.against, "recording"), name=args.against)
            eval_set = load_eval_set(
                data,
                name=Path(args.file).name,
                limit=args.limit,
                seed=args.seed,
                against=against,
                against_label=args.against_label,
            )
            if args.demo:
                demo_sim, demo_key = _start_demo()
            make_client, calendar = _client_factory(demo_sim, demo_key if args.demo else None)
            if args.max_spend is not None:
                unpriced = [e.model for e in estimate(eval_set, candidates, calendar=calendar) if e.cost_usd is None]
                if unpriced:
                    raise _UsageError(f"--max-spend cannot be kept: the catalog has no price for {unpriced[0]}")
            run = Run(
                eval_set,
                candidates,
                make_client,
                concurrency=args.concurrency,
                max_spend=args.max_spend,
                calendar=calendar,
            )
            run.check_budget()
        except _UsageError as exc:
            _say(f"{exc} (usage: {USAGE})")
            return EXIT_UNUSABLE
        except (_Unusable, CandidateSpecError, EvalInputError, RecordingError, OverBudget) as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        if demo_sim is not None:
            # the simulated fine-tunes know the examples of files in their key's space, as after training
            make_client().files.create(
                file=(eval_set.name if eval_set.name.endswith(".jsonl") else "eval.jsonl", data), purpose="fine-tune"
            )
        return _execute(args, eval_set, candidates, run, calendar, demo=demo_sim is not None)
    finally:
        if demo_sim is not None:
            demo_sim.stop()


def _execute(args, eval_set, candidates, run: Run, calendar: str, *, demo: bool) -> int:
    settings = {
        "limit": args.limit,
        "seed": args.seed,
        "concurrency": args.concurrency,
        "max_spend": args.max_spend,
        "calendar": calendar,
        "demo": demo,
        "against": Path(args.against).name if args.against else None,
    }
    out = None
    try:
        if args.recording:
            try:
                out = open(args.recording, "wb")
            except OSError as exc:
                _say(f"cannot write the recording {args.recording}: {exc.strerror or exc}")
                return EXIT_UNUSABLE
            run.on_result = RecordingWriter(out, eval_set, candidates, settings).write
        try:
            run.start()
            run.wait()
        except OverBudget as exc:
            _say(str(exc))
            return EXIT_UNUSABLE
        except KeyboardInterrupt:
            run.stop()
            run.wait()
            print("interrupted: the calls in flight finished and are kept", file=sys.stderr)
    finally:
        if out is not None:
            out.close()
    report = summarize(eval_set, candidates, run.results(), prices_as_of=load_catalog().as_of, calendar=calendar)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(report.to_document()) + b"\n")
        sys.stdout.flush()
    else:
        print(text_table(report))
        if demo:
            print(
                "Demo: answers came from the built-in simulator; nothing was charged (costs are what the calls "
                "would cost)."
            )
    progress = run.progress()
    if progress.stopped_reason == "max_spend" and progress.done < progress.total:
        print(
            f"stopped: the measured spend reached --max-spend ${args.max_spend:g} after {progress.done} of "
            f"{progress.total} calls",
            file=sys.stderr,
        )
    failed = progress.errors + (progress.total - progress.done)
    if run.problem:
        print(run.problem, file=sys.stderr)
    if progress.errors:
        first = next((r.error for r in run.results() if r.error), None)
        print(
            f"{progress.errors} of {progress.total} calls failed" + (f"; first: {first}" if first else ""),
            file=sys.stderr,
        )
    return EXIT_SOME_FAILED if failed else EXIT_OK
