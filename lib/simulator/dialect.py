"""Azure OpenAI's dialect of the same service: ids, calendar and model names per request flavor.

The same service answers Azure OpenAI's paths; a request that came through them gets Azure's ids
(``file-<32 hex>``, ``ftjob-<32 hex>``, ``<base>.ft-<32 hex>``, ``ftchkpt-<hex>``), Azure's dates
and rules (suffix of at most 40 characters, ``trainingType``) and Azure's result-CSV columns.
"""

from __future__ import annotations

from lib import jobspec
from lib.simulator.protocol import Request
from lib.simulator.state import new_hex, new_id, stable_hex, stable_id

ORG_SLUG = "personal"  # the org part of ft: names of personal accounts


def calendar_of(request: Request) -> str:
    """The catalog calendar whose dates and rules apply to ``request``."""
    return "azure" if request.flavor == "azure" else "openai"


def new_file_id(flavor: str) -> str:
    """A fresh file id: ``file-<32 hex>`` on Azure, ``file-<22 letters and digits>`` on OpenAI."""
    return "file-" + new_hex(32) if flavor == "azure" else new_id("file-", 22)


def new_job_id(flavor: str) -> str:
    """A fresh job id: ``ftjob-<32 hex>`` on Azure, ``ftjob-<24 letters and digits>`` on OpenAI."""
    return "ftjob-" + new_hex(32) if flavor == "azure" else new_id("ftjob-")


def fine_tuned_name_for(flavor: str, base: str, suffix: str | None, job_id: str) -> str:
    """The model id a job of ``flavor`` produces."""
    if flavor == "azure":
        return jobspec.azure_fine_tuned_model_name(base, stable_hex("model", job_id))
    return jobspec.fine_tuned_model_name(base, ORG_SLUG, suffix, stable_id("", job_id, length=8))
