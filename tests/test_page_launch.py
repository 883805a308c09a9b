"""The Launch page (AppTest) against the simulator over real HTTP: the form, the dialog, each refusal."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from lib import catalog, ui
from lib.connection import SIMULATOR_URL_ENV
from lib.handoff import LaunchFile
from lib.simulator.state import key_id
from tests.apptest import demo_sdk, open_app
from tests.conftest import APP, real_file

SIM_SPEED = 50.0  # the shared ``sim`` fixture (tests/conftest.py) runs at this pace

PAGE = "pages/3_Launch.py"
MINI = "gpt-4o-mini-2024-07-18"
DPO_MODEL = "gpt-4.1-mini-2025-04-14"  # DPO exists on the gpt-4.1 family, not on gpt-4o-mini
CAT = catalog.load_catalog()


@pytest.fixture(autouse=True)
def _demo_points_at_sim(sim, monkeypatch):
    monkeypatch.setenv(SIMULATOR_URL_ENV, sim.base_url)
    sim.clear_faults()
    sim.known_keys = None
    sim.today = None
    yield
    sim.clear_faults()
    sim.known_keys = None
    sim.today = None


@pytest.fixture(scope="module")
def chat() -> LaunchFile:
    return LaunchFile.of("twi.jsonl", real_file("09_twi_tutor.jsonl").read_bytes())


@pytest.fixture(scope="module")
def dpo() -> LaunchFile:
    return LaunchFile.of("ads.jsonl", real_file("13_ugc_ads_dpo.jsonl").read_bytes())


def open_launch(training: LaunchFile | None = None, validation: LaunchFile | None = None, **state) -> AppTest:
    return open_app(PAGE, **{ui.LAUNCH_TRAINING: training, ui.LAUNCH_VALIDATION: validation}, **state)


def log_of(sim, at: AppTest, *, method: str | None = None, path: str | None = None) -> list[dict]:
    """This session's requests (the simulator logs a hash of the key, never the key)."""
    me = key_id(at.session_state["demo_api_key"])
    return [
        e
        for e in sim.request_log
        if e["key_id"] == me
        and (method is None or e["method"] == method)
        and (path is None or e["path"].endswith(path))
    ]


def creates(sim, at) -> list[dict]:
    return log_of(sim, at, method="POST", path="/fine_tuning/jobs")


def fill(at: AppTest, **values) -> AppTest:
    for name, value in values.items():
        widget = at.text_area(key="_launch_" + name) if name == "metadata" else at.text_input(key="_launch_" + name)
        widget.set_value(value)
    return at.run()


def review(at: AppTest) -> AppTest:
    at.button(key="launch_review").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["launch_pending"] is not None, [e.value for e in at.error]
    return at


def shown(elements) -> str:
    """Alert texts as a reader sees them: user and API text is markdown-escaped (lib.display.md_escape)."""
    return " ".join(str(e.value) for e in elements).replace("\\", "")


def errors(at: AppTest) -> str:
    return shown(at.error)


def form_values(at: AppTest) -> dict[str, str]:
    """What the form's text boxes hold, by field."""
    boxes = {name: at.text_input(key="_launch_" + name) for name in ("n_epochs", "suffix", "seed")}
    return {**{name: box.value for name, box in boxes.items()}, "metadata": at.text_area(key="_launch_metadata").value}


