"""What the Jobs tests share (not a test module): waiting for a job to reach a status."""

from __future__ import annotations

import time

from openai.types.fine_tuning import FineTuningJob


def wait_status(client, job_id: str, statuses: set[str], timeout: float = 20.0) -> FineTuningJob:
    """The job once its status is one of ``statuses``; fails after ``timeout`` seconds."""
    deadline = time.time() + timeout
    while (job := client.fine_tuning.jobs.retrieve(job_id)).status not in statuses:
        assert time.time() < deadline, f"{job_id} never reached {statuses}; last: {job.status}"
        time.sleep(0.03)
    return job
