"""One job's calls: fetch, cancel, pause, resume, checkpoints, result files, file details.

Each returns what the SDK returns (``FineTuningJob``, ``FineTuningJobCheckpoint``, ``FileObject``).
"""

from __future__ import annotations

import openai
from openai.types import FileObject
from openai.types.fine_tuning import FineTuningJob
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib.errors import explain
from lib.jobs.facts import decode_result_file, file_ids


def fetch_job(client, job_id: str) -> FineTuningJob:
    """``GET /fine_tuning/jobs/{id}``."""
    return client.fine_tuning.jobs.retrieve(job_id)


def cancel_job(client, job_id: str) -> FineTuningJob:
    """Cancel the job (the page asks for confirmation first); returns the updated job."""
    return client.fine_tuning.jobs.cancel(job_id)


def pause_job(client, job_id: str) -> FineTuningJob:
    """Pause a running job; returns the updated job (status ``paused``, which the SDK's type does not list)."""
    return client.fine_tuning.jobs.pause(job_id)


def resume_job(client, job_id: str) -> FineTuningJob:
    """Resume a paused job; returns the updated job."""
    return client.fine_tuning.jobs.resume(job_id)


def fetch_checkpoints(client, job_id: str) -> list[FineTuningJobCheckpoint]:
    """Every checkpoint of the job (the SDK pages through them), newest first as the API sends them."""
    return list(client.fine_tuning.jobs.checkpoints.list(job_id, limit=100))


def fetch_result_files(client, job: FineTuningJob) -> dict[str, str]:
    """``{file_id: CSV text}`` of the job's result files, decoded defensively."""
    return {file_id: decode_result_file(client.files.content(file_id).read()) for file_id in job.result_files or []}


def fetch_file_metadata(
    client, job: FineTuningJob, known: dict[str, FileObject | str] | None = None
) -> dict[str, FileObject | str]:
    """The job's files by id (only those not in ``known`` are read): the file's object, or the
    sentence of a failed read (a deleted file must not hide the rest)."""
    out = dict(known or {})
    for file_id in file_ids(job):
        if file_id in out:
            continue
        try:
            out[file_id] = client.files.retrieve(file_id)
        except openai.APIStatusError as exc:
            out[file_id] = explain(exc, action="read the file's details")
    return out