# --------------------------------------------------------------------------- the happy path
def test_handoff_to_running_job(sim, chat):
    at = fill(
        open_launch(chat),
        n_epochs="3",
        batch_size="4",
        learning_rate_multiplier="0.5",
        suffix="page-sft",
        seed="42",
        metadata="team=support\nrun=1",
    )
    assert at.radio(key="_launch_train_source").value == "dataset"
    assert "100 examples, chat (supervised)" in at.success[0].value
    assert at.metric[0].value == "$0.04"  # 4,070 tokens x 3 epochs x $3.00 / 1M
    review(at)
    assert len(log_of(sim, at, method="POST", path="/files")) == 1 and creates(sim, at) == []
    pending = at.session_state["launch_pending"]
    # the dialog: the charge, the dates, and the exact request
    assert at.metric[0].value == "$0.04"
    text = " ".join(m.value for m in at.markdown)
    plain = text.replace("\\", "")
    assert "shuts down on 2027-01-14" in plain and "jobs from 2027-01-06" in plain and "`twi.jsonl`" in text
    assert "secondary sources" in plain  # 2027-01-06 is doubtful (issue 12, defect 8)
    request = json.loads(at.code[0].value)
    assert (
        request
        == pending.params
        == {
            "model": MINI,
            "training_file": request["training_file"],
            "method": {
                "type": "supervised",
                "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 0.5}},
            },
            "suffix": "page-sft",
            "seed": 42,
            "metadata": {
                "team": "support",
                "run": "1",
                "estimated_trained_tokens": "12210",
                "estimated_cost_usd": "0.0366",
            },
        }
    )
    at.button(key="launch_confirm").click().run()
    assert not at.exception
    sent = creates(sim, at)
    assert len(sent) == 1 and sent[0]["body"] == request and sent[0]["idempotency_key"] == pending.key
    job = demo_sdk(at).fine_tuning.jobs.list().data
    assert len(job) == 1
    assert at.session_state["launch_pending"] is None
    assert job[0].id in at.success[-1].value.replace("\\", "")  # API text is md_escape'd
    assert ui.SESSION_JOBS in at.session_state and job[0].id in at.session_state[ui.SESSION_JOBS]
    link = [p for p in at.get("page_link") if job[0].id in p.proto.label.replace("\\", "")][0]
    assert link.proto.page == "Jobs"
    assert f"job={job[0].id}" in link.proto.query_string
    # a rerun after success sends nothing
    at.run()
    assert len(creates(sim, at)) == 1


def test_estimate_can_stay_out_of_the_metadata(sim, chat):
    at = open_launch(chat)
    at.toggle(key="_launch_record_estimate").set_value(False).run()
    review(at)
    assert "metadata" not in at.session_state["launch_pending"].params


def test_dataset_handoff_brings_its_model_and_method(dpo):
    from lib.validate import validate_bytes

    summary = validate_bytes(dpo.data, model="gpt-4.1-mini", name=dpo.name).summary()
    at = open_launch(dpo, **{ui.DATASET_SUMMARY: summary})
    assert at.selectbox(key="_launch_model").value == "gpt-4.1-mini-2025-04-14"
    assert at.radio(key="_launch_method").value == "dpo"
    assert "54 examples, DPO (preference pairs)" in at.success[0].value


def test_dpo_job_with_beta(sim, dpo):
    at = open_launch(dpo)
    assert at.radio(key="_launch_method").options == ["Supervised (SFT)"]  # gpt-4o-mini: no DPO (issue 12, defect 3)
    at.selectbox(key="_launch_model").set_value(DPO_MODEL).run()
    assert "The supervised method needs chat examples" in errors(at)
    assert at.button(key="launch_review").disabled
    at.radio(key="_launch_method").set_value("dpo").run()
    at = fill(at, beta="0.2", suffix="page-dpo")
    assert "54 examples, DPO (preference pairs)" in at.success[0].value
    review(at)
    at.button(key="launch_confirm").click().run()
    body = creates(sim, at)[0]["body"]
    assert body["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "n_epochs": "auto",
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
                "beta": 0.2,
            }
        },
    }
    assert demo_sdk(at).fine_tuning.jobs.list().data[0].method.type == "dpo"


