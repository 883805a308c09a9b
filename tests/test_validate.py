"""Tests of lib/validate.py: one small crafted line per finding code, token counts, helpers."""

from __future__ import annotations

import json

from lib.validate import validate_bytes


def chat(*messages, **extra) -> dict:
    return {"messages": list(messages), **extra}


def sys_msg(text="You are terse."):
    return {"role": "system", "content": text}


def user(text="Hi"):
    return {"role": "user", "content": text}


def bot(text="Hello"):
    return {"role": "assistant", "content": text}


def jsonl(*objects) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def test_clean_chat_file_has_no_findings():
    data = jsonl(*[chat(sys_msg(), user(f"q{i}"), bot(f"a{i}")) for i in range(60)])
    report = validate_bytes(data)
    assert report.ok
    assert report.errors == [] and report.warnings == []
    assert report.format == "chat" and report.lines == 60 and report.examples == 60
