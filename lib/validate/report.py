"""The report of one checked file: :class:`Report`, and the findings and figures only a whole file has.

File-level findings (too few examples, a small dataset, a retired model, a format the model does not
train on, too many images) and the training charge are decided once every line is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lib import catalog as catalog_module
from lib import jobspec
from lib.costs import training_cost
from lib.validate.codes import Finding
from lib.display import join_words
from lib.validate.messages import PRETTY_PRINTED

if TYPE_CHECKING:  # pragma: no cover
    from lib.handoff import DatasetSummary
    from lib.validate.scanner import Scanner

FORMAT_LABELS = jobspec.FORMAT_LABELS


@dataclass
class Report:
    """Everything the validator found and counted in one file."""

    name: str
    sha256: str
    format: str
    model: str
    encoding: str
    training_limit: int | None
    lines: int
    examples: int
    errors: list[Finding]
    warnings: list[Finding]
    per_example_tokens: list[int | None]
    assistant_tokens: list[int | None]
    system_tokens: list[int | None]
    n_messages: list[int | None]
    total_tokens: int
    assistant_total: int
    stats: dict
    n_epochs: int
    n_epochs_is_estimate: bool
    billed_tokens_per_epoch: int
    billed_tokens: int
    training_cost_usd: float | None
    price_as_of: str
    duplicates: dict[int, int]
    overlap: list[tuple[int, int]]
    validation: "Report | None" = None
    counter: str = ""
    is_validation_file: bool = False

    @property
    def ok(self) -> bool:
        """True when neither this file nor its validation file has an error."""
        return not self.errors and (self.validation is None or self.validation.ok)

    @property
    def error_lines(self) -> set[int]:
        """Physical lines that carry at least one error."""
        return {f.line for f in self.errors if f.line is not None}

    @property
    def valid_examples(self) -> int:
        """Examples with no error on their line."""
        bad = self.error_lines
        return sum(1 for i, n in enumerate(self.per_example_tokens, 1) if n is not None and i not in bad)

    def findings(self) -> list[Finding]:
        """Errors and warnings together, in line order (file-level first)."""
        return sorted(self.errors + self.warnings, key=lambda f: (f.line or 0, f.severity != "error"))

    def to_json(self, *, findings: bool = True) -> dict:
        """The contract's JSON report, plus the extras the pages use.

        ``findings=False`` leaves out ``errors`` and ``warnings`` (here and in the validation report), for
        a writer that streams them (see ``lib/__main__.py``).
        """
        report = {
            "name": self.name,
            "sha256": self.sha256,
            "format": self.format,
            "model": self.model,
            "encoding": self.encoding,
            "training_limit": self.training_limit,
            "lines": self.lines,
            "examples": self.examples,
            "valid_examples": self.valid_examples,
            "ok": self.ok,
            **(
                {"errors": [f.to_json() for f in self.errors], "warnings": [f.to_json() for f in self.warnings]}
                if findings
                else {}
            ),
            "tokens": {
                "total": self.total_tokens,
                "per_example": self.per_example_tokens,
                "assistant_total": self.assistant_total,
                "assistant_per_example": self.assistant_tokens,
                "system_per_example": self.system_tokens,
                "messages_per_example": self.n_messages,
                "stats": self.stats,
                "counter": self.counter,
            },
            "billing": {
                "n_epochs": self.n_epochs,
                "n_epochs_is_estimate": self.n_epochs_is_estimate,
                "billed_tokens_per_epoch": self.billed_tokens_per_epoch,
                "billed_tokens": self.billed_tokens,
                "training_cost_usd": self.training_cost_usd,
                "price_as_of": self.price_as_of,
            },
            "duplicates": [{"line": line, "same_as": first} for line, first in sorted(self.duplicates.items())],
            "train_validation_overlap": [{"line": t, "validation_line": v} for t, v in self.overlap],
        }
        if self.validation is not None:
            report["validation"] = self.validation.to_json(findings=findings)
        return report

    def summary(self) -> "DatasetSummary":
        """The figures other pages need (see :class:`lib.handoff.DatasetSummary`)."""
        from lib.handoff import DatasetSummary

        def median(values) -> int | None:
            present = [v for v in values if v is not None]
            return int(round(float(np.median(present)))) if present else None

        prompt = [
            None if total is None else total - (assistant or 0)
            for total, assistant in zip(self.per_example_tokens, self.assistant_tokens)
        ]
        return DatasetSummary(
            name=self.name,
            sha256=self.sha256,
            model=self.model,
            format=self.format,
            examples=self.examples,
            total_tokens=self.total_tokens,
            billed_tokens_per_epoch=self.billed_tokens_per_epoch,
            n_epochs=self.n_epochs,
            n_epochs_is_estimate=self.n_epochs_is_estimate,
            median_system_tokens=median(self.system_tokens),
            median_prompt_tokens=median(prompt),
            median_assistant_tokens=median(self.assistant_tokens),
            error_count=len(self.errors),
            warning_count=len(self.warnings),
        )


def stats(values: list[int]) -> dict:
    """min, max, mean, median and the true 5th / 95th percentiles (linear interpolation)."""
    if not values:
        return {"min": None, "max": None, "mean": None, "median": None, "p5": None, "p95": None}
    array = np.asarray(values, dtype=np.float64)
    p5, median, p95 = np.percentile(array, [5, 50, 95])
    return {
        "min": int(array.min()),
        "max": int(array.max()),
        "mean": round(float(array.mean()), 2),
        "median": float(median),
        "p5": round(float(p5), 2),
        "p95": round(float(p95), 2),
    }


# --------------------------------------------------------------------------- file-level findings


def add_file_findings(scanner: Scanner, n_valid: int, whole_file_empty: bool) -> None:
    """The findings about the whole file, added to ``scanner`` once every line is checked."""
    unreadable = any(f.line is None for f in scanner.errors)  # file_too_large, or not a text file
    _pretty_printed(scanner)
    if not unreadable:
        _example_count(scanner, n_valid, whole_file_empty)
    info = scanner.info
    if info.is_retired(catalog_module.today()):
        scanner.file_finding(
            "model_retired",
            f"{info.id} was shut down on {info.shutdown_date.isoformat()}; new jobs cannot use it "
            "(the file is still checked)",
        )
    _format_for_model(scanner)
    if scanner.image_examples:
        _images(scanner)


def _pretty_printed(scanner: Scanner) -> None:
    pieces = sum(1 for f in scanner.errors if f.code == "invalid_json" and f.message.endswith(PRETTY_PRINTED))
    if pieces >= 3:
        scanner.file_finding(
            "invalid_json",
            f"{pieces} lines are pieces of JSON objects spread over several lines: the file looks like "
            "pretty-printed JSON, not JSONL; write each example on one line (json.dumps(example) per line)",
        )


def _example_count(scanner: Scanner, n_valid: int, whole_file_empty: bool) -> None:
    """Too few examples (under the API's minimum of 10) and a small dataset (under 50, the usual start of gains)."""
    limits = scanner.catalog.limits
    examples = f"{n_valid} valid example{'s' if n_valid != 1 else ''}"
    if scanner.is_validation_file:  # a validation file needs one example, and no minimum beyond that
        if n_valid == 0:
            scanner.file_finding(
                "too_few_examples",
                "the validation file has no valid examples; add some (or launch without a validation file)",
            )
        return
    if whole_file_empty:
        scanner.file_finding(
            "too_few_examples",
            f"the file is empty: it has no examples; fine-tuning needs at least {limits['min_examples']}",
        )
    elif n_valid < limits["min_examples"]:
        scanner.file_finding(
            "too_few_examples", f"the file has {examples}; fine-tuning needs at least {limits['min_examples']}"
        )
    if n_valid < limits["recommended_examples"]:  # every file under 50, those under 10 as well
        scanner.file_finding(
            "small_dataset",
            f"the file has {examples}; results usually start to improve from about {limits['recommended_examples']}",
        )


def _format_for_model(scanner: Scanner) -> None:
    """Whether ``--model`` trains on the file's format at all (the table is :func:`lib.jobspec.takes_format`)."""
    info, file_format = scanner.info, scanner.format
    method = jobspec.FORMAT_METHOD.get(file_format or "")
    if method is None or jobspec.takes_format(info, file_format):
        return
    label = FORMAT_LABELS[file_format]
    if method not in info.methods:
        supported = join_words(info.methods) if info.methods else "no"
        message = (
            f"this is {label} data for {method} training, but {info.id} is not listed for it "
            f"(it supports {supported} training)"
        )
    else:  # the model trains with this method on another format (chat versus legacy prompt/completion)
        wanted = join_words([FORMAT_LABELS[f] for f in jobspec.formats_for_method(info, method)])
        others = join_words([m.id for m in jobspec.models_for_format(file_format)] or ["no listed model"])
        message = (
            f"this is {label} data, but {method} training of {info.id} reads {wanted} examples only "
            f"({label} data is for {others})"
        )
    scanner.file_finding("format_not_supported_by_model", message)


def _images(scanner: Scanner) -> None:
    count = scanner.image_examples
    catalog, info = scanner.catalog, scanner.info
    if not info.vision:
        vision = [m.id for m in catalog.models.values() if m.vision]
        scanner.file_finding(
            "images_need_vision_model",
            f"{count} example{'s' if count != 1 else ''} contain images, but {info.id} is not listed for vision "
            f"fine-tuning ({join_words(vision) if vision else 'no model'} is)",
        )
    max_image_examples = catalog.limits.get("max_image_examples")
    if max_image_examples and count > max_image_examples:
        scanner.file_finding(
            "invalid_image", f"{count:,} examples contain images; at most {max_image_examples:,} are allowed"
        )


# --------------------------------------------------------------------------- the training charge


@dataclass(frozen=True)
class Billing:
    """What a job on the file would bill: epochs, tokens and dollars (``cost_usd`` None without a token price)."""

    n_epochs: int
    n_epochs_is_estimate: bool
    billed_tokens_per_epoch: int
    billed_tokens: int
    cost_usd: float | None


def billing(scanner: Scanner, valid_tokens: list[int], n_epochs: int | None) -> Billing:
    """Each example is billed up to the model's training limit, every epoch; validation files are free.

    The dollars are :func:`lib.costs.training_cost`, the one formula of the training charge.
    """
    if n_epochs is None:
        # An empty file estimates like a one-example file (25 epochs, the ceiling) rather than refusing.
        epochs, estimate = catalog_module.auto_epochs(max(scanner.examples, 1)), True
    else:
        epochs, estimate = n_epochs, False
    limit = scanner.limit
    per_epoch = int(sum(min(t, limit) for t in valid_tokens)) if limit is not None else int(sum(valid_tokens))
    if scanner.is_validation_file:  # "we don't charge for tokens used for training validation"
        per_epoch = 0
    price = scanner.info.training_per_1m
    if price is None:
        cost = None
    elif per_epoch == 0:
        cost = 0.0
    else:
        cost = round(training_cost(per_epoch, epochs, price).cost, 6)
    return Billing(epochs, estimate, per_epoch, per_epoch * epochs, cost)
