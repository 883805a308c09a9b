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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import openai

from lib import calls, costs, jobspec
from lib.display import human_size, md_code
from lib.catalog import (
    CALENDAR_LABELS, ModelInfo, TrainingTier, UnknownModelError, is_fine_tuned_name, load_catalog,
)
from lib.errors import explain, redact
from lib.jobs import ESTIMATE_TOKENS_KEY, ESTIMATE_USD_KEY

IDEMPOTENCY_HEADER = "Idempotency-Key"
# The methods Launch offers (which file format each reads is lib.jobspec's table).
METHOD_LABELS = {"supervised": "Supervised (SFT)", "dpo": "DPO (preference pairs)"}
JSONL_MIME = "text/jsonl"
# Jobs in these states will not train again, so an identical new request is no duplicate.
_DEAD_STATUSES = ("failed", "cancelled")
# How far back an identical job counts as "you already launched this".
DUPLICATE_WINDOW = dt.timedelta(hours=24)
ProgressCallback = Callable[[int, int], None]


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class ModelChoice:
    """A model a new job may train, as offered in the form."""

    id: str  # what the request sends: a dated snapshot or a fine-tuned name (``ft:...`` or ``<base>.ft-<hex>``)
    info: ModelInfo  # the catalog entry of its base model
    shutdown_date: dt.date | None  # when its fine-tunes stop answering, on the backend's calendar
    calendar: str = "openai"

    @property
    def fine_tuned(self) -> bool:
        return is_fine_tuned_name(self.id)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(m for m in self.info.methods if m in METHOD_LABELS)

    def label(self) -> str:
        """``GPT-4o mini (gpt-4o-mini-2024-07-18) · $3.00/1M tokens · shuts down 2027-01-14``
        (Azure: ``... · OpenAI list $3.00/1M tokens · deployments answer until 2027-10-01``)."""
        name = f"Continue training {self.id}" if self.fine_tuned else f"{self.info.label} ({self.id})"
        if self.calendar == "azure":
            price = f"OpenAI list {costs.usd_price(self.info.training_per_1m)}/1M tokens"
            shutdown = (f"deployments answer until {self.shutdown_date:%Y-%m-%d}" if self.shutdown_date
                        else "no retirement announced")
        else:
            price = f"{costs.usd_price(self.info.training_per_1m)}/1M tokens"
            shutdown = f"shuts down {self.shutdown_date:%Y-%m-%d}" if self.shutdown_date else "no shutdown announced"
        return f"{name} · {price} · {shutdown}"


def _api_shutdown_date(model: Any) -> dt.date | None:
    """The shutdown date the models API reports: OpenAI's ``shutdown_date``, or Azure's
    ``deprecation.inference`` (Unix seconds)."""
    raw = getattr(model, "shutdown_date", None)
    if not raw:
        deprecation = (getattr(model, "model_extra", None) or {}).get("deprecation")
        stamp = deprecation.get("inference") if isinstance(deprecation, dict) else None
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and 0 < stamp < 253402300800:
            return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date()
        return None
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def trainable_models(account_models: Iterable[Any], *, today: dt.date, calendar: str = "openai") -> list[ModelChoice]:
    """The account's models a job can be created for on ``today``, cheapest first.

    ``account_models`` are ``models.list()`` items (``.id``, optional
    ``.shutdown_date``). A base model is offered under its dated catalog id
    (aliases fold into it); ``ft:`` models whose base is still trainable are
    offered for continued training after the base models. The earlier of the
    API's and the catalog's shutdown dates wins, and a model shut down by
    ``today`` is never offered. Dates and rules are ``calendar``'s (the backend's).
    """
    catalog = load_catalog()
    trainable = {m.id for m in catalog.trainable(today, calendar)}
    base: dict[str, ModelChoice] = {}
    tuned: dict[str, ModelChoice] = {}
    for model in account_models:
        model_id = getattr(model, "id", None) or ""
        try:
            info = catalog.resolve(model_id)
        except UnknownModelError:
            continue
        if info.id not in trainable or not any(m in METHOD_LABELS for m in info.methods):
            continue
        dates = [d for d in (info.lifecycle(calendar).inference_until, _api_shutdown_date(model)) if d]
        shutdown = min(dates) if dates else None
        if shutdown and today >= shutdown:
            continue
        if is_fine_tuned_name(model_id):
            tuned[model_id] = ModelChoice(model_id, info, shutdown, calendar)
        else:
            previous = base.get(info.id)
            if previous is None or (shutdown and (previous.shutdown_date is None or shutdown < previous.shutdown_date)):
                base[info.id] = ModelChoice(info.id, info, shutdown, calendar)
    ordered = sorted(base.values(), key=lambda c: (c.info.training_per_1m, c.id))
    return ordered + sorted(tuned.values(), key=lambda c: c.id)


