"""The review: the request under confirmation (:class:`PendingLaunch`) built by :func:`prepare_review`."""

from __future__ import annotations

from dataclasses import dataclass

import openai
from lib.launch.create import file_comparer, find_duplicate, new_idempotency_key, request_fingerprint
from lib.launch.form import LaunchForm, build_request
from lib.launch.money import ChargeEstimate

from lib import calls, confirm
from lib.display import md_code


@dataclass(frozen=True)
class UnknownOutcome:
    """A create whose outcome is unknown: the same request on the same connection reuses its key."""

    connection: str
    request: str  # request_fingerprint of the body
    key: str


@dataclass
class PendingLaunch:
    """The request under confirmation: what is sent, with which key, and what the dialog shows."""

    params: dict
    key: str
    charge: ChargeEstimate | None
    budget: float | None
    duplicate: str | None  # "as ftjob-... (running)" when a twin job exists
    training_name: str
    training_examples: int | None
    validation_name: str | None
    state: str = confirm.REVIEW  # confirm.CONFIRMED once confirmed: a second click finds it and does nothing

    def files_markdown(self) -> str:
        """``**Training file** `a.jsonl` (file-1): 120 examples · no validation file`` (names escaped)."""
        line = f"**Training file** {md_code(self.training_name)} ({self.params['training_file']})"
        if self.training_examples is not None:
            line += f": {self.training_examples:,} examples"
        if self.params.get("validation_file"):
            validation = md_code(self.validation_name or "")
            return line + f" · **validation file** {validation} ({self.params['validation_file']})"
        return line + " · no validation file"


def prepare_review(
    client: openai.OpenAI,
    form: LaunchForm,
    *,
    training_file: str,
    validation_file: str | None,
    training_name: str,
    validation_name: str | None,
    training_examples: int | None,
    charge: ChargeEstimate | None,
    record_estimate: bool,
    budget: float | None,
    connection: str,
    retry: UnknownOutcome | None,
) -> PendingLaunch:
    """The exact request for ``form`` and the uploaded files, ready for the confirmation.

    Looks once (no retry, short timeout) for a live twin job to warn about; a failed look only drops
    the warning. The idempotency key is new, unless ``retry`` holds the key of the same request on
    the same connection whose outcome is unknown.
    """
    params = build_request(
        form, training_file=training_file, validation_file=validation_file, estimate=charge if record_estimate else None
    )
    duplicate = None
    try:
        quick = calls.PROBE.apply(client)
        twin = find_duplicate(quick.fine_tuning.jobs.list(limit=50).data, params, same_file=file_comparer(quick))
        if twin is not None:
            duplicate = f"as {twin.id} ({twin.status})"
    except Exception:
        pass
    same = retry is not None and retry.connection == connection and retry.request == request_fingerprint(params)
    return PendingLaunch(
        params,
        retry.key if same else new_idempotency_key(),
        charge,
        budget,
        duplicate,
        training_name,
        training_examples,
        validation_name,
    )
