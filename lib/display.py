"""How values are shown to people: user text made inert for markdown, sizes in one unit style.

Streamlit renders markdown in titles, alerts, captions and spinners: a file
named ``[x](https://evil)`` would become a link. ``md_escape``/``md_code`` make
such text show exactly as written.
"""

from __future__ import annotations

_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&")


def md_escape(text: str) -> str:
    """``text`` made inert for ``st.markdown`` and friends: every markdown, directive and math character
    is backslash-escaped and newlines become spaces, so it shows exactly as written."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in " ".join(str(text).splitlines()))


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
