"""One job's calls: fetch, cancel, pause, resume, checkpoints, result files, file metadata."""

from __future__ import annotations

from lib.jobs.facts import decode_result_file, file_ids
from lib.jobs.status import as_dict


def fetch_job(client, job_id: str) -> dict:
    """``GET /fine_tuning/jobs/{id}`` as a dict."""
    return as_dict(client.fine_tuning.jobs.retrieve(job_id))


def cancel_job(client, job_id: str) -> dict:
    """Cancel the job (the page asks for confirmation first); returns the updated job."""
    return as_dict(client.fine_tuning.jobs.cancel(job_id))


def pause_job(client, job_id: str) -> dict:
    """Pause a running job; returns the updated job (status ``paused``, which the SDK does not list)."""
    return as_dict(client.fine_tuning.jobs.pause(job_id))


def resume_job(client, job_id: str) -> dict:
    """Resume a paused job; returns the updated job."""
    return as_dict(client.fine_tuning.jobs.resume(job_id))


def fetch_checkpoints(client, job_id: str) -> list[dict]:
    """Every checkpoint of the job (the SDK pages through them), newest first as the API sends them."""
    return [as_dict(c) for c in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)]


def fetch_result_files(client, job: dict) -> dict[str, str]:
    """``{file_id: CSV text}`` of the job's result files, decoded defensively."""
    out = {}
    for file_id in job.get("result_files") or []:
        out[file_id] = decode_result_file(client.files.content(file_id).read())
    return out


def fetch_file_metadata(client, job: dict, known: dict[str, dict] | None = None) -> dict[str, dict]:
    """File objects of the job's files (only those not in ``known``); a failure is kept as ``{"error": ...}``."""
    import openai

    from lib.errors import explain

    out = dict(known or {})
    for file_id in file_ids(job):
        if file_id in out:
            continue
        try:
            out[file_id] = as_dict(client.files.retrieve(file_id))
        except openai.APIStatusError as exc:  # a deleted file must not hide the rest
            out[file_id] = {"id": file_id, "error": explain(exc, action="read the file's details")}
    return out
