"""The checks OpenAI applies to a ``POST /fine_tuning/jobs`` request, as pure functions.

The Launch page runs :func:`validate_create_params` before sending, and the
simulator runs the very same function when it receives the request, so the
two can never disagree. ``params`` is the JSON body the SDK sends for
``client.fine_tuning.jobs.create(...)``: ``model``, ``training_file``,
``validation_file``, ``method``, the deprecated top-level ``hyperparameters``,
``suffix``, ``seed``, ``metadata``, ``integrations``.

Bounds come from ``lib/catalog.json`` (``limits``); the "auto" rules for
batch size and learning rate are this project's estimates (OpenAI does not
document them) and are labelled so wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from lib.catalog import ModelInfo, UnknownModelError, auto_epochs, base_model_name, is_fine_tuned_name, load_catalog

METHOD_TYPES = ("supervised", "dpo", "reinforcement")
# --- file formats: the one table of which training method learns from which file format ---------
# Format names are those lib.validate detects ("rft" is the reinforcement format, which the
# validator does not check). A model takes a format when the catalog lists the format's method for
# it; supervised training reads chat examples, except on the legacy completions models whose catalog
# entry says "supervised_format": "prompt_completion" (babbage-002, davinci-002). The validator, the
# Launch page, Costs and the simulator all decide through :func:`takes_format`.
FORMAT_METHOD = {"chat": "supervised", "prompt_completion": "supervised", "dpo": "dpo", "rft": "reinforcement"}
# How a format is named inside a sentence ("this is a DPO example but the file is chat").
FORMAT_LABELS = {
    "chat": "chat", "dpo": "DPO", "prompt_completion": "prompt/completion", "rft": "reinforcement (RFT)",
    "unknown": "unknown",
}  # fmt: skip
# How a format is named as a fact about a file ("100 examples, chat (supervised)").
FORMAT_DESCRIPTIONS = {
    "chat": "chat (supervised)", "dpo": "DPO (preference pairs)", "prompt_completion": "prompt/completion (legacy)",
    "rft": "reinforcement (RFT)", "unknown": "format unknown",
}  # fmt: skip
# The hyperparameters each method accepts (SDK ``*_hyperparameters_param.py``).
HYPERPARAMETER_KEYS = {
    "supervised": ("batch_size", "learning_rate_multiplier", "n_epochs"),
    "dpo": ("batch_size", "beta", "learning_rate_multiplier", "n_epochs"),
    "reinforcement": (
        "batch_size",
        "compute_multiplier",
        "eval_interval",
        "eval_samples",
        "learning_rate_multiplier",
        "n_epochs",
        "reasoning_effort",
    ),
}
CREATE_KEYS = (
    "model",
    "training_file",
    "validation_file",
    "method",
    "hyperparameters",
    "suffix",
    "seed",
    "metadata",
    "integrations",
)
# Azure OpenAI takes the training tier as one more top-level key (``extra_body`` in the SDK).
AZURE_TRAINING_TYPE_KEY = "trainingType"
# Azure names a fine-tuned model ``<base>.ft-<32 hex>`` (OpenAI: ``ft:<base>:<org>:<suffix>:<id>``).
# (some Azure versions add "-<suffix>" after the hex)
AZURE_FINE_TUNED_PATTERN = re.compile(r"^(?P<base>.+)\.ft-[0-9a-f]{32}(?:-[A-Za-z0-9_-]+)?$")
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
# The job-creation refusal after the platform deadline. OpenAI has not published
# its payload; 403 is what it answers for "not allowed for this organization",
# so pages can treat both refusals alike.
CREATION_CLOSED_STATUS = 403
CREATION_CLOSED_CODE = "fine_tuning_closed"
# "auto" learning rate: a simulator estimate, not an OpenAI rule.
AUTO_LR_SMALL_BATCH = 2.0
AUTO_LR_LARGE_BATCH = 1.0
AUTO_LR_SMALL_BATCH_MAX = 4
# "auto" beta for DPO: the customary default of the DPO paper and TRL.
AUTO_DPO_BETA = 0.1
# "auto" batch size: about 0.2% of the examples (simulator estimate).
AUTO_BATCH_FRACTION = 0.002


@dataclass(frozen=True)
class ParamError:
    """One failed check: the request field (dotted path) and a sentence about it."""

    param: str
    message: str
    code: str = "invalid_value"


@dataclass(frozen=True)
class MethodSpec:
    """The training method of a request, normalised: its type and raw hyperparameters."""

    type: str
    hyperparameters: dict
    param_prefix: str  # where the hyperparameters sit in the request, for messages


def takes_format(info: ModelInfo, file_format: str | None) -> bool:
    """True when a job on ``info`` can learn from a file of ``file_format`` (with the method that reads it)."""
    method = FORMAT_METHOD.get(file_format or "")
    if method is None or method not in info.methods:
        return False
    return method != "supervised" or file_format == info.supervised_format


def formats_for_method(info: ModelInfo, method: str) -> tuple[str, ...]:
    """The file formats ``method`` reads on ``info`` (empty when the model does not offer the method)."""
    return tuple(f for f, m in FORMAT_METHOD.items() if m == method and takes_format(info, f))


def method_for_format(info: ModelInfo, file_format: str | None) -> str | None:
    """The training method that learns from ``file_format`` on ``info``, or None if the model takes no such file."""
    return FORMAT_METHOD[file_format] if takes_format(info, file_format) else None


def models_for_format(file_format: str) -> list[ModelInfo]:
    """The catalog's models that can learn from ``file_format`` (retired ones included)."""
    return [m for m in load_catalog().models.values() if takes_format(m, file_format)]


