"""Check a training or validation file the way the service does while ``validating_files``.

The project's validator (``lib.validate.validate_bytes``) is the one used: the
job fails on the same first error the Dataset page shows. Until that module
exists a minimal line check stands in, so the simulator keeps working.
"""

from __future__ import annotations

import json
import re

from lib.catalog import encoding_for_model, load_catalog
from lib.simulator.state import FileCheck

# The file formats each training method accepts (chat = supervised, legacy
# prompt/completion for babbage/davinci).
FORMATS_FOR_METHOD = {
    "supervised": ("chat", "prompt_completion"),
    "dpo": ("dpo",),
    "reinforcement": ("chat", "rft", "reinforcement"),
}
_LINE_PREFIX = re.compile(r"^\s*line\s+\d+\s*[:,-]\s*", re.IGNORECASE)


def _validator():
    try:
        from lib.validate import validate_bytes
    except ImportError:  # lib/validate.py is being written by another engineer
        return None
    return validate_bytes


def _minimal_check(data: bytes, model: str) -> FileCheck:
    """Stand-in until ``lib.validate`` lands: JSON object per line, at least 10 of them."""
    from lib.tokens import count_many

    examples, texts = 0, []
    fmt = None
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            return FileCheck(examples, 0, fmt, number, "The line is empty; every line must hold one JSON example.")
        try:
            value = json.loads(line)
        except ValueError:
            return FileCheck(examples, 0, fmt, number, "The line is not valid JSON.")
        if not isinstance(value, dict):
            return FileCheck(examples, 0, fmt, number, "The line is not a JSON object.")
        fmt = fmt or ("dpo" if "preferred_output" in value else "chat" if "messages" in value else "prompt_completion")
        examples += 1
        texts.append(line)
    minimum = load_catalog().limits["min_examples"]
    tokens = sum(count_many(texts, encoding_for_model(model))) if texts else 0
    if examples < minimum:
        return FileCheck(examples, tokens, fmt, None,
                         f"The file has {examples} examples; at least {minimum} are required.")
    return FileCheck(examples, tokens, fmt)


def check_file(data: bytes, *, model: str, method_type: str) -> FileCheck:
    """Examples, billed tokens per epoch and the first error of a JSONL training file."""
    validate_bytes = _validator()
    if validate_bytes is None:
        check = _minimal_check(data, model)
    else:
        report = validate_bytes(data, model=model)
        fmt = getattr(report, "format", None)
        errors = list(report.errors)
        first = errors[0] if errors else None
        check = FileCheck(
            examples=int(report.examples),
            billed_tokens_per_epoch=int(report.billed_tokens_per_epoch),
            format=fmt,
            first_error_line=getattr(first, "line", None) if first else None,
            first_error=str(first.message) if first else None,
        )
    if check.ok and check.format and check.format not in FORMATS_FOR_METHOD.get(method_type, (check.format,)):
        wanted = " or ".join(FORMATS_FOR_METHOD[method_type])
        check.first_error = (f"The file is in {check.format} format, but the {method_type} method needs "
                             f"{wanted} examples.")
    return check


def failure_message(check: FileCheck, which: str) -> str:
    """``The job failed due to an invalid training file. Line 3: ...`` (the service's wording)."""
    detail = _LINE_PREFIX.sub("", check.first_error or "").strip()
    where = f"Line {check.first_error_line}: " if check.first_error_line else ""
    return f"The job failed due to an invalid {which} file. {where}{detail}"
