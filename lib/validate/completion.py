"""Legacy prompt/completion pairs (babbage-002, davinci-002): a string ``prompt`` and ``completion``.

Counted: the tokens of the prompt plus those of the completion; the completion is the assistant part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.validate.codes import ASSISTANT, OTHER, PROMPT_COMPLETION_KEYS
from lib.display import join_words
from lib.validate.messages import quote, type_name

if TYPE_CHECKING:  # pragma: no cover
    from lib.validate.scanner import Example


class PromptCompletionChecks:
    """The prompt/completion checks of :class:`lib.validate.scanner.Scanner` (a mixin)."""

    def _prompt_completion(self, obj: dict, ex: Example) -> int | None:
        ln, out = ex.ln, ex.findings
        usable = True
        for key in PROMPT_COMPLETION_KEYS:
            if key not in obj:
                usable = False
                alternatives = [k for k in obj if k not in PROMPT_COMPLETION_KEYS]
                hint = f'; rename {quote(alternatives[0])} to "{key}"' if len(alternatives) == 1 else ""
                self._add(ln, "invalid_prompt_completion", f'there is no "{key}"{hint}', out)
            elif type(obj[key]) is not str:
                usable = False
                why = f'"{key}" is {type_name(obj[key])}; it must be a string'
                self._add(ln, "invalid_prompt_completion", why, out)
        extra = [k for k in obj if k not in PROMPT_COMPLETION_KEYS]
        if usable and extra:
            self._add(
                ln, "unrecognized_example_key",
                f"key {join_words(quote(k) for k in extra[:5])} is not part of the prompt/completion format", out,
            )  # fmt: skip
        if not usable:
            return None
        self._text(ex, obj["prompt"], OTHER, '"prompt"')
        self._text(ex, obj["completion"], ASSISTANT, '"completion"')
        return 0
