"""One example of a JSONL file as the Dataset page shows it: its raw line, found fast in a large file
(:class:`LineIndex`), and its chat bubbles (:func:`bubbles`).

Dataset text is user input. Nothing here builds HTML; bubble text is returned as plain text for
``st.text`` and tool calls as JSON for ``st.code``.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass

# One bubble shows at most this much text: a 10 MB line must not freeze the browser.
MAX_BUBBLE_CHARS = 20_000
# The raw-line view and table previews are cut shorter still.
MAX_RAW_CHARS = 5_000


class LineIndex:
    """Random access to the physical lines of a JSONL file held in memory (built once, O(lines))."""

    def __init__(self, data: bytes):
        self.data = data
        starts = array("q", [0])  # 8 bytes a line (a list of ints took about 36)
        find = data.find
        pos = find(b"\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find(b"\n", pos + 1)
        if data.endswith(b"\n"):
            starts.pop()  # a final newline does not start a line
        if not data:
            starts = array("q")
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def raw(self, line: int) -> bytes:
        """The bytes of 1-based ``line`` without its newline (b'' outside the file)."""
        if not 1 <= line <= len(self.starts):
            return b""
        start = self.starts[line - 1]
        end = self.data.find(b"\n", start)
        return self.data[start:] if end == -1 else self.data[start:end]

    def text(self, line: int, limit: int = MAX_RAW_CHARS) -> tuple[str, int]:
        """(decoded text of ``line`` cut to ``limit`` characters, number of characters cut off)."""
        text = self.raw(line).decode("utf-8", errors="replace").rstrip("\r")
        if len(text) > limit:
            return text[:limit], len(text) - limit
        return text, 0


@dataclass(frozen=True)
class Bubble:
    """One chat bubble: ``role`` for ``st.chat_message``, an icon, a caption and plain text."""

    role: str  # "user" | "assistant" | any other name (system, tool, ...)
    avatar: str | None
    caption: str
    text: str
    code: str = ""  # JSON of tool calls, shown with st.code
    cut_chars: int = 0  # characters not shown (text over MAX_BUBBLE_CHARS)
    side: str = ""  # "" | "preferred" | "non_preferred" (DPO answers)


_AVATARS = {
    "system": ":material/settings:",
    "developer": ":material/code:",
    "tool": ":material/build:",
    "function": ":material/build:",
}


def bubbles(example: dict | None) -> list[Bubble]:
    """Chat bubbles of a parsed example (any format) from :func:`lib.validate.conversation`."""
    from lib.validate import conversation

    if example is None:
        return []
    out = []
    for b in conversation(example):
        role = str(b.get("role") or "unknown")
        notes = [role]
        if b.get("name"):
            notes.append(f"name {b['name']}")
        if "weight" in b:
            weight = b["weight"]
            notes.append(
                "weight 0: not trained"
                if weight == 0
                else "weight 1: trained"
                if weight == 1
                else f"weight {json.dumps(weight)}: invalid"
            )
        if b.get("tool_call_id"):
            notes.append(f"result of {b['tool_call_id']}")
        if b.get("images"):
            notes.append(f"{b['images']} image{'s' if b['images'] != 1 else ''} (not loaded)")
        side = b.get("preference") or ""
        if side == "preferred":
            notes.append("preferred answer")
        elif side == "non_preferred":
            notes.append("non-preferred answer")
        text = b.get("text") or ""
        cut = 0
        if len(text) > MAX_BUBBLE_CHARS:
            text, cut = text[:MAX_BUBBLE_CHARS], len(text) - MAX_BUBBLE_CHARS
        code = ""
        if b.get("tool_calls"):
            code = json.dumps([_readable_call(c) for c in b["tool_calls"]], ensure_ascii=False, indent=2)
            notes.append("calls " + ", ".join(str(c.get("name")) for c in b["tool_calls"]))
            if len(code) > MAX_BUBBLE_CHARS:
                code = code[:MAX_BUBBLE_CHARS] + "\n…"
        if role in ("user", "assistant"):
            chat_role, avatar = role, None
        else:
            chat_role, avatar = role, _AVATARS.get(role, ":material/help:")
        out.append(Bubble(chat_role, avatar, " · ".join(notes), text, code, cut, side))
    return out


def _readable_call(call: dict) -> dict:
    """A tool call with its ``arguments`` string shown as the object it encodes.

    Only a string that decodes to an object is unpacked: a double-encoded
    string (a real fault) or broken JSON stays exactly as written.
    """
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return {**call, "arguments": decoded}
    return call