def catalog_models(*, today: dt.date, calendar: str = "openai") -> list[ModelChoice]:
    """The catalog's trainable models, for when the account's list cannot be read."""
    return [ModelChoice(m.id, m, m.lifecycle(calendar).inference_until, calendar)
            for m in load_catalog().trainable(today, calendar) if any(k in METHOD_LABELS for k in m.methods)]


# --------------------------------------------------------------------------- Azure OpenAI
def training_tiers() -> list[TrainingTier]:
    """Azure's training tiers a request can ask for (``trainingType``), in the docs' order."""
    return [t for t in load_catalog().training_tiers() if t.training_type]


def tier_label(tier: TrainingTier) -> str:
    """``Global · 10-30% below Standard.``"""
    return f"{tier.label} · {tier.discount}"


def deadline_lines(model: str, calendar: str, today: dt.date) -> list[str]:
    """What the confirmation says about dates, on ``calendar`` (never another backend's dates).

    Plain sentences: the model id may come from the API, so the page escapes them.
    """
    dates = load_catalog().lifecycle(model, calendar)
    lines = []
    if calendar == "azure":
        if dates.inference_until:
            lines.append(f"On Azure OpenAI, this fine-tune's deployment answers until {dates.inference_until:%Y-%m-%d}.")
        if dates.training_until:
            days = (dates.training_until - today).days
            lines.append(f"Azure OpenAI trains {dates.model_id} until no earlier than {dates.training_until:%Y-%m-%d} "
                         f"({days} days left, existing customers only).")
    else:
        if dates.inference_until:
            lines.append(f"{model} shuts down on {dates.inference_until:%Y-%m-%d}, and with it every model trained "
                         "from it.")
        if dates.training_until:
            days = (dates.training_until - today).days
            lines.append(f"OpenAI accepts no new fine-tuning jobs from {dates.training_until:%Y-%m-%d} ({days} days left).")
    if dates.doubtful and dates.note:
        lines.append(f"Doubtful: {dates.note}")
    return lines


def azure_hosting_warning() -> str:
    """What keeping an Azure fine-tune costs, said before anything is created."""
    catalog = load_catalog()
    fee = catalog.hosting_fee("standard")
    hours = catalog.azure.hours_per_month
    return (f"On Azure OpenAI a fine-tuned model answers only once it is deployed, and a Standard or Global Standard "
            f"deployment costs {format_usd(fee.usd_per_hour)} per hour ({format_usd(fee.per_month(hours))} per "
            f"{hours}-hour month) "
            f"whether or not it is called, on top of tokens at the base model's rate. "
            f"{catalog.azure.idle_deletion_note}")


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class AccountFile:
    """A ``fine-tune`` file already on the account."""

    id: str
    filename: str
    bytes: int
    created_at: int

    def label(self) -> str:
        """``train.jsonl · 1.2 MB · 2026-11-20 14:03 · file-abc``."""
        created = dt.datetime.fromtimestamp(self.created_at, dt.timezone.utc)
        return f"{self.filename} · {human_size(self.bytes)} · {created:%Y-%m-%d %H:%M} UTC · {self.id}"


format_usd = costs.usd  # the one money format (lib.costs.usd); kept under this name for the pages


