"""The create call, sent once with an idempotency key, its refusals as sentences, and duplicate jobs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import openai

from lib import calls, jobspec
from lib.catalog import (
    load_catalog,
)
from lib.errors import explain, redact

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Jobs in these states will not train again, so an identical new request is no duplicate.
_DEAD_STATUSES = ("failed", "cancelled")
# How far back an identical job counts as "you already launched this".
DUPLICATE_WINDOW = dt.timedelta(hours=24)


def new_idempotency_key() -> str:
    """A fresh key for one confirmed request (send it again only with the same body)."""
    return f"tuning-desk-{uuid.uuid4()}"


def request_fingerprint(params: dict) -> str:
    """A stable hash of a request body: the same settings give the same value."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def create_job(client: openai.OpenAI, params: dict, *, idempotency_key: str):
    """``POST /fine_tuning/jobs`` exactly once for ``params``.

    SDK retries are switched off (a retry of a refused create is pointless,
    and of a timed-out one is a second job), and ``idempotency_key`` goes in
    the ``Idempotency-Key`` header, so repeating the call with the same key
    (a rerun, a double click, a retry after a dropped connection) returns
    the job already created instead of a new one.
    """
    if not idempotency_key:
        raise ValueError("create_job needs an idempotency key")
    params = dict(params)
    # Azure's training tier is not an SDK parameter: it travels in the body as extra_body.
    extra_body = {key: params.pop(key) for key in (jobspec.AZURE_TRAINING_TYPE_KEY,) if key in params}
    return calls.CREATE.apply(client).fine_tuning.jobs.create(
        **params, extra_headers={IDEMPOTENCY_HEADER: idempotency_key}, extra_body=extra_body or None
    )


def outcome_is_unknown(exc: BaseException) -> bool:
    """True when the job may have been created despite the error (keep the same key to retry)."""
    return isinstance(exc, (openai.APIConnectionError, openai.InternalServerError))


def _detail(exc: BaseException) -> str:
    """The server's own message, without keys or a final period."""
    body = getattr(exc, "body", None)
    message = (body.get("message") if isinstance(body, dict) else None) or getattr(exc, "message", "") or ""
    return redact(str(message)).strip().rstrip(".")


def _status_code(exc: BaseException) -> str | None:
    body = getattr(exc, "body", None)
    return getattr(exc, "code", None) or (body.get("code") if isinstance(body, dict) else None)


def explain_refusal(exc: BaseException, calendar: str = "openai") -> str:
    """One sentence for a failed create: what happened and what to do; settings are kept.

    Adds launch wording to :func:`lib.errors.explain` for the cases a launch
    meets: the platform cutoff, a blocked organization, a bad file and an
    unknown outcome (network or server failure).
    """
    catalog = load_catalog()
    code = _status_code(exc)
    message = str(getattr(exc, "message", "") or "")
    if code == jobspec.CREATION_CLOSED_CODE or (
        isinstance(exc, openai.PermissionDeniedError) and "no longer be created" in message
    ):
        if calendar == "azure":
            return f"Azure OpenAI refused new fine-tuning jobs: {_detail(exc)}. Nothing was created or charged."
        return (
            f"OpenAI stopped accepting new fine-tuning jobs on {catalog.no_new_jobs_from:%Y-%m-%d}, so this job "
            f"cannot be created with any key; models already fine-tuned keep working until "
            f"{catalog.retirement_date:%Y-%m-%d}. Nothing was created or charged."
        )
    if isinstance(exc, openai.PermissionDeniedError):
        detail = _detail(exc) or "this organization may not create fine-tuning jobs"
        return (
            f"OpenAI refused to create the job for this organization (403): {detail}. Use the key of an "
            "organization that can still fine-tune, or try the demo mode; your settings are kept."
        )
    if isinstance(exc, openai.BadRequestError) and getattr(exc, "param", None) in ("training_file", "validation_file"):
        which = "training" if exc.param == "training_file" else "validation"
        return (
            f"The API refused the {which} file: {_detail(exc)}. Check and fix it on the Dataset page, then "
            "choose it again here; your settings are kept."
        )
    retry = "confirm again; the same request key is reused, so this cannot create a second job."
    if isinstance(exc, openai.APITimeoutError):
        return f"The API did not answer in time while creating the job, so it may or may not exist: {retry}"
    if isinstance(exc, openai.APIConnectionError):
        return (
            "Could not reach the API while creating the job, so it may or may not exist: check your network "
            f"and the connection settings in the sidebar, then {retry}"
        )
    if isinstance(exc, openai.InternalServerError):
        return (
            f"The API had an internal error ({exc.status_code}) while creating the job, so it may or may not "
            f"exist: wait a minute, then {retry}"
        )
    sentence = explain(exc, action="create the job")
    if "kept" not in sentence:
        sentence = sentence.rstrip(".") + ". Your settings are kept."
    return sentence


