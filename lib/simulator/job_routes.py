"""The fine-tuning jobs routes: create, list, retrieve, cancel, pause, resume, events, checkpoints.

A route takes the service, the key's namespace, the request and the virtual time ``v`` (plus the job
id in its path) and returns a :class:`~lib.simulator.protocol.Response`; the service holds its lock.
Only :func:`create_job` takes the lock itself: it reads the training files outside it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from lib import jobspec
from lib.catalog import is_fine_tuned_name, load_catalog
from lib.simulator.dialect import calendar_of, fine_tuned_name_for, new_job_id
from lib.simulator.filecheck import check_file, failure_message
from lib.simulator.job import TERMINAL_STATUSES, Job
from lib.simulator.protocol import Request, Response, page
from lib.simulator.state import ApiError, FileCheck, Namespace, StoredFile


# -- creating a job --------------------------------------------------------------------------------
@dataclass
class _JobInputs:
    """A create request that passed the service's checks, with the files it names."""

    body: dict
    training: StoredFile
    validation: StoredFile | None


def create_job(service, ns: Namespace, request: Request) -> Response:
    """``POST /fine_tuning/jobs``: the service's checks, then a job that runs by the clock.

    An ``Idempotency-Key`` seen before returns the job it created. Reading a large file takes a
    while, so the files are checked outside the lock (a file's bytes never change).
    """
    with service.lock:
        v = service.clock.now()
        service.settle(ns, v)
        earlier = _job_of_idempotency_key(ns, request.idempotency_key)
        if earlier is not None:
            return Response(200, earlier.to_dict(v, service.clock))
        inputs = _checked_inputs(service, ns, request, v)
    checks = _file_checks(inputs)
    with service.lock:
        v = service.clock.now()
        earlier = _job_of_idempotency_key(ns, request.idempotency_key)
        if earlier is not None:
            return Response(200, earlier.to_dict(v, service.clock))
        _make_job_room(service, ns, v)
        job = _new_job(service, ns, request, inputs, checks, v)
        ns.jobs[job.id] = job
        if request.idempotency_key:
            ns.idempotency[request.idempotency_key] = job.id
        return Response(200, job.to_dict(v, service.clock))


def _job_of_idempotency_key(ns: Namespace, key: str | None) -> Job | None:
    """The job an earlier create with the same ``Idempotency-Key`` made, if it is still kept."""
    if key and key in ns.idempotency and ns.idempotency[key] in ns.jobs:
        return ns.jobs[ns.idempotency[key]]
    return None


def _checked_inputs(service, ns: Namespace, request: Request, v: float) -> _JobInputs:
    """The request's body and files after the service's checks (403 once creation has closed, else 400)."""
    body = request.json
    calendar = calendar_of(request)
    refusal = jobspec.job_creation_refusal(service.today(), calendar)
    if refusal:
        raise ApiError(jobspec.CREATION_CLOSED_STATUS, refusal, code=jobspec.CREATION_CLOSED_CODE)
    if body is None:
        raise ApiError(
            400, "We could not parse the JSON body of your request. The API expects a JSON object.", code="invalid_json"
        )
    errors = jobspec.validate_create_params(body, today=service.today(), calendar=calendar)
    if errors:
        raise ApiError(400, errors[0].message, param=errors[0].param, code=errors[0].code)
    model = body["model"]
    if is_fine_tuned_name(model) and not _owned_model(service, ns, model, v):
        raise ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    training = _training_input(ns, body["training_file"], "training_file")
    validation = _training_input(ns, body.get("validation_file"), "validation_file")
    return _JobInputs(body, training, validation)


def _owned_model(service, ns: Namespace, name: str, v: float) -> bool:
    """True when ``name`` is a fine-tuned model or checkpoint of this key."""
    if name in ns.models:
        return True
    return any(
        ckpt["fine_tuned_model_checkpoint"] == name
        for job in ns.jobs.values()
        for ckpt in job.checkpoints(v, service.clock)
    )


def _training_input(ns: Namespace, file_id: str | None, param: str) -> StoredFile | None:
    if file_id is None:
        return None
    stored = ns.files.get(file_id)
    if stored is None:
        raise ApiError(
            400, f"invalid {param}: {file_id} (no such file for this key).", param=param, code="file_not_found"
        )
    if stored.purpose != "fine-tune":
        raise ApiError(
            400,
            f"invalid {param}: {file_id} has purpose '{stored.purpose}'; upload it with purpose 'fine-tune'.",
            param=param,
            code="invalid_file_purpose",
        )
    return stored


def _file_checks(inputs: _JobInputs) -> list[tuple[FileCheck, str]]:
    """What validating each file finds, training first: ``(check, "training" | "validation")``.

    A file remembers its check per base model, method and role, so a second job on it reads nothing.
    """
    spec = jobspec.method_of(inputs.body)
    base = jobspec.base_model_of(inputs.body)
    checks = []
    for stored, which in ((inputs.training, "training"), (inputs.validation, "validation")):
        if stored is None:
            continue
        cache_key = (base, spec.type, which)
        if cache_key not in stored.checks:
            stored.checks[cache_key] = check_file(
                stored.data, model=inputs.body["model"], method_type=spec.type, is_validation_file=which == "validation"
            )
        checks.append((stored.checks[cache_key], which))
    return checks