def list_training_files(client: openai.OpenAI, *, limit: int = 200) -> list[AccountFile]:
    """The account's ``purpose=fine-tune`` files, newest first (at most ``limit``)."""
    files: list[AccountFile] = []
    for f in client.files.list(purpose="fine-tune", order="desc", limit=min(limit, 10_000)):
        files.append(AccountFile(f.id, f.filename, int(f.bytes or 0), int(f.created_at or 0)))
        if len(files) >= limit:
            break
    return sorted(files, key=lambda f: f.created_at, reverse=True)


class FileTooLargeError(ValueError):
    """The file is above what even the Uploads API accepts."""


def upload_file(
    client: openai.OpenAI,
    name: str,
    data: bytes,
    *,
    progress: ProgressCallback | None = None,
    single_request_limit: int | None = None,
    part_size: int | None = None,
) -> AccountFile:
    """Upload ``data`` as a ``fine-tune`` file and return it.

    Up to ``single_request_limit`` (the catalog's 512 MB) it is one
    ``files.create``; above it the Uploads API takes it in parts of
    ``part_size`` (the catalog's 64 MB): ``uploads.create``, one
    ``parts.create`` per part, then ``uploads.complete`` with the parts in
    order and the MD5. ``progress(sent_bytes, total_bytes)`` is called before
    the first byte and after each request. A failed multi-part upload is
    cancelled (best effort) before the error propagates.
    """
    limits = load_catalog().limits
    single = limits["max_file_bytes"] if single_request_limit is None else single_request_limit
    part = part_size or limits["upload_part_bytes"]
    total = len(data)
    if total > limits["max_upload_bytes"]:
        raise FileTooLargeError(
            f"{name} is {human_size(total)}; OpenAI accepts training files up to "
            f"{human_size(limits['max_upload_bytes'])}. Split it or sample fewer examples."
        )
    report = progress or (lambda sent, size: None)
    report(0, total)
    if total <= single:
        created = client.files.create(file=(name, data, JSONL_MIME), purpose="fine-tune")
        report(total, total)
        return AccountFile(created.id, created.filename or name, int(created.bytes or total), int(created.created_at or 0))
    upload = client.uploads.create(bytes=total, filename=name, mime_type=JSONL_MIME, purpose="fine-tune")
    try:
        part_ids = []
        for offset in range(0, total, part):
            chunk = data[offset:offset + part]
            part_ids.append(client.uploads.parts.create(upload.id, data=chunk).id)
            report(offset + len(chunk), total)
        done = client.uploads.complete(upload.id, part_ids=part_ids, md5=hashlib.md5(data).hexdigest())
    except BaseException:
        try:
            client.uploads.cancel(upload.id)
        except Exception:  # the original error is the one worth showing
            pass
        raise
    f = done.file
    return AccountFile(f.id, f.filename or name, int(f.bytes or total), int(f.created_at or 0))


# Reading an account file back to check it holds it in memory; above this size the page does not try.
MAX_READBACK_BYTES = 100_000_000


def read_account_file(client: openai.OpenAI, file: AccountFile, *, max_bytes: int = MAX_READBACK_BYTES) -> bytes:
    """The content of a file already on the account, to check it before a launch.

    OpenAI may refuse to hand back ``fine-tune`` files (the caller then
    launches without a local check); files above ``max_bytes`` are not read.
    """
    if file.bytes > max_bytes:
        raise FileTooLargeError(f"{file.filename} is {human_size(file.bytes)}, too large to read back and check here.")
    return client.files.content(file.id).read()


# --------------------------------------------------------------------------- file check
@dataclass(frozen=True)
class FileCheck:
    """What the validator says about one file for one model and method."""

    name: str
    ok: bool
    format: str | None = None
    examples: int = 0
    billed_tokens_per_epoch: int | None = None
    error_count: int = 0
    problems: tuple[str, ...] = ()  # the first few reasons it may not be sent, one sentence each

    def summary(self) -> str:
        """One line: ``100 examples, chat (supervised), 23,456 billed tokens per epoch``."""
        parts = [f"{self.examples:,} examples"]
        if self.format:
            parts.append(jobspec.FORMAT_DESCRIPTIONS.get(self.format, self.format))
        if self.billed_tokens_per_epoch is not None:
            parts.append(f"{self.billed_tokens_per_epoch:,} billed tokens per epoch")
        return ", ".join(parts)


