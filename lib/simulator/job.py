"""A simulated fine-tuning job and its time model: status, events and checkpoints by the clock.

A job never runs in a thread: its status, events and checkpoints are computed
from the simulator's clock each time someone asks. The clock is *virtual*
(:class:`lib.simulator.state.VirtualClock`): it runs ``speed`` times faster than
the wall clock, so a job that takes two minutes at speed 1 takes a few seconds in
tests. Timestamps shown to clients are wall-clock times (the moment the simulator
said the thing happened).

A job's progress is measured in *work seconds* ``w`` (virtual seconds spent
working, i.e. not paused): validating ``[0, 10)``, queued ``[10, 25)``,
running ``[25, 115)``, finalising ``[115, 120)``, then succeeded.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

from lib.jobspec import checkpoint_model_name, steps_per_epoch
from lib.recent import RecentlyUsed
from lib.simulator.curve import metrics_curve, metrics_message, results_csv
from lib.simulator.state import VirtualClock, stable_hex, stable_id

VALIDATING_SECONDS = 10.0
QUEUED_SECONDS = 15.0
RUNNING_SECONDS = 90.0
FINALIZING_SECONDS = 5.0
# After a resume the job waits briefly in "queued" (the example response of OpenAI's resume endpoint).
REQUEUE_SECONDS = 3.0
RUN_STARTS_AT = VALIDATING_SECONDS + QUEUED_SECONDS
RUN_ENDS_AT = RUN_STARTS_AT + RUNNING_SECONDS
JOB_ENDS_AT = RUN_ENDS_AT + FINALIZING_SECONDS
CHECKPOINT_EPOCHS = 3  # "only the checkpoints for the last 3 epochs of the job are saved"

TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
# A job's curve and timeline take up to ~1 MB; only the most recently used are kept
# (recomputing is cheap and deterministic), so hundreds of finished jobs cost little memory.
DERIVED_CACHE_ENTRIES = 128
_derived = RecentlyUsed(DERIVED_CACHE_ENTRIES)  # (job id, "curve" | "timeline") -> value


@dataclass
class Hold:
    """A stretch of virtual time in which a job made no progress."""

    kind: str  # "paused" (by the user) or "requeued" (briefly queued after a resume)
    start: float
    start_work: float
    end: float | None = None


@dataclass
class TimelineEvent:
    work: float
    label: str
    message: str
    level: str = "info"
    type: str = "message"
    data: dict | None = None
    id: str = ""


@dataclass
class Job:
    """One fine-tuning job; everything a client sees is a function of the virtual time."""

    id: str
    org_id: str
    model: str  # as requested (dated name, alias resolved, or ft: name)
    base_model: str  # dated catalog id
    training_file: str
    validation_file: str | None
    method_type: str
    requested_hyperparameters: dict
    resolved_hyperparameters: dict
    suffix: str | None
    seed: int
    metadata: dict | None
    integrations: list | None
    created_v: float
    created_at: int
    examples: int
    billed_tokens_per_epoch: int
    fine_tuned_model_name: str
    failure: dict | None = None  # {code, message, param} when the files are invalid
    flavor: str = "openai"  # "azure": created through Azure OpenAI's paths (Azure ids and CSV columns)
    training_type: str | None = None  # Azure's trainingType, when given
    holds: list[Hold] = field(default_factory=list)
    cancelled_v: float | None = None
    result_file_id: str | None = None

    # -- progress --
    @property
    def per_epoch(self) -> int:
        return steps_per_epoch(self.examples, self.resolved_hyperparameters["batch_size"])

    @property
    def total_steps(self) -> int:
        return self.per_epoch * self.resolved_hyperparameters["n_epochs"]

    def work(self, v: float) -> float:
        """Work seconds done by virtual time ``v`` (holds and time after a cancel excluded)."""
        end = v if self.cancelled_v is None else min(v, self.cancelled_v)
        done = end - self.created_v
        for hold in self.holds:
            hold_end = end if hold.end is None else min(hold.end, end)
            done -= max(0.0, hold_end - hold.start)
        return max(0.0, done)

    def virtual_time_of(self, work: float) -> float:
        """When (virtual) the job reached ``work`` seconds of progress; inf if it has not."""
        v = self.created_v + work
        for hold in self.holds:
            if hold.start_work < work:
                if hold.end is None:
                    return math.inf
                v += hold.end - hold.start
        return v

    def open_hold(self, v: float) -> Hold | None:
        for hold in self.holds:
            if hold.start <= v and (hold.end is None or v < hold.end):
                return hold
        return None

    def status(self, v: float) -> str:
        if self.cancelled_v is not None and v >= self.cancelled_v:
            return "cancelled"
        hold = self.open_hold(v)
        if hold is not None:
            return "paused" if hold.kind == "paused" else "queued"
        w = self.work(v)
        if w < VALIDATING_SECONDS:
            return "validating_files"
        if self.failure:
            return "failed"
        if w < RUN_STARTS_AT:
            return "queued"
        if w < JOB_ENDS_AT:
            return "running"
        return "succeeded"

    def finished_v(self, v: float) -> float | None:
        status = self.status(v)
        if status == "succeeded":
            return self.virtual_time_of(JOB_ENDS_AT)
        if status == "failed":
            return self.virtual_time_of(VALIDATING_SECONDS)
        if status == "cancelled":
            return self.cancelled_v
        return None

    # -- what happened --
    def curve(self) -> list[dict]:
        return _derived.get(
            (self.id, "curve"),
            lambda: metrics_curve(
                self.seed,
                self.total_steps,
                self.per_epoch,
                with_validation=self.validation_file is not None,
                method_type=self.method_type,
            ),
        )

    def checkpoint_steps(self) -> list[int]:
        epochs = self.resolved_hyperparameters["n_epochs"]
        first = max(1, epochs - CHECKPOINT_EPOCHS + 1)
        return [epoch * self.per_epoch for epoch in range(first, epochs + 1)]

    def step_work(self, step: int, total_steps: int | None = None) -> float:
        return RUN_STARTS_AT + RUNNING_SECONDS * step / (total_steps or self.total_steps)

    def timeline(self) -> list[TimelineEvent]:
        """Every event the job will emit if left alone, in order of progress."""
        return _derived.get((self.id, "timeline"), self._build_timeline)

    def _build_timeline(self) -> list[TimelineEvent]:
        files = f"Validating training file: {self.training_file}"
        if self.validation_file:
            files += f" and validation file: {self.validation_file}"
        events = [TimelineEvent(0.0, "created", "Created fine-tuning job"), TimelineEvent(0.0, "validating", files)]
        if self.failure:
            events.append(TimelineEvent(VALIDATING_SECONDS, "failed", self.failure["message"], level="error"))
        else:
            events.append(TimelineEvent(VALIDATING_SECONDS, "validated", "Files validated, moving job to queued state"))
            events.append(TimelineEvent(RUN_STARTS_AT, "started", "Fine-tuning job started"))
            checkpoints = set(self.checkpoint_steps())
            total_steps = self.total_steps
            for row in self.curve():
                work = self.step_work(row["step"], total_steps)
                events.append(
                    TimelineEvent(work, f"step-{row['step']}", metrics_message(row), type="metrics", data=row)
                )
                if row["step"] in checkpoints:
                    events.append(
                        TimelineEvent(work, f"ckpt-{row['step']}", f"Checkpoint created at step {row['step']}")
                    )
            events.append(
                TimelineEvent(RUN_ENDS_AT, "model", f"New fine-tuned model created: {self.fine_tuned_model_name}")
            )
            events.append(
                TimelineEvent(
                    RUN_ENDS_AT + FINALIZING_SECONDS / 2,
                    "usage",
                    "Usage policy evaluations completed, model is now enabled for sampling",
                )
            )
            events.append(TimelineEvent(JOB_ENDS_AT, "succeeded", "The job has successfully completed"))
        for event in events:
            event.id = stable_id("ftevent-", self.id, event.label)
        return events

    def events(self, v: float, clock: VirtualClock) -> list[dict]:
        """The job's events up to virtual time ``v``, newest first (as the service orders them)."""
        done = self.work(v)
        keyed = []
        for seq, event in enumerate(self.timeline()):
            if event.work > done:
                break
            keyed.append(((self.virtual_time_of(event.work), 0, seq), event.id, event))
        for seq, hold in enumerate(self.holds):
            if hold.start > v:
                continue
            label, message = (
                ("paused", "Fine-tuning job paused")
                if hold.kind == "paused"
                else ("resumed", "Fine-tuning job resumed")
            )
            keyed.append(
                ((hold.start, 1, seq), stable_id("ftevent-", self.id, f"{label}-{seq}"), TimelineEvent(0, "", message))
            )
        if self.cancelled_v is not None and self.cancelled_v <= v:
            keyed.append(
                (
                    (self.cancelled_v, 2, 0),
                    stable_id("ftevent-", self.id, "cancelled"),
                    TimelineEvent(0, "", "Fine-tuning job cancelled"),
                )
            )
        keyed.sort(key=lambda item: item[0])
        out = []
        for (event_v, _, _), event_id, event in reversed(keyed):
            item = {
                "id": event_id,
                "object": "fine_tuning.job.event",
                "created_at": int(clock.wall_time_of(event_v)),
                "level": event.level,
                "message": event.message,
                "type": event.type,
                "data": dict(event.data) if event.data else {},
            }
            out.append(item)
        return out

    def checkpoints(self, v: float, clock: VirtualClock) -> list[dict]:
        """Checkpoints saved by virtual time ``v`` (last 3 epochs), newest first."""
        if self.failure:
            return []
        done = self.work(v)
        rows = {row["step"]: row for row in self.curve()}
        out = []
        for step in reversed(self.checkpoint_steps()):
            work = self.step_work(step)
            if work > done:
                continue
            row = rows[step]
            metrics = {
                key: row.get(key)
                for key in (
                    "train_loss",
                    "train_mean_token_accuracy",
                    "valid_loss",
                    "valid_mean_token_accuracy",
                    "full_valid_loss",
                    "full_valid_mean_token_accuracy",
                )
            }
            metrics["step"] = float(step)
            out.append(
                {
                    "id": self.checkpoint_id(step),
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": int(clock.wall_time_of(self.virtual_time_of(work))),
                    "fine_tuned_model_checkpoint": checkpoint_model_name(self.fine_tuned_model_name, step),
                    "fine_tuning_job_id": self.id,
                    "metrics": metrics,
                    "step_number": step,
                }
            )
        return out

    def results_file_bytes(self) -> bytes:
        """The result file's content: the CSV, base64-encoded as the real service serves it."""
        return base64.b64encode(results_csv(self.curve(), self.flavor))

    def checkpoint_id(self, step: int) -> str:
        """``ftckpt_<24 alnum>`` on OpenAI, ``ftchkpt-<32 hex>`` on Azure; the same on every request."""
        if self.flavor == "azure":
            return "ftchkpt-" + stable_hex(self.id, step)
        return stable_id("ftckpt_", self.id, step)

    def to_dict(self, v: float, clock: VirtualClock) -> dict:
        status = self.status(v)
        started = self.work(v) >= RUN_STARTS_AT and not self.failure
        hyper = (
            dict(self.resolved_hyperparameters)
            if started
            else {key: self.requested_hyperparameters.get(key, "auto") for key in self.resolved_hyperparameters}
        )
        finished_v = self.finished_v(v)
        estimated = None
        if status == "running":
            estimated = int(clock.wall_time_of(v + (JOB_ENDS_AT - self.work(v))))
        succeeded = status == "succeeded"
        top_level = {k: hyper[k] for k in ("batch_size", "learning_rate_multiplier", "n_epochs")}
        return {
            "id": self.id,
            "object": "fine_tuning.job",
            "created_at": self.created_at,
            "model": self.model,
            "organization_id": self.org_id,
            "status": status,
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "hyperparameters": top_level,
            "method": {"type": self.method_type, self.method_type: {"hyperparameters": hyper}},
            "fine_tuned_model": self.fine_tuned_model_name if succeeded else None,
            "finished_at": int(clock.wall_time_of(finished_v)) if finished_v is not None else None,
            "estimated_finish": estimated,
            "trained_tokens": self.billed_tokens_per_epoch * self.resolved_hyperparameters["n_epochs"]
            if succeeded
            else None,
            "result_files": [self.result_file_id] if succeeded and self.result_file_id else [],
            "error": dict(self.failure) if status == "failed" else None,
            "seed": self.seed,
            "metadata": self.metadata,
            "integrations": self.integrations,
            "user_provided_suffix": self.suffix,
            **({"trainingType": self.training_type} if self.training_type else {}),
        }

    # -- user actions --
    def cancel(self, v: float) -> None:
        for hold in self.holds:
            if hold.end is None or hold.end > v:
                hold.end = max(hold.start, v)
        self.cancelled_v = v

    def pause(self, v: float) -> None:
        self.holds.append(Hold("paused", v, self.work(v)))

    def resume(self, v: float) -> None:
        hold = self.open_hold(v)
        assert hold is not None and hold.kind == "paused"
        hold.end = v
        self.holds.append(Hold("requeued", v, self.work(v), v + REQUEUE_SECONDS))