def job_creation_refusal(today: dt.date, calendar: str = "openai") -> str | None:
    """The sentence refusing any new job on ``today``, or None while jobs are allowed.

    ``calendar`` is the backend's (:func:`lib.catalog.calendar_for`): Azure OpenAI keeps training
    the same bases months after OpenAI stops.
    """
    catalog = load_catalog()
    if catalog.jobs_allowed(today, calendar):
        return None
    if calendar == "azure":
        last = max(
            (
                lc.training_until
                for m in catalog.models.values()
                if (lc := m.lifecycle("azure")).listed and lc.training_until
            ),
            default=None,
        )
        return (
            "New fine-tuning jobs can no longer be created: Azure OpenAI's training for the catalog's base "
            f"models ended (the last on {last.isoformat() if last else 'an unknown date'}). Existing "
            "deployments keep answering until their retirement dates."
        )
    return (
        f"New fine-tuning jobs can no longer be created: OpenAI stopped accepting them on "
        f"{catalog.no_new_jobs_from.isoformat()}. Existing fine-tuned models keep working until their "
        f"base models shut down ({catalog.retirement_date.isoformat()})."
    )


def method_of(params: dict) -> MethodSpec:
    """The method a create request asks for (supervised when ``method`` is absent).

    Assumes the request passed :func:`validate_create_params`.
    """
    method = params.get("method")
    if isinstance(method, dict) and method.get("type") in METHOD_TYPES:
        kind = method["type"]
        body = method.get(kind) or {}
        hyper = body.get("hyperparameters") if isinstance(body, dict) else None
        return MethodSpec(kind, dict(hyper or {}), f"method.{kind}.hyperparameters")
    return MethodSpec("supervised", dict(params.get("hyperparameters") or {}), "hyperparameters")


def resolve_auto_batch_size(n_examples: int) -> int:
    """The batch size "auto" resolves to: about 0.2% of the examples, within 1-256.

    An estimate (OpenAI does not document the rule); small files train with 1.
    """
    low, high = load_catalog().limits["batch_size"]
    return max(low, min(high, round(max(int(n_examples), 0) * AUTO_BATCH_FRACTION)))


def resolve_auto_learning_rate_multiplier(batch_size: int) -> float:
    """The learning-rate multiplier "auto" resolves to (an estimate: larger for small batches)."""
    return AUTO_LR_SMALL_BATCH if batch_size <= AUTO_LR_SMALL_BATCH_MAX else AUTO_LR_LARGE_BATCH


def resolve_hyperparameters(hyperparameters: dict, n_examples: int, method_type: str = "supervised") -> dict:
    """Every "auto" (or absent) hyperparameter replaced by the number a job would use.

    ``n_epochs`` follows :func:`lib.catalog.auto_epochs`, ``batch_size``
    :func:`resolve_auto_batch_size`; DPO adds ``beta``.
    """

    def given(name):
        value = hyperparameters.get(name, "auto")
        return None if value in (None, "auto") else value

    n_epochs = given("n_epochs") or auto_epochs(max(n_examples, 1))
    batch_size = given("batch_size") or resolve_auto_batch_size(n_examples)
    lr = given("learning_rate_multiplier") or resolve_auto_learning_rate_multiplier(batch_size)
    resolved = {"batch_size": int(batch_size), "learning_rate_multiplier": float(lr), "n_epochs": int(n_epochs)}
    if method_type == "dpo":
        resolved["beta"] = float(given("beta") or AUTO_DPO_BETA)
    return resolved


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """Optimizer steps in one epoch: ceil(examples / batch size), at least 1."""
    return max(1, math.ceil(max(int(n_examples), 1) / max(int(batch_size), 1)))


