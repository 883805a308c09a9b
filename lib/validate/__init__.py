"""Check a fine-tuning JSONL file the way the OpenAI API will, and count its tokens exactly.

The contract (formats, finding codes, the JSON report of ``python -m lib validate
--json`` and its exit codes) is what this package and :class:`Report` implement:
every physical line is checked, and every finding names its 1-based line (None for
findings about the whole file).

Formats (one JSON object per line; the file's format is that of its first
example, and lines of another format are ``mixed_formats``):

- **chat** (supervised): ``messages`` plus optional ``tools``,
  ``parallel_tool_calls`` and legacy ``functions``. Roles system, user,
  assistant, tool, function (``developer`` is a warning). ``weight`` 0/1 on
  assistant messages; content as a string or a list of text / image parts;
  ``tool_calls``, ``function_call`` and tool messages matched to earlier calls.
- **dpo**: ``input.messages`` + one-message ``preferred_output`` and
  ``non_preferred_output`` lists.
- **prompt_completion** (legacy babbage/davinci): string ``prompt`` and ``completion``.

What is counted (the published OpenAI recipe, made exact):

- chat: per message 3 + tokens of every string it carries (role, content text,
  refusal, name, tool_call_id, and for calls the call id, function name and
  arguments) + 1 if it has a ``name``; + 3 for the example; + tool or function
  definitions (``lib.validate_tokens``); + images (85 tokens at
  ``detail: "low"``, the GPT-4o tile estimate otherwise). Content parts count
  the text of their text parts. ``weight: 0`` messages are counted (OpenAI does
  not document whether they are billed).
- dpo: ``input.messages`` + the preferred output as one more message, + 3, +
  tools. The non-preferred output is checked but not counted (undocumented).
- prompt_completion: tokens of prompt + tokens of completion.
- Assistant tokens: the text an assistant message carries (content, refusal,
  call names and arguments); for DPO the preferred output; for
  prompt/completion the completion. System tokens: the content of system (and
  developer) messages.

Strings are counted as ordinary text (special-token strings are both counted as
text and reported as ``special_token`` errors) with
:func:`lib.tokens.count_many`: toktok, and tiktoken for the rare
strings toktok splits differently (characters new in Unicode 17.0).

Beyond the contract's codes, some warnings point at likely mistakes the API
accepts: ``unrecognized_example_key``, ``image_skipped`` (formats or sizes
OpenAI skips), ``images_need_vision_model``, ``no_trained_messages`` (every
weight 0), ``dpo_identical_outputs``, ``format_not_supported_by_model`` and
``undefined_tool`` (a call to a function the example does not define).

Speed and memory: the file is read in blocks of lines; each block is parsed with
orjson and checked while a worker thread counts the previous block's strings in
one batch (toktok and hashlib release the GIL). Repeated strings (system prompts,
tool definitions) are counted once. Only compact per-line columns are kept,
never the parsed examples.

Limits: a file over the catalog's ``max_file_bytes`` (512 MB, the Files API
limit) is reported ``file_too_large`` and its lines are counted but not parsed,
since the API would refuse it before looking at a line. ZIP, gzip, UTF-16 and
other binary files get one file-level ``encoding_error`` instead of a finding
per line. Duplicates are byte-identical lines (``\\r`` and surrounding
whitespace ignored).

Layout: :mod:`~lib.validate.codes` (codes, keys, :class:`Finding`),
:mod:`~lib.validate.messages` (how findings are worded), :mod:`~lib.validate.report`
(:class:`Report`, file-level findings, the training charge), :mod:`~lib.validate.reading`
(blocks of lines), :mod:`~lib.validate.scanner` (the per-block loop) with the checks of
:mod:`~lib.validate.chat`, :mod:`~lib.validate.images`, :mod:`~lib.validate.tools`,
:mod:`~lib.validate.dpo` and :mod:`~lib.validate.completion`, :mod:`~lib.validate.run` (the
entry points, overlap),
:mod:`~lib.validate.editing` (clean, split) and :mod:`~lib.validate.viewer` (bubbles).
"""

from lib.validate.codes import (
    CHAT_KEYS, DEFAULT_MODEL, DPO_INPUT_KEYS, DPO_KEYS, ERROR_CODES, IMAGE_DETAILS, MESSAGE_KEYS,
    PROMPT_COMPLETION_KEYS, SEVERITY, SPECIAL_TOKENS, WARNING_CODES, FileUnreadable, Finding,
)  # fmt: skip
from lib.validate.editing import clean_jsonl, split_jsonl
from lib.validate.report import Report
from lib.validate.run import validate_bytes, validate_path
from lib.validate.viewer import conversation, read_example

__all__ = [
    "CHAT_KEYS", "DEFAULT_MODEL", "DPO_INPUT_KEYS", "DPO_KEYS", "ERROR_CODES", "IMAGE_DETAILS", "MESSAGE_KEYS",
    "PROMPT_COMPLETION_KEYS", "SEVERITY", "SPECIAL_TOKENS", "WARNING_CODES", "FileUnreadable", "Finding", "Report",
    "clean_jsonl", "conversation", "read_example", "split_jsonl", "validate_bytes", "validate_path",
]  # fmt: skip
