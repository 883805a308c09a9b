"""DPO preference pairs: ``input.messages`` plus one preferred and one non-preferred assistant output.

Counted: the input messages, the preferred output as one more message, 3 for the example, and the
input's tools. The non-preferred output is checked but not counted (which DPO tokens are billed is
not documented). The input's assistant turns are context, so their tokens are not assistant tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.validate.codes import DPO_INPUT_KEYS, DPO_KEYS, OTHER
from lib.display import join_words
from lib.validate.messages import quote, type_name

if TYPE_CHECKING:  # pragma: no cover
    from lib.validate.scanner import Example


class DpoChecks:
    """The DPO checks of :class:`lib.validate.scanner.Scanner` (a mixin; it uses the chat checks for messages)."""

    def _dpo(self, obj: dict, ex: Example) -> int | None:
        """Check a preference pair; returns its message count, or None when it has no input messages to count."""
        source, messages = self._dpo_input(obj, ex)
        outputs = self._dpo_outputs(obj, ex)
        if type(source) is dict:
            extra_input = [k for k in source if k not in DPO_INPUT_KEYS]
            if extra_input:
                self._add(
                    ex.ln, "unrecognized_example_key",
                    f"input key {join_words(quote(k) for k in extra_input[:5])} is not part of the DPO format",
                    ex.findings,
                )  # fmt: skip
        if messages is None:
            return None
        self._dpo_conversation(source, messages, outputs, ex)
        return len(messages) + (1 if "preferred_output" in outputs else 0)

    def _dpo_input(self, obj: dict, ex: Example) -> tuple:
        """(input, input.messages or None), after the findings about the example's keys and its input."""
        ln, out = ex.ln, ex.findings
        if "preferred_completion" in obj or "non_preferred_completion" in obj:
            self._add(
                ln, "invalid_dpo",
                'the keys are "preferred_completion"/"non_preferred_completion"; OpenAI\'s DPO format names them '
                '"preferred_output" and "non_preferred_output"',
                out,
            )  # fmt: skip
        extra = [k for k in obj if k not in DPO_KEYS and k not in ("preferred_completion", "non_preferred_completion")]
        if extra:
            self._add(
                ln, "unrecognized_example_key",
                f"key {join_words(quote(k) for k in extra[:5])} is not part of the DPO format "
                "(input, preferred_output, non_preferred_output); the API may reject or ignore it",
                out,
            )  # fmt: skip
        source = obj.get("input")
        messages = source.get("messages") if type(source) is dict else None
        if type(source) is not dict:
            shown = "missing" if "input" not in obj else type_name(source)
            self._add(
                ln, "invalid_dpo",
                f'"input" is {shown}; it must be an object {{"messages": [...]}} holding the prompt messages', out,
            )  # fmt: skip
        elif type(messages) is not list or not messages:
            self._add(ln, "invalid_dpo", '"input.messages" must be a non-empty list of messages', out)
            messages = None
        return source, messages

    def _dpo_outputs(self, obj: dict, ex: Example) -> dict:
        """The one assistant message of each well-formed side, by side."""
        ln, out = ex.ln, ex.findings
        outputs = {}
        for side in ("preferred_output", "non_preferred_output"):
            value = obj.get(side)
            if side not in obj:
                self._add(ln, "invalid_dpo", f'"{side}" is missing', out)
            elif type(value) is not list or len(value) != 1:
                shown = f"a list of {len(value)}" if type(value) is list else type_name(value)
                self._add(
                    ln, "invalid_dpo",
                    f'"{side}" is {shown}; it must be a list of exactly one assistant message, '
                    '[{"role": "assistant", "content": "..."}]',
                    out,
                )  # fmt: skip
            elif type(value[0]) is not dict or value[0].get("role") != "assistant":
                self._add(ln, "invalid_dpo", f'"{side}" must hold one message with role "assistant"', out)
            else:
                outputs[side] = value[0]
        return outputs

    def _dpo_conversation(self, source: dict, messages: list, outputs: dict, ex: Example) -> None:
        """Check and count the input messages and both outputs (the preferred one is counted)."""
        ln, out = ex.ln, ex.findings
        self._tools(source, ex, "input ")
        ex.const += 3
        ex.kind_override = OTHER  # the input's assistant turns are context, not the trained answer
        _, _, last_role = self._messages(messages, ex, "input message")
        ex.kind_override = None
        if last_role == "assistant":
            self._add(
                ln, "invalid_dpo",
                "input.messages ends with an assistant message; the preferred and non-preferred outputs must be "
                "the answer to the last input message",
                out,
            )  # fmt: skip
        if ex.images:
            self._add(ln, "invalid_dpo", "DPO supports text only; input.messages contains an image", out)
        for side, label in (("preferred_output", "preferred output"), ("non_preferred_output", "non-preferred output")):
            message = outputs.get(side)
            if message is None:
                continue
            count = side == "preferred_output"
            images_before = ex.images
            self._message(message, 1, ex, label, count)
            if ex.images != images_before:
                self._add(ln, "invalid_dpo", f"DPO supports text only; the {label} contains an image", out)
        preferred, rejected = outputs.get("preferred_output"), outputs.get("non_preferred_output")
        if preferred is not None and rejected is not None and preferred.get("content") == rejected.get("content") \
                and preferred.get("tool_calls") == rejected.get("tool_calls"):  # fmt: skip
            self._add(
                ln, "dpo_identical_outputs",
                "the preferred and non-preferred outputs are identical, so the pair teaches no preference", out,
            )  # fmt: skip
