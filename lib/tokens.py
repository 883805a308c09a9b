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
    with _lock:
        _seed_cache(encoding)
        return tiktoken.get_encoding(encoding)


def count_text(text: str, encoding: str) -> int:
    """Tokens in ``text`` with tiktoken; special-token strings count as plain text."""
    return len(get_encoding(encoding).encode_ordinary(text))


def count_many(texts: Sequence[str] | Iterable[str], encoding: str) -> list[int]:
    """Token counts of many strings, in order, with the fastest exact counter."""
    texts = list(texts)
    if not texts:
        return []
    if _toktok is not None:
        return _toktok.batch_count(texts, encoding)
    enc = get_encoding(encoding)
    return [len(enc.encode_ordinary(t)) for t in texts]


def fast_counter_name() -> str:
    """Which engine :func:`count_many` uses (shown in reports and benchmarks)."""
    return f"toktok {_toktok.__version__}" if _toktok is not None else f"tiktoken {tiktoken.__version__}"


def special_tokens(encoding: str) -> frozenset[str]:
    """The special-token strings of an encoding (text containing one is rejected by OpenAI)."""
    return frozenset(get_encoding(encoding).special_tokens_set)