def test_upload_on_the_page_and_validation_file(sim, chat):
    at = open_launch()
    assert at.radio(key="_launch_train_source").value == "upload"
    at.file_uploader(key="_launch_train_uploader").set_value(("twi.jsonl", chat.data, "application/jsonl")).run()
    at.radio(key="_launch_val_source").set_value("upload").run()
    head = b"".join(chat.data.splitlines(keepends=True)[:10])
    at.file_uploader(key="_launch_val_uploader").set_value(("val.jsonl", head, "application/jsonl")).run()
    assert [s.value for s in at.success][:2] == [
        "100 examples, chat (supervised), 4,070 billed tokens per epoch",
        "10 examples, chat (supervised)",
    ]
    review(at)
    at.button(key="launch_confirm").click().run()
    body = creates(sim, at)[0]["body"]
    files = {f.id: f.filename for f in demo_sdk(at).files.list()}
    assert files[body["training_file"]] == "twi.jsonl" and files[body["validation_file"]] == "val.jsonl"


def test_reuse_a_file_already_on_the_account(sim, chat):
    at = open_launch()
    uploaded = demo_sdk(at).files.create(file=("old.jsonl", chat.data), purpose="fine-tune")
    at.radio(key="_launch_train_source").set_value("account").run()
    box = at.selectbox(key="_launch_train_account")
    assert box.options == [f"old.jsonl · 20.1 KB · {box.options[0].split(' · ')[2]} · {uploaded.id}"]
    box.set_value(uploaded.id).run()
    assert "100 examples" in at.success[0].value  # read back and checked
    uploads_before = len(log_of(sim, at, method="POST", path="/files"))
    review(at)
    assert at.session_state["launch_pending"].params["training_file"] == uploaded.id
    assert len(log_of(sim, at, method="POST", path="/files")) == uploads_before  # nothing uploaded again


def test_cancel_sends_nothing(sim, chat):
    at = review(open_launch(chat))
    at.button(key="launch_cancel").click().run()
    assert at.session_state["launch_pending"] is None and creates(sim, at) == []


def test_a_rerun_reuses_the_idempotency_key(sim, chat):
    """A run that reached the service but never recorded the job: the repeat returns the same job."""
    at = review(open_launch(chat))
    pending = at.session_state["launch_pending"]
    first = demo_sdk(at).fine_tuning.jobs.create(**pending.params, extra_headers={"Idempotency-Key": pending.key})
    at.run()  # a rerun keeps the same pending request and key
    assert at.session_state["launch_pending"].key == pending.key
    at.button(key="launch_confirm").click().run()
    assert at.session_state["launch_result"]["job_id"] == first.id
    assert [j.id for j in demo_sdk(at).fine_tuning.jobs.list()] == [first.id]


def test_the_same_file_is_uploaded_once(sim, chat):
    at = review(open_launch(chat))
    at.button(key="launch_cancel").click().run()
    fill(at, suffix="second-look")
    review(at)
    assert len(log_of(sim, at, method="POST", path="/files")) == 1


def test_identical_recent_job_is_flagged(sim, chat):
    at = review(fill(open_launch(chat), suffix="twice"))
    at.button(key="launch_confirm").click().run()
    review(at)
    warnings = shown(at.warning)
    first = at.session_state["launch_result"]
    assert first is None  # cleared by the new review
    assert "A job with the same model, method, files, suffix and metadata was already created as ftjob-" in warnings


# --------------------------------------------------------------------------- checks before sending
def test_form_keeps_values_across_page_switches(chat):
    at = fill(open_launch(chat), n_epochs="4", suffix="kept", seed="9", metadata="a=b")
    at.selectbox(key="_launch_model").set_value(DPO_MODEL).run()
    at.radio(key="_launch_method").set_value("dpo").run()
    at.switch_page("dashboard.py").run()
    at.switch_page(PAGE).run()
    assert form_values(at) == {"n_epochs": "4", "suffix": "kept", "seed": "9", "metadata": "a=b"}
    assert at.radio(key="_launch_method").value == "dpo"


def test_bad_values_block_with_one_sentence_each(chat):
    at = fill(open_launch(chat), n_epochs="0", suffix="has space", metadata="nope")
    text = errors(at)
    assert 'Epochs: n_epochs must be "auto" or a whole number from 1 to 50; got 0.' in text
    assert "Suffix: suffix must be 1 to 64 characters" in text
    assert "Metadata line 1 must look like key=value" in text
    assert at.button(key="launch_review").disabled
    assert at.metric[0].value == "—"


