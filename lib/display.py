"""How values are shown to people: user text made inert for markdown, sizes in one unit style, counts and
lists of words in sentences.

Streamlit renders markdown in titles, alerts, captions and spinners: a file
named ``[x](https://evil)`` would become a link. ``md_escape``/``md_code`` make
such text show exactly as written.
"""

from __future__ import annotations

import re

_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&")
# Bare URLs and e-mail addresses become links however they are escaped: GFM finds them in the text
# after the escapes are resolved. A zero-width space after "http"/"https"/"www" and after "@" breaks
# the pattern and shows nothing (long URLs may then wrap there too).
_AUTOLINK = re.compile(r"(?i)(\bhttps?(?=:)|\bwww(?=\.)|@(?=\w))")
ZERO_WIDTH_SPACE = "\u200b"


def md_escape(text: str) -> str:
    """``text`` made inert for ``st.markdown`` and friends: every markdown, directive and math character
    is backslash-escaped, bare URLs and addresses cannot become links, and newlines become spaces, so
    it shows exactly as written."""
    text = _AUTOLINK.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, " ".join(str(text).splitlines()))
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def md_code(name: str, limit: int = 80) -> str:
    """A file name as inline code (backticks and newlines removed, long names shortened)."""
    clean = " ".join(str(name).replace("`", "'").splitlines()) or "file"
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f"`{clean}`"


def human_size(n: int) -> str:
    """``1536`` -> ``'1.5 KB'``: binary units, as the upload limit and OpenAI's 512 MB file limit are."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover


def count_noun(count: int, noun: str) -> str:
    """``1,234 lines``, ``1 line``: the count with thousands separators and the noun in the number it needs
    (plurals by adding "s")."""
    return f"{count:,} {noun}{'s' if count != 1 else ''}"


def join_words(words, last: str = "or") -> str:
    """ "a", "a or b", "a, b or c" (``last`` is the final conjunction)."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]
