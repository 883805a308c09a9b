"""The job-request checks shared by the Launch page and the simulator."""

from __future__ import annotations

import datetime as dt

import pytest

from lib import jobspec
from lib.catalog import load_catalog
from lib.jobspec import (
    ParamError,
    estimate_total_steps,
    job_creation_refusal,
    method_of,
    resolve_auto_batch_size,
    resolve_hyperparameters,
    validate_create_params,
)
from tests.factories import dpo_jsonl, good, jsonl

TODAY = dt.date(2026, 11, 26)
BASE = {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-abc"}
DPO_MODEL = "gpt-4.1-mini-2025-04-14"  # OpenAI offers DPO on the gpt-4.1 family only (not gpt-4o-mini)


def params_of(errors: list[ParamError]) -> list[str]:
    return [e.param for e in errors]


def check(**changes) -> list[str]:
    return params_of(validate_create_params({**BASE, **changes}, today=TODAY))


def test_a_plain_request_passes():
    assert validate_create_params(BASE, today=TODAY) == []
    full = {
        **BASE,
        "model": DPO_MODEL,
        "validation_file": "file-def",
        "suffix": "support-bot_v2",
        "seed": 2147483647,
        "metadata": {f"k{i}": "v" * 512 for i in range(16)},
        "method": {
            "type": "dpo",
            "dpo": {
                "hyperparameters": {"beta": 2, "n_epochs": 50, "batch_size": 256, "learning_rate_multiplier": 0.05}
            },
        },
        "integrations": [{"type": "wandb", "wandb": {"project": "ft"}}],
    }
    assert validate_create_params(full, today=TODAY) == []


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o-mini",
        "gpt-4.1-2025-04-14",
        "ft:gpt-4o-mini-2024-07-18:personal::abc123",
        "ft:gpt-4.1-mini-2025-04-14:acme:bot:xyz:ckpt-step-88",
    ],
)
def test_aliases_dated_and_fine_tuned_names_are_accepted(model):
    assert check(model=model) == []


@pytest.mark.parametrize(
    "model",
    [
        None,
        "",
        "gpt-9",
        "ft:gpt-4o-mini",
        "ft:gpt-9:org::abc",
        "gpt-3.5-turbo",
        "o4-mini",
        "ft:gpt-4.1-nano-2025-04-14:personal::abc",
    ],
)
def test_unknown_malformed_or_retired_models_are_refused(model):
    params = dict(BASE, model=model) if model is not None else {"training_file": "file-abc"}
    errors = validate_create_params(params, today=TODAY)
    assert params_of(errors)[:1] == ["model"]


def test_retired_message_names_the_shutdown_date():
    (error,) = validate_create_params({**BASE, "model": "gpt-3.5-turbo"}, today=TODAY)
    assert "2026-10-23" in error.message and error.code == "model_not_available"
    # the same model was fine the day before it shut down
    assert validate_create_params({**BASE, "model": "gpt-3.5-turbo"}, today=dt.date(2026, 10, 22)) == []


@pytest.mark.parametrize(
    "name, good, bad",
    [
        ("n_epochs", ["auto", 1, 50], [0, 51, 2.5, True, "3"]),
        ("batch_size", ["auto", 1, 256], [0, 257, -1, False]),
        ("learning_rate_multiplier", ["auto", 0.01, 10], [0, -1, "fast", float("inf")]),
    ],
)
def test_hyperparameter_bounds(name, good, bad):
    for value in good:
        assert check(hyperparameters={name: value}) == [], value
        assert check(method={"type": "supervised", "supervised": {"hyperparameters": {name: value}}}) == [], value
    for value in bad:
        assert check(hyperparameters={name: value}) == [f"hyperparameters.{name}"], value
        assert check(model=DPO_MODEL, method={"type": "dpo", "dpo": {"hyperparameters": {name: value}}}) == [
            f"method.dpo.hyperparameters.{name}"
        ], value


def test_beta_is_dpo_only_and_in_0_to_2():
    def dpo(beta):
        return check(model=DPO_MODEL, method={"type": "dpo", "dpo": {"hyperparameters": {"beta": beta}}})

    assert dpo("auto") == [] and dpo(2) == [] and dpo(0.01) == []
    assert dpo(0) == ["method.dpo.hyperparameters.beta"]
    assert dpo(2.01) == ["method.dpo.hyperparameters.beta"]
    assert check(method={"type": "supervised", "supervised": {"hyperparameters": {"beta": 0.1}}}) == [
        "method.supervised.hyperparameters.beta"
    ]


