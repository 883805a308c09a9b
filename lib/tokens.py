"""Exact token counting that never touches the network.

tiktoken downloads its vocabulary files on first use, which fails offline and
in air-gapped offices. The project ships byte-identical gzipped copies of
``o200k_base`` and ``cl100k_base`` in ``lib/vocab/`` and places them in the
cache directory tiktoken already reads (``$TIKTOKEN_CACHE_DIR``, else
``$DATA_GYM_CACHE_DIR``, else ``<tmp>/data-gym-cache``) under the sha1 names
tiktoken looks for. The user's own cache setting is respected, never replaced.

Counting many strings goes through ``toktok`` (a Rust BPE with ids identical to
tiktoken's, about 15x faster) when it is installed; tiktoken stays the
reference and the fallback, and the tests compare the two.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import tiktoken

VOCAB_DIR = Path(__file__).with_name("vocab")

# The URL tiktoken fetches each file from (its cache key is sha1 of the URL)
# and the sha256 tiktoken_ext/openai_public.py expects of the contents.
VOCABS = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
ENCODINGS = tuple(VOCABS)

try:  # optional fast exact counter; see module docstring
    import toktok as _toktok
except ImportError:  # pragma: no cover - exercised where toktok is absent
    _toktok = None

_lock = threading.Lock()
_ready: dict[str, tiktoken.Encoding] = {}

# Code points where toktok 0.3.0 and tiktoken 0.14.0 disagree: every code point was counted by both
# in seven contexts (e.g. "{c}'l", "a{c}b", "{c}1") for o200k_base and cl100k_base; this is the union
# (cl100k_base is a subset). They are the letters and marks Unicode 17.0 added, e.g. CJK Extension J.
# tests/test_tokens.py fails once toktok counts them right, as a signal to drop this.
TOKTOK_DIVERGENT_RANGES = (
    (0x088F, 0x088F), (0x0C5C, 0x0C5C), (0x0CDC, 0x0CDC), (0x1ACF, 0x1ADD), (0x1AE0, 0x1AEB),
    (0xA7CE, 0xA7CF), (0xA7D2, 0xA7D2), (0xA7D4, 0xA7D4), (0xA7F1, 0xA7F1), (0x10940, 0x10959),
    (0x10EC5, 0x10EC7), (0x10EFA, 0x10EFB), (0x11B60, 0x11B67), (0x11DB0, 0x11DDB), (0x11DE0, 0x11DE9),
    (0x16EA0, 0x16EB8), (0x16EBB, 0x16ED3), (0x16FF2, 0x16FF6), (0x187F8, 0x187FF), (0x18D09, 0x18D1E),
    (0x18D80, 0x18DF2), (0x1E6C0, 0x1E6DE), (0x1E6E0, 0x1E6F5), (0x1E6FE, 0x1E6FF), (0x2B73A, 0x2B73F),
    (0x2CEA2, 0x2CEAD), (0x323B0, 0x33479),
)  # fmt: skip
_DIVERGENT_TEXT = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in TOKTOK_DIVERGENT_RANGES) + "]")


class TokenizerUnavailable(RuntimeError):
    """The bundled vocabulary could not be put where tiktoken reads it."""


def tiktoken_cache_dir() -> str:
    """The cache directory tiktoken will read, by its own rules."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        return os.environ["TIKTOKEN_CACHE_DIR"]
    if "DATA_GYM_CACHE_DIR" in os.environ:
        return os.environ["DATA_GYM_CACHE_DIR"]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def cache_file_name(encoding: str) -> str:
    """The file name tiktoken caches an encoding's vocabulary under."""
    url, _ = VOCABS[encoding]
    return hashlib.sha1(url.encode()).hexdigest()


def bundled_vocab(encoding: str) -> bytes:
    """The shipped vocabulary of ``encoding``, decompressed and hash-checked."""
    _, expected = VOCABS[encoding]
    data = gzip.decompress((VOCAB_DIR / f"{encoding}.tiktoken.gz").read_bytes())
    if hashlib.sha256(data).hexdigest() != expected:
        raise TokenizerUnavailable(f"the bundled {encoding} vocabulary is corrupt (sha256 mismatch)")
    return data


def _seed_cache(encoding: str) -> None:
    cache_dir = tiktoken_cache_dir()
    if cache_dir == "":
        raise TokenizerUnavailable(
            "TIKTOKEN_CACHE_DIR is set to an empty string, which turns tiktoken's cache off; "
            "unset it (or point it at a folder) so the bundled vocabulary can be used offline."
        )
    _, expected = VOCABS[encoding]
    path = os.path.join(cache_dir, cache_file_name(encoding))
    try:
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == expected:
                return
    except OSError:
        pass
    try:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(bundled_vocab(encoding))
        os.replace(tmp, path)
    except OSError as exc:
        raise TokenizerUnavailable(
            f"cannot write the {encoding} vocabulary to tiktoken's cache {cache_dir!r}: {exc.strerror}"
        ) from exc


def get_encoding(encoding: str) -> tiktoken.Encoding:
    """The tiktoken encoding, loaded from the bundled files with no network."""
    if encoding not in VOCABS:
        raise ValueError(f"unsupported encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    if encoding in _ready:  # seeding re-reads and re-hashes the file: do it once per process
        return _ready[encoding]
    with _lock:
        if encoding not in _ready:
            _seed_cache(encoding)
            _ready[encoding] = tiktoken.get_encoding(encoding)
        return _ready[encoding]


def count_text(text: str, encoding: str) -> int:
    """Tokens in ``text`` with tiktoken; special-token strings count as plain text."""
    return len(get_encoding(encoding).encode_ordinary(text))


def needs_reference_count(text: str) -> bool:
    """True if ``text`` holds a character toktok counts differently from tiktoken."""
    return not text.isascii() and _DIVERGENT_TEXT.search(text) is not None


def count_many(texts: Sequence[str] | Iterable[str], encoding: str, *, check: bool = True) -> list[int]:
    """Token counts of many strings, in order, equal to tiktoken's.

    toktok counts for speed; the rare strings holding characters it counts
    differently (:data:`TOKTOK_DIVERGENT_RANGES`) are recounted with tiktoken.
    ``check=False`` skips that per-string test, for text already known not to
    hold such characters.
    """
    texts = list(texts)
    if not texts:
        return []
    if _toktok is None:
        enc = get_encoding(encoding)
        return [len(enc.encode_ordinary(t)) for t in texts]
    counts = _toktok.batch_count(texts, encoding)
    if check:
        for i, text in enumerate(texts):
            if needs_reference_count(text):
                counts[i] = len(get_encoding(encoding).encode_ordinary(text))
    return counts


def fast_counter_name() -> str:
    """Which engine :func:`count_many` uses (shown in reports and benchmarks)."""
    return f"toktok {_toktok.__version__}" if _toktok is not None else f"tiktoken {tiktoken.__version__}"


def special_tokens(encoding: str) -> frozenset[str]:
    """The special-token strings of an encoding (text containing one is rejected by OpenAI)."""
    return frozenset(get_encoding(encoding).special_tokens_set)
