"""What the Dataset page shows, computed from a validator :class:`~lib.validate.Report`.

The page is a story (read state, call ``lib``, draw); this module holds the
small decisions in between: the verdict sentence, the size guide, the problems
table and its counts, duplicate and overlap tables, the captions of cleaning
and splitting. Nothing here imports Streamlit, so all of it is tested with
plain pytest. The bundled samples (:mod:`lib.bundled_samples`) and one
example's raw line and chat bubbles (:mod:`lib.example_view`) have modules of
their own; their names are importable from here too.

Dataset text is user input. Nothing here builds HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from lib.bundled_samples import SAMPLES as SAMPLES
from lib.bundled_samples import SAMPLES_BY_KEY as SAMPLES_BY_KEY
from lib.bundled_samples import SAMPLES_DIR as SAMPLES_DIR
from lib.bundled_samples import Sample as Sample
from lib.bundled_samples import load_sample as load_sample
from lib.catalog import Catalog, ModelInfo
from lib.costs import usd, usd_per_1m, usd_price
from lib.display import count_noun, human_size, join_words
from lib.example_view import MAX_BUBBLE_CHARS as MAX_BUBBLE_CHARS
from lib.example_view import MAX_RAW_CHARS as MAX_RAW_CHARS
from lib.example_view import Bubble as Bubble
from lib.example_view import LineIndex
from lib.example_view import bubbles as bubbles
from lib.jobspec import FORMAT_DESCRIPTIONS
from lib.memo import SharedCache

PREVIEW_CHARS = 90
# Tables list at most this many rows; the counts above them always cover everything.
MAX_TABLE_ROWS = 5_000

# Validator reports shared between sessions (the same sample or file checked by several visitors),
# bounded by the bytes of the files they came from (lib/memo.py).
SHARED_REPORTS = SharedCache()


# --------------------------------------------------------------------------- inputs
def upload_too_large(size_bytes: int, max_upload_mb: int | float) -> str | None:
    """The message for a file over the server's upload limit (``server.maxUploadSize``, in MB), else None."""
    limit = int(max_upload_mb * 1024 * 1024)
    if size_bytes <= limit:
        return None
    return (
        f"The file is {human_size(size_bytes)}, over this app's upload limit of {max_upload_mb:g} MB. "
        "Split it into smaller files, or check it on your machine with `python -m lib validate FILE`."
    )


def model_choices(cat: Catalog, today: dt.date, calendar: str = "openai") -> list[ModelInfo]:
    """Models the picker offers: those still trainable today on ``calendar``, else (after the cut-off)
    every model that can be fine-tuned."""
    return cat.trainable(today, calendar) or sorted(
        (m for m in cat.models.values() if m.fine_tunable), key=lambda m: m.id
    )


def model_label(info: ModelInfo) -> str:
    """'GPT-4o mini · $3.00 / 1M training tokens'."""
    if info.training_per_1m is not None:
        return f"{info.label} · {usd_price(info.training_per_1m)} / 1M training tokens"
    if info.training_per_hour is not None:
        return f"{info.label} · {usd(info.training_per_hour)} / training hour"
    return info.label