def test_bad_file_blocks_and_links_to_the_dataset_page():
    broken = LaunchFile.of("fit.jsonl", real_file("10_pretty_printed_fitness_es.jsonl").read_bytes())
    at = open_launch(broken)
    text = errors(at)
    assert "block the launch" in text and "line 1: " in text
    assert any(p.proto.page == "Dataset" for p in at.get("page_link"))
    assert at.button(key="launch_review").disabled


def test_budget_cap_refuses_an_expensive_launch(chat):
    at = fill(open_launch(chat), n_epochs="50")
    at.toggle(key="_launch_budget_on").set_value(True).run()
    at.number_input(key="_launch_budget").set_value(0.5).run()
    assert "The estimated charge $0.61 is above your budget cap of $0.50" in errors(at)
    assert at.button(key="launch_review").disabled
    at.number_input(key="_launch_budget").set_value(1.0).run()
    assert not at.button(key="launch_review").disabled


def test_prefill_from_a_cloned_job(chat):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.session_state[ui.LAUNCH_PREFILL] = {
        "model": "gpt-4.1-mini-2025-04-14",
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": 0.3}},
        },
        "suffix": "clone",
        "seed": 11,
        "metadata": {"from": "ftjob-1"},
        "training_file": "file-gone",
        "validation_file": None,
    }
    at.switch_page(PAGE).run()
    assert at.selectbox(key="_launch_model").value == "gpt-4.1-mini-2025-04-14"
    assert form_values(at) == {"n_epochs": "2", "suffix": "clone", "seed": "11", "metadata": "from=ftjob-1"}
    assert at.text_input(key="_launch_learning_rate_multiplier").value == "0.3"
    assert at.radio(key="_launch_train_source").value == "account"
    assert "file-gone is no longer on the account" in shown(at.warning)
    assert at.session_state[ui.LAUNCH_PREFILL] is None
    assert "Settings copied from an earlier job" in at.info[0].value


def test_retired_model_in_a_clone_is_not_offered():
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.session_state[ui.LAUNCH_PREFILL] = {"model": "gpt-4.1-nano-2025-04-14", "method": "supervised"}
    at.switch_page(PAGE).run()
    assert "gpt-4.1-nano-2025-04-14" not in at.selectbox(key="_launch_model").options
    assert "gpt-4.1-nano-2025-04-14 cannot be fine-tuned any more" in shown(at.warning)


def test_models_list_failure_falls_back_to_the_catalog(sim, chat):
    sim.add_fault(500, method="GET", path="/models", times=2)  # the list is read with one retry
    at = open_launch(chat)
    assert "internal error (500)" in shown(at.warning)
    assert at.selectbox(key="_launch_model").value == MINI


def test_after_the_cutoff_nothing_can_be_launched(monkeypatch, chat):
    monkeypatch.setattr(catalog, "today", lambda: CAT.no_new_jobs_from)
    at = open_launch(chat)
    assert "New fine-tuning jobs can no longer be created: OpenAI stopped accepting them on 2027-01-06" in errors(at)
    assert not [b for b in at.button if b.key == "launch_review"]