def test_method_shape_and_support():
    assert check(method="supervised") == ["method"]
    assert check(method={"type": "rlhf"}) == ["method.type"]
    assert check(method={"type": "supervised", "dpo": {}}) == ["method.dpo"]
    assert check(method={"type": "reinforcement", "reinforcement": {"grader": {}}}) == ["method.type"]
    assert "method.reinforcement.grader" in check(method={"type": "reinforcement"})
    assert check(model=DPO_MODEL, method={"type": "dpo"}, hyperparameters={"n_epochs": 2}) == ["hyperparameters"]
    # a method the model does not offer is named
    (error,) = validate_create_params(
        {**BASE, "model": DPO_MODEL, "method": {"type": "reinforcement", "reinforcement": {"grader": {}}}}, today=TODAY
    )
    assert "supports supervised, dpo" in error.message


@pytest.mark.parametrize(
    "suffix, ok",
    [
        ("a", True),
        ("x" * 64, True),
        ("my-bot_2", True),
        ("", False),
        ("x" * 65, False),
        ("my bot", False),
        ("a:b", False),
        (7, False),
    ],
)
def test_suffix(suffix, ok):
    assert check(suffix=suffix) == ([] if ok else ["suffix"])


@pytest.mark.parametrize(
    "seed, ok", [(0, True), (2147483647, True), (-1, False), (2147483648, False), ("42", False), (True, False)]
)
def test_seed(seed, ok):
    assert check(seed=seed) == ([] if ok else ["seed"])


def test_metadata_bounds():
    assert check(metadata={f"k{i}": "v" for i in range(17)}) == ["metadata"]
    assert check(metadata={"k" * 65: "v"}) == ["metadata"]
    assert check(metadata={"k": "v" * 513}) == ["metadata"]
    assert check(metadata={"k": 3}) == ["metadata"]
    assert check(metadata=["k", "v"]) == ["metadata"]


def test_files_and_unknown_arguments():
    assert params_of(validate_create_params({"model": "gpt-4o-mini"}, today=TODAY)) == ["training_file"]
    assert check(training_file="") == ["training_file"]
    assert check(validation_file=5) == ["validation_file"]
    assert check(learning_rate=0.1) == ["learning_rate"]
    assert check(integrations=[{"type": "mlflow"}]) == ["integrations"]
    assert validate_create_params(["not", "a", "dict"], today=TODAY)[0].param == "body"


def test_every_error_is_reported_not_just_the_first():
    errors = validate_create_params({"model": "gpt-9", "training_file": "", "suffix": "a b", "seed": -5}, today=TODAY)
    assert params_of(errors) == ["model", "training_file", "suffix", "seed"]
    assert all(e.message for e in errors)


def test_deadline_refusal_follows_the_catalog():
    deadline = load_catalog().no_new_jobs_from
    assert job_creation_refusal(deadline - dt.timedelta(days=1)) is None
    message = job_creation_refusal(deadline)
    assert message and deadline.isoformat() in message
    assert job_creation_refusal(deadline + dt.timedelta(days=365)) == message


def test_auto_resolution_and_total_steps():
    assert resolve_auto_batch_size(10) == 1
    assert resolve_auto_batch_size(5_000) == 10
    assert resolve_auto_batch_size(10_000_000) == 256
    assert estimate_total_steps(100) == 300  # 3 epochs x 100 steps of 1
    assert estimate_total_steps(12) == 8 * 12  # "auto" gives small files more epochs
    assert estimate_total_steps(5_000) == 500 * 3
    assert estimate_total_steps(101, n_epochs=2, batch_size=4) == 26 * 2  # ceil(101 / 4) = 26
    assert resolve_hyperparameters({"n_epochs": 4, "batch_size": "auto"}, 100) == {
        "batch_size": 1,
        "learning_rate_multiplier": jobspec.AUTO_LR_SMALL_BATCH,
        "n_epochs": 4,
    }
    assert resolve_hyperparameters({}, 100, "dpo")["beta"] == jobspec.AUTO_DPO_BETA
    assert resolve_hyperparameters({"beta": 0.5, "learning_rate_multiplier": 0.3}, 100, "dpo")["beta"] == 0.5


