"""What a user may do with a watched job (cancel, pause, resume, evaluate, archive), and doing it."""

from __future__ import annotations

from lib.display import md_escape
from lib.jobs.api import cancel_job, pause_job, resume_job
from lib.jobs.status import status_label
from lib.jobs.watch import JobWatch

# action -> (the call, the past tense a success sentence uses)
ACTIONS = {
    "cancel": (cancel_job, "cancelled"),
    "pause": (pause_job, "paused"),
    "resume": (resume_job, "resumed"),
}


def offered_actions(watch: JobWatch) -> frozenset[str]:
    """The actions the job allows now: ``cancel`` until it has ended, ``pause`` while running,
    ``resume`` while paused, ``evaluate`` once it succeeded with a model, ``archive`` once its
    records are loaded. Cloning into Launch is always offered."""
    offered = {"clone"}
    if not watch.terminal:
        offered.add("cancel")
    if watch.status == "running":
        offered.add("pause")
    elif watch.status == "paused":
        offered.add("resume")
    if watch.status == "succeeded" and watch.job.fine_tuned_model:
        offered.add("evaluate")
    if watch.final_loaded:
        offered.add("archive")
    return frozenset(offered)


def run_action(client, watch: JobWatch, action: str, *, now: float) -> str:
    """Cancel, pause or resume the job (``action``), keep the job the API returned, and say how it went
    (``Job ftjob-1 paused.``, plus the status it reports when that is not the one asked for).

    The SDK's error is raised (the page turns it into one sentence)."""
    call, done = ACTIONS[action]
    watch.update(call(client, watch.id), now)
    status = status_label(watch.status).lower()
    return f"Job {watch.id} {done}." + ("" if status == done else f" It is now {status}.")


def cancel_question(job_id: str) -> str:
    """The confirmation a cancel needs (markdown, the id escaped): it cannot be undone, and a new job costs again."""
    return (
        f"Cancel job {md_escape(job_id)}? Training stops for good: a cancelled job cannot be resumed, "
        "and training again means launching (and paying for) a new job."
    )
