"""Tests of lib/validate_tokens.py: exact counting around toktok's blind spot, images, tool constants."""

from __future__ import annotations

import base64
import json
import re

import pytest

from lib.tokens import get_encoding, needs_reference_count
from lib.validate import validate_bytes
from lib.validate_tokens import (
    TOKTOK_DIVERGENT_RANGES,
    TOOL_TOKEN_CONSTANTS,
    block_may_diverge,
    image_tokens,
    parse_data_uri,
    sniff_image,
)
from tests.factories import png

UNICODE_17 = [chr(low) for low, _ in TOKTOK_DIVERGENT_RANGES] + [chr(high) for _, high in TOKTOK_DIVERGENT_RANGES]


@pytest.mark.parametrize("char", UNICODE_17)
def test_prefilter_sees_every_divergent_character_raw_and_escaped(char):
    text = f"before {char}'l after"
    assert block_may_diverge(json.dumps({"t": text}, ensure_ascii=False).encode())
    assert block_may_diverge(json.dumps({"t": text}).encode())  # \\uXXXX or a surrogate pair
    upper_hex = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), json.dumps({"t": text}))
    assert upper_hex != json.dumps({"t": text}) and json.loads(upper_hex)["t"] == text
    assert block_may_diverge(upper_hex.encode())
    assert needs_reference_count(text)


@pytest.mark.parametrize("text", ["plain ascii", "café naïve", "東京 データ", "emoji 😀👩‍👩‍👧", "Tiếng Việt", "한국어"])
def test_prefilter_passes_ordinary_text(text):
    for ensure_ascii in (True, False):
        assert not block_may_diverge(json.dumps({"t": text}, ensure_ascii=ensure_ascii).encode())
    assert not needs_reference_count(text)


@pytest.mark.parametrize("model, encoding", [("gpt-4o-mini", "o200k_base"), ("gpt-3.5-turbo", "cl100k_base")])
def test_validator_counts_unicode_17_text_like_tiktoken(model, encoding):
    enc = get_encoding(encoding)
    texts = [f"{c}'l {c}'s a{c}b" for c in UNICODE_17]
    lines = [{"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": "ok"}]} for t in texts]
    for ensure_ascii in (True, False):
        data = b"".join(json.dumps(line, ensure_ascii=ensure_ascii).encode() + b"\n" for line in lines)
        report = validate_bytes(data, model=model)
        expected = [3 + 3 + 1 + len(enc.encode_ordinary(t)) + 3 + 1 + len(enc.encode_ordinary("ok")) for t in texts]
        assert report.per_example_tokens == expected


def test_image_tokens_rule():
    assert image_tokens("low", (4000, 4000)) == 85
    assert image_tokens("high", (512, 512)) == 85 + 170
    assert image_tokens("high", (1024, 1024)) == 85 + 170 * 4  # shorter side 768 -> 2x2 tiles
    assert image_tokens("high", (4096, 2048)) == 85 + 170 * 6  # fit 2048x1024 -> 1536x768 -> 3x2
    assert image_tokens("auto", None) == 85 + 170 * 4  # unknown size: 1024x1024 assumed


def test_sniff_image_headers():
    assert sniff_image(png(300, 200)) == ("PNG", (300, 200))
    jpeg = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + bytes.fromhex("ffc0001108") + \
        (480).to_bytes(2, "big") + (640).to_bytes(2, "big") + b"\x03" + b"\x00" * 9  # fmt: skip
    assert sniff_image(jpeg) == ("JPEG", (640, 480))
    webp = b"RIFF" + b"\x00" * 4 + b"WEBPVP8X" + b"\x00" * 8 + (99).to_bytes(3, "little") + (49).to_bytes(3, "little")
    assert sniff_image(webp) == ("WEBP", (100, 50))
    assert sniff_image(b"GIF89a...")[0] == "GIF"
    assert sniff_image(b"hello") == (None, None)


def test_parse_data_uri():
    raw = png(10, 10)
    subtype, size, head = parse_data_uri("data:image/png;base64," + base64.b64encode(raw).decode())
    assert (subtype, size, head) == ("png", len(raw), raw)
    assert parse_data_uri("data:image/png,notbase64") is None
    assert parse_data_uri("data:image/png;base64,@@@") is None
    assert parse_data_uri("https://x.test/a.png") is None


def test_tool_constants_cover_both_encodings():
    assert TOOL_TOKEN_CONSTANTS["o200k_base"]["func_init"] == 7
    assert TOOL_TOKEN_CONSTANTS["cl100k_base"]["func_init"] == 10