def _failure(checks: list[tuple[FileCheck, str]]) -> dict | None:
    """The error a job with these files fails with at the end of ``validating_files`` (None: none)."""
    for check, which in checks:
        if not check.ok:
            return {"code": f"invalid_{which}_file", "message": failure_message(check, which), "param": f"{which}_file"}
    return None


def _new_job(
    service, ns: Namespace, request: Request, inputs: _JobInputs, checks: list[tuple[FileCheck, str]], v: float
) -> Job:
    """The job the request asks for, starting at virtual time ``v``."""
    body = inputs.body
    spec = jobspec.method_of(body)
    base = jobspec.base_model_of(body)
    model = body["model"]
    training_check = checks[0][0]
    job_id = new_job_id(request.flavor)
    every_key = jobspec.resolve_hyperparameters({}, 1, spec.type)
    requested = {key: spec.hyperparameters.get(key, "auto") for key in every_key}
    seed = body.get("seed")
    if seed is None:
        seed = secrets.randbelow(load_catalog().limits["seed"][1] + 1)
    return Job(
        id=job_id,
        org_id=ns.org_id,
        model=model if is_fine_tuned_name(model) else base,
        base_model=base,
        training_file=inputs.training.id,
        validation_file=inputs.validation.id if inputs.validation else None,
        method_type=spec.type,
        requested_hyperparameters=requested,
        resolved_hyperparameters=jobspec.resolve_hyperparameters(
            spec.hyperparameters, training_check.examples, spec.type
        ),
        suffix=body.get("suffix"),
        seed=seed,
        metadata=body.get("metadata"),
        integrations=body.get("integrations"),
        created_v=v,
        created_at=int(service.wall()),
        examples=training_check.examples,
        billed_tokens_per_epoch=training_check.billed_tokens_per_epoch,
        fine_tuned_model_name=fine_tuned_name_for(request.flavor, base, body.get("suffix"), job_id),
        failure=_failure(checks),
        flavor=request.flavor,
        training_type=body.get(jobspec.AZURE_TRAINING_TYPE_KEY),
    )


def _make_job_room(service, ns: Namespace, v: float) -> None:
    """At the job cap the oldest finished job makes room; if none has finished, refuse."""
    if len(ns.jobs) < service.limits.max_jobs_per_namespace:
        return
    for job in list(ns.jobs.values()):  # oldest first
        if job.status(v) in TERMINAL_STATUSES:
            del ns.jobs[job.id]
            return
    raise ApiError(
        400,
        f"Job limit of this demo reached: a key may keep {service.limits.max_jobs_per_namespace} "
        "jobs. Cancel some and try again.",
        code="job_limit_exceeded",
    )


# -- reading and changing a job --------------------------------------------------------------------
def _job(ns: Namespace, job_id: str) -> Job:
    job = ns.jobs.get(job_id)
    if job is None:
        raise ApiError(
            404,
            f"Could not find fine-tuning job {job_id}.",
            param="fine_tuning_job_id",
            code="fine_tuning_job_not_found",
        )
    return job


def list_jobs(service, ns, request, v):
    wanted = {
        k[len("metadata[") : -1]: value
        for k, value in request.query.items()
        if k.startswith("metadata[") and k.endswith("]")
    }
    without_metadata = request.query.get("metadata") == "null"
    jobs = []
    for job in reversed(list(ns.jobs.values())):  # newest first
        if without_metadata and job.metadata:
            continue
        if any((job.metadata or {}).get(k) != value for k, value in wanted.items()):
            continue
        jobs.append(job.to_dict(v, service.clock))
    return Response(200, page(jobs, request.query, default_limit=20, max_limit=100))


def retrieve_job(service, ns, request, v, job_id):
    return Response(200, _job(ns, job_id).to_dict(v, service.clock))


def _refuse_job_change(job_id: str, sentence: str) -> ApiError:
    return ApiError(400, sentence, param="fine_tuning_job_id", code="invalid_job_state")


def cancel_job(service, ns, request, v, job_id):
    job = _job(ns, job_id)
    status = job.status(v)
    if status in TERMINAL_STATUSES:
        raise _refuse_job_change(
            job_id,
            f"Job {job_id} has already {'been ' if status == 'cancelled' else ''}{status}; "
            "only running or queued jobs can be cancelled.",
        )
    job.cancel(v)
    return Response(200, job.to_dict(v, service.clock))


def _pause_or_resume(service, ns, v, job_id, *, only_when: str, becomes: str, change) -> Response:
    """``change(job, v)`` for a job whose status is ``only_when``; 400 ``invalid_job_state`` otherwise."""
    job = _job(ns, job_id)
    status = job.status(v)
    if status != only_when:
        raise _refuse_job_change(job_id, f"Job {job_id} is {status}; only a {only_when} job can be {becomes}.")
    change(job, v)
    return Response(200, job.to_dict(v, service.clock))


def pause_job(service, ns, request, v, job_id):
    return _pause_or_resume(service, ns, v, job_id, only_when="running", becomes="paused", change=Job.pause)


def resume_job(service, ns, request, v, job_id):
    return _pause_or_resume(service, ns, v, job_id, only_when="paused", becomes="resumed", change=Job.resume)


def list_events(service, ns, request, v, job_id):
    events = _job(ns, job_id).events(v, service.clock)
    return Response(200, page(events, request.query, default_limit=20, max_limit=100))


def list_checkpoints(service, ns, request, v, job_id):
    checkpoints = _job(ns, job_id).checkpoints(v, service.clock)
    return Response(200, page(checkpoints, request.query, default_limit=10, max_limit=100, with_ids=True))