def deadline_note(info: ModelInfo, cat: Catalog, today: dt.date, calendar: str = "openai") -> str:
    """The dates that matter for a job on ``info``: its shutdown and the platform's last day for new jobs
    (on Azure OpenAI: the model's own training end and its deployments' retirement)."""
    if calendar != "openai":
        return azure_deadline_note(info, today)
    parts = []
    if info.shutdown_date is not None:
        verb = "Was shut down" if info.shutdown_date <= today else "Shuts down"
        parts.append(f"{verb} on {info.shutdown_date:%Y-%m-%d}, with every fine-tune of it")
    if today < cat.no_new_jobs_from:
        days = (cat.no_new_jobs_from - today).days
        parts.append(f"new fine-tuning jobs end on {cat.no_new_jobs_from:%Y-%m-%d} ({days} days left)")
    else:
        parts.append(f"no new fine-tuning jobs since {cat.no_new_jobs_from:%Y-%m-%d}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def azure_deadline_note(info: ModelInfo, today: dt.date) -> str:
    """:func:`deadline_note` in Azure OpenAI's dates."""
    dates = info.lifecycle("azure")
    if not dates.listed:
        return f"Azure OpenAI's schedule does not list {info.id}: {dates.note}"
    parts = []
    if dates.training_until:
        if today < dates.training_until:
            days = (dates.training_until - today).days
            parts.append(
                f"Azure OpenAI trains it until no earlier than {dates.training_until:%Y-%m-%d} "
                f"({days} days left, existing customers)"
            )
        else:
            parts.append(f"Azure OpenAI stopped training it on {dates.training_until:%Y-%m-%d}")
    if dates.inference_until:
        verb = "answered" if today >= dates.inference_until else "answer"
        parts.append(f"deployed fine-tunes of it {verb} until {dates.inference_until:%Y-%m-%d}")
    text = "; ".join(parts) or f"No Azure OpenAI dates are announced for {info.id}"
    return text + "." + (" Doubtful: " + dates.note if dates.doubtful else "")


def with_calendar(report, cat: Catalog, today: dt.date, calendar: str):
    """``report`` with its "model retired" warning in ``calendar``'s dates.

    The validator speaks OpenAI's calendar; on Azure OpenAI a model OpenAI retired may still train
    (gpt-4.1-nano until 2027-04-14), and the warning must name Azure's date, never OpenAI's.
    """
    if calendar == "openai":
        return report
    warnings = [f for f in report.warnings if f.code != "model_retired"]
    dates = cat.lifecycle(report.model, calendar)
    if not dates.training_open(today):
        ended = f"ended on {dates.training_until:%Y-%m-%d}" if dates.training_until else "is not offered"
        from lib.validate import SEVERITY, Finding  # imported here: lib.validate loads the tokenizers

        warnings.append(
            Finding(
                None,
                "model_retired",
                f"{dates.model_id}: Azure OpenAI's training for it {ended}; "
                "new jobs cannot use it (the file is still checked)",
                SEVERITY["model_retired"],
            )
        )
    validation = with_calendar(report.validation, cat, today, calendar) if report.validation is not None else None
    return dataclasses.replace(report, warnings=warnings, validation=validation)


def epochs_label(value: int | str) -> str:
    return "auto (the server decides)" if value == "auto" else f"{value} epoch{'s' if value != 1 else ''}"


# --------------------------------------------------------------------------- verdict and figures
def _all_errors(report) -> list:
    errors = list(report.errors)
    if report.validation is not None:
        errors += report.validation.errors
    return errors


def root_cause(report) -> str:
    """The one sentence that best explains why a file has no usable example.

    A file-level reason (a ZIP, binary, pretty-printed JSON, too large) beats a
    per-line code; the most common per-line code beats "too few examples",
    which is only the consequence.
    """
    errors = _all_errors(report)
    file_level = [f for f in errors if f.line is None and f.code != "too_few_examples"]
    if file_level:
        return file_level[0].message
    per_line = [f for f in errors if f.line is not None]
    if per_line:
        lines_per_code = Counter(code for code, _ in {(f.code, f.line) for f in per_line})
        code, n = lines_per_code.most_common(1)[0]
        first = next(f for f in per_line if f.code == code)
        if n == 1:
            return first.message
        return f"{n:,} of {report.lines:,} lines have this problem ({code}); the first is {first.message}"
    return errors[0].message if errors else "the file has no examples"


def ready(report) -> bool:
    """The upload can go to a job as it is: no error in either file (an empty validation file is one)."""
    return report.ok


def verdict(report) -> tuple[str, str]:
    """('ready' | 'fix' | 'unusable', one sentence) for the whole upload (training + validation file)."""
    errors = _all_errors(report)
    warnings = len(report.warnings) + (len(report.validation.warnings) if report.validation else 0)
    if report.examples == 0 and errors:
        return "unusable", f"This file can't be used for fine-tuning: {root_cause(report)}."
    if not errors:
        tail = f" ({warnings} warning{'s' if warnings != 1 else ''} to review)" if warnings else ""
        return "ready", f"Ready to train: {report.examples:,} examples and no errors{tail}."
    lines = {f.line for f in errors if f.line is not None}
    n = count_noun(len(errors), "error")
    if not lines:  # only file-level errors: say which
        return "fix", f"Fix {n} before training: " + "; ".join(f.message for f in errors) + "."
    return "fix", (
        f"Fix {n} on {count_noun(len(lines), 'line')} before training: OpenAI rejects a file with any of them."
    )


def cost_text(report) -> str:
    """'$0.12' (or 'unknown' when the catalog has no per-token price for the model)."""
    if report.training_cost_usd is None:
        return "unknown"
    return usd(report.training_cost_usd)


SIZE_STEPS = (
    (0, "under 10", "OpenAI refuses jobs with fewer than 10 examples."),
    (10, "10-49", "Expect little: improvements usually start around 50 well-chosen examples."),
    (50, "50-99", "Enough to see whether fine-tuning helps; 100-500 gives solid results."),
    (100, "100-999", "Solid for format, tone and style tasks."),
    (1000, "1,000+", "Enough for complex tasks; now quality matters more than quantity."),
)


def size_guide(n_examples: int) -> tuple[int, str]:
    """(index of the step in :data:`SIZE_STEPS`, sentence) for a dataset of ``n_examples`` good examples."""
    index = max(i for i, (low, _, _) in enumerate(SIZE_STEPS) if n_examples >= low)
    _, label, text = SIZE_STEPS[index]
    return index, f"{count_noun(n_examples, 'usable example')} ({label}): {text}"


def size_ladder(n_examples: int) -> str:
    """The size steps as one markdown line, the current one in bold."""
    index, _ = size_guide(n_examples)
    return " · ".join(f"**{label}**" if i == index else label for i, (_, label, _) in enumerate(SIZE_STEPS))


# --------------------------------------------------------------------------- problems table
def problem_rows(report, *, codes: set[str] | None = None, severities: set[str] | None = None) -> list[dict]:
    """One row per finding of the training file and then of the validation file.

    Rows: ``file`` ('training' / 'validation'), ``line`` (None for the whole
    file), ``severity``, ``code``, ``message``. ``codes`` / ``severities`` filter
    (None keeps everything). At most :data:`MAX_TABLE_ROWS` rows.
    """
    rows = []
    sources = [("training", report)]
    if report.validation is not None:
        sources.append(("validation", report.validation))
    for label, rep in sources:
        for f in rep.findings():
            if codes is not None and f.code not in codes:
                continue
            if severities is not None and f.severity not in severities:
                continue
            # The line has its own column; the message need not repeat it.
            message = f.message.removeprefix(f"line {f.line}: ") if f.line is not None else f.message
            rows.append({"file": label, "line": f.line, "severity": f.severity, "code": f.code, "message": message})
            if len(rows) >= MAX_TABLE_ROWS:
                return rows
    return rows


def line_label(line) -> str:
    """A finding's line for the problems table: the number, or "file" for a whole-file finding."""
    return "file" if line is None or line != line else str(int(line))  # line != line: NaN from pandas


def code_counts(report) -> list[dict]:
    """Findings per code over both files: ``code``, ``severity``, ``count``, ``first_line``; errors first."""
    findings = report.findings() + (report.validation.findings() if report.validation else [])
    counts: dict[str, dict] = {}
    for f in findings:
        row = counts.setdefault(f.code, {"code": f.code, "severity": f.severity, "count": 0, "first_line": None})
        row["count"] += 1
        if row["first_line"] is None and f.line is not None:
            row["first_line"] = f.line
    return sorted(counts.values(), key=lambda r: (r["severity"] != "error", -r["count"], r["code"]))


def code_pill_label(row: dict) -> str:
    """':material/error: invalid_json · 2' (the icon tells errors from warnings)."""
    icon = ":material/error:" if row["severity"] == "error" else ":material/warning:"
    return f"{icon} {row['code']} · {row['count']:,}"


def findings_on_line(report, line: int) -> list:
    """The training file's findings on physical ``line``, errors first."""
    on_line = [f for f in report.errors + report.warnings if f.line == line]  # one pass: no sort of them all
    return sorted(on_line, key=lambda f: f.severity != "error")


# --------------------------------------------------------------------------- duplicates and overlap
def _preview(index: LineIndex, line: int) -> str:
    """The first user (or input) text of an example, one line, for tables."""
    from lib.validate import conversation, read_example

    example = read_example(index.raw(line) + b"\n", 1)
    bubbles = conversation(example) if example is not None else []
    text = next((b["text"] for b in bubbles if b.get("role") == "user" and b.get("text")), "")
    if not text:
        text = index.text(line, PREVIEW_CHARS * 2)[0]
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def duplicate_rows(report, data: bytes, index: LineIndex | None = None) -> list[dict]:
    """``line``, ``same_as`` (the first identical line) and ``preview`` for each duplicate line."""
    index = index or LineIndex(data)
    rows = []
    for line, first in sorted(report.duplicates.items())[:MAX_TABLE_ROWS]:
        rows.append({"line": line, "same_as": first, "preview": _preview(index, line)})
    return rows


def overlap_rows(report, data: bytes, index: LineIndex | None = None) -> list[dict]:
    """``line`` (training), ``validation_line`` and ``preview`` for each example in both files."""
    index = index or LineIndex(data)
    return [
        {"line": t, "validation_line": v, "preview": _preview(index, t)} for t, v in report.overlap[:MAX_TABLE_ROWS]
    ]


# --------------------------------------------------------------------------- example viewer
def viewer_lines(report) -> list[int]:
    """Lines worth jumping to in the example viewer: those with findings, in order, then none."""
    lines = sorted({f.line for f in report.findings() if f.line is not None})
    return lines[:MAX_TABLE_ROWS]


# --------------------------------------------------------------------------- fix and hand over
def clean_plan(report, *, dedupe: bool) -> dict:
    """What :func:`lib.validate.clean_jsonl` will drop and keep, counted from the report alone."""
    bad = report.error_lines
    blank = {f.line for f in report.errors if f.code == "blank_line"}
    kept = sum(1 for ln, n in enumerate(report.per_example_tokens, 1) if n is not None and ln not in bad)
    dups = sum(1 for ln in report.duplicates if ln not in bad) if dedupe else 0
    return {"error_lines": len(bad - blank), "blank_lines": len(blank), "duplicates": dups, "kept": kept - dups}


def derived_name(name: str, suffix: str) -> str:
    """'train.jsonl' + 'clean' -> 'train.clean.jsonl'."""
    stem = name[:-6] if name.lower().endswith(".jsonl") else name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or 'dataset'}.{suffix}.jsonl"


