"""From a checked training file to one fine-tuning job: the Launch page's logic.

Everything here is plain Python over the ``openai`` SDK, so it is tested
against the simulator without Streamlit:

- :func:`trainable_models` joins the account's ``models.list()`` with the
  dated catalog (retired models are never offered);
- :func:`list_training_files` and :func:`upload_file` (Files API up to the
  catalog's 512 MB, the Uploads API in 64 MB parts above it, with a progress
  callback);
- :func:`check_file` validates a file for the chosen model *and* method;
- :class:`LaunchForm` -> :func:`form_errors` / :func:`build_request` gives the
  exact JSON body, checked by the same :mod:`lib.jobspec` rules the simulator
  applies;
- :func:`estimate_charge` and :func:`budget_refusal` (the money);
- :func:`create_job` sends it once: no SDK retries, and an ``Idempotency-Key``
  header the caller keeps for as long as the request may be repeated;
- :func:`explain_refusal` turns a refusal into one sentence.

A package split by concern; ``from lib.launch import X`` works for every public name: models.py,
files.py, check.py, form.py, money.py (``format_usd`` is :func:`lib.costs.usd`), create.py (the
create call and duplicates), review.py (:func:`prepare_review`).
"""

from lib.launch.check import FileCheck, check_files, format_mismatch
from lib.launch.create import (
    DUPLICATE_WINDOW,
    IDEMPOTENCY_HEADER,
    FileComparer,
    create_job,
    explain_refusal,
    file_comparer,
    find_duplicate,
    new_idempotency_key,
    outcome_is_unknown,
    request_fingerprint,
)
from lib.launch.files import (
    JSONL_MIME,
    MAX_READBACK_BYTES,
    AccountFile,
    FileTooLargeError,
    Picked,
    ProgressCallback,
    account_files,
    list_training_files,
    read_account_file,
    read_back,
    too_large_to_train,
    upload_file,
)
from lib.launch.form import (
    HYPERPARAMETER_HELP,
    METHOD_LABELS,
    LaunchForm,
    build_request,
    estimate_metadata,
    form_errors,
    form_warnings,
    hyperparameter_fields,
    metadata_help,
    parse_metadata,
    parse_number,
    prefill_files,
    prefill_form,
    settings_for_dataset,
    suffix_help,
)
from lib.launch.models import (
    ModelChoice,
    azure_hosting_warning,
    catalog_models,
    deadline_lines,
    tier_label,
    trainable_models,
    training_tiers,
)
from lib.launch.money import ChargeEstimate, budget_refusal, estimate_charge, format_usd, launch_blockers
from lib.launch.review import PendingLaunch, UnknownOutcome, prepare_review

__all__ = [
    "ModelChoice",
    "trainable_models",
    "catalog_models",
    "training_tiers",
    "tier_label",
    "deadline_lines",
    "azure_hosting_warning",
    "JSONL_MIME",
    "ProgressCallback",
    "AccountFile",
    "list_training_files",
    "FileTooLargeError",
    "upload_file",
    "MAX_READBACK_BYTES",
    "read_account_file",
    "Picked",
    "HYPERPARAMETER_HELP",
    "hyperparameter_fields",
    "launch_blockers",
    "account_files",
    "read_back",
    "too_large_to_train",
    "FileCheck",
    "format_mismatch",
    "check_files",
    "METHOD_LABELS",
    "LaunchForm",
    "settings_for_dataset",
    "parse_number",
    "parse_metadata",
    "build_request",
    "estimate_metadata",
    "form_errors",
    "form_warnings",
    "prefill_form",
    "prefill_files",
    "suffix_help",
    "metadata_help",
    "format_usd",
    "ChargeEstimate",
    "estimate_charge",
    "budget_refusal",
    "IDEMPOTENCY_HEADER",
    "DUPLICATE_WINDOW",
    "new_idempotency_key",
    "request_fingerprint",
    "create_job",
    "outcome_is_unknown",
    "explain_refusal",
    "FileComparer",
    "find_duplicate",
    "file_comparer",
    "UnknownOutcome",
    "PendingLaunch",
    "prepare_review",
]
