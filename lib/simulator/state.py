"""The simulator's objects and the time model of a fine-tuning job (no HTTP here).

A job never runs in a thread: its status, events and checkpoints are computed
from the simulator's clock each time someone asks. The clock is *virtual*:
it runs ``speed`` times faster than the wall clock, so a job that takes two
minutes at speed 1 takes a few seconds in tests. Timestamps shown to clients
are wall-clock times (the moment the simulator said the thing happened).

A job's progress is measured in *work seconds* ``w`` (virtual seconds spent
working, i.e. not paused): validating ``[0, 10)``, queued ``[10, 25)``,
running ``[25, 115)``, finalising ``[115, 120)``, then succeeded.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from lib.jobspec import checkpoint_model_name, steps_per_epoch

VALIDATING_SECONDS = 10.0
QUEUED_SECONDS = 15.0
RUNNING_SECONDS = 90.0
FINALIZING_SECONDS = 5.0
# After a resume the job waits briefly in "queued" (the example response of OpenAI's resume endpoint).
REQUEUE_SECONDS = 3.0
RUN_STARTS_AT = VALIDATING_SECONDS + QUEUED_SECONDS
RUN_ENDS_AT = RUN_STARTS_AT + RUNNING_SECONDS
JOB_ENDS_AT = RUN_ENDS_AT + FINALIZING_SECONDS
# At most this many metrics events per job: beyond it every k-th step is reported
# (plus every epoch end), so a 100k-step job stays cheap while total_steps stays true.
MAX_METRIC_EVENTS = 1000
CHECKPOINT_EPOCHS = 3  # "only the checkpoints for the last 3 epochs of the job are saved"

TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
_ALNUM = string.ascii_letters + string.digits
# A job's curve and timeline take up to ~1 MB; only the most recently used are kept
# (recomputing is cheap and deterministic), so hundreds of finished jobs cost little memory.
DERIVED_CACHE_ENTRIES = 128
_derived: OrderedDict = OrderedDict()
_derived_lock = threading.Lock()


def _memo(key: tuple, compute):
    """``compute()``, remembered for the few most recently used ``key``s."""
    with _derived_lock:
        if key in _derived:
            _derived.move_to_end(key)
            return _derived[key]
    value = compute()
    with _derived_lock:
        _derived[key] = value
        while len(_derived) > DERIVED_CACHE_ENTRIES:
            _derived.popitem(last=False)
    return value


class ApiError(Exception):
    """An error answer of the API: HTTP status plus the ``error`` object fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh random id like the service's (``ftjob-`` + 24 letters and digits)."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def stable_id(prefix: str, *parts: object, length: int = 24) -> str:
    """An id derived from ``parts``: the same event or checkpoint keeps its id on every request."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return prefix + "".join(_ALNUM[byte % len(_ALNUM)] for byte in digest[:length])


def stable_hex(*parts: object, length: int = 32) -> str:
    """Hex digits derived from ``parts`` (Azure's ids are lowercase hex: ``ftchkpt-<hex>``)."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:length]


def new_hex(length: int = 32) -> str:
    """Fresh random lowercase hex digits, as in Azure's ``ftjob-<hex>`` and ``file-<hex>`` ids."""
    return secrets.token_hex((length + 1) // 2)[:length]


def key_id(api_key: str) -> str:
    """A short fingerprint of an API key: safe to log, never reversible to the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class VirtualClock:
    """Virtual seconds that advance ``speed`` times faster than the wall clock.

    Changing the speed re-anchors the clock, so virtual time never jumps; the
    history of anchors lets any virtual instant be turned back into wall time.
    """

    def __init__(self, speed: float = 1.0, wall=time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._anchors = [(wall(), 0.0, self._checked(speed))]  # (wall, virtual, speed)

    @staticmethod
    def _checked(speed: float) -> float:
        speed = float(speed)
        if not speed > 0 or not math.isfinite(speed):
            raise ValueError(f"speed must be a positive number; got {speed!r}")
        return speed

    @property
    def speed(self) -> float:
        return self._anchors[-1][2]

    @speed.setter
    def speed(self, value: float) -> None:
        value = self._checked(value)
        with self._lock:
            now = self._wall()
            self._anchors.append((now, self._virtual_at(now), value))

    def _virtual_at(self, wall_time: float) -> float:
        wall0, virtual0, speed = self._anchors[-1]
        return virtual0 + (wall_time - wall0) * speed

    def now(self) -> float:
        """The current virtual time."""
        return self._virtual_at(self._wall())

    def wall_time_of(self, virtual: float) -> float:
        """The wall-clock time at which the virtual clock reads (or will read) ``virtual``."""
        anchors = self._anchors
        for index in range(len(anchors) - 1, -1, -1):
            wall0, virtual0, speed = anchors[index]
            if virtual >= virtual0 or index == 0:
                return wall0 + (virtual - virtual0) / speed
        raise AssertionError("unreachable")


# --- files and uploads ---------------------------------------------------------------------------


@dataclass
class FileCheck:
    """What the service learns from a training (or validation) file while validating it."""

    examples: int
    billed_tokens_per_epoch: int
    format: str | None
    first_error_line: int | None = None
    first_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_error is None


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes = field(repr=False)
    created_at: int
    expires_at: int | None = None
    checks: dict = field(default_factory=dict, repr=False)  # (model, method) -> FileCheck

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": self.expires_at,
        }


@dataclass
class Upload:
    id: str
    filename: str
    purpose: str
    declared_bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    status: str = "pending"
    parts: dict = field(default_factory=dict, repr=False)  # part id -> bytes
    file: StoredFile | None = None

    def refresh(self, wall_now: float) -> None:
        if self.status == "pending" and wall_now >= self.expires_at:
            self.status = "expired"
            self.parts.clear()

    @property
    def stored_bytes(self) -> int:
        return sum(len(p) for p in self.parts.values())

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "object": "upload",
            "bytes": self.declared_bytes,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "file": self.file.to_dict() if self.file else None,
        }


# --- the loss curve ------------------------------------------------------------------------------


def reported_steps(total_steps: int, per_epoch: int) -> list[int]:
    """The steps that get a metrics event: all of them, or every k-th plus epoch ends."""
    stride = max(1, math.ceil(total_steps / MAX_METRIC_EVENTS))
    steps = set(range(stride, total_steps + 1, stride))
    steps.update(range(per_epoch, total_steps + 1, per_epoch))
    steps.update((1, total_steps))
    return sorted(steps)


def metrics_curve(
    seed: int, total_steps: int, per_epoch: int, *, with_validation: bool, method_type: str = "supervised"
) -> list[dict]:
    """Metrics for each reported step: a noisy, decreasing loss, the same for the same seed."""
    rng = random.Random(seed)
    # DPO's loss starts at ln 2 (no preference yet); supervised loss starts around 2.
    start = math.log(2) if method_type == "dpo" else rng.uniform(1.6, 2.6)
    floor = rng.uniform(0.05, 0.25) if method_type == "dpo" else rng.uniform(0.12, 0.45)
    decay = rng.uniform(3.5, 5.5)
    overfit = rng.uniform(0.05, 0.25)
    rows = []
    for step in reported_steps(total_steps, per_epoch):
        progress = step / total_steps
        mean = floor + (start - floor) * math.exp(-decay * progress)
        train_loss = max(0.01, mean * (1 + rng.gauss(0, 0.09)))
        accuracy = min(0.999, max(0.0, 1 - 0.42 * mean + rng.gauss(0, 0.02)))
        row = {
            "step": step,
            "train_loss": round(train_loss, 4),
            "train_mean_token_accuracy": round(accuracy, 4),
            "total_steps": total_steps,
        }
        if with_validation:
            valid_mean = mean * (1.04 + overfit * progress)
            row["valid_loss"] = round(max(0.01, valid_mean * (1 + rng.gauss(0, 0.12))), 4)
            row["valid_mean_token_accuracy"] = round(
                min(0.999, max(0.0, 1 - 0.45 * valid_mean + rng.gauss(0, 0.03))), 4
            )
            if step % per_epoch == 0:
                row["full_valid_loss"] = round(valid_mean * 1.02, 4)
                row["full_valid_mean_token_accuracy"] = round(min(0.999, max(0.0, 1 - 0.45 * valid_mean)), 4)
        rows.append(row)
    return rows


def metrics_message(row: dict) -> str:
    """``Step 12/300: training loss=0.83[, validation loss=..][, full validation loss=..]``."""
    text = f"Step {row['step']}/{row['total_steps']}: training loss={row['train_loss']:.2f}"
    if "valid_loss" in row:
        text += f", validation loss={row['valid_loss']:.2f}"
    if "full_valid_loss" in row:
        text += f", full validation loss={row['full_valid_loss']:.2f}"
    return text


# The result CSV's columns: OpenAI's (the guide) and Azure OpenAI's spelling of the same metrics.
RESULT_COLUMNS = {
    "openai": ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"),
    "azure": (
        "step",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "validation_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    ),
}
# Which curve value each column holds.
_COLUMN_SOURCE = {
    "train_accuracy": "train_mean_token_accuracy",
    "validation_mean_token_accuracy": "valid_mean_token_accuracy",
}


def results_csv(rows: list[dict], flavor: str = "openai") -> bytes:
    """The result file's CSV in ``flavor``'s columns (validation cells empty without a validation file)."""
    columns = RESULT_COLUMNS[flavor]
    lines = [",".join(columns)]
    for row in rows:
        cells = [str(row["step"])]
        for column in columns[1:]:
            value = row.get(_COLUMN_SOURCE.get(column, column))
            cells.append("" if value is None else f"{value:.5f}")
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


# --- jobs ----------------------------------------------------------------------------------------


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
        return _memo(
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
        return _memo((self.id, "timeline"), self._build_timeline)

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


@dataclass
class Namespace:
    """Everything one API key owns: no other key can see any of it."""

    key_id: str
    org_id: str
    last_used: float
    files: dict = field(default_factory=dict)
    uploads: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)
    idempotency: dict = field(default_factory=dict)  # Idempotency-Key -> job id
    models: dict = field(default_factory=dict)  # fine-tuned model name -> (created_at, job)

    @property
    def stored_bytes(self) -> int:
        return sum(len(f.data) for f in self.files.values()) + sum(u.stored_bytes for u in self.uploads.values())