def format_mismatch(file_format: str | None, method: str, *, model: str) -> str | None:
    """Why a file of ``file_format`` cannot train ``model`` with ``method``, or None (:func:`lib.jobspec.takes_format`)."""
    try:
        info = load_catalog().resolve(model)
    except UnknownModelError:
        return None  # the validator has already said the model is unknown
    wanted = jobspec.formats_for_method(info, method)
    if file_format in wanted:
        return None
    have = jobspec.FORMAT_DESCRIPTIONS.get(file_format or "", file_format or "an unknown format")
    if method == "dpo":
        return (f"The DPO method needs preference pairs (input, preferred_output, non_preferred_output), "
                f"but this file is {have}; pick a DPO file or the supervised method.")
    if wanted == ("chat",):
        other = " or the DPO method" if "dpo" in info.methods else ""
        return (f"The supervised method needs chat examples ({{\"messages\": [...]}}), but this file is {have}; "
                f"pick a chat file{other}.")
    needs = " or ".join(jobspec.FORMAT_DESCRIPTIONS[f] for f in wanted) or "a format it does not offer"
    return f"The {method} method of {info.id} needs {needs} examples, but this file is {have}; pick another file or model."


def _with_line(finding: Any) -> str:
    """``line N: message`` (the validator may already name the line itself)."""
    if not finding.line or finding.message.startswith(f"line {finding.line}"):
        return finding.message
    return f"line {finding.line}: {finding.message}"


def _file_check(report: Any, *, name: str, method: str, max_problems: int) -> FileCheck:
    problems = [_with_line(f) for f in report.errors]
    mismatch = format_mismatch(report.format, method, model=report.model) if report.format != "unknown" else None
    if mismatch:
        problems.insert(0, mismatch)
    return FileCheck(
        name=name,
        ok=not report.errors and mismatch is None,
        format=report.format,
        examples=int(report.examples),
        billed_tokens_per_epoch=None if report.is_validation_file else int(report.billed_tokens_per_epoch),
        error_count=len(report.errors) + (1 if mismatch else 0),
        problems=tuple(problems[:max_problems]),
    )


def check_files(training: tuple[str, bytes], validation: tuple[str, bytes] | None = None, *, model: str,
                method: str, max_problems: int = 3) -> tuple[FileCheck, FileCheck | None]:
    """Validate the training (and validation) file for ``model`` and ``method`` with :mod:`lib.validate`.

    ``training`` and ``validation`` are ``(name, bytes)``. Blocking problems
    are the validator's errors (``line N: message``; a validation file of
    another format than the training file is one of them) and a format that
    does not fit the method. Validation files are not billed.
    """
    from lib.validate import validate_bytes  # heavy (numpy, tokenizers): load on first use

    name, data = training
    report = validate_bytes(data, model=model, name=name,
                            validation=validation[1] if validation else None,
                            validation_name=validation[0] if validation else "")
    train_check = _file_check(report, name=name, method=method, max_problems=max_problems)
    val_check = None
    if validation is not None and report.validation is not None:
        val_check = _file_check(report.validation, name=validation[0], method=method, max_problems=max_problems)
    return train_check, val_check


# --------------------------------------------------------------------------- the form
@dataclass(frozen=True)
class LaunchForm:
    """The form's raw values, as typed (strings), before they become a request."""

    model: str
    method: str = "supervised"
    n_epochs: str = "auto"
    batch_size: str = "auto"
    learning_rate_multiplier: str = "auto"
    beta: str = "auto"
    suffix: str = ""
    seed: str = ""
    metadata: str = ""  # one ``key=value`` per line
    training_type: str = ""  # Azure OpenAI's trainingType ("" on OpenAI)

    def hyperparameter_texts(self) -> dict[str, str]:
        texts = {"n_epochs": self.n_epochs, "batch_size": self.batch_size,
                 "learning_rate_multiplier": self.learning_rate_multiplier}
        if self.method == "dpo":
            texts["beta"] = self.beta
        return texts


