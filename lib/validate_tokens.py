"""Token costs the validator adds on top of plain text: tool definitions and images.

Plain text is counted exactly by :mod:`lib.tokens`; these are the documented
fixed costs around it.

Tool and function definitions follow ``num_tokens_for_tools`` from the OpenAI
cookbook notebook ``How_to_count_tokens_with_tiktoken.ipynb``: per function
``func_init`` + tokens of ``"name:description"`` (one trailing period dropped);
if it has properties, ``prop_init`` once and, per property, ``prop_key`` +
tokens of ``"key:type:description"`` (+ ``enum_init`` and ``enum_item`` + tokens
of each enum item); ``func_end`` once after all functions. Nested properties are
not counted, as in the notebook. The notebook gives constants for gpt-4o and
gpt-4o-mini (o200k_base) and for gpt-3.5-turbo and gpt-4 (cl100k_base); the
o200k_base constants are used for every o200k_base model (gpt-4.1, o4-mini).

Images: ``detail: "low"`` costs 85 tokens (OpenAI's vision fine-tuning guide).
Otherwise the tile rule of GPT-4o vision is used: the image is fit into
2048x2048, then scaled so its shorter side is at most 768, and costs
85 + 170 per 512-pixel tile. The size is read from the header of ``data:`` URIs;
for URLs (not fetched) the validator assumes a 1024x1024 image (4 tiles,
765 tokens). ``"auto"`` is counted like ``"high"``: an upper estimate.

Exactness: toktok (the fast counter behind :func:`lib.tokens.count_many`)
splits text differently from tiktoken around the characters Unicode 17.0 added
(its regex tables are newer), so a string holding one of them can be off by a
token or more. :func:`lib.tokens.count_many` counts those strings with tiktoken, the
reference; a byte-level prefilter keeps the check off blocks that cannot hold them.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct

from lib.tokens import TOKTOK_DIVERGENT_RANGES

# Cookbook ``num_tokens_for_tools`` constants, by encoding (see module docstring).
TOOL_TOKEN_CONSTANTS = {
    "o200k_base": {"func_init": 7, "prop_init": 3, "prop_key": 3, "enum_init": -3, "enum_item": 3, "func_end": 12},
    "cl100k_base": {"func_init": 10, "prop_init": 3, "prop_key": 3, "enum_init": -3, "enum_item": 3, "func_end": 12},
}

# GPT-4o vision tile rule (OpenAI vision guide); see the module docstring.
IMAGE_LOW_DETAIL_TOKENS = 85
IMAGE_BASE_TOKENS = 85
IMAGE_TILE_TOKENS = 170
IMAGE_TILE_PIXELS = 512
IMAGE_FIT_PIXELS = 2048
IMAGE_SHORT_SIDE_PIXELS = 768
ASSUMED_IMAGE_SIZE = (1024, 1024)

# Formats the vision fine-tuning guide accepts, by the MIME subtype of a data URI.
ACCEPTED_IMAGE_TYPES = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


def image_tokens(detail: str | None, size: tuple[int, int] | None) -> int:
    """Estimated training tokens of one image part (see the module docstring)."""
    if detail == "low":
        return IMAGE_LOW_DETAIL_TOKENS
    width, height = size or ASSUMED_IMAGE_SIZE
    if width <= 0 or height <= 0:
        width, height = ASSUMED_IMAGE_SIZE
    scale = min(1.0, IMAGE_FIT_PIXELS / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, IMAGE_SHORT_SIDE_PIXELS / min(width, height))
    width, height = width * scale, height * scale
    tiles = math.ceil(width / IMAGE_TILE_PIXELS) * math.ceil(height / IMAGE_TILE_PIXELS)
    return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * tiles


def sniff_image(head: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """The format ("JPEG", "PNG", "WEBP", "GIF", or None) and pixel size of image bytes.

    Only the header is needed; the size is None when the header does not show it.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(head) >= 24:
            width, height = struct.unpack(">II", head[16:24])
            return "PNG", (width, height)
        return "PNG", None
    if head.startswith(b"\xff\xd8"):
        return "JPEG", _jpeg_size(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP", _webp_size(head)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF", None
    return None, None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # Start-of-frame markers carry the size; C4 (DHT), C8 and CC are not frames.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def parse_data_uri(url: str) -> tuple[str, int, bytes] | None:
    """``(mime subtype, decoded size in bytes, first decoded bytes)`` of a base64 image data URI.

    None if ``url`` is not a well-formed ``data:image/...;base64,`` URI.
    """
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:image/") or not header.endswith(";base64"):
        return None
    subtype = header[len("data:image/") : -len(";base64")].lower()
    payload = payload.strip()
    padding = len(payload) - len(payload.rstrip("="))
    size = len(payload) * 3 // 4 - padding
    # 64 KB of base64 is enough to reach the size field of any common header.
    head_chars = payload[: 65536 - 65536 % 4]
    try:
        head = base64.b64decode(head_chars, validate=True) if head_chars else b""
    except (binascii.Error, ValueError):
        return None
    return subtype, size, head


_DIVERGENT_CODE_POINTS = [cp for low, high in TOKTOK_DIVERGENT_RANGES for cp in range(low, high + 1)]
# Raw UTF-8: the lead byte, then the first two bytes of each divergent character.
_DIVERGENT_LEADS = tuple(sorted({bytes(chr(cp).encode()[:1]) for cp in _DIVERGENT_CODE_POINTS}))
_DIVERGENT_PREFIXES = {
    lead: tuple(sorted({chr(cp).encode()[:2] for cp in _DIVERGENT_CODE_POINTS if chr(cp).encode()[:1] == lead}))
    for lead in _DIVERGENT_LEADS
}


def _escape_prefix(cp: int) -> str:
    """The start of the JSON escape of ``cp`` that identifies its range: 3 hex digits, or the high surrogate."""
    if cp < 0x10000:
        return f"{cp:04x}"[:3]
    return f"{0xD800 + ((cp - 0x10000) >> 10):04x}"


def _hex_case_insensitive(text: str) -> bytes:
    return b"".join(f"[{c}{c.upper()}]".encode() if c.isalpha() else c.encode() for c in text)


# JSON escapes (\u0c5c, or a surrogate pair \ud888\udfb0 for astral characters), in either hex case.
_DIVERGENT_ESCAPE = re.compile(
    rb"\\u(?:" + b"|".join(sorted({_hex_case_insensitive(_escape_prefix(cp)) for cp in _DIVERGENT_CODE_POINTS})) + b")"
)


def block_may_diverge(block: bytes) -> bool:
    """True if raw JSONL bytes may hold a character toktok counts differently (cheap, may say yes wrongly)."""
    for lead in _DIVERGENT_LEADS:
        if lead in block and any(prefix in block for prefix in _DIVERGENT_PREFIXES[lead]):
            return True
    # One regex pass: sre scans for the backslash, which is rarer than the "u" that `b"\\u" in block` keys on.
    return _DIVERGENT_ESCAPE.search(block) is not None
