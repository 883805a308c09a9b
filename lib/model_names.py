"""Model names: a fine-tuned or checkpoint id stripped to its base model, a dated id without its date.

OpenAI and Azure OpenAI name fine-tunes differently; these rules read both. They need no catalog.
"""

from __future__ import annotations

import re

# checkpoints add ":ckpt-step-N" to the fine-tuned id
_AZURE_FINE_TUNE = re.compile(r"^(?P<base>.+?)\.ft-[0-9a-f]{8,}(?:[-_.:].*)?$")


def base_model_name(name: str) -> str:
    """Strip a fine-tuned name down to its base model.

    OpenAI: ``ft:<base>:<org>:<suffix>:<id>`` (checkpoints ``...:ckpt-step-88`` strip the same way);
    Azure: ``<base>.ft-<hex>`` (e.g. ``gpt-4.1-mini-2025-04-14.ft-0123...``, checkpoints
    ``...:ckpt-step-10``).
    """
    name = name.strip()
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    azure = _AZURE_FINE_TUNE.match(name)
    if azure:
        return azure.group("base")
    return name


def is_fine_tuned_name(name: str) -> bool:
    """True for a fine-tuned (or checkpoint) model id of OpenAI or Azure."""
    return base_model_name(name) != name.strip()


def base_model_label(model_id: str) -> str:
    """A dated id without its date (``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``)."""
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model_id)