def count_lines(data: bytes) -> int:
    """Physical lines of a JSONL file (a final newline adds none)."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def clean_caption(plan: dict) -> str:
    """'Drops 9 lines with errors and 1 blank line; keeps 51 examples.'"""
    drops = []
    if plan["error_lines"]:
        drops.append(count_noun(plan["error_lines"], "line") + " with errors")
    if plan["blank_lines"]:
        drops.append(count_noun(plan["blank_lines"], "blank line"))
    if plan["duplicates"]:
        drops.append(count_noun(plan["duplicates"], "duplicate"))
    kept = f"keeps {count_noun(plan['kept'], 'example')}"
    if not drops:
        return f"Nothing to drop: the file is clean and {kept}."
    return "Drops " + join_words(drops, "and") + f"; {kept}."


def split_caption(n_examples: int, percent: int) -> str:
    """How many good examples the split sends to validation (about: identical lines move together)."""
    to_valid = max(1, round(n_examples * percent / 100)) if n_examples > 1 else 0
    return (
        f"About {to_valid:,} of {n_examples:,} good examples go to validation. Lines with errors are left out, "
        "and identical examples always land on the same side."
    )


def handed_text(handed: dict) -> str:
    """The confirmation after "Use for launch"."""
    text = f"Handed to Launch: {handed['train']} ({count_noun(handed['examples'], 'example')})"
    if handed.get("valid"):
        text += f" with {handed['valid']} ({count_noun(handed['valid_examples'], 'example')}) for validation"
    return text + ". The Costs page now uses its figures."


# --------------------------------------------------------------------------- sentences for the page
def file_facts(report, size_bytes: int) -> str:
    """'train.jsonl · 64.7 KB · 96 lines · chat (supervised) · o200k_base tokenizer · limit 65,536 tokens per
    example'."""
    parts = [
        report.name or "file",
        human_size(size_bytes),
        count_noun(report.lines, "line"),
        FORMAT_DESCRIPTIONS.get(report.format, report.format),
        f"{report.encoding} tokenizer",
    ]
    if report.training_limit:
        parts.append(f"limit {report.training_limit:,} tokens per example")
    return " · ".join(parts)


