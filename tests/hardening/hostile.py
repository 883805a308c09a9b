"""Files made to hurt the validator and the Dataset page, written at test time (never committed).

Each :class:`Hostile` names a file, how to write it into a directory, and the
words the Dataset page's verdict must contain for it. The big ones are
streamed to disk in chunks so the generator itself stays small.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MB = 1 << 20


def _chat(user: str, answer: str = "ok") -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


def _line(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


GOOD = _line(_chat("How do I reset my password?", "Open Settings, then Security, then Reset."))


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def not_utf8(path: Path) -> None:
    _write(path, _line(_chat("caf\u00e9 au lait")).decode().encode("latin-1") * 20)


def binary(path: Path) -> None:
    _write(path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)


def empty(path: Path) -> None:
    _write(path, b"")


def giant_line(path: Path) -> None:
    """One 20 MB example of ordinary words (the Dataset issue's "one giant line")."""
    _write(path, _line(_chat("please help me " * (20 * MB // 15))) + GOOD * 10)


def nested(path: Path) -> None:
    """JSON nested 200 levels deep inside a message (the issue's "deeply nested JSON")."""
    deep: object = "bottom"
    for _ in range(200):
        deep = {"inner": deep}
    _write(
        path,
        _line({"messages": [{"role": "user", "content": deep}, {"role": "assistant", "content": "ok"}]}) + GOOD * 10,
    )


def pretty_printed(path: Path) -> None:
    _write(path, b"".join(json.dumps(_chat(f"question {i}"), indent=2).encode() + b"\n" for i in range(12)))


def over_limit(path: Path) -> None:
    """2 MB of good lines; the test runs the page with ``server.maxUploadSize`` = 1 MB."""
    _write(path, GOOD * (2 * MB // len(GOOD) + 1))


def million_tiny_lines(path: Path) -> None:
    """A million lines of ``{}``: every line is a finding."""
    _write(path, b"{}\n" * 1_000_000)


def line_100mb(path: Path) -> None:
    """One 100 MB line: a message of a single unbroken 100 MB word (the worst case for a tokenizer)."""
    with path.open("wb") as f:
        f.write(b'{"messages": [{"role": "user", "content": "')
        chunk = b"x" * MB
        for _ in range(100):
            f.write(chunk)
        f.write(b'"}, {"role": "assistant", "content": "ok"}]}\n')


def nesting_10k(path: Path) -> None:
    """10,000 levels of arrays inside a message: deeper than any JSON parser's recursion limit."""
    _write(path, b'{"messages": [{"role": "user", "content": ' + b"[" * 10_000 + b"]" * 10_000 + b"}]}\n" + GOOD * 10)


def invalid_surrogates(path: Path) -> None:
    """Lone surrogates, both as JSON escapes and as raw (CESU-8 style) bytes."""
    escaped = (
        b'{"messages": [{"role": "user", "content": "half a pair \\ud800 here"}, '
        b'{"role": "assistant", "content": "\\udfff"}]}\n'
    )
    raw = (
        b'{"messages": [{"role": "user", "content": "raw \xed\xa0\x80 bytes"}, '
        b'{"role": "assistant", "content": "ok"}]}\n'
    )
    _write(path, GOOD * 10 + escaped + raw)


def nul_bytes(path: Path) -> None:
    """NUL bytes between lines, inside a line, and as a JSON escape."""
    _write(
        path,
        GOOD * 10
        + b"\x00\x00\x00\n"
        + GOOD[:30]
        + b"\x00"
        + GOOD[30:]
        + b'{"messages": [{"role": "user", "content": "a\\u0000b"}, {"role": "assistant", "content": "ok"}]}\n',
    )


def really_a_zip(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("train.jsonl", GOOD * 500)
    _write(path, buffer.getvalue())


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name, also the test id
    write: Callable[[Path], None]
    verdict: tuple[str, ...]  # words the page's verdict sentence must contain (any one of them)
    max_upload_mb: int | None = None  # run the page with this server.maxUploadSize


HOSTILE = (
    Hostile("not_utf8.jsonl", not_utf8, ("not valid UTF-8",)),
    Hostile("binary.jsonl", binary, ("binary",)),
    Hostile("empty.jsonl", empty, ("empty",)),
    Hostile("giant_line.jsonl", giant_line, ("Fix", "Ready")),
    Hostile("nested.jsonl", nested, ("Fix",)),
    Hostile("pretty_printed.jsonl", pretty_printed, ("can't be used", "Fix")),
    Hostile("over_limit.jsonl", over_limit, ("over this app's upload limit of 1 MB",), max_upload_mb=1),
    Hostile("million_tiny_lines.jsonl", million_tiny_lines, ("can't be used", "Fix")),
    Hostile("line_100mb.jsonl", line_100mb, ("Fix", "Ready", "can't be used")),
    Hostile("nesting_10k.jsonl", nesting_10k, ("Fix",)),
    Hostile("invalid_surrogates.jsonl", invalid_surrogates, ("Fix",)),
    Hostile("nul_bytes.jsonl", nul_bytes, ("binary",)),
    Hostile("really_a_zip.jsonl", really_a_zip, ("ZIP archive",)),
)
BY_NAME = {h.name: h for h in HOSTILE}