def settings_for_dataset(model: str, file_format: str, current_model: str | None,
                         current_method: str) -> tuple[str | None, str]:
    """(model, method) for a file handed over by the Dataset page: the model it was checked for, the method its format needs.

    Unknown models, and formats the model does not take, leave the current choice alone.
    """
    try:
        model_id = load_catalog().resolve(model).id if not is_fine_tuned_name(model) else model
    except UnknownModelError:
        model_id = current_model
    try:
        method = jobspec.method_for_format(load_catalog().resolve(model_id or ""), file_format)
    except UnknownModelError:
        method = None
    return model_id, method if method in METHOD_LABELS else current_method


def parse_number(text: str) -> Any:
    """``"auto"`` (also for an empty box), an int, a float, or the text unchanged for the checks to refuse."""
    value = str(text).strip()
    if value.lower() in ("", "auto"):
        return "auto"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def parse_metadata(text: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` lines -> (pairs, one sentence per bad line). Blank lines are skipped."""
    pairs: dict[str, str] = {}
    errors: list[str] = []
    for number, line in enumerate(str(text).splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            errors.append(f"Metadata line {number} must look like key=value; got {line.strip()[:40]!r}.")
            continue
        if key.strip() in pairs:
            errors.append(f"Metadata key {key.strip()!r} appears twice (line {number}).")
            continue
        pairs[key.strip()] = value.strip()
    return pairs, errors


def _parse_seed(text: str) -> Any:
    value = str(text).strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def build_request(form: LaunchForm, *, training_file: str, validation_file: str | None = None,
                  estimate: "ChargeEstimate | None" = None) -> dict:
    """The exact JSON body of ``POST /fine_tuning/jobs`` for ``form``.

    Hyperparameters go inside ``method`` (the top-level field is deprecated)
    and are all written out, "auto" included, so the confirmation shows
    exactly what the service will see. Empty optional fields are left out.
    With ``estimate``, the pre-launch estimate is added to the metadata (see
    :func:`estimate_metadata`) when there is room for it.
    """
    hyper = {name: parse_number(text) for name, text in form.hyperparameter_texts().items()}
    params: dict[str, Any] = {
        "model": form.model.strip(),
        "training_file": training_file,
    }
    if validation_file:
        params["validation_file"] = validation_file
    params["method"] = {"type": form.method, form.method: {"hyperparameters": hyper}}
    if form.suffix.strip():
        params["suffix"] = form.suffix.strip()
    seed = _parse_seed(form.seed)
    if seed is not None:
        params["seed"] = seed
    metadata, _ = parse_metadata(form.metadata)
    if estimate is not None:
        metadata = {**metadata, **estimate_metadata(estimate, metadata)}
    if metadata:
        params["metadata"] = metadata
    if form.training_type:
        params[jobspec.AZURE_TRAINING_TYPE_KEY] = form.training_type
    return params


def estimate_metadata(estimate: "ChargeEstimate", metadata: dict[str, str]) -> dict[str, str]:
    """The estimate as the metadata pairs the Jobs page compares with the actual cost.

    Metadata is the only place that travels with the job (another browser, a
    reload). Nothing is added when the user's pairs leave no room for two
    more or already use those keys.
    """
    limit = load_catalog().limits["metadata_max_pairs"]
    if len(metadata) + 2 > limit or ESTIMATE_TOKENS_KEY in metadata or ESTIMATE_USD_KEY in metadata:
        return {}
    return {ESTIMATE_TOKENS_KEY: str(estimate.billed_tokens_per_epoch * estimate.n_epochs),
            ESTIMATE_USD_KEY: f"{estimate.usd:.4f}"}


_FIELD_LABELS = {
    "n_epochs": "Epochs", "batch_size": "Batch size", "learning_rate_multiplier": "Learning-rate multiplier",
    "beta": "Beta", "suffix": "Suffix", "seed": "Seed", "metadata": "Metadata", "model": "Model",
    "method.type": "Method", jobspec.AZURE_TRAINING_TYPE_KEY: "Training tier",
}


def _field_label(param: str) -> str:
    return _FIELD_LABELS.get(param.rsplit(".", 1)[-1] if "hyperparameters" in param else param, param)


def form_errors(form: LaunchForm, *, today: dt.date, calendar: str = "openai") -> list[str]:
    """Every reason the form cannot be sent, one sentence each (empty when it can).

    The request is checked with :func:`lib.jobspec.validate_create_params`,
    the very rules the simulator applies, using a stand-in file id (files are
    checked separately, before upload), on ``calendar`` (Azure: its dates, a
    40-character suffix, the training tier).
    """
    errors: list[str] = []
    if form.method not in METHOD_LABELS:
        errors.append(f"Choose a method: {', '.join(METHOD_LABELS.values())}.")
        return errors
    _, metadata_errors = parse_metadata(form.metadata)
    errors.extend(metadata_errors)
    params = build_request(form, training_file="file-to-be-uploaded")
    for problem in jobspec.validate_create_params(params, today=today, calendar=calendar):
        errors.append(f"{_field_label(problem.param)}: {problem.message}")
    closed = jobspec.job_creation_refusal(today, calendar)
    if closed:
        errors.append(closed)
    return errors


def form_warnings(form: LaunchForm, *, calendar: str = "openai") -> list[str]:
    """What the catalog doubts about the form, one sentence each (a launch is still allowed).

    gpt-4o with DPO on OpenAI: OpenAI's DPO guide lists only the gpt-4.1 family.
    """
    try:
        info = load_catalog().resolve(form.model)
    except UnknownModelError:
        return []
    doubt = info.method_doubt(form.method, calendar)
    if not doubt:
        return []
    label = METHOD_LABELS.get(form.method, form.method)
    return [f"{label} on {info.id} may be refused by {CALENDAR_LABELS[calendar]}: {doubt}"]


def prefill_form(prefill: dict) -> dict[str, str]:
    """Form values (strings) from a cloned job's settings (``ui.get_launch_prefill()``).

    Every field the job defines is set, so nothing typed earlier lingers
    (absent hyperparameters become "auto", an absent suffix, seed or metadata
    an empty box); ``model`` and ``method`` are set when given. ``method`` may
    be a type string or the API's method object, and hyperparameters may sit
    at the top level or inside the method.
    """
    values: dict[str, str] = {}
    if prefill.get("model"):
        values["model"] = str(prefill["model"])
    method = prefill.get("method")
    hyper = dict(prefill.get("hyperparameters") or {})
    if isinstance(method, dict):
        kind = method.get("type")
        inner = (method.get(kind) or {}).get("hyperparameters") if kind else None
        hyper.update({k: v for k, v in (inner or {}).items() if v is not None})
        method = kind
    if method in METHOD_LABELS:
        values["method"] = method
    for name in ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"):
        values[name] = "auto" if hyper.get(name) is None else str(hyper[name])
    values["suffix"] = str(prefill.get("suffix") or "")
    values["seed"] = "" if prefill.get("seed") is None else str(prefill["seed"])
    metadata = prefill.get("metadata") or {}
    values["metadata"] = "\n".join(f"{k}={v}" for k, v in metadata.items()) if isinstance(metadata, dict) else ""
    return values


# --------------------------------------------------------------------------- money
@dataclass(frozen=True)
class ChargeEstimate:
    """billed tokens per epoch x epochs x price: what the job is expected to cost."""

    billed_tokens_per_epoch: int
    n_epochs: int
    n_epochs_is_estimate: bool
    price_per_1m: float
    price_as_of: str
    usd: float
    method: str = "supervised"
    price_note: str = ""  # where the price comes from when it is not the catalog's (Azure: the user's)

    def formula(self) -> str:
        """``23,456 billed tokens x 3 epochs (estimate of "auto") x $3.00 per 1M tokens``."""
        epochs = f"{self.n_epochs} epoch{'s' if self.n_epochs != 1 else ''}"
        if self.n_epochs_is_estimate:
            epochs += ' (estimate of "auto")'
        source = self.price_note or f"price as of {self.price_as_of}"
        text = (f"{self.billed_tokens_per_epoch:,} billed tokens per epoch x {epochs} x "
                f"{costs.usd_per_1m(self.price_per_1m, 'training tokens')} ({source})")
        return text + (f"; an estimate: {costs.DPO_BILLING_NOTE}" if self.method == "dpo" else "")


def estimate_charge(model: ModelInfo, *, billed_tokens_per_epoch: int, examples: int,
                    n_epochs: Any = "auto", price_per_1m: float | None = None,
                    method: str = "supervised") -> ChargeEstimate | None:
    """The training charge (computed by :func:`lib.costs.training_cost`) from the catalog price;
    ``"auto"`` epochs use the cookbook estimate. None for a file with no examples: nothing to train.

    Validation files are not charged, so only the training file's tokens count. ``price_per_1m``
    is a price the user entered (Azure OpenAI prints none per model): the formula says whose it is.
    """
    if model.training_per_1m is None:
        raise ValueError(f"{model.label} is not billed per token; its charge cannot be estimated up front.")
    if examples < 1:
        return None
    estimate = n_epochs in (None, "auto")
    price = model.training_per_1m if price_per_1m is None else float(price_per_1m)
    note = ""
    if price_per_1m is not None:
        note = ("your price, the same as OpenAI's list price as of " + str(model.training_as_of)
                if price == model.training_per_1m else
                f"your price; OpenAI's list price is {costs.usd_price(model.training_per_1m)}")
    cost = costs.training_cost(billed_tokens_per_epoch, None if estimate else int(n_epochs), price, examples, method)
    return ChargeEstimate(cost.billed_tokens_per_epoch, cost.epochs, estimate, price, model.training_as_of,
                          cost.cost, method, note)


def budget_refusal(charge: ChargeEstimate | None, cap_usd: float | None) -> str | None:
    """Why the budget cap refuses this launch, or None (no cap, or within it)."""
    if cap_usd is None:
        return None
    if charge is None:
        return (f"Your budget cap is {format_usd(cap_usd)}, but this job's charge cannot be estimated (the training "
                "file could not be read); choose the file from the Dataset page or upload it, or clear the cap.")
    if charge.usd > cap_usd:
        return (f"The estimated charge {format_usd(charge.usd)} is above your budget cap of {format_usd(cap_usd)}; "
                "use fewer epochs, a smaller file or a cheaper model, or raise the cap.")
    return None


# --------------------------------------------------------------------------- the create call
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
        **params, extra_headers={IDEMPOTENCY_HEADER: idempotency_key}, extra_body=extra_body or None)


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
            isinstance(exc, openai.PermissionDeniedError) and "no longer be created" in message):
        if calendar == "azure":
            return (f"Azure OpenAI refused new fine-tuning jobs: {_detail(exc)}. Nothing was created or charged.")
        return (f"OpenAI stopped accepting new fine-tuning jobs on {catalog.no_new_jobs_from:%Y-%m-%d}, so this job "
                f"cannot be created with any key; models already fine-tuned keep working until "
                f"{catalog.retirement_date:%Y-%m-%d}. Nothing was created or charged.")
    if isinstance(exc, openai.PermissionDeniedError):
        detail = _detail(exc) or "this organization may not create fine-tuning jobs"
        return (f"OpenAI refused to create the job for this organization (403): {detail}. Use the key of an "
                "organization that can still fine-tune, or try the demo mode; your settings are kept.")
    if isinstance(exc, openai.BadRequestError) and getattr(exc, "param", None) in ("training_file", "validation_file"):
        which = "training" if exc.param == "training_file" else "validation"
        return (f"The API refused the {which} file: {_detail(exc)}. Check and fix it on the Dataset page, then "
                "choose it again here; your settings are kept.")
    retry = "confirm again; the same request key is reused, so this cannot create a second job."
    if isinstance(exc, openai.APITimeoutError):
        return f"The API did not answer in time while creating the job, so it may or may not exist: {retry}"
    if isinstance(exc, openai.APIConnectionError):
        return ("Could not reach the API while creating the job, so it may or may not exist: check your network "
                f"and the connection settings in the sidebar, then {retry}")
    if isinstance(exc, openai.InternalServerError):
        return (f"The API had an internal error ({exc.status_code}) while creating the job, so it may or may not "
                f"exist: wait a minute, then {retry}")
    sentence = explain(exc, action="create the job")
    if "kept" not in sentence:
        sentence = sentence.rstrip(".") + ". Your settings are kept."
    return sentence


# --------------------------------------------------------------------------- duplicates
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


def find_duplicate(jobs: Iterable[Any], params: dict, *, now: dt.datetime | None = None,
                   window: dt.timedelta = DUPLICATE_WINDOW, same_file: FileComparer | None = None) -> Any | None:
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


# --------------------------------------------------------------------------- the review
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
    state: str = "review"  # "creating" once confirmed: a second click finds it and does nothing

    def files_markdown(self) -> str:
        """``**Training file** `a.jsonl` (file-1): 120 examples · no validation file`` (names escaped)."""
        line = f"**Training file** {md_code(self.training_name)} ({self.params['training_file']})"
        if self.training_examples is not None:
            line += f": {self.training_examples:,} examples"
        if self.params.get("validation_file"):
            return line + f" · **validation file** {md_code(self.validation_name or '')} ({self.params['validation_file']})"
        return line + " · no validation file"


def prepare_review(client: openai.OpenAI, form: LaunchForm, *, training_file: str, validation_file: str | None,
                   training_name: str, validation_name: str | None, training_examples: int | None,
                   charge: ChargeEstimate | None, record_estimate: bool, budget: float | None,
                   connection: str, retry: UnknownOutcome | None) -> PendingLaunch:
    """The exact request for ``form`` and the uploaded files, ready for the confirmation.

    Looks once (no retry, short timeout) for a live twin job to warn about; a failed look only drops
    the warning. The idempotency key is new, unless ``retry`` holds the key of the same request on
    the same connection whose outcome is unknown.
    """
    params = build_request(form, training_file=training_file, validation_file=validation_file,
                           estimate=charge if record_estimate else None)
    duplicate = None
    try:
        quick = calls.PROBE.apply(client)
        twin = find_duplicate(quick.fine_tuning.jobs.list(limit=50).data, params, same_file=file_comparer(quick))
        if twin is not None:
            duplicate = f"as {twin.id} ({twin.status})"
    except Exception:
        pass
    same = retry is not None and retry.connection == connection and retry.request == request_fingerprint(params)
    return PendingLaunch(params, retry.key if same else new_idempotency_key(), charge, budget, duplicate,
                         training_name, training_examples, validation_name)


__all__ = [
    "PendingLaunch", "UnknownOutcome", "prepare_review",
    "AccountFile", "ChargeEstimate", "FileCheck", "FileTooLargeError", "LaunchForm", "ModelChoice",
    "IDEMPOTENCY_HEADER", "METHOD_LABELS",
    "azure_hosting_warning", "deadline_lines", "form_warnings", "tier_label", "training_tiers",
    "budget_refusal", "build_request", "catalog_models", "check_files", "create_job", "estimate_charge",
    "estimate_metadata", "explain_refusal", "file_comparer", "find_duplicate", "form_errors", "format_mismatch", "format_usd", "list_training_files",
    "new_idempotency_key", "outcome_is_unknown", "parse_metadata", "parse_number", "prefill_form", "read_account_file",
    "request_fingerprint", "settings_for_dataset", "trainable_models", "upload_file",
]