def estimate_total_steps(n_examples: int, n_epochs: int | str = "auto", batch_size: int | str = "auto") -> int:
    """Total training steps: ceil(examples / batch_size) x epochs, resolving "auto" like a job does."""
    resolved = resolve_hyperparameters({"n_epochs": n_epochs, "batch_size": batch_size}, n_examples)
    return steps_per_epoch(n_examples, resolved["batch_size"]) * resolved["n_epochs"]


def fine_tuned_model_name(base_model: str, org: str, suffix: str | None, unique_id: str) -> str:
    """``ft:<base>:<org>:<suffix>:<id>`` (the suffix part is empty when none was given)."""
    return f"ft:{base_model}:{org}:{suffix or ''}:{unique_id}"


def checkpoint_model_name(fine_tuned_model: str, step: int) -> str:
    """The checkpoint model name: the fine-tuned name plus ``:ckpt-step-N``."""
    return f"{fine_tuned_model}:ckpt-step-{step}"


def azure_fine_tuned_model_name(base_model: str, unique_hex: str) -> str:
    """Azure's fine-tuned model id: ``<base>.ft-<32 hex>`` (no org, no suffix in the name)."""
    return f"{base_model}.ft-{unique_hex}"


# --- the checks ---------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_model(params: dict, today: dt.date, errors: list[ParamError], calendar: str = "openai"):
    """The catalog entry of the requested model, or None after recording why not."""
    model = params.get("model")
    info = None
    problem = _model_name_problem(model, calendar)
    if problem is None:
        try:
            info = load_catalog().resolve(model)
        except UnknownModelError:
            problem = _model_unavailable(f"Model {model} is not available for fine-tuning or does not exist.")
        else:
            problem = _model_training_problem(model, info, today, calendar)
    if problem is not None:
        errors.append(problem)
        return None
    return info


def _model_unavailable(message: str) -> ParamError:
    return ParamError("model", message, "model_not_available")


def _model_name_problem(model, calendar: str) -> ParamError | None:
    """Why ``model`` is not a model name the API takes (missing, not text, a malformed fine-tuned name), or None."""
    if model is None:
        return ParamError("model", "Missing required parameter: 'model'.", "missing_required_parameter")
    if not isinstance(model, str) or not model.strip():
        return ParamError("model", "'model' must be a model name such as gpt-4o-mini-2024-07-18.")
    if model.startswith("ft:"):
        parts = model.split(":")
        ckpt = len(parts) == 6 and re.fullmatch(r"ckpt-step-\d+", parts[5])
        if not (len(parts) == 5 or ckpt) or not parts[1] or not parts[4]:
            return _model_unavailable(
                f"Model {model} is not a fine-tuned model name; expected ft:<base>:<org>:<suffix>:<id>."
            )
    if (
        calendar == "azure"
        and is_fine_tuned_name(model)
        and not model.startswith("ft:")
        and not AZURE_FINE_TUNED_PATTERN.match(model.split(":", 1)[0])
    ):
        return _model_unavailable(f"Model {model} is not a fine-tuned model name; expected <base>.ft-<32 hex digits>.")
    return None


def _model_training_problem(model: str, info: ModelInfo, today: dt.date, calendar: str) -> ParamError | None:
    """Why a job can't train ``info`` on ``today`` on ``calendar`` (not fine-tunable, not listed, retired, training
    ended), or None."""
    if not info.fine_tunable:
        return _model_unavailable(f"Model {model} can't be fine-tuned.")
    dates = info.lifecycle(calendar)
    if not dates.listed:
        return _model_unavailable(f"Model {model} is not available for fine-tuning on Azure OpenAI.")
    if dates.is_retired(today):
        return _model_unavailable(
            f"Model {model} was shut down on {dates.inference_until.isoformat()} and can no longer be fine-tuned."
        )
    if not dates.training_open(today):
        return _model_unavailable(
            f"Model {model} can no longer be fine-tuned: training ended on {dates.training_until.isoformat()}."
        )
    return None


def _check_file_id(params: dict, name: str, required: bool, errors: list[ParamError]) -> None:
    value = params.get(name)
    if value is None:
        if required:
            errors.append(ParamError(name, f"Missing required parameter: '{name}'.", "missing_required_parameter"))
        return
    if not isinstance(value, str) or not value.strip():
        errors.append(ParamError(name, f"'{name}' must be the id of an uploaded file (file-...)."))


