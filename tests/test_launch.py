"""lib/launch.py against the simulator over real HTTP (real SDK, no mocks) and real files."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import openai
import pytest

from lib import catalog, launch
from lib.validate import validate_bytes
from tests.conftest import real_file

SIM_SPEED = 50.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace

TODAY = catalog.today()
CAT = catalog.load_catalog()
MINI = "gpt-4o-mini-2024-07-18"
DPO_MODEL = "gpt-4.1-mini-2025-04-14"  # OpenAI offers DPO on the gpt-4.1 family, not on gpt-4o-mini


@pytest.fixture
def client(sim):
    """A client with a fresh key: its own namespace in the simulator."""
    sim.clear_faults()
    yield openai.OpenAI(api_key="sk-test-" + secrets.token_hex(8), base_url=sim.base_url, max_retries=0, timeout=20)
    sim.clear_faults()


@pytest.fixture(scope="module")
def chat_bytes():
    return real_file("09_twi_tutor.jsonl").read_bytes()


@pytest.fixture(scope="module")
def dpo_bytes():
    return real_file("13_ugc_ads_dpo.jsonl").read_bytes()


def _creates(sim, key: str) -> list[dict]:
    return [
        e
        for e in sim.request_log
        if e["method"] == "POST" and e["path"].endswith("/fine_tuning/jobs") and e["idempotency_key"] == key
    ]


def _form(**overrides) -> launch.LaunchForm:
    return launch.LaunchForm(**{"model": MINI, **overrides})


# --------------------------------------------------------------------------- models
def test_models_are_the_accounts_trainable_ones_with_dates(client):
    choices = launch.trainable_models(client.models.list(), today=TODAY)
    ids = [c.id for c in choices]
    assert sorted(ids) == sorted(m.id for m in CAT.trainable(TODAY))  # dated ids, aliases folded
    prices = [c.info.training_per_1m for c in choices]
    assert prices == sorted(prices)  # cheapest first
    assert "gpt-4.1-nano-2025-04-14" not in ids and "gpt-3.5-turbo-0125" not in ids  # retired
    mini = choices[0]
    assert mini.shutdown_date == dt.date(2027, 1, 14) and mini.methods == ("supervised",)
    assert "shuts down 2027-01-14" in mini.label() and "$3.00/1M tokens" in mini.label()
    assert mini.label().startswith("GPT-4o mini (gpt-4o-mini-2024-07-18) · ")


@dataclass
class _Listed:  # the two fields trainable_models reads from a models.list() item
    id: str
    shutdown_date: str | None = None


def test_models_api_shutdown_date_wins_when_earlier_and_retires():
    listed = [
        _Listed(MINI, "2026-12-01"),
        _Listed("gpt-4o-mini"),
        _Listed("gpt-4.1-2025-04-14", "2026-11-01"),
        _Listed("whisper-1"),
        _Listed("ft:gpt-4o-mini-2024-07-18:org:bot:abc123"),
    ]
    choices = launch.trainable_models(listed, today=TODAY)
    assert [c.id for c in choices] == [MINI, "ft:gpt-4o-mini-2024-07-18:org:bot:abc123"]
    assert choices[0].shutdown_date == dt.date(2026, 12, 1)
    assert choices[1].fine_tuned and choices[1].label().startswith("Continue training ft:")


def test_no_models_after_the_cutoff(client):
    assert launch.trainable_models(client.models.list(), today=CAT.no_new_jobs_from) == []
    assert launch.catalog_models(today=CAT.no_new_jobs_from) == []


# --------------------------------------------------------------------------- files
def test_small_file_is_one_files_create(sim, client, chat_bytes):
    seen = []
    f = launch.upload_file(client, "twi.jsonl", chat_bytes, progress=lambda a, b: seen.append((a, b)))
    assert seen == [(0, len(chat_bytes)), (len(chat_bytes), len(chat_bytes))]
    assert (f.filename, f.bytes) == ("twi.jsonl", len(chat_bytes)) and f.id.startswith("file-")
    assert launch.read_account_file(client, f) == chat_bytes


def test_large_file_goes_through_the_uploads_api_in_parts(sim, client, chat_bytes):
    sim.clear_log()
    seen = []
    f = launch.upload_file(
        client,
        "twi.jsonl",
        chat_bytes,
        progress=lambda a, b: seen.append(a),
        single_request_limit=10_000,
        part_size=4096,
    )
    parts = -(-len(chat_bytes) // 4096)
    paths = [e["path"] for e in sim.request_log if e["method"] == "POST"]
    assert paths[0] == "/v1/uploads" and paths[-1].endswith("/complete")
    assert sum(p.endswith("/parts") for p in paths) == parts == 6
    assert not any(p == "/v1/files" for p in paths)
    assert seen == [0, *[min((i + 1) * 4096, len(chat_bytes)) for i in range(parts)]]
    complete = next(e for e in sim.request_log if e["path"].endswith("/complete"))
    assert complete["body"]["md5"]  # the service checks the bytes it assembled
    assert launch.read_account_file(client, f) == chat_bytes
    assert f.id in [a.id for a in launch.list_training_files(client)]


def test_failed_part_cancels_the_upload(sim, client, chat_bytes):
    sim.add_fault(500, method="POST", path="/parts", times=1)
    sim.clear_log()
    with pytest.raises(openai.InternalServerError):
        launch.upload_file(client, "twi.jsonl", chat_bytes, single_request_limit=10_000, part_size=4096)
    assert sim.request_log[-1]["path"].endswith("/cancel")
    assert launch.list_training_files(client) == []


def test_file_over_the_uploads_limit_is_refused_before_sending(sim, client, monkeypatch):
    monkeypatch.setitem(CAT.limits, "max_upload_bytes", 100)
    sim.clear_log()
    with pytest.raises(launch.FileTooLargeError, match="up to 100 bytes"):
        launch.upload_file(client, "big.jsonl", b"x" * 101)
    assert sim.request_log == []


def test_account_files_listed_newest_first_with_label(client, chat_bytes):
    first = launch.upload_file(client, "a.jsonl", chat_bytes)
    second = launch.upload_file(client, "b.jsonl", chat_bytes[:500])
    client.files.create(file=("other.jsonl", b"{}\n"), purpose="batch")
    files = launch.list_training_files(client)
    assert [f.id for f in files] == [second.id, first.id]
    assert files[0].label().startswith("b.jsonl · 500 bytes · 20") and files[0].label().endswith(second.id)
    assert files[1].label().startswith("a.jsonl · 20.1 KB")


def test_readback_skips_files_too_large_to_hold(client):
    big = launch.AccountFile("file-x", "big.jsonl", 2_000_000_000, 0)
    with pytest.raises(launch.FileTooLargeError, match="too large to read back"):
        launch.read_account_file(client, big)


def test_too_large_to_train_is_one_sentence_from_the_catalog_limit(monkeypatch):
    monkeypatch.setitem(CAT.limits, "max_upload_bytes", 100)
    assert launch.too_large_to_train("ok.jsonl", 100) is None
    assert launch.too_large_to_train("big.jsonl", 101) == (
        "big.jsonl is 101 bytes; OpenAI accepts training files up to 100 bytes. Split it or sample fewer examples."
    )


def test_listing_and_reading_back_say_why_they_failed(client, chat_bytes):
    uploaded = launch.upload_file(client, "a.jsonl", chat_bytes)
    files, error = launch.account_files(lambda: client)
    assert error is None and uploaded.id in [f.id for f in files]
    back = launch.read_back(lambda: client, uploaded)
    assert back.name == "a.jsonl" and back.data == chat_bytes

    def unreachable():
        raise openai.APIConnectionError(request=None)

    files, error = launch.account_files(unreachable)
    assert files == [] and "list the account's files" in error
    assert "read the file back" in launch.read_back(unreachable, uploaded)
    big = launch.AccountFile("file-x", "big.jsonl", 2_000_000_000, 0)
    assert "too large to read back" in launch.read_back(lambda: client, big)


# --------------------------------------------------------------------------- file checks
def test_chat_file_checks_for_supervised(chat_bytes):
    train, val = launch.check_files(("twi.jsonl", chat_bytes), model=MINI, method="supervised")
    assert train.ok and val is None
    assert (train.format, train.examples) == ("chat", 100) and train.billed_tokens_per_epoch > 0
    assert train.summary().startswith("100 examples, chat (supervised), ")


def test_dpo_file_needs_the_dpo_method(dpo_bytes):
    wrong, _ = launch.check_files(("ads.jsonl", dpo_bytes), model=MINI, method="supervised")
    assert not wrong.ok and wrong.problems[0].startswith("The supervised method needs chat examples")
    # DPO on a model that offers it (OpenAI lists the gpt-4.1 family only; gpt-4o-mini has no DPO)
    right, _ = launch.check_files(("ads.jsonl", dpo_bytes), model="gpt-4.1-mini-2025-04-14", method="dpo")
    assert right.ok and right.format == "dpo" and right.examples == 54
    refused, _ = launch.check_files(("ads.jsonl", dpo_bytes), model=MINI, method="dpo")
    assert not refused.ok


def test_chat_file_refused_for_dpo(chat_bytes):
    check, _ = launch.check_files(("twi.jsonl", chat_bytes), model=MINI, method="dpo")
    assert not check.ok and "The DPO method needs preference pairs" in check.problems[0]


def test_validation_file_is_checked_and_not_billed(chat_bytes, dpo_bytes):
    head = b"".join(chat_bytes.splitlines(keepends=True)[:5])
    train, val = launch.check_files(("t.jsonl", chat_bytes), ("v.jsonl", head), model=MINI, method="supervised")
    assert train.ok and val.ok and val.examples == 5 and val.billed_tokens_per_epoch is None
    train, val = launch.check_files(("t.jsonl", chat_bytes), ("v.jsonl", dpo_bytes), model=MINI, method="supervised")
    assert not train.ok and "the validation file is DPO" in train.problems[0]
    assert not val.ok


def test_broken_file_reports_its_lines():
    data = real_file("10_pretty_printed_fitness_es.jsonl").read_bytes()
    check, _ = launch.check_files(("fit.jsonl", data), model=MINI, method="supervised")
    assert not check.ok and check.error_count > 3 and len(check.problems) == 3
    assert "the file has 0 valid examples; fine-tuning needs at least 10" in check.problems
    line_one = [p for p in check.problems if p.startswith("line 1")]
    assert len(line_one) == 1 and not line_one[0].startswith("line 1: line 1")


# --------------------------------------------------------------------------- the form
def test_parse_number_and_metadata():
    assert [launch.parse_number(t) for t in ("auto", " ", "3", "0.5", "x")] == ["auto", "auto", 3, 0.5, "x"]
    pairs, errors = launch.parse_metadata("team=support\n\n exp = lr sweep \nbroken\nteam=again")
    assert pairs == {"team": "support", "exp": "lr sweep"}
    assert errors == [
        "Metadata line 4 must look like key=value; got 'broken'.",
        "Metadata key 'team' appears twice (line 5).",
    ]


def test_supervised_request_body_is_exact():
    form = _form(
        n_epochs="3", batch_size="8", learning_rate_multiplier="0.5", suffix=" bot ", seed="42", metadata="team=support"
    )
    assert launch.build_request(form, training_file="file-t", validation_file="file-v") == {
        "model": MINI,
        "training_file": "file-t",
        "validation_file": "file-v",
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 0.5}},
        },
        "suffix": "bot",
        "seed": 42,
        "metadata": {"team": "support"},
    }


def test_dpo_request_body_has_beta_and_leaves_out_empty_fields():
    body = launch.build_request(_form(method="dpo", beta="0.2"), training_file="file-t")
    assert body == {
        "model": MINI,
        "training_file": "file-t",
        "method": {
            "type": "dpo",
            "dpo": {
                "hyperparameters": {
                    "n_epochs": "auto",
                    "batch_size": "auto",
                    "learning_rate_multiplier": "auto",
                    "beta": 0.2,
                }
            },
        },
    }


def test_estimate_goes_into_metadata_when_there_is_room():
    charge = launch.estimate_charge(CAT.resolve(MINI), billed_tokens_per_epoch=1000, examples=100, n_epochs=3)
    body = launch.build_request(_form(metadata="team=a"), training_file="file-t", estimate=charge)
    assert body["metadata"] == {"team": "a", "estimated_trained_tokens": "3000", "estimated_cost_usd": "0.0090"}
    from openai.types.fine_tuning import FineTuningJob

    from lib import jobs  # the Jobs page reads these keys back

    report = jobs.job_cost(FineTuningJob.construct(model=MINI, metadata=body["metadata"]))  # the SDK's job type
    assert (report.estimated_tokens, report.estimated_usd) == (3000, pytest.approx(0.009))
    full = "\n".join(f"k{i}=v" for i in range(15))
    assert len(launch.build_request(_form(metadata=full), training_file="f", estimate=charge)["metadata"]) == 15
    assert launch.form_errors(_form(metadata=full), today=TODAY) == []


def test_dataset_handoff_picks_the_model_and_method():
    assert launch.settings_for_dataset("gpt-4.1-mini", "dpo", MINI, "supervised") == ("gpt-4.1-mini-2025-04-14", "dpo")
    assert launch.settings_for_dataset("unknown-model", "prompt_completion", MINI, "dpo") == (MINI, "dpo")


def test_valid_form_has_no_errors():
    assert (
        launch.form_errors(
            _form(
                n_epochs="50",
                batch_size="256",
                learning_rate_multiplier="0.01",
                suffix="a" * 64,
                seed="0",
                metadata="k=v",
            ),
            today=TODAY,
        )
        == []
    )


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("n_epochs", "0", 'Epochs: n_epochs must be "auto" or a whole number from 1 to 50; got 0.'),
        ("n_epochs", "51", "from 1 to 50; got 51"),
        ("n_epochs", "2.5", "got 2.5"),
        ("n_epochs", "many", "got 'many'"),
        ("batch_size", "257", 'Batch size: batch_size must be "auto" or a whole number from 1 to 256'),
        (
            "learning_rate_multiplier",
            "0",
            'Learning-rate multiplier: learning_rate_multiplier must be "auto" or a number greater than 0',
        ),
        ("learning_rate_multiplier", "-1", "greater than 0; got -1"),
        ("suffix", "a" * 65, "Suffix: suffix must be 1 to 64 characters"),
        ("suffix", "my bot", "no spaces"),
        ("seed", "-1", "Seed: seed must be a whole number from 0 to 2147483647"),
        ("seed", "abc", "got 'abc'"),
        ("metadata", "\n".join(f"k{i}=v" for i in range(17)), "at most 16 pairs; got 17"),
        ("metadata", "no equals sign", "Metadata line 1 must look like key=value"),
    ],
)
def test_form_errors_are_one_sentence_each(field, value, expected):
    errors = launch.form_errors(_form(**{field: value}), today=TODAY)
    assert len(errors) == 1 and expected in errors[0], errors


def test_beta_is_checked_for_dpo_only():
    assert launch.form_errors(_form(beta="5"), today=TODAY) == []
    errors = launch.form_errors(_form(model=DPO_MODEL, method="dpo", beta="5"), today=TODAY)
    assert errors and errors[0].startswith("Beta: beta must be")


def test_form_refused_after_the_cutoff():
    errors = launch.form_errors(_form(), today=CAT.no_new_jobs_from)
    assert any("2027-01-06" in e and "no longer be created" in e for e in errors)


def test_prefill_from_a_real_job(client, chat_bytes):
    f = launch.upload_file(client, "twi.jsonl", chat_bytes)
    body = launch.build_request(
        _form(model=DPO_MODEL, method="dpo", n_epochs="2", beta="0.3", suffix="s", seed="7", metadata="a=1\nb=2"),
        training_file=f.id,
    )
    job = client.fine_tuning.jobs.create(**body)
    values = launch.prefill_form(
        {
            "model": job.model,
            "method": job.method.model_dump(),
            "suffix": "s",
            "seed": job.seed,
            "metadata": job.metadata,
            "training_file": f.id,
        }
    )
    assert values == {
        "model": DPO_MODEL,
        "method": "dpo",
        "n_epochs": "2",
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
        "beta": "0.3",
        "suffix": "s",
        "seed": "7",
        "metadata": "a=1\nb=2",
    }
    assert launch.prefill_form({"method": "supervised", "hyperparameters": {"n_epochs": 4}}) == {
        "method": "supervised",
        "n_epochs": "4",
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
        "beta": "auto",
        "suffix": "",
        "seed": "",
        "metadata": "",
    }


# --------------------------------------------------------------------------- money
def test_charge_matches_the_validator(chat_bytes):
    report = validate_bytes(chat_bytes, model=MINI, n_epochs=4)
    info = CAT.resolve(MINI)
    charge = launch.estimate_charge(
        info, billed_tokens_per_epoch=report.billed_tokens_per_epoch, examples=report.examples, n_epochs=4
    )
    assert charge.usd == pytest.approx(report.training_cost_usd)
    assert charge.usd == pytest.approx(report.billed_tokens_per_epoch * 4 * 3.00 / 1e6)
    assert "x 4 epochs x $3.00 per 1M training tokens (price as of 2026-11-26)" in charge.formula()


def test_auto_epochs_charge_is_labelled_an_estimate():
    charge = launch.estimate_charge(CAT.resolve(MINI), billed_tokens_per_epoch=1_000_000, examples=20)
    assert (charge.n_epochs, charge.n_epochs_is_estimate) == (catalog.auto_epochs(20), True) == (5, True)
    assert charge.usd == pytest.approx(15.0)
    assert '5 epochs (estimate of "auto")' in charge.formula()


def test_budget_cap():
    charge = launch.estimate_charge(CAT.resolve(MINI), billed_tokens_per_epoch=1_000_000, examples=200, n_epochs=3)
    assert launch.budget_refusal(charge, None) is None
    assert launch.budget_refusal(charge, 9.0) is None
    assert launch.budget_refusal(charge, 8.99) == (
        "The estimated charge $9.00 is above your budget cap of $8.99; use fewer epochs, a smaller file or a "
        "cheaper model, or raise the cap."
    )
    assert "cannot be estimated" in launch.budget_refusal(None, 10.0)
    # One money format (lib.costs.usd): a charge under a cent keeps its digits, never "$0.00".
    assert launch.format_usd(0.004) == "$0.004" and launch.format_usd(1234.5) == "$1,234.50"


# --------------------------------------------------------------------------- the create call
def _ready_request(client, data, **form) -> dict:
    f = launch.upload_file(client, "twi.jsonl", data)
    return launch.build_request(_form(**form), training_file=f.id)


def test_same_key_gives_the_same_job(sim, client, chat_bytes):
    params = _ready_request(client, chat_bytes, suffix="idem")
    key = launch.new_idempotency_key()
    first = launch.create_job(client, params, idempotency_key=key)
    again = launch.create_job(client, params, idempotency_key=key)
    assert first.id == again.id
    assert len(_creates(sim, key)) == 2
    assert [j.id for j in client.fine_tuning.jobs.list()] == [first.id]
    other = launch.create_job(client, params, idempotency_key=launch.new_idempotency_key())
    assert other.id != first.id


def test_create_is_never_retried_by_the_sdk(sim, chat_bytes):
    retrying = openai.OpenAI(api_key="sk-test-" + secrets.token_hex(8), base_url=sim.base_url, max_retries=3)
    params = _ready_request(retrying, chat_bytes)
    sim.add_fault(preset="server_error", method="POST", path="/fine_tuning/jobs$", times=3)
    key = launch.new_idempotency_key()
    try:
        with pytest.raises(openai.InternalServerError) as err:
            launch.create_job(retrying, params, idempotency_key=key)
    finally:
        sim.clear_faults()
    assert len(_creates(sim, key)) == 1
    assert launch.outcome_is_unknown(err.value)
    assert "may or may not exist" in launch.explain_refusal(err.value)


def test_create_needs_a_key(client):
    with pytest.raises(ValueError):
        launch.create_job(client, {"model": MINI, "training_file": "file-x"}, idempotency_key="")


def _refusal(client, params) -> BaseException:
    with pytest.raises(openai.OpenAIError) as err:
        launch.create_job(client, params, idempotency_key=launch.new_idempotency_key())
    return err.value


def test_blocked_organisation(sim, client, chat_bytes):
    params = _ready_request(client, chat_bytes)
    sim.add_fault(preset="blocked_org")
    exc = _refusal(client, params)
    assert not launch.outcome_is_unknown(exc)
    assert launch.explain_refusal(exc) == (
        "OpenAI refused to create the job for this organization (403): This organization is not allowed to "
        "create fine-tuning jobs. OpenAI is winding down the fine-tuning platform and only eligible "
        "organizations can still create jobs. Use the key of an organization that can still fine-tune, or try "
        "the demo mode; your settings are kept."
    )


def test_platform_cutoff(sim, client, chat_bytes):
    params = _ready_request(client, chat_bytes)
    sim.today = CAT.no_new_jobs_from
    try:
        exc = _refusal(client, params)
    finally:
        sim.today = None  # back to the real date
    assert isinstance(exc, openai.PermissionDeniedError)
    assert launch.explain_refusal(exc) == (
        "OpenAI stopped accepting new fine-tuning jobs on 2027-01-06, so this job cannot be created with any key; "
        "models already fine-tuned keep working until 2027-01-14. Nothing was created or charged."
    )


def test_daily_limit(sim, client, chat_bytes):
    params = _ready_request(client, chat_bytes)
    sim.add_fault(preset="daily_limit")
    exc = _refusal(client, params)
    assert exc.code == "daily_rate_limit_exceeded"
    assert "daily limit of fine-tuning jobs" in launch.explain_refusal(exc)
    assert "settings are kept" in launch.explain_refusal(exc)


def test_bad_file(client, chat_bytes):
    params = _ready_request(client, chat_bytes)
    params["training_file"] = "file-doesnotexist"
    sentence = launch.explain_refusal(_refusal(client, params))
    assert sentence.startswith("The API refused the training file: invalid training_file: file-doesnotexist")
    assert "Dataset page" in sentence


def test_bad_key(sim, chat_bytes):
    good = openai.OpenAI(api_key="sk-good-" + secrets.token_hex(4), base_url=sim.base_url, max_retries=0)
    params = _ready_request(good, chat_bytes)
    sim.known_keys = {good.api_key}
    try:
        bad = openai.OpenAI(api_key="sk-wrong-key", base_url=sim.base_url, max_retries=0)
        exc = _refusal(bad, params)
    finally:
        sim.known_keys = None
    assert isinstance(exc, openai.AuthenticationError)
    sentence = launch.explain_refusal(exc)
    assert "API key was rejected (401)" in sentence and "sk-wrong" not in sentence


def test_network_down(sim, client, chat_bytes):
    params = _ready_request(client, chat_bytes)
    sim.add_fault(preset="drop", method="POST", path="/fine_tuning/jobs$")
    exc = _refusal(client, params)
    assert launch.outcome_is_unknown(exc)
    assert launch.explain_refusal(exc).startswith(
        "Could not reach the API while creating the job, so it may or may not exist"
    )


def test_unknown_outcome_retry_with_the_same_key_makes_one_job(sim, client, chat_bytes):
    """The job was created but the answer was lost: confirming again returns it."""
    params = _ready_request(client, chat_bytes, suffix="lost")
    key = launch.new_idempotency_key()
    job = launch.create_job(client, params, idempotency_key=key)
    sim.add_fault(preset="drop", method="POST", path="/fine_tuning/jobs$")
    with pytest.raises(openai.APIConnectionError):
        launch.create_job(client, params, idempotency_key=key)
    assert launch.create_job(client, params, idempotency_key=key).id == job.id
    assert len(list(client.fine_tuning.jobs.list())) == 1


# --------------------------------------------------------------------------- duplicates
def test_identical_recent_job_is_found(client, chat_bytes):
    params = _ready_request(client, chat_bytes, suffix="dup", seed="5", metadata="a=b")
    job = launch.create_job(client, params, idempotency_key=launch.new_idempotency_key())
    jobs = client.fine_tuning.jobs.list(limit=50).data
    assert launch.find_duplicate(jobs, params).id == job.id
    assert launch.find_duplicate(jobs, {**params, "suffix": "other"}) is None
    assert launch.find_duplicate(jobs, {**params, "metadata": {"a": "c"}}) is None
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    assert launch.find_duplicate(jobs, params, now=later) is None
    client.fine_tuning.jobs.cancel(job.id)
    assert launch.find_duplicate(client.fine_tuning.jobs.list(limit=50).data, params) is None


def test_same_bytes_uploaded_again_count_as_the_same_file(client, chat_bytes):
    """After a refresh the file is uploaded again under a new id: the duplicate is still found."""
    params = _ready_request(client, chat_bytes, suffix="refresh")
    job = launch.create_job(client, params, idempotency_key=launch.new_idempotency_key())
    again = {**params, "training_file": launch.upload_file(client, "twi.jsonl", chat_bytes).id}
    other = {**params, "training_file": launch.upload_file(client, "other.jsonl", chat_bytes).id}
    jobs = client.fine_tuning.jobs.list(limit=50).data
    assert launch.find_duplicate(jobs, again) is None  # ids differ and no comparer given
    same_file = launch.file_comparer(client)
    assert launch.find_duplicate(jobs, again, same_file=same_file).id == job.id
    assert launch.find_duplicate(jobs, other, same_file=same_file) is None  # another name
    assert not same_file("file-missing", again["training_file"])


def test_request_fingerprint_ignores_key_order():
    assert launch.request_fingerprint({"a": 1, "b": {"c": 2}}) == launch.request_fingerprint({"b": {"c": 2}, "a": 1})
    assert launch.request_fingerprint({"a": 1}) != launch.request_fingerprint({"a": 2})


def test_the_same_path_works_against_azure_openai(sim, chat_bytes):
    """Azure OpenAI: endpoint + api-version, paths under /openai (the simulator serves them)."""
    azure = openai.AzureOpenAI(
        api_key="az-" + secrets.token_hex(8),
        azure_endpoint=sim.root_url,
        api_version="2025-04-01-preview",
        max_retries=0,
    )
    assert MINI in [c.id for c in launch.trainable_models(azure.models.list(), today=TODAY)]
    f = launch.upload_file(azure, "twi.jsonl", chat_bytes, single_request_limit=10_000, part_size=8192)
    params = launch.build_request(_form(suffix="azure"), training_file=f.id)
    key = launch.new_idempotency_key()
    job = launch.create_job(azure, params, idempotency_key=key)
    assert launch.create_job(azure, params, idempotency_key=key).id == job.id
    assert [j.id for j in azure.fine_tuning.jobs.list()] == [job.id]


# --------------------------------------------------------------------------- Azure OpenAI
def _azure_v1(sim, name: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=f"az-launch-{name}-{secrets.token_hex(4)}",
        base_url=sim.root_url + "/openai/v1/",
        max_retries=0,
        timeout=20,
    )


def test_azure_models_come_with_azures_dates(sim):
    choices = launch.trainable_models(_azure_v1(sim, "models").models.list(), today=TODAY, calendar="azure")
    by_id = {c.id: c for c in choices}
    assert set(by_id) == {m.id for m in CAT.trainable(TODAY, "azure")}
    assert "gpt-4.1-nano-2025-04-14" in by_id  # retired on OpenAI, still trained on Azure
    mini = by_id[MINI]
    assert mini.shutdown_date == dt.date(2027, 10, 1) and mini.calendar == "azure"
    assert "deployments answer until 2027-10-01" in mini.label() and "OpenAI list $3.00" in mini.label()
    assert "2027-01-14" not in " ".join(c.label() for c in choices)
    assert {c.id for c in launch.catalog_models(today=TODAY, calendar="azure")} == set(by_id)


def test_azure_fine_tuned_models_are_offered_for_continued_training(sim, chat_bytes):
    client = _azure_v1(sim, "continue")
    f = launch.upload_file(client, "twi.jsonl", chat_bytes)
    job = client.fine_tuning.jobs.create(model=MINI, training_file=f.id)
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while job.status != "succeeded":
        assert dt.datetime.now() < deadline
        job = client.fine_tuning.jobs.retrieve(job.id)
    choices = launch.trainable_models(client.models.list(), today=TODAY, calendar="azure")
    tuned = [c for c in choices if c.fine_tuned]
    assert [c.id for c in tuned] == [job.fine_tuned_model] and tuned[0].label().startswith("Continue training")


def test_training_tier_travels_as_training_type(sim, chat_bytes):
    tiers = launch.training_tiers()
    assert [t.training_type for t in tiers] == ["Standard", "GlobalStandard", "Developer"]  # Data zone: no string
    assert "10-30% below Standard" in launch.tier_label(tiers[1])
    form = _form(training_type="Developer", suffix="x" * 40)
    assert launch.form_errors(form, today=TODAY, calendar="azure") == []
    client = _azure_v1(sim, "tier")
    f = launch.upload_file(client, "twi.jsonl", chat_bytes)
    params = launch.build_request(form, training_file=f.id)
    assert params["trainingType"] == "Developer"
    key = launch.new_idempotency_key()
    job = launch.create_job(client, params, idempotency_key=key)
    assert job.model_extra["trainingType"] == "Developer" and params["trainingType"] == "Developer"  # not consumed
    sent = [e for e in sim.request_log if e["idempotency_key"] == key]
    assert sent[0]["path"] == "/openai/v1/fine_tuning/jobs" and sent[0]["body"]["trainingType"] == "Developer"
    # OpenAI has no training tier
    assert any(e.startswith("Training tier:") for e in launch.form_errors(form, today=TODAY))


def test_suffix_limit_is_the_backends():
    assert launch.form_errors(_form(suffix="x" * 64), today=TODAY) == []
    errors = launch.form_errors(_form(suffix="x" * 41), today=TODAY, calendar="azure")
    assert len(errors) == 1 and "1 to 40 characters" in errors[0]


def test_azure_keeps_training_after_openai_stops():
    after = dt.date(2027, 2, 1)
    assert any("no longer be created" in e for e in launch.form_errors(_form(), today=after))
    assert launch.form_errors(_form(), today=after, calendar="azure") == []
    closed = launch.form_errors(_form(), today=dt.date(2027, 4, 1), calendar="azure")
    assert any("training ended on 2027-04-01" in e for e in closed)


def test_dpo_rules_come_from_the_catalog():
    refused = launch.form_errors(_form(method="dpo"), today=TODAY)  # gpt-4o-mini: no DPO anywhere
    assert any("does not support the dpo method" in e for e in refused)
    gpt4o = _form(model="gpt-4o-2024-08-06", method="dpo")
    assert launch.form_errors(gpt4o, today=TODAY) == []
    (doubt,) = launch.form_warnings(gpt4o)
    assert "may be refused by OpenAI" in doubt and "gpt-4.1" in doubt
    assert launch.form_warnings(gpt4o, calendar="azure") == []  # Azure lists DPO for gpt-4o
    assert launch.form_warnings(_form(model=DPO_MODEL, method="dpo")) == []


def test_the_users_azure_training_price_is_used_and_said():
    info = CAT.resolve(MINI)
    listed = launch.estimate_charge(
        info, billed_tokens_per_epoch=1_000_000, examples=100, n_epochs=2, price_per_1m=info.training_per_1m
    )
    assert listed.usd == pytest.approx(6.0) and "the same as OpenAI's list price" in listed.formula()
    own = launch.estimate_charge(info, billed_tokens_per_epoch=1_000_000, examples=100, n_epochs=2, price_per_1m=1.5)
    assert own.usd == pytest.approx(3.0) and "your price; OpenAI's list price is $3.00" in own.formula()


def test_the_confirmation_speaks_the_backends_calendar():
    azure = " ".join(launch.deadline_lines(MINI, "azure", TODAY))
    assert "this fine-tune's deployment answers until 2027-10-01" in azure and "no earlier than 2027-04-01" in azure
    assert "2027-01-14" not in azure and "2027-01-06" not in azure
    openai_lines = " ".join(launch.deadline_lines(MINI, "openai", TODAY))
    assert "shuts down on 2027-01-14" in openai_lines and "2027-01-06 (41 days left)" in openai_lines
    assert "$1.70 per hour ($1,224.00 per 720-hour month)" in launch.azure_hosting_warning()


def test_both_ways_of_connecting_to_azure(sim, monkeypatch):
    from lib.connection import SIMULATOR_URL_ENV, Connection, make_client
    from lib.outbound import Rules

    local = Rules(allow_private=True)  # a visitor on this machine may call its own loopback server
    monkeypatch.setenv(SIMULATOR_URL_ENV, sim.base_url)
    for endpoint, version in ((sim.root_url, "v1"), (sim.root_url + "/openai/v1/", "2025-04-01-preview")):
        v1 = make_client(
            Connection("azure", api_key="az-both-v1", azure_endpoint=endpoint, api_version=version, outbound=local)
        )
        assert type(v1) is openai.OpenAI and str(v1.base_url) == sim.root_url + "/openai/v1/"
        assert MINI in [m.id for m in v1.models.list()]
    versioned = make_client(
        Connection(
            "azure", api_key="az-both-av", azure_endpoint=sim.root_url, api_version="2025-04-01-preview", outbound=local
        )
    )
    assert isinstance(versioned, openai.AzureOpenAI)
    versioned.models.list()
    last = [e for e in sim.request_log if e["path"].endswith("/models")][-1]
    assert last["path"] == "/openai/models" and last["query"]["api-version"] == "2025-04-01-preview"
    demo = make_client(Connection("demo", api_key="sk-demo-x", demo_calendar="azure"))
    assert str(demo.base_url) == sim.root_url + "/openai/v1/"  # the demo acting as Azure speaks Azure


# --------------------------------------------------------------------------- what the form says
def test_hyperparameter_fields_follow_the_method():
    assert [name for name, _ in launch.hyperparameter_fields("supervised")] == [
        "n_epochs",
        "batch_size",
        "learning_rate_multiplier",
    ]
    assert launch.hyperparameter_fields("dpo")[-1] == ("beta", "Beta (DPO)")
    assert all(name in launch.HYPERPARAMETER_HELP for name, _ in launch.hyperparameter_fields("dpo"))


def test_blockers_name_every_reason_review_is_refused_in_order():
    charge = launch.ChargeEstimate(1000, 3, False, 3.0, "2026-11-01", 0.5, "supervised", "")
    assert (
        launch.launch_blockers(
            [], training_chosen=True, failed_checks=[], validation_missing=False, charge=charge, cap_usd=1.0
        )
        == []
    )
    assert launch.launch_blockers(
        ["Epochs: bad."],
        training_chosen=False,
        failed_checks=["validation"],
        validation_missing=True,
        charge=charge,
        cap_usd=0.1,
    ) == [
        "Choose a training file.",
        "Epochs: bad.",
        "The validation file has problems (see above); fix them on the Dataset page.",
        "Choose a validation file, or set it to None.",
    ]  # the budget is weighed only once the form is valid and a file is chosen
    over = launch.launch_blockers(
        [], training_chosen=True, failed_checks=[], validation_missing=False, charge=charge, cap_usd=0.1
    )
    assert over == ["The estimated charge $0.50 is above your budget cap of $0.10; " + over[0].split("; ", 1)[1]]


def test_a_failed_check_lists_its_problems_inertly():
    check = launch.FileCheck("a.jsonl", False, error_count=3, problems=("line 1: see [x](https://e.x)", "line 2: bad"))
    text = check.blocking_markdown()
    assert text.startswith("**3 problems block the launch**\n- line 1")
    assert "[x](" not in text and "\\[x\\]" in text  # the file's text cannot make a live link
    assert text.endswith("bad\n- and 1 more")


def test_a_clone_brings_its_files_and_the_help_says_the_backends_limits():
    assert launch.prefill_files({"training_file": "file-t", "validation_file": "file-v"}) == {
        "train_source": "account",
        "train_account": "file-t",
        "val_source": "account",
        "val_account": "file-v",
    }
    assert launch.prefill_files({}) == {"val_source": "none", "val_account": None}
    assert launch.suffix_help("openai").startswith("Up to 64 letters") and "ft:<model>" in launch.suffix_help("openai")
    assert launch.suffix_help("azure").startswith("Up to 40 letters")
    assert launch.metadata_help("openai").startswith("Up to 16 key=value lines")