def test_method_of_defaults_to_supervised():
    assert method_of(BASE).type == "supervised"
    assert method_of({**BASE, "hyperparameters": {"n_epochs": 3}}).hyperparameters == {"n_epochs": 3}
    spec = method_of({**BASE, "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}})
    assert (spec.type, spec.hyperparameters, spec.param_prefix) == ("dpo", {"beta": 0.2}, "method.dpo.hyperparameters")


def test_fine_tuned_names():
    name = jobspec.fine_tuned_model_name("gpt-4o-mini-2024-07-18", "personal", None, "abcd1234")
    assert name == "ft:gpt-4o-mini-2024-07-18:personal::abcd1234"
    assert jobspec.checkpoint_model_name(name, 88).endswith(":abcd1234:ckpt-step-88")
    assert check(model=jobspec.checkpoint_model_name(name, 88)) == []


# --------------------------------------------------------------------------- formats and methods: one table


def _file_of(file_format: str) -> bytes:
    """Twelve clean examples of ``file_format`` (enough that no other finding gets in the way)."""
    if file_format == "chat":
        return jsonl(*[good(i) for i in range(12)])
    if file_format == "dpo":
        return dpo_jsonl(12)
    return jsonl(*[{"prompt": f"question {i}", "completion": f" answer {i}"} for i in range(12)])


@pytest.mark.parametrize("file_format", ["chat", "dpo", "prompt_completion"])
@pytest.mark.parametrize("model", list(load_catalog().models))
def test_validator_launch_and_simulator_agree_on_every_model_and_format(model, file_format):
    from lib import launch
    from lib.simulator.filecheck import check_file
    from lib.validate import validate_bytes

    info = load_catalog().models[model]
    data = _file_of(file_format)
    report = validate_bytes(data, model=model)
    assert report.format == file_format and report.errors == []
    validator_takes = not any(f.code == "format_not_supported_by_model" for f in report.warnings)
    # Launch offers the model's supervised and DPO methods; it takes the file when one of them does.
    launch_takes = any(
        launch.check_files(("f.jsonl", data), model=model, method=method)[0].ok
        for method in info.methods
        if method in launch.METHOD_LABELS
    )
    simulator_takes = any(check_file(data, model=model, method_type=method).ok for method in info.methods)
    expected = jobspec.takes_format(info, file_format)
    assert validator_takes == expected and simulator_takes == expected
    # Launch offers no reinforcement; everything else it agrees on.
    assert launch_takes == (expected and jobspec.FORMAT_METHOD[file_format] in launch.METHOD_LABELS)


def test_a_prompt_completion_file_is_for_the_legacy_completions_models_only():
    catalog = load_catalog()
    assert {m.id for m in jobspec.models_for_format("prompt_completion")} == {
        m.id
        for m in catalog.models.values()
        if m.supervised_format == "prompt_completion" and "supervised" in m.methods
    }
    mini = catalog.resolve("gpt-4o-mini")
    assert not jobspec.takes_format(mini, "prompt_completion")
    assert jobspec.method_for_format(mini, "chat") == "supervised"
    assert jobspec.formats_for_method(catalog.resolve("babbage-002"), "supervised") == ("prompt_completion",)


def test_format_labels_cover_every_format():
    assert set(jobspec.FORMAT_METHOD) | {"unknown"} == set(jobspec.FORMAT_LABELS) == set(jobspec.FORMAT_DESCRIPTIONS)


def test_costs_prefills_the_model_only_when_it_takes_the_files_format():
    from lib.costs import prefill_from_dataset
    from lib.validate import validate_bytes

    today = dt.date(2026, 11, 26)
    chat_summary = validate_bytes(_file_of("chat"), model="gpt-4.1-mini").summary()
    assert prefill_from_dataset(chat_summary, today)["model"] == "gpt-4.1-mini-2025-04-14"
    completion_summary = validate_bytes(_file_of("prompt_completion"), model="gpt-4.1-mini").summary()
    assert "model" not in prefill_from_dataset(completion_summary, today)
