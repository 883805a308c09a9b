"""Command line: ``python -m lib validate FILE [--model M] [--epochs N|auto] [--validation-file F2] [--json]``
and ``python -m lib evaluate EVAL.jsonl --candidate SPEC ...`` (see ``lib/evaluate/cli.py``).

Exit codes (the validator's contract): 0 no errors (warnings allowed), 1 at
least one error, 2 the file cannot be read at all or bad usage. Usage problems
print one line on stderr, never a traceback. ``--json`` prints exactly one JSON
object on stdout and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import orjson

from lib.catalog import UnknownModelError
from lib.validate import DEFAULT_MODEL, FileUnreadable, Report, validate_path

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
FINDINGS_SHOWN_PER_CODE = 20


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing a multi-line usage block and exiting."""

    def error(self, message):  # noqa: D401 - argparse API
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib", description="Tuning Desk tools")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = commands.add_parser("validate", help="check a fine-tuning JSONL file and count its tokens")
    check.add_argument("file", help="the training file (.jsonl)")
    check.add_argument("--model", default=DEFAULT_MODEL, help=f"model to train (default {DEFAULT_MODEL})")
    check.add_argument("--epochs", default="auto", help="number of epochs, or 'auto' (default)")
    check.add_argument("--validation-file", dest="validation_file", help="a validation file to check too")
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")
    commands.add_parser(
        "evaluate", help="score models on your own chat examples (python -m lib evaluate -h)", add_help=False
    )
    return parser


def _print_findings(title: str, findings, out) -> None:
    if not findings:
        return
    print(f"\n{title} ({len(findings)}):", file=out)
    shown: Counter = Counter()
    hidden: Counter = Counter()
    for finding in findings:
        if shown[finding.code] < FINDINGS_SHOWN_PER_CODE:
            shown[finding.code] += 1
            print(f"  [{finding.code}] {finding.message}", file=out)
        else:
            hidden[finding.code] += 1
    for code, n in hidden.items():
        print(f"  [{code}] ... and {n} more (use --json to see all)", file=out)


def _print_report(report: Report, out) -> None:
    estimate = ' (estimate of the server\'s "auto")' if report.n_epochs_is_estimate else ""
    print(f"{report.name}: {report.format} format, {report.lines} lines, {report.examples} examples", file=out)
    print(
        f"model {report.model} ({report.encoding}), training limit {report.training_limit or 'unknown'} tokens",
        file=out,
    )
    stats = report.stats
    print(f"tokens: {report.total_tokens:,} total, {report.assistant_total:,} in assistant answers", file=out)
    if stats["min"] is not None:
        print(
            f"  per example: min {stats['min']:,}, median {stats['median']:,.0f}, mean {stats['mean']:,.1f}, "
            f"p5 {stats['p5']:,.0f}, p95 {stats['p95']:,.0f}, max {stats['max']:,}",
            file=out,
        )
    cost = "unknown" if report.training_cost_usd is None else f"${report.training_cost_usd:,.2f}"
    print(
        f"billing: {report.billed_tokens_per_epoch:,} tokens per epoch x {report.n_epochs} epochs{estimate} = "
        f"{report.billed_tokens:,} tokens, training cost {cost} (prices as of {report.price_as_of})",
        file=out,
    )
    _print_findings("Errors", report.errors, out)
    _print_findings("Warnings", report.warnings, out)
    if report.validation is not None:
        print("\nValidation file:", file=out)
        _print_report(report.validation, out)


def _json_chunks(report: Report, slice_size: int = 10_000):
    """The report as one JSON object (``Report.to_json``), in pieces: the findings are turned into
    objects a slice at a time, because a million of them at once took 800 MB for a 3 MB file."""
    doc = report.to_json(findings=False)
    validation = doc.pop("validation", None)
    yield orjson.dumps(doc)[:-1]  # the object without its closing brace
    for key, findings in (("errors", report.errors), ("warnings", report.warnings)):
        yield f',"{key}":['.encode()
        for start in range(0, len(findings), slice_size):
            part = orjson.dumps([f.to_json() for f in findings[start : start + slice_size]])[1:-1]
            yield (b"," if start else b"") + part
        yield b"]"
    if validation is not None:
        yield b',"validation":'
        yield from _json_chunks(report.validation, slice_size)
    yield b"}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["evaluate"]:
        from lib.evaluate.cli import main as evaluate

        return evaluate(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"error: {exc} (usage: python -m lib validate FILE [--model M] [--epochs N|auto] "
              "[--validation-file F2] [--json])", file=sys.stderr)  # fmt: skip
        return EXIT_UNUSABLE
    if args.command != "validate":
        print("error: expected a command: validate FILE [--model M] [--epochs N|auto] [--validation-file F2] [--json], "
              "or evaluate EVAL.jsonl --candidate MODEL ...", file=sys.stderr)  # fmt: skip
        return EXIT_UNUSABLE
    epochs = args.epochs if args.epochs == "auto" else args.epochs.strip()
    try:
        report = validate_path(args.file, model=args.model, n_epochs=epochs, validation=args.validation_file)
    except (FileUnreadable, UnknownModelError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.json:
        for chunk in _json_chunks(report):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
    else:
        _print_report(report, sys.stdout)
        print("\nOK: no errors." if report.ok else "\nFAILED: fix the errors above before uploading.")
    return EXIT_OK if report.ok else EXIT_ERRORS


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(EXIT_UNUSABLE)