def _check_range(value: Any, param: str, bounds: tuple[int, int], what: str, errors: list[ParamError]) -> None:
    low, high = bounds
    if value in ("auto", None):
        return
    if not _is_int(value) or not low <= value <= high:
        errors.append(
            ParamError(param, f'{what} must be "auto" or a whole number from {low} to {high}; got {value!r}.')
        )


def _check_hyperparameters(spec: MethodSpec, errors: list[ParamError]) -> None:
    limits = load_catalog().limits
    allowed = HYPERPARAMETER_KEYS[spec.type]
    for key in spec.hyperparameters:
        if key not in allowed:
            errors.append(
                ParamError(
                    f"{spec.param_prefix}.{key}",
                    f"Unknown hyperparameter '{key}' for the {spec.type} method; allowed: {', '.join(allowed)}.",
                )
            )
    hp = spec.hyperparameters
    if "n_epochs" in hp:
        _check_range(hp["n_epochs"], f"{spec.param_prefix}.n_epochs", tuple(limits["n_epochs"]), "n_epochs", errors)
    if "batch_size" in hp:
        _check_range(
            hp["batch_size"], f"{spec.param_prefix}.batch_size", tuple(limits["batch_size"]), "batch_size", errors
        )
    if "learning_rate_multiplier" in hp:
        lr = hp["learning_rate_multiplier"]
        if lr not in ("auto", None) and not (_is_number(lr) and lr > 0):
            errors.append(
                ParamError(
                    f"{spec.param_prefix}.learning_rate_multiplier",
                    f'learning_rate_multiplier must be "auto" or a number greater than 0; got {lr!r}.',
                )
            )
    if "beta" in hp and spec.type == "dpo":
        low, high = limits["dpo_beta"]
        beta = hp["beta"]
        if beta not in ("auto", None) and not (_is_number(beta) and low < beta <= high):
            errors.append(
                ParamError(
                    f"{spec.param_prefix}.beta",
                    f'beta must be "auto" or a number greater than {low} and at most {high}; got {beta!r}.',
                )
            )


def _check_method(params: dict, info, errors: list[ParamError]) -> MethodSpec | None:
    method = params.get("method")
    legacy = params.get("hyperparameters")
    if legacy is not None and not isinstance(legacy, dict):
        errors.append(ParamError("hyperparameters", "'hyperparameters' must be an object."))
        return None
    if method is None:
        spec = MethodSpec("supervised", dict(legacy or {}), "hyperparameters")
    else:
        if not isinstance(method, dict):
            errors.append(ParamError("method", '\'method\' must be an object like {"type": "supervised", ...}.'))
            return None
        kind = method.get("type")
        if kind not in METHOD_TYPES:
            errors.append(
                ParamError("method.type", f"method.type must be one of {', '.join(METHOD_TYPES)}; got {kind!r}.")
            )
            return None
        extra = [k for k in method if k not in ("type", kind)]
        if extra:
            errors.append(ParamError(f"method.{extra[0]}", f"method.{extra[0]} does not match method.type {kind!r}."))
        body = method.get(kind)
        if body is not None and not isinstance(body, dict):
            errors.append(ParamError(f"method.{kind}", f"method.{kind} must be an object."))
            return None
        hyper = (body or {}).get("hyperparameters")
        if hyper is not None and not isinstance(hyper, dict):
            errors.append(ParamError(f"method.{kind}.hyperparameters", "hyperparameters must be an object."))
            return None
        if legacy:
            errors.append(
                ParamError(
                    "hyperparameters",
                    "Give hyperparameters inside 'method' only; the top-level 'hyperparameters' is deprecated "
                    "and cannot be combined with 'method'.",
                )
            )
        if kind == "reinforcement" and not isinstance((body or {}).get("grader"), dict):
            errors.append(ParamError("method.reinforcement.grader", "A reinforcement job needs a grader."))
        spec = MethodSpec(kind, dict(hyper or {}), f"method.{kind}.hyperparameters")
    if info is not None and spec.type not in info.methods:
        errors.append(
            ParamError(
                "method.type",
                f"Model {info.id} does not support the {spec.type} method; it supports {', '.join(info.methods)}.",
                "invalid_method",
            )
        )
    _check_hyperparameters(spec, errors)
    return spec


def _check_suffix(params: dict, errors: list[ParamError], calendar: str = "openai") -> None:
    suffix = params.get("suffix")
    if suffix is None:
        return
    limit = load_catalog().limits_for(calendar)["suffix_max_chars"]
    if not isinstance(suffix, str) or not 1 <= len(suffix) <= limit or not SUFFIX_PATTERN.match(suffix):
        errors.append(
            ParamError(
                "suffix",
                f"suffix must be 1 to {limit} characters of letters, digits, '-' or '_' (no spaces or ':'); "
                f"got {suffix!r}.",
            )
        )


