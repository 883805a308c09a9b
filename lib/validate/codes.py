"""The validator's vocabulary: finding codes, the keys each format may carry, and :class:`Finding`.

Errors are what the API would reject or what would make the job fail; warnings are accepted but
likely a mistake or a cost. The codes of the contract come first in each tuple (reports sort
findings of one line in this order); the ones after "Beyond the contract" are this project's.
"""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"

ERROR_CODES = (
    "encoding_error", "blank_line", "invalid_json", "data_type", "unknown_format", "mixed_formats",
    "missing_messages_list", "message_missing_key", "message_unrecognized_key", "unrecognized_role",
    "missing_content", "example_missing_assistant_message", "invalid_weight", "invalid_tool_call",
    "unmatched_tool_message", "invalid_tools", "special_token", "invalid_image", "invalid_dpo",
    "invalid_prompt_completion", "too_few_examples", "file_too_large",
)  # fmt: skip
WARNING_CODES = (
    "missing_system_message", "missing_user_message", "truncated", "duplicate_example", "developer_role",
    "small_dataset", "train_validation_overlap", "model_retired",
    # Beyond the contract: accepted by the API but worth a look.
    "unrecognized_example_key", "image_skipped", "images_need_vision_model", "no_trained_messages",
    "dpo_identical_outputs", "format_not_supported_by_model", "undefined_tool",
)  # fmt: skip
SEVERITY = {**{c: "error" for c in ERROR_CODES}, **{c: "warning" for c in WARNING_CODES}}

# The strings OpenAI rejects in training text (tokenizer and chat-markup special tokens).
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>",
    "<|im_start|>", "<|im_end|>", "<|im_sep|>",
)  # fmt: skip
# Every special token holds this character, and searching a text for one character is about five times
# faster than for "<|" (most texts hold none): the checks look for the tokens only in texts that have it.
SPECIAL_TOKEN_MARK = "|"

CHAT_KEYS = ("messages", "tools", "parallel_tool_calls", "functions")
DPO_KEYS = ("input", "preferred_output", "non_preferred_output")
DPO_INPUT_KEYS = ("messages", "tools", "parallel_tool_calls", "functions")
PROMPT_COMPLETION_KEYS = ("prompt", "completion")
# Keys each role may carry in a supervised example (OpenAPI FineTuneChatRequestInput).
MESSAGE_KEYS = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "weight", "tool_calls", "function_call", "refusal"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
IMAGE_DETAILS = ("low", "high", "auto")

# Token kinds of counted strings: where a string's tokens are summed besides the example total.
OTHER, ASSISTANT, SYSTEM = 0, 1, 2
ROLE_KIND = {"assistant": ASSISTANT, "system": SYSTEM, "developer": SYSTEM}


class FileUnreadable(Exception):
    """The file cannot be read at all (missing, a folder, no permission). The message is one line."""


class Finding(NamedTuple):
    """One problem: its 1-based physical line (None for the whole file), code, message and severity.

    A file can have a finding on each of a million lines, so a finding is small: ``detail`` is the
    message without its ``line N:`` prefix, one string shared by every line that says the same, and
    ``message`` is built when it is read. A tuple: a million of them take 80 MB, not 400, and pickle
    several times faster than dataclass instances.
    """

    line: int | None
    code: str
    detail: str
    severity: str

    @property
    def message(self) -> str:
        return self.detail if self.line is None else f"line {self.line}: {self.detail}"

    def to_json(self) -> dict:
        return {"line": self.line, "code": self.code, "message": self.message}