def validation_facts(validation) -> str:
    """One line about the validation file (its tokens are not billed)."""
    text = (
        f"Validation file {validation.name or 'file'}: {count_noun(validation.examples, 'example')}, "
        f"{validation.total_tokens:,} tokens (validation tokens are not billed)"
    )
    if validation.errors:
        text += f", {count_noun(len(validation.errors), 'error')}"
    return text + "."


def price_note(report, info: ModelInfo) -> str:
    """Where the cost comes from: the per-token price and its date."""
    if info.training_per_1m is None:
        return f"The catalog has no per-token training price for {info.id}, so the cost is unknown."
    return (
        f"Cost = billed tokens × {usd_per_1m(info.training_per_1m, 'training tokens')} ({info.id}, price as of "
        f"{report.price_as_of}). An estimate: OpenAI bills the trained tokens it reports after the job."
    )


def stats_caption(stats: dict, limit: int | None) -> str:
    """'Tokens per example: min 116 · p5 121 · median 136 · mean 139 · p95 167 · max 208 (limit 65,536).'"""
    parts = [
        f"{key} {stats[key]:,.0f}"
        for key in ("min", "p5", "median", "mean", "p95", "max")
        if stats.get(key) is not None
    ]
    tail = f" (limit {limit:,})" if limit else ""
    return "Tokens per example: " + " · ".join(parts) + tail + "."


def jump_label(report, line: int) -> str:
    """'line 12 · error: example_missing_assistant_message' for the jump list."""
    return jump_labels(report, [line])[line]


def jump_labels(report, lines: list[int]) -> dict[int, str]:
    """:func:`jump_label` of each of ``lines``, in one pass over the findings (a file with a million
    findings offers thousands of lines to jump to: a pass per label would never finish)."""
    wanted = set(lines)
    codes: dict[int, dict[str, None]] = {line: {} for line in lines}
    has_error: set[int] = set()
    for f in report.errors + report.warnings:  # errors first, as findings_on_line lists them
        if f.line in wanted:
            codes[f.line][f.code] = None
            if f.severity == "error":
                has_error.add(f.line)
    return {
        line: f"line {line:,} · {'error' if line in has_error else 'warning'}: {', '.join(codes[line])}"
        for line in lines
    }
