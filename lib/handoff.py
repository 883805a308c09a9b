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