FileComparer = Callable[[str, str], bool]


def _same_file(a: str | None, b: str | None, same_file: FileComparer | None) -> bool:
    if a == b:
        return True
    return bool(a and b and same_file and same_file(a, b))


def _same_request(job: Any, params: dict, same_file: FileComparer | None) -> bool:
    method = params.get("method") or {}
    job_method = getattr(job, "method", None)
    job_type = getattr(job_method, "type", None) if job_method is not None else "supervised"
    return (
        getattr(job, "model", None) == params.get("model")
        and (job_type or "supervised") == method.get("type", "supervised")
        and (getattr(job, "user_provided_suffix", None) or _suffix_of(job)) == params.get("suffix")
        and (params.get("seed") is None or getattr(job, "seed", None) == params.get("seed"))
        and (getattr(job, "metadata", None) or None) == (params.get("metadata") or None)
        and _same_file(getattr(job, "training_file", None), params.get("training_file"), same_file)
        and _same_file(getattr(job, "validation_file", None), params.get("validation_file"), same_file)
    )


def _suffix_of(job: Any) -> str | None:
    extra = getattr(job, "model_extra", None) or {}
    return extra.get("user_provided_suffix") or extra.get("suffix")


def find_duplicate(
    jobs: Iterable[Any],
    params: dict,
    *,
    now: dt.datetime | None = None,
    window: dt.timedelta = DUPLICATE_WINDOW,
    same_file: FileComparer | None = None,
) -> Any | None:
    """A live job created within ``window`` like ``params``: same model, method, suffix, seed, metadata and files.

    Shown in the confirmation as a warning: it catches the one repeat an
    idempotency key cannot, a page refresh that lost the session (and with
    it the key) while a create was on its way. After a refresh the same
    bytes are uploaded again under a new id, so ``same_file(id_a, id_b)``
    may say two ids hold the same file (see :func:`file_comparer`).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    since = (now - window).timestamp()
    for job in jobs:
        if (getattr(job, "created_at", 0) or 0) < since or getattr(job, "status", None) in _DEAD_STATUSES:
            continue
        if _same_request(job, params, same_file):
            return job
    return None


def file_comparer(client: openai.OpenAI) -> FileComparer:
    """``same_file(a, b)``: two file ids with the same name and size (read with ``files.retrieve``, memoised).

    A heuristic for a warning, not a proof: the API does not expose a checksum.
    """
    seen: dict[str, tuple[str, int] | None] = {}

    def describe(file_id: str) -> tuple[str, int] | None:
        if file_id not in seen:
            try:
                f = client.files.retrieve(file_id)
                seen[file_id] = (f.filename, int(f.bytes or 0))
            except openai.OpenAIError:
                seen[file_id] = None
        return seen[file_id]

    def same_file(a: str, b: str) -> bool:
        first = describe(a)
        return first is not None and first == describe(b)

    return same_file
