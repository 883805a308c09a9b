"""The file check before a launch: the validator's verdict for the chosen model and method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib import jobspec
from lib.display import md_escape
from lib.catalog import (
    UnknownModelError,
    load_catalog,
)


@dataclass(frozen=True)
class FileCheck:
    """What the validator says about one file for one model and method."""

    name: str
    ok: bool
    format: str | None = None
    examples: int = 0
    billed_tokens_per_epoch: int | None = None
    error_count: int = 0
    problems: tuple[str, ...] = ()  # the first few reasons it may not be sent, one sentence each

    def summary(self) -> str:
        """One line: ``100 examples, chat (supervised), 23,456 billed tokens per epoch``."""
        parts = [f"{self.examples:,} examples"]
        if self.format:
            parts.append(jobspec.FORMAT_DESCRIPTIONS.get(self.format, self.format))
        if self.billed_tokens_per_epoch is not None:
            parts.append(f"{self.billed_tokens_per_epoch:,} billed tokens per epoch")
        return ", ".join(parts)

    def blocking_markdown(self) -> str:
        """``**2 problems block the launch**`` and a list of them (the file's own text escaped: a quoted
        ``[x](https://...)`` must not become a live link)."""
        more = self.error_count - len(self.problems)
        lines = "\n".join(f"- {md_escape(p)}" for p in self.problems) + (f"\n- and {more} more" if more > 0 else "")
        return f"**{self.error_count} problem{'s' if self.error_count != 1 else ''} block the launch**\n{lines}"


def format_mismatch(file_format: str | None, method: str, *, model: str) -> str | None:
    """Why a file of ``file_format`` cannot train ``model`` with ``method``, or None
    (:func:`lib.jobspec.takes_format`)."""
    try:
        info = load_catalog().resolve(model)
    except UnknownModelError:
        return None  # the validator has already said the model is unknown
    wanted = jobspec.formats_for_method(info, method)
    if file_format in wanted:
        return None
    have = jobspec.FORMAT_DESCRIPTIONS.get(file_format or "", file_format or "an unknown format")
    if method == "dpo":
        return (
            f"The DPO method needs preference pairs (input, preferred_output, non_preferred_output), "
            f"but this file is {have}; pick a DPO file or the supervised method."
        )
    if wanted == ("chat",):
        other = " or the DPO method" if "dpo" in info.methods else ""
        return (
            f'The supervised method needs chat examples ({{"messages": [...]}}), but this file is {have}; '
            f"pick a chat file{other}."
        )
    needs = " or ".join(jobspec.FORMAT_DESCRIPTIONS[f] for f in wanted) or "a format it does not offer"
    return (
        f"The {method} method of {info.id} needs {needs} examples, but this file is {have}; pick another file or model."
    )


def _with_line(finding: Any) -> str:
    """``line N: message`` (the validator may already name the line itself)."""
    if not finding.line or finding.message.startswith(f"line {finding.line}"):
        return finding.message
    return f"line {finding.line}: {finding.message}"


def _file_check(report: Any, *, name: str, method: str, max_problems: int) -> FileCheck:
    problems = [_with_line(f) for f in report.errors]
    mismatch = format_mismatch(report.format, method, model=report.model) if report.format != "unknown" else None
    if mismatch:
        problems.insert(0, mismatch)
    return FileCheck(
        name=name,
        ok=not report.errors and mismatch is None,
        format=report.format,
        examples=int(report.examples),
        billed_tokens_per_epoch=None if report.is_validation_file else int(report.billed_tokens_per_epoch),
        error_count=len(report.errors) + (1 if mismatch else 0),
        problems=tuple(problems[:max_problems]),
    )


def check_files(
    training: tuple[str, bytes],
    validation: tuple[str, bytes] | None = None,
    *,
    model: str,
    method: str,
    max_problems: int = 3,
) -> tuple[FileCheck, FileCheck | None]:
    """Validate the training (and validation) file for ``model`` and ``method`` with :mod:`lib.validate`.

    ``training`` and ``validation`` are ``(name, bytes)``. Blocking problems
    are the validator's errors (``line N: message``; a validation file of
    another format than the training file is one of them) and a format that
    does not fit the method. Validation files are not billed.
    """
    from lib.validate import validate_bytes  # heavy (numpy, tokenizers): load on first use

    name, data = training
    report = validate_bytes(
        data,
        model=model,
        name=name,
        validation=validation[1] if validation else None,
        validation_name=validation[0] if validation else "",
    )
    train_check = _file_check(report, name=name, method=method, max_problems=max_problems)
    val_check = None
    if validation is not None and report.validation is not None:
        val_check = _file_check(report.validation, name=validation[0], method=method, max_problems=max_problems)
    return train_check, val_check
