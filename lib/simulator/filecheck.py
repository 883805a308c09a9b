"""Check a training or validation file the way the service does while ``validating_files``.

The project's validator (``lib.validate.validate_bytes``) is the one used, so
a job fails on the same first error the Dataset page shows.
"""

from __future__ import annotations

import re

from lib import jobspec
from lib.catalog import UnknownModelError, load_catalog
from lib.simulator.state import FileCheck
from lib.validate import validate_bytes

_LINE_PREFIX = re.compile(r"^\s*line\s+\d+\s*[:,-]\s*", re.IGNORECASE)


def check_file(data: bytes, *, model: str, method_type: str, is_validation_file: bool = False) -> FileCheck:
    """Examples, billed tokens per epoch and the first error of a JSONL training (or validation) file."""
    if is_validation_file:  # validation files have their own rules (e.g. no 10-example minimum)
        report = validate_bytes(b"", model=model, validation=data).validation
    else:
        report = validate_bytes(data, model=model)
    # Name the first bad line when there is one; file-level findings (too few examples) come after.
    errors = sorted(report.errors, key=lambda f: (f.line is None, f.line or 0))
    first = errors[0] if errors else None
    check = FileCheck(
        examples=report.examples,
        billed_tokens_per_epoch=report.billed_tokens_per_epoch,
        format=report.format,
        first_error_line=first.line if first else None,
        first_error=first.message if first else None,
    )
    if check.ok and check.format:
        try:
            wanted = jobspec.formats_for_method(load_catalog().resolve(model), method_type)
        except UnknownModelError:  # the create request was refused before any file check
            wanted = (check.format,)
        if check.format not in wanted:
            needs = " or ".join(wanted) or "no format it offers"
            check.first_error = (
                f"The file is in {check.format} format, but the {method_type} method of {model} needs {needs} examples."
            )
    return check


def failure_message(check: FileCheck, which: str) -> str:
    """``The job failed due to an invalid training file. Line 3: ...`` (the service's wording)."""
    detail = _LINE_PREFIX.sub("", check.first_error or "").strip()
    detail = detail[:1].upper() + detail[1:]
    if detail and not detail.endswith((".", "!", "?")):
        detail += "."
    where = f"Line {check.first_error_line}: " if check.first_error_line else ""
    return f"The job failed due to an invalid {which} file. {where}{detail}"
