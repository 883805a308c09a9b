"""The datasets shipped in ``samples/`` for visitors without a file of their own, and how to read them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"


@dataclass(frozen=True)
class Sample:
    """A dataset shipped in ``samples/`` for visitors without a file of their own."""

    key: str
    label: str
    description: str
    training: str
    validation: str | None = None


SAMPLES = (
    Sample("support_chat", "Support chat: clean (96 examples + validation file)",
           "Customer-support conversations of a fictional bike shop with a shared system prompt; "
           "a 24-example validation file comes with it.",
           "support_chat.jsonl", "support_chat_valid.jsonl"),
    Sample("support_chat_faulty", "Support chat with a dozen typical faults",
           "The same conversations with the mistakes real files have: a cut-off line, a blank line, "
           "a missing answer, a bad role, weight 2, a duplicate, null content and more. Its validation "
           "file shares two examples with it.",
           "support_chat_faulty.jsonl", "support_chat_faulty_valid.jsonl"),
    Sample("support_dpo", "Support DPO pairs (30 preference pairs)",
           "Preferred and non-preferred answers to the same questions, for direct preference optimization.",
           "support_dpo.jsonl"),
    Sample("support_tools", "Support with tool calls (40 examples)",
           "Conversations where the assistant looks up orders, checks stock and starts returns through tools.",
           "support_tools.jsonl"),
)  # fmt: skip
SAMPLES_BY_KEY = {s.key: s for s in SAMPLES}


def load_sample(key: str) -> tuple[tuple[str, bytes], tuple[str, bytes] | None]:
    """((name, bytes) of the training file, (name, bytes) of its validation file or None).

    Raises ``KeyError`` for an unknown key.
    """
    sample = SAMPLES_BY_KEY[key]
    training = (sample.training, (SAMPLES_DIR / sample.training).read_bytes())
    validation = None
    if sample.validation:
        validation = (sample.validation, (SAMPLES_DIR / sample.validation).read_bytes())
    return training, validation
