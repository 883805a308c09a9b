"""The Launch form: its fields, their checks and warnings, and the exact request body it gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lib.launch.money import ChargeEstimate

from lib import jobspec
from lib.catalog import (
    CALENDAR_LABELS,
    UnknownModelError,
    is_fine_tuned_name,
    load_catalog,
)
from lib.jobs import ESTIMATE_TOKENS_KEY, ESTIMATE_USD_KEY

# The methods Launch offers (which file format each reads is lib.jobspec's table).
METHOD_LABELS = {"supervised": "Supervised (SFT)", "dpo": "DPO (preference pairs)"}


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
        texts = {
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
        if self.method == "dpo":
            texts["beta"] = self.beta
        return texts


def settings_for_dataset(
    model: str, file_format: str, current_model: str | None, current_method: str
) -> tuple[str | None, str]:
    """(model, method) for a file handed over by the Dataset page: the model it was checked for, the method its
    format needs.

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


def build_request(
    form: LaunchForm,
    *,
    training_file: str,
    validation_file: str | None = None,
    estimate: "ChargeEstimate | None" = None,
) -> dict:
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
    return {
        ESTIMATE_TOKENS_KEY: str(estimate.billed_tokens_per_epoch * estimate.n_epochs),
        ESTIMATE_USD_KEY: f"{estimate.usd:.4f}",
    }


_FIELD_LABELS = {
    "n_epochs": "Epochs",
    "batch_size": "Batch size",
    "learning_rate_multiplier": "Learning-rate multiplier",
    "beta": "Beta",
    "suffix": "Suffix",
    "seed": "Seed",
    "metadata": "Metadata",
    "model": "Model",
    "method.type": "Method",
    jobspec.AZURE_TRAINING_TYPE_KEY: "Training tier",
}


# What each hyperparameter does, for the form (the order is the form's).
HYPERPARAMETER_HELP = {
    "n_epochs": 'Start with 3 (or "auto"). Add epochs if the model does not follow the examples closely enough; '
    "remove some if it repeats them word for word.",
    "batch_size": '"auto" suits most files. Larger batches give smoother, slower updates.',
    "learning_rate_multiplier": '"auto" or a number above 0. Lower it (say 0.5) if the model forgets what it '
    "knew or overfits; raise it if it barely changes.",
    "beta": '"auto" or a number in (0, 2]. Higher keeps the model close to its current answers; lower follows '
    "your preferences harder.",
}


def hyperparameter_fields(method: str) -> list[tuple[str, str]]:
    """``(API name, label)`` of the hyperparameters the form offers for ``method``, in the form's order."""
    accepted = jobspec.HYPERPARAMETER_KEYS.get(method, ())
    return [
        (name, _FIELD_LABELS[name] + (" (DPO)" if name == "beta" else ""))
        for name in HYPERPARAMETER_HELP
        if name in accepted
    ]


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


def prefill_files(prefill: dict) -> dict[str, str | None]:
    """Where a cloned job's files are chosen from: its training file on the account (when it names
    one), and its validation file there, or none."""
    values: dict[str, str | None] = {}
    if prefill.get("training_file"):
        values.update(train_source="account", train_account=prefill["training_file"])
    validation = prefill.get("validation_file")
    values.update(val_source="account" if validation else "none", val_account=validation)
    return values


def suffix_help(calendar: str) -> str:
    """What a suffix may hold on ``calendar`` and where it shows."""
    named_as = (
        "it is recorded on the job (Azure names the model <base>.ft-<id>)"
        if calendar == "azure"
        else "it appears in the model name ft:<model>:<org>:<suffix>:<id>"
    )
    limit = load_catalog().limits_for(calendar)["suffix_max_chars"]
    return f"Up to {limit} letters, digits, - or _ on {CALENDAR_LABELS[calendar]}; {named_as}."


def metadata_help(calendar: str) -> str:
    """How many ``key=value`` lines of which length the metadata may hold on ``calendar``."""
    limits = load_catalog().limits_for(calendar)
    return (
        f"Up to {limits['metadata_max_pairs']} key=value lines (keys up to {limits['metadata_key_max_chars']} "
        f"characters, values up to {limits['metadata_value_max_chars']}). Handy for filtering jobs later."
    )