# --------------------------------------------------------------------------- refusals
def _confirm(at: AppTest) -> str:
    at.button(key="launch_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["launch_pending"] is None
    return errors(at)


def _form_kept(at: AppTest) -> None:
    assert form_values(at) == {"n_epochs": "2", "suffix": "refused", "seed": "", "metadata": "k=v"}
    assert not at.button(key="launch_review").disabled


def _reviewed(chat) -> AppTest:
    return review(fill(open_launch(chat), suffix="refused", n_epochs="2", metadata="k=v"))


@pytest.mark.parametrize(
    "preset, sentence",
    [
        (
            "blocked_org",
            "OpenAI refused to create the job for this organization (403): This organization is not "
            "allowed to create fine-tuning jobs.",
        ),
        (
            "daily_limit",
            "OpenAI's daily limit of fine-tuning jobs for this model is reached (daily_rate_limit_exceeded). "
            "Try again tomorrow or pick another model; your settings are kept.",
        ),
    ],
)
def test_refusal_presets(sim, chat, preset, sentence):
    at = _reviewed(chat)
    sim.add_fault(preset=preset)
    assert sentence in _confirm(at)
    _form_kept(at)
    assert demo_sdk(at).fine_tuning.jobs.list().data == []
    assert at.session_state["launch_retry"] is None  # a definite refusal: a new confirm gets a new key


def test_refusal_at_the_cutoff(sim, chat):
    at = _reviewed(chat)
    sim.today = CAT.no_new_jobs_from
    assert "OpenAI stopped accepting new fine-tuning jobs on 2027-01-06" in _confirm(at)
    _form_kept(at)


def test_refusal_bad_key(sim, chat):
    at = _reviewed(chat)
    sim.known_keys = {"sk-someone-else"}
    text = _confirm(at)
    assert "The API key was rejected (401). Check the key in the sidebar" in text
    assert at.session_state["demo_api_key"] not in text
    _form_kept(at)


def test_refusal_bad_file(sim, chat):
    at = _reviewed(chat)
    demo_sdk(at).files.delete(at.session_state["launch_pending"].params["training_file"])
    text = _confirm(at)
    assert text.startswith("The API refused the training file: invalid training_file: file-")
    assert "fix it on the Dataset page" in text
    _form_kept(at)


def test_network_down_then_a_safe_retry(sim, chat):
    at = _reviewed(chat)
    key = at.session_state["launch_pending"].key
    sim.add_fault(preset="drop", method="POST", path="/fine_tuning/jobs$")
    assert "Could not reach the API while creating the job, so it may or may not exist" in _confirm(at)
    _form_kept(at)
    review(at)  # the same settings again: the same key, so the retry cannot make a second job
    assert at.session_state["launch_pending"].key == key
    at.button(key="launch_confirm").click().run()
    assert at.session_state["launch_result"]["ok"]
    assert {e["idempotency_key"] for e in creates(sim, at)} == {key}
    assert len(demo_sdk(at).fine_tuning.jobs.list().data) == 1


def test_upload_failure_is_one_sentence(sim, chat):
    at = open_launch(chat)
    sim.add_fault(preset="server_error", method="POST", path="/files", times=3)
    at.button(key="launch_review").click().run()
    assert not at.exception
    assert at.session_state["launch_pending"] is None
    assert "while trying to upload the training file" in errors(at) and "Nothing was created or charged" in errors(at)


def test_account_file_that_cannot_be_read_back(sim, chat):
    """OpenAI may refuse to hand back fine-tune files: the launch goes on unchecked, a budget cap refuses it."""
    at = open_launch()
    uploaded = demo_sdk(at).files.create(file=("theirs.jsonl", chat.data), purpose="fine-tune")
    sim.add_fault(
        400, method="GET", path="/content", times=2, message="Not allowed to download files of purpose: fine-tune."
    )
    at.radio(key="_launch_train_source").set_value("account").run()
    at.selectbox(key="_launch_train_account").set_value(uploaded.id).run()
    warning = shown(at.warning)
    assert "Not checked here" in warning and "Not allowed to download files of purpose: fine-tune" in warning
    assert at.metric[0].value == "—" and not at.button(key="launch_review").disabled
    at.toggle(key="_launch_budget_on").set_value(True).run()
    assert "this job's charge cannot be estimated" in errors(at)
    assert at.button(key="launch_review").disabled
    at.toggle(key="_launch_budget_on").set_value(False).run()
    review(at)
    assert at.session_state["launch_pending"].params["training_file"] == uploaded.id
    assert "The charge cannot be estimated" in shown(at.warning)
