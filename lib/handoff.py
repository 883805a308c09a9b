"""What one page hands to another (kept in the user's session state by ``lib/ui.py``).

Plain dataclasses, so ``lib`` stays free of Streamlit and the pages agree on
one shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatasetSummary:
    """The figures of the training file last checked on the Dataset page."""

    name: str
    sha256: str
    model: str
    format: str
    examples: int
    total_tokens: int
    billed_tokens_per_epoch: int
    n_epochs: int
    n_epochs_is_estimate: bool
    median_system_tokens: int | None = None
    median_prompt_tokens: int | None = None
    median_assistant_tokens: int | None = None
    error_count: int = 0
    warning_count: int = 0


@dataclass(frozen=True)
class LaunchFile:
    """A JSONL file handed to the Launch page (bytes kept in this session only)."""

    name: str
    data: bytes = field(repr=False)
    sha256: str = ""

    @classmethod
    def of(cls, name: str, data: bytes) -> "LaunchFile":
        return cls(name=name, data=data, sha256=hashlib.sha256(data).hexdigest())

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class MeasuredUsage:
    """Token means measured by an evaluation run, handed from Evaluate to Costs.

    ``prompt_tokens_prompted`` is the mean prompt of the prompted base/replacement candidate
    (the long engineered prompt); ``prompt_tokens_fine_tuned`` the fine-tune's (its short prompt);
    ``completion_tokens`` the mean output (reasoning included). Costs labels them
    "measured on N examples" instead of typed guesses.
    """

    examples: int
    fine_tuned_model: str
    prompted_model: str
    prompt_tokens_fine_tuned: float
    prompt_tokens_prompted: float
    completion_tokens: float
    reasoning_tokens: float = 0.0
    simulated: bool = False  # measured against the demo simulator


@dataclass(frozen=True)
class EvaluateRequest:
    """What another page asks Evaluate to open with: a model to evaluate (Jobs' "Evaluate this
    model") and/or an evaluation file (Dataset's validation file)."""

    model: str | None = None
    base_model: str | None = None
    eval_file: LaunchFile | None = None
