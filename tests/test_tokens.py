"""Tests of lib/tokens.py: exact counts offline, the shipped vocabularies, toktok == tiktoken, model mapping."""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import tiktoken
import tiktoken_ext.openai_public

from lib import tokens
from lib.catalog import encoding_for_model
from lib.tokens import TOKTOK_DIVERGENT_RANGES
from tests.conftest import REAL_DATA, real_file

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [
    "hello world",
    "Un café, s'il vous plaît ☕ — merci!",
    "東京タワーは高い。 日本語のテキスト",
    "👩‍👩‍👧‍👦 family ☔️ 🎉",
    "def f(x):\n    return x ** 2  # comment\n",
    "   leading and trailing spaces   ",
    "text with <|endoftext|> inside counts as plain text",
    "Ɛyɛ me dɛ sɛ ɔbɛba",
    "",
]
UNREACHABLE_PROXY = "http://127.0.0.1:9"  # discard port: any download attempt fails fast


def offline_env(cache_dir: str | None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", "NO_PROXY", "no_proxy")}  # fmt: skip
    env.update(HTTPS_PROXY=UNREACHABLE_PROXY, HTTP_PROXY=UNREACHABLE_PROXY, https_proxy=UNREACHABLE_PROXY,
               http_proxy=UNREACHABLE_PROXY, PYTHONPATH=str(ROOT))  # fmt: skip
    if cache_dir is not None:
        env["TIKTOKEN_CACHE_DIR"] = cache_dir
    env.update(extra)
    return env


CHILD = r"""
import json, os, sys
from lib import tokens
texts = json.loads(sys.argv[1])
out = {}
for encoding in sys.argv[2].split(","):
    enc = tokens.get_encoding(encoding)
    out[encoding] = {
        "tiktoken": [len(enc.encode_ordinary(t)) for t in texts],
        "count_text": [tokens.count_text(t, encoding) for t in texts],
        "count_many": tokens.count_many(texts, encoding),
    }
out["cache_dir"] = tokens.tiktoken_cache_dir()
out["env"] = os.environ.get("TIKTOKEN_CACHE_DIR")
print(json.dumps(out))
"""


def run_child(env: dict, encodings: str = "o200k_base,cl100k_base") -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SAMPLES), encodings], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def reference_counts(encoding: str) -> list[int]:
    enc = tokens.get_encoding(encoding)
    return [len(enc.encode_ordinary(t)) for t in SAMPLES]


def test_exact_counts_with_an_empty_cache_and_no_network(tmp_path):
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    result = run_child(offline_env(str(cache)))
    for encoding in ("o200k_base", "cl100k_base"):
        expected = reference_counts(encoding)
        assert result[encoding]["tiktoken"] == expected
        assert result[encoding]["count_text"] == expected
        assert result[encoding]["count_many"] == expected
    # the bundled vocabularies were placed under tiktoken's own cache names
    assert sorted(p.name for p in cache.iterdir()) == sorted(tokens.cache_file_name(e) for e in tokens.ENCODINGS)


def test_a_users_own_cache_dir_is_used_and_not_replaced(tmp_path):
    cache = tmp_path / "my-cache"
    cache.mkdir()
    mine = cache / "unrelated-file"
    mine.write_text("keep me")
    existing = cache / tokens.cache_file_name("o200k_base")
    existing.write_bytes(tokens.bundled_vocab("o200k_base"))
    inode, mtime = existing.stat().st_ino, existing.stat().st_mtime_ns
    result = run_child(offline_env(str(cache)), "o200k_base")
    assert result["env"] == str(cache) and result["cache_dir"] == str(cache)
    assert result["o200k_base"]["count_many"] == reference_counts("o200k_base")
    assert mine.read_text() == "keep me"
    assert (existing.stat().st_ino, existing.stat().st_mtime_ns) == (inode, mtime)  # a good copy is left alone
    assert sorted(p.name for p in cache.iterdir()) == sorted([mine.name, existing.name])


def test_data_gym_cache_dir_is_honoured(tmp_path):
    result = run_child(offline_env(None, DATA_GYM_CACHE_DIR=str(tmp_path)), "o200k_base")
    assert result["cache_dir"] == str(tmp_path) and result["env"] is None
    assert (tmp_path / tokens.cache_file_name("o200k_base")).exists()


def test_a_corrupt_cached_vocabulary_is_replaced(tmp_path, monkeypatch):
    bad = tmp_path / tokens.cache_file_name("cl100k_base")
    bad.write_bytes(b"not a vocabulary")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    tokens._seed_cache("cl100k_base")
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == tokens.VOCABS["cl100k_base"][1]


def test_empty_cache_dir_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(tokens.TokenizerUnavailable, match="empty string"):
        tokens._seed_cache("o200k_base")


def expected_hashes_from_tiktoken() -> dict[str, str]:
    """The ``expected_hash`` of each encoding, parsed from the installed tiktoken_ext/openai_public.py."""
    source = Path(tiktoken_ext.openai_public.__file__).read_text()
    hashes = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for call in ast.walk(node):
                if isinstance(call, ast.Call):
                    for keyword in call.keywords:
                        if keyword.arg == "expected_hash":
                            hashes[node.name] = keyword.value.value
    return hashes


def test_shipped_vocabularies_match_tiktokens_expected_hash():
    hashes = expected_hashes_from_tiktoken()
    for encoding in ("o200k_base", "cl100k_base"):
        shipped = gzip.decompress((tokens.VOCAB_DIR / f"{encoding}.tiktoken.gz").read_bytes())
        assert hashlib.sha256(shipped).hexdigest() == hashes[encoding] == tokens.VOCABS[encoding][1]


