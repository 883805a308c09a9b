"""The sentences of the validator's findings: how a value, a parse error or a stray object is described.

A finding names what is wrong in words the user can act on ("this looks like pretty-printed JSON",
"rename \"answer\" to \"completion\"") rather than repeating the parser's message.
"""

from __future__ import annotations

import json
import re

from lib.display import join_words


def quote(value, limit: int = 40) -> str:
    """A short, safe rendering of a user value for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def sniff_file_kind(head: bytes) -> str | None:
    """A file-level reason the bytes are not a UTF-8 text file, or None."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "this is a ZIP archive, not a JSONL text file; unzip it and check the .jsonl inside"
    if head.startswith(b"\x1f\x8b"):
        return "this is a gzip-compressed file, not a JSONL text file; decompress it first"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 encoded; save it as UTF-8 (without a byte-order mark)"
    if head.startswith(b"%PDF"):
        return "this is a PDF document, not a JSONL text file"
    if b"\x00" in head:
        return "the file is binary (it contains NUL bytes), not a JSONL text file"
    return None


PRETTY_PRINTED = (
    " — this line looks like part of a JSON object spread over several lines; the file seems to be "
    "pretty-printed JSON, not JSONL (one complete example per line)"
)


def _fragment_hint(text: bytes) -> bool:
    """True if a line looks like a piece of pretty-printed JSON rather than a whole object."""
    stripped = text.strip()
    if stripped in (b"{", b"[", b"}", b"]", b"},", b"],", b"]}", b"}]", b"}}", b"]},", b"}],"):
        return True
    if stripped.endswith((b"[", b"{", b",")):
        return True
    return stripped.startswith(b'"') and b'":' in stripped[:80]


def json_error_message(raw: bytes, exc: Exception) -> tuple[str, str]:
    """(code, message without the line prefix) for a line orjson could not parse."""
    reason = str(exc)
    if "not valid UTF-8" in reason:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return "encoding_error", (
                f"the line is not valid UTF-8 (byte 0x{raw[err.start]:02x} at byte {err.start + 1}); "
                "save the file as UTF-8"
            )
        return "invalid_json", "a string holds an invalid character (a lone surrogate escape such as \\ud800)"
    if "surrogate" in reason:
        return "invalid_json", (
            f"invalid JSON: {_at_column(reason)} — a string holds a lone surrogate escape (such as \\ud800), "
            "which is not valid Unicode text"
        )
    if "BOM" in reason:
        return "encoding_error", (
            "the file starts with a UTF-8 byte-order mark (BOM), which JSONL readers reject; "
            "save it as UTF-8 without BOM"
        )
    if "depth limit" in reason or "recursion" in reason.lower():
        return "invalid_json", "the JSON is nested too deeply (over 1024 levels) to be a training example"
    # The stdlib parser words errors more plainly ("Extra data", "Expecting ',' delimiter").
    try:
        json.loads(raw)
        plain = reason
    except RecursionError:
        return "invalid_json", "the JSON is nested too deeply to be a training example"
    except (ValueError, UnicodeDecodeError) as err:
        plain = str(err)
    except Exception:  # noqa: BLE001 - any parser failure is a finding, never a traceback
        plain = reason
    if raw.rstrip(b"\r").count(b"\r") >= 2:
        return "invalid_json", (
            f"invalid JSON: {_at_column(plain)} — the line holds carriage returns (\\r) between examples: "
            "the file seems to use old Mac line endings; save it with \\n (LF) line endings"
        )
    if plain.startswith("Extra data") and not _fragment_hint(raw):
        column = plain.split("column", 1)[-1].split("(")[0].strip()
        return "invalid_json", (
            f"invalid JSON: Extra data at column {column}: there is more than one JSON value on this line "
            "(put each example on its own line)"
        )
    message = "invalid JSON: " + _at_column(plain)
    if raw.lstrip().startswith((b"#", b"//")):
        message += " — this looks like a comment or a note; JSONL has no comments, every line must be an example"
    elif _fragment_hint(raw):
        message += PRETTY_PRINTED
    return "invalid_json", message


def _at_column(parser_message: str) -> str:
    """ "Expecting value: line 1 column 14 (char 13)" -> "Expecting value at column 14".

    The parser's "line 1" would name the wrong line: each JSONL line is parsed on its own.
    """
    # "Unterminated string starting at: line 1 ..." already ends in "at"
    return re.sub(r"( at)?:? line \d+ column (\d+) \(char \d+\)$", r" at column \2", parser_message)


def unknown_format_hint(obj: dict) -> str:
    keys = set(obj)
    shown = "keys " + join_words(sorted(quote(k) for k in list(keys)[:6]), "and") if keys else "no keys"
    base = f"the object has {shown}; expected chat (\"messages\"), DPO (\"input\", \"preferred_output\", " \
           "\"non_preferred_output\") or prompt/completion (\"prompt\", \"completion\")"  # fmt: skip
    if {"chosen", "rejected"} & keys:
        return (
            base + ". This looks like the Hugging Face TRL preference format (prompt/chosen/rejected): for OpenAI "
            "DPO put the prompt messages in input.messages, chosen in preferred_output and rejected in "
            "non_preferred_output"
        )
    if "conversations" in keys:
        return base + '. This looks like ShareGPT data: rename "conversations" to "messages" and use role/content'
    if {"instruction", "output"} <= keys:
        return base + ". This looks like Alpaca data: turn instruction/input into a user message and output into " \
                      "an assistant message"  # fmt: skip
    if "role" in keys and "content" in keys:
        return base + ". This is a single message, not an example; if the file is pretty-printed, each example " \
                      "must be on one line"  # fmt: skip
    if "text" in keys:
        return base + '. Plain-text data is not accepted: wrap it as a conversation in "messages"'
    return base


def detect_format(obj: dict) -> str:
    if "messages" in obj:
        return "chat"
    if "input" in obj or "preferred_output" in obj or "non_preferred_output" in obj \
            or "preferred_completion" in obj or "non_preferred_completion" in obj:  # fmt: skip
        return "dpo"
    if "chosen" in obj or "rejected" in obj:
        return "unknown"
    if "prompt" in obj or "completion" in obj:
        return "prompt_completion"
    return "unknown"