def _check_seed(params: dict, errors: list[ParamError]) -> None:
    seed = params.get("seed")
    if seed is None:
        return
    low, high = load_catalog().limits["seed"]
    if not _is_int(seed) or not low <= seed <= high:
        errors.append(ParamError("seed", f"seed must be a whole number from {low} to {high}; got {seed!r}."))


def _check_metadata(params: dict, errors: list[ParamError]) -> None:
    metadata = params.get("metadata")
    if metadata is None:
        return
    limits = load_catalog().limits
    if not isinstance(metadata, dict):
        errors.append(ParamError("metadata", "metadata must be an object of string keys and string values."))
        return
    if len(metadata) > limits["metadata_max_pairs"]:
        errors.append(
            ParamError(
                "metadata", f"metadata can hold at most {limits['metadata_max_pairs']} pairs; got {len(metadata)}."
            )
        )
    for key, value in metadata.items():
        if len(key) > limits["metadata_key_max_chars"]:
            errors.append(
                ParamError(
                    "metadata",
                    f"metadata key {key[:20]!r}... is longer than {limits['metadata_key_max_chars']} characters.",
                )
            )
        if not isinstance(value, str):
            errors.append(ParamError("metadata", f"metadata value of {key!r} must be a string."))
        elif len(value) > limits["metadata_value_max_chars"]:
            errors.append(
                ParamError(
                    "metadata",
                    f"metadata value of {key!r} is longer than {limits['metadata_value_max_chars']} characters.",
                )
            )


def _check_integrations(params: dict, errors: list[ParamError]) -> None:
    integrations = params.get("integrations")
    if integrations is None:
        return
    if not isinstance(integrations, list) or len(integrations) > 5:
        errors.append(ParamError("integrations", "integrations must be a list of at most 5 entries."))
        return
    for item in integrations:
        wandb = item.get("wandb") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or item.get("type") != "wandb"
            or not isinstance(wandb, dict)
            or not isinstance(wandb.get("project"), str)
        ):
            errors.append(
                ParamError("integrations", 'Each integration must be {"type": "wandb", "wandb": {"project": ...}}.')
            )
            return


def _check_training_type(params: dict, errors: list[ParamError]) -> None:
    value = params.get(AZURE_TRAINING_TYPE_KEY)
    if value is None:
        return
    allowed = azure_training_types()
    if value not in allowed:
        errors.append(
            ParamError(
                AZURE_TRAINING_TYPE_KEY,
                f"{AZURE_TRAINING_TYPE_KEY} must be one of {', '.join(allowed)}; got {value!r}.",
            )
        )


def azure_training_types() -> tuple[str, ...]:
    """The ``trainingType`` values Azure takes (from the catalog's training tiers)."""
    return tuple(t.training_type for t in load_catalog().training_tiers() if t.training_type)


def validate_create_params(params: dict, *, today: dt.date, calendar: str = "openai") -> list[ParamError]:
    """Every way ``params`` breaks the service's rules for creating a job, in field order.

    An empty list means the request would pass the service's parameter checks
    (file contents are checked later, while the job is ``validating_files``).
    The platform deadline is separate: see :func:`job_creation_refusal`.
    ``calendar="azure"`` applies Azure OpenAI's rules: its dates, a suffix of at most 40
    characters, ``trainingType``, and ``<base>.ft-<hex>`` fine-tuned names.
    """
    if not isinstance(params, dict):
        return [ParamError("body", "The request body must be a JSON object.")]
    errors: list[ParamError] = []
    keys = CREATE_KEYS + ((AZURE_TRAINING_TYPE_KEY,) if calendar == "azure" else ())
    for key in params:
        if key not in keys:
            errors.append(ParamError(key, f"Unrecognized request argument supplied: {key}", "unknown_parameter"))
    info = _check_model(params, today, errors, calendar)
    _check_file_id(params, "training_file", True, errors)
    _check_file_id(params, "validation_file", False, errors)
    _check_method(params, info, errors)
    _check_suffix(params, errors, calendar)
    if calendar == "azure":
        _check_training_type(params, errors)
    _check_seed(params, errors)
    _check_metadata(params, errors)
    _check_integrations(params, errors)
    return errors


def base_model_of(params: dict) -> str:
    """The dated catalog id of a valid request's model (``ft:`` names strip to their base)."""
    return load_catalog().resolve(base_model_name(params["model"])).id