def test_cache_file_names_are_tiktokens():
    source = Path(tiktoken_ext.openai_public.__file__).read_text()
    for encoding, (url, _) in tokens.VOCABS.items():
        assert url in source
        assert tokens.cache_file_name(encoding) == hashlib.sha1(url.encode()).hexdigest()


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_of(v)


def real_strings() -> list[str]:
    real_file("SOURCES.md")  # skips (or fails under CI) when ../shared is absent
    texts = set()
    for path in sorted(REAL_DATA.glob("*.jsonl")):
        for raw in path.read_bytes().split(b"\n"):
            try:
                texts.update(strings_of(orjson.loads(raw)))
            except orjson.JSONDecodeError:
                texts.add(raw.decode("utf-8", "replace"))
    return sorted(texts)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_toktok_equals_tiktoken_on_the_real_files(encoding):
    texts = real_strings()
    assert len(texts) > 5000
    enc = tokens.get_encoding(encoding)
    assert tokens.count_many(texts, encoding) == [len(enc.encode_ordinary(t)) for t in texts]


def in_divergent_range(code: int) -> bool:
    return any(low <= code <= high for low, high in TOKTOK_DIVERGENT_RANGES)


def random_unicode(rng: random.Random, n: int, *, unicode_17: bool = False) -> str:
    """Random text over many scripts; ``unicode_17`` also draws the characters toktok splits differently."""
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
              (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F300, 0x1FAFF), (0x300, 0x36F),
              (0xFE00, 0xFE0F), (0x200B, 0x200D), (0x10000, 0x10FFFF)]  # fmt: skip
    chars = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.15:
            chars.append(rng.choice([" ", "  ", "\n", "\n\n", "\t", "\r\n", " \n "]))
        elif roll < 0.25:
            chars.append(rng.choice(["the", " and", "'s", "'ll", "123", "4567", "...", "?!", "<|", "|>"]))
        else:
            low, high = rng.choice(ranges)
            code = rng.randint(low, high)
            if 0xD800 <= code <= 0xDFFF:  # lone surrogates cannot occur in decoded JSON text
                code = 0x41
            if in_divergent_range(code) and not unicode_17:
                code = 0x42
            chars.append(chr(code))
        if unicode_17 and rng.random() < 0.05:
            low, high = rng.choice(TOKTOK_DIVERGENT_RANGES)
            chars.append(chr(rng.randint(low, high)) + rng.choice(["'l", "'s", "a", " ", "1", ""]))
    return "".join(chars)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_toktok_equals_tiktoken_on_random_unicode(encoding):
    """Exact everywhere except the characters Unicode 17.0 added (see the next test)."""
    rng = random.Random(4242)
    texts = [random_unicode(rng, rng.randint(0, 400)) for _ in range(1500)] + [" " * 5000, "a" * 20000, "1" * 999]
    enc = tokens.get_encoding(encoding)
    assert tokens.count_many(texts, encoding) == [len(enc.encode_ordinary(t)) for t in texts]


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_toktok_still_miscounts_unicode_17_characters(encoding):
    """toktok 0.3.0's regex tables are newer than tiktoken's. If this fails, toktok was fixed:
    drop TOKTOK_DIVERGENT_RANGES and count_many's fallback (lib/tokens.py)."""
    enc = tokens.get_encoding(encoding)
    samples = [chr(0x323B0) + "'l", "a" + chr(0x11DB0) + "'s", chr(0x0C5C) + "'l"]
    assert tokens.count_many(samples, encoding, check=False) != [len(enc.encode_ordinary(t)) for t in samples]
    assert tokens.count_many(samples, encoding) == [len(enc.encode_ordinary(t)) for t in samples]


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_count_many_equals_tiktoken_including_unicode_17(encoding):
    rng = random.Random(17)
    texts = [random_unicode(rng, rng.randint(0, 300), unicode_17=True) for _ in range(1500)]
    texts += [chr(low) + "'l" for low, _ in TOKTOK_DIVERGENT_RANGES] + [
        chr(high) + "x" for _, high in TOKTOK_DIVERGENT_RANGES
    ]
    enc = tokens.get_encoding(encoding)
    assert tokens.count_many(texts, encoding) == [len(enc.encode_ordinary(t)) for t in texts]


def test_special_token_text_counts_as_ordinary_text():
    for encoding in tokens.ENCODINGS:
        enc = tokens.get_encoding(encoding)
        text = "a <|endoftext|> b"
        assert tokens.count_text(text, encoding) == len(enc.encode(text, disallowed_special=())) > 3
        assert "<|endoftext|>" in tokens.special_tokens(encoding)


def test_tiktoken_itself_gets_ft_gpt_41_wrong():
    """Why the project maps names itself (tests/test_catalog.py::test_encoding_for_model): tiktoken gives
    ft:gpt-4.1 names the old cl100k_base."""
    assert tiktoken.encoding_name_for_model("ft:gpt-4.1-mini-2025-04-14:acme::abc") == "cl100k_base"
    assert encoding_for_model("ft:gpt-4.1-mini-2025-04-14:acme::abc") == "o200k_base"


def test_count_many_keeps_order_and_handles_empty_input():
    assert tokens.count_many([], "o200k_base") == []
    assert tokens.count_many(iter(["a", "", "a b c"]), "o200k_base") == [1, 0, 3]
    with pytest.raises(ValueError):
        tokens.get_encoding("p50k_base")
