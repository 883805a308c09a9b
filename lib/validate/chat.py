"""Supervised chat examples: messages, roles, content parts and images.

What is counted per message is the published recipe made exact: 3 tokens, plus every string the
message carries (role, content text, refusal, name, tool_call_id), plus 1 if it has a ``name``;
3 more for the example. Tool calls and definitions are checked in :mod:`lib.validate.tools`,
image parts in :mod:`lib.validate.images`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.validate.codes import ASSISTANT, CHAT_KEYS, MESSAGE_KEYS, OTHER, ROLE_KIND, SPECIAL_TOKEN_MARK, SYSTEM
from lib.display import join_words
from lib.validate.messages import quote, type_name

if TYPE_CHECKING:  # pragma: no cover
    from lib.validate.scanner import Example

# The kind of the common two-key {"role", "content"} message, by role (the fast path of _messages).
_FAST_KIND = {"user": OTHER, "system": SYSTEM, "assistant": ASSISTANT}
_FAST_KIND_CONTEXT = {"user": OTHER, "system": SYSTEM, "assistant": OTHER}  # DPO input: assistant turns are context


class ChatChecks:
    """The chat checks of :class:`lib.validate.scanner.Scanner` (a mixin: it adds findings and strings there)."""

    def _chat(self, obj: dict, ex: Example) -> int | None:
        messages = obj.get("messages")
        if type(messages) is not list or not messages:
            if "messages" not in obj:
                why = 'there is no "messages" list'
            elif type(messages) is not list:
                why = f'"messages" is {type_name(messages)}, not a list of messages'
            else:
                why = '"messages" is empty'
            self._add(ex.ln, "missing_messages_list", why, ex.findings)
            return None
        extra = ()
        if len(obj) > 1:  # most examples hold "messages" only
            extra = [k for k in obj if k not in CHAT_KEYS]
            if extra:
                self._add(
                    ex.ln, "unrecognized_example_key",
                    f"key {join_words(quote(k) for k in extra[:5])} is not part of the chat format "
                    "(messages, tools, parallel_tool_calls, functions); the API may reject or ignore it",
                    ex.findings,
                )  # fmt: skip
            self._tools(obj, ex, "")
        ex.const += 3
        roles, trained, last_role = self._messages(messages, ex, "message")
        if "assistant" not in roles:
            message = "the example has no assistant message, so there is nothing to learn"
            # a final user turn alone is just an unanswered question; RFT data also has a developer turn or grader keys
            if "developer" in roles or extra:
                hints = []
                if "developer" in roles:
                    hints.append("a developer message")
                if extra:
                    hints.append(f"extra key {quote(extra[0])}")
                if last_role == "user":
                    hints.append("a final user message")
                message += (
                    f" — it looks like reinforcement fine-tuning (RFT) data ({join_words(hints, 'and')}): that "
                    "format is "
                    'graded rather than imitated and needs method "reinforcement" on an RFT model; for '
                    "supervised fine-tuning add the assistant answer to learn"
                )
            self._add(ex.ln, "example_missing_assistant_message", message, ex.findings)
        elif trained == 0:
            self._add(
                ex.ln, "no_trained_messages",
                "every assistant message has weight 0, so the example trains nothing but still costs tokens",
                ex.findings,
            )  # fmt: skip
        if "system" not in roles and "developer" not in roles:
            self._add(ex.ln, "missing_system_message", "the example has no system message", ex.findings)
        if "user" not in roles:
            self._add(ex.ln, "missing_user_message", "the example has no user message", ex.findings)
        if ex.images:
            self._check_images(ex)
        return len(messages)

    def _messages(self, messages: list, ex: Example, label: str, *, count: bool = True) -> tuple[set, int, str | None]:
        """Check a list of messages; returns the roles seen, the trained assistant count and the last role."""
        roles: set[str] = set()
        fast_kind = _FAST_KIND if ex.kind_override is None else _FAST_KIND_CONTEXT
        texts_append, kinds_append = self.texts.append, self.kinds.append
        trained = 0
        last_role = None
        const = 0
        for i, m in enumerate(messages, 1):
            # Fast path: the common {"role", "content"} message with text content.
            if count and type(m) is dict and len(m) == 2:
                role = m.get("role")
                content = m.get("content")
                kind = fast_kind.get(role) if type(role) is str else None
                if kind is not None and type(content) is str and content:
                    # The role string is counted like any text (see the module docstring).
                    texts_append(role)
                    kinds_append(OTHER)
                    texts_append(content)
                    kinds_append(kind)
                    if SPECIAL_TOKEN_MARK in content:
                        self._special(ex, content, f"{label} {i} ({role})")
                    const += 3
                    roles.add(role)
                    last_role = role
                    if role == "assistant":
                        trained += 1
                    continue
            role = self._message(m, i, ex, label, count)
            if role is not None:
                roles.add(role)
                last_role = role
                if role == "assistant" and (type(m) is not dict or m.get("weight", 1) != 0):
                    trained += 1
        ex.const += const
        return roles, trained, last_role

    def _message(self, m, i: int, ex: Example, label: str, count: bool) -> str | None:
        """Check one message in full; returns its role when it has a usable one."""
        ln, out = ex.ln, ex.findings
        where = f"{label} {i}"
        if type(m) is not dict:
            self._add(ln, "message_missing_key", f"{where} is {type_name(m)}, not an object with role and content", out)
            return None
        if "role" not in m:
            self._add(ln, "message_missing_key", f'{where} has no "role"', out)
            return None
        role = m["role"]
        if type(role) is not str or role not in MESSAGE_KEYS:
            self._add(
                ln, "unrecognized_role",
                f"{where} has role {quote(role)}; expected system, user, assistant, tool or function", out,
            )  # fmt: skip
            if count:
                ex.const += 3
                if type(role) is str:
                    self._text(ex, role, OTHER, where)
            return None
        where = f"{label} {i} ({role})"
        if role == "developer":
            self._add(
                ln, "developer_role",
                f'{where}: the "developer" role is used by reinforcement fine-tuning; OpenAI has not confirmed '
                'that supervised fine-tuning accepts it — "system" is the safe choice',
                out,
            )  # fmt: skip
        if count:
            ex.const += 3
            self._text(ex, role, OTHER, where)
        self._unaccepted_keys(m, role, where, ex)
        kind = ROLE_KIND.get(role, OTHER)
        has_call = role == "assistant" and (m.get("tool_calls") is not None or m.get("function_call") is not None)
        self._content(m, role, where, ex, kind, has_call, count)
        if "name" in m:
            self._name(m["name"], where, ex, count)
        elif role == "function":
            self._add(ln, "message_missing_key", f'{where} has no "name" (a function message names its function)', out)
        if role == "assistant":
            self._assistant_extras(m, where, ex, kind, count)
        elif role == "tool":
            self._tool_reply(m.get("tool_call_id"), where, ex, count)
        return role

    def _unaccepted_keys(self, m: dict, role: str, where: str, ex: Example) -> None:
        ln, out = ex.ln, ex.findings
        allowed = MESSAGE_KEYS[role]
        for key in m:
            if key in allowed:
                continue
            if key == "weight":
                self._add(ln, "invalid_weight", f"{where} has a weight; only assistant messages can carry one", out)
            elif key == "audio":
                self._add(
                    ln, "message_unrecognized_key", f'{where} has "audio"; fine-tuning accepts text and images only',
                    out,
                )  # fmt: skip
            else:
                self._add(
                    ln, "message_unrecognized_key",
                    f"{where} has key {quote(key)}, which the API does not accept; a {role} message may have "
                    f"{join_words(sorted(allowed))}",
                    out,
                )  # fmt: skip

    def _name(self, name, where: str, ex: Example, count: bool) -> None:
        if type(name) is not str or not name:
            self._add(
                ex.ln, "message_unrecognized_key", f'{where} has a "name" that is not a non-empty string', ex.findings
            )
            return
        if count:
            ex.const += 1  # a name adds one token besides its text (the recipe)
        self._text(ex, name, OTHER, f"{where} name", count)

    def _assistant_extras(self, m: dict, where: str, ex: Example, kind: int, count: bool) -> None:
        """An assistant message's weight, refusal and calls."""
        ln, out = ex.ln, ex.findings
        if "weight" in m:
            weight = m["weight"]
            if type(weight) is not int or weight not in (0, 1):
                self._add(ln, "invalid_weight", f"{where} has weight {quote(weight)}; it must be 0 or 1", out)
        if "refusal" in m and m["refusal"] is not None:
            if type(m["refusal"]) is not str:
                self._add(ln, "missing_content", f'{where} has a "refusal" that is not a string', out)
            else:
                self._text(ex, m["refusal"], kind, f"{where} refusal", count)
        if m.get("tool_calls") is not None:
            self._tool_calls(m["tool_calls"], where, ex, count)
        if m.get("function_call") is not None:
            self._function_call(m["function_call"], where, ex, count)

    def _tool_reply(self, call_id, where: str, ex: Example, count: bool) -> None:
        """A tool message answers a call an earlier assistant message of the example made."""
        ln, out = ex.ln, ex.findings
        if type(call_id) is not str or not call_id:
            self._add(
                ln, "unmatched_tool_message",
                f'{where} has no "tool_call_id"; a tool message answers an earlier assistant tool call', out,
            )  # fmt: skip
            return
        if ex.call_ids is None or call_id not in ex.call_ids:
            self._add(
                ln, "unmatched_tool_message",
                f"{where} answers tool_call_id {quote(call_id)}, but no earlier assistant message in this "
                "example made a call with that id",
                out,
            )  # fmt: skip
        self._text(ex, call_id, OTHER, f"{where} tool_call_id", count)

    def _content(self, m: dict, role: str, where: str, ex: Example, kind: int, has_call: bool, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        content = m.get("content")
        if content is None:
            if not has_call:
                missing = "has no content" if "content" not in m else "has null content"
                self._add(ln, "missing_content", f"{where} {missing}", out)
            return
        if type(content) is str:
            if not content and not has_call:
                self._add(ln, "missing_content", f"{where} has empty content", out)
            elif content:
                self._text(ex, content, kind, where, count)
            return
        if type(content) is not list:
            self._add(
                ln, "missing_content",
                f"{where} content is {type_name(content)}; expected a string or a list of content parts", out,
            )  # fmt: skip
            return
        if not content and not has_call:
            self._add(ln, "missing_content", f"{where} has an empty content list", out)
            return
        for j, part in enumerate(content, 1):
            part_where = f"{where} content part {j}"
            if type(part) is not dict:
                self._add(ln, "missing_content", f"{part_where} is {type_name(part)}, not an object", out)
                continue
            part_type = part.get("type")
            if part_type == "text":
                text = part.get("text")
                if type(text) is not str:
                    self._add(ln, "missing_content", f'{part_where} has no "text" string', out)
                elif text:
                    self._text(ex, text, kind, part_where, count)
            elif part_type == "image_url":
                self._image_part(part, role, part_where, ex, count)
            elif part_type == "refusal" and role == "assistant":
                text = part.get("refusal")
                if type(text) is not str:
                    self._add(ln, "missing_content", f'{part_where} has no "refusal" string', out)
                else:
                    self._text(ex, text, kind, part_where, count)
            else:
                accepted = "text and image_url" if role == "user" else "text"
                if role == "assistant":
                    accepted = "text and refusal"
                self._add(
                    ln, "missing_content",
                    f"{part_where} has type {quote(part_type)}; a {role} message accepts {accepted} parts "
                    "(fine-tuning takes text and images only)",
                    out,
                )  # fmt: skip
