"""Every page with an Azure OpenAI connection (AppTest against the simulator speaking Azure): Azure's dates
and price model everywhere, never OpenAI's (issue 13).

The connection is the owner's (environment), as a team's private deployment would configure it; both ways of
reaching Azure are walked: the v1 API (plain client, no api-version) and the api-version client.
"""

from __future__ import annotations

import re
import time

import openai
import pytest
from streamlit.testing.v1 import AppTest

from lib import catalog, ui
from lib.connection import SIMULATOR_URL_ENV
from lib.handoff import LaunchFile
from lib.simulator.state import key_id
from tests.apptest import open_app
from tests.conftest import APP
from tests.factories import chat_jsonl

SIM_SPEED = 400.0  # the shared ``sim`` fixture runs at this pace: a job succeeds in well under a second

PAGES = ("dashboard.py", "pages/1_Dataset.py", "pages/3_Launch.py", "pages/4_Jobs.py")
COSTS = "pages/2_Costs.py"  # walked on its own: Costs on Azure comes with the costs branch (issue 13)
CAT = catalog.load_catalog()
# What an Azure user must never read: OpenAI's calendar (its last day for new jobs, its shutdown of the
# gpt-4o/4.1 fine-tunes, its earlier retirement of gpt-4.1-nano) and OpenAI's fine-tuned token prices
# (Azure bills a fine-tune at the base model's rate plus hosting).
OPENAI_DATES = ("2027-01-06", "2027-01-14", "2026-10-23")


def openai_fine_tuned_prices() -> set[str]:
    """ "$0.30"-style strings of every OpenAI fine-tuned price that no Azure figure shares."""
    azure_figures = set()
    for info in CAT.models.values():
        base = [getattr(info.base, f) for f in ("input", "cached_input", "output")] if info.base else []
        for value in (info.training_per_1m, *base):
            if value is not None:
                azure_figures.add(f"${value:,.2f}")
    tuned = set()
    for model in CAT.trainable(catalog.today(), "azure"):
        for field in ("input", "cached_input", "output"):
            value = getattr(model.fine_tuned, field)
            if value is not None:
                tuned.add(f"${value:,.2f}")
    return tuned - azure_figures


def page_bytes(node) -> bytes:
    """Everything an element tree holds (texts, labels, options, table cells), as serialized protobuf bytes."""
    out = []
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString"):
        out.append(proto.SerializeToString())
    for child in (getattr(node, "children", None) or {}).values():
        out.append(page_bytes(child))
    return b"".join(out)


def readable(at: AppTest) -> str:
    """The page as text, with markdown escapes removed (``2027\\-01\\-14`` reads 2027-01-14)."""
    return page_bytes(at._tree).decode("utf-8", errors="replace").replace("\\", "")


@pytest.fixture(params=["v1", "api-version"])
def azure(request, sim, monkeypatch):
    """The owner's Azure OpenAI connection pointing at the simulator; yields an SDK client of the same key."""
    key = f"az-walk-{request.param}-{time.time_ns()}"
    root = sim.root_url
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", key)
    monkeypatch.setenv("TUNING_DESK_OWNER_KEY_USERS", "everyone")  # the owner lets every visitor use it
    if request.param == "v1":
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", root + "/openai/v1/")
        client = openai.OpenAI(api_key=key, base_url=root + "/openai/v1/", max_retries=0)
    else:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", root)
        monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
        client = openai.AzureOpenAI(api_key=key, azure_endpoint=root, api_version="2025-04-01-preview", max_retries=0)
    monkeypatch.setenv(SIMULATOR_URL_ENV, sim.base_url)
    sim.today = None
    yield request.param, key, client


def succeeded_job(client) -> dict:
    training = client.files.create(file=("train.jsonl", chat_jsonl(30)), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training.id, suffix="walk", extra_body={"trainingType": "GlobalStandard"}
    )
    deadline = time.time() + 30
    while job.status != "succeeded":
        assert time.time() < deadline and job.status not in ("failed", "cancelled"), job.status
        time.sleep(0.05)
        job = client.fine_tuning.jobs.retrieve(job.id)
    return job.to_dict()


def assert_no_openai_figures(page: str, text: str) -> None:
    for date in OPENAI_DATES:
        assert date not in text, (page, date)
    for price in openai_fine_tuned_prices():
        assert price not in text, (page, price)


def test_costs_shows_no_openai_date_or_fine_tuned_price_to_azure(sim, azure):
    at = open_app(COSTS)
    assert at.session_state["backend"] == "azure"
    assert_no_openai_figures(COSTS, readable(at))


def test_every_page_shows_azure_dates_and_never_openais(sim, azure):
    way, key, client = azure
    job = succeeded_job(client)
    assert re.fullmatch(r"gpt-4o-mini-2024-07-18\.ft-[0-9a-f]{32}", job["fine_tuned_model"])
    chat = LaunchFile.of("walk.jsonl", chat_jsonl(30))
    forbidden_prices = openai_fine_tuned_prices()
    assert {"$0.30", "$3.75", "$15.00", "$12.00"} <= forbidden_prices  # the check has teeth
    seen = {}
    for page in PAGES:
        at = open_app(page, **({ui.LAUNCH_TRAINING: chat} if page == "pages/3_Launch.py" else {}))
        if page == "pages/1_Dataset.py":  # a checked file, on the model OpenAI retired but Azure still trains
            at.selectbox(key="_dataset_sample").set_value("support_chat").run()
            at.selectbox(key="_dataset_model").set_value("gpt-4.1-nano-2025-04-14").run()
            assert "Azure OpenAI trains it until no earlier than 2027-04-14" in readable(at)
        elif page == "pages/3_Launch.py":  # the confirmation dialog too
            at.button(key="launch_review").click().run()
            assert at.session_state["launch_pending"] is not None, [e.value for e in at.error]
        elif page == "pages/4_Jobs.py":
            at.query_params["job"] = job["id"]
            at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        text = readable(at)
        seen[page] = text
        assert_no_openai_figures(page, text)
        assert at.session_state["backend"] == "azure"
    # ...and the Azure facts are what they show instead
    assert "2027-10-01" in seen["dashboard.py"] and "2027-04-01" in seen["dashboard.py"]
    assert "2027-10-01" in seen["pages/3_Launch.py"]  # the model picker's "deployments answer until"
    jobs_page = seen["pages/4_Jobs.py"]
    assert "this fine-tune's deployment answers until 2027-10-01" in jobs_page
    assert "az cognitiveservices account deployment create" in jobs_page and job["fine_tuned_model"] in jobs_page
    assert "$1,224.00" in jobs_page and "does not stop a deployment's charges" in jobs_page
    # the app really spoke Azure's dialect on the way
    paths = {e["path"] for e in sim.request_log if e["key_id"] == key_id(key)}
    assert paths and all(p.startswith("/openai/v1/" if way == "v1" else "/openai/") for p in paths), paths
    if way == "api-version":
        assert all(e["query"].get("api-version") for e in sim.request_log if e["key_id"] == key_id(key))


def test_the_demo_follows_openai_unless_switched_to_azure(sim, monkeypatch):
    monkeypatch.setenv(SIMULATOR_URL_ENV, sim.base_url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert at.session_state["backend"] == "demo" and at.session_state["demo_calendar"] == "openai"
    home = readable(at)
    assert "2027-01-14" in home and "2027-10-01" not in home
    at.radio(key="_demo_calendar").set_value("azure").run()
    home = readable(at)
    assert "2027-10-01" in home and "2027-01-14" not in home and "2027-01-06" not in home
    # the switch holds across pages, and the demo then speaks Azure's dialect
    at.session_state[ui.LAUNCH_TRAINING] = LaunchFile.of("demo.jsonl", chat_jsonl(30))
    at.switch_page("pages/3_Launch.py").run()
    assert at.radio(key="_demo_calendar").value == "azure"
    assert at.radio(key="_launch_training_type").options[:3] == [
        "Standard (regional) · Azure's list price for the model.",
        "Global · 10-30% below Standard.",
        "Developer · 50% below Global.",
    ]
    at.radio(key="_launch_training_type").set_value("Developer").run()
    at.button(key="launch_review").click().run()
    assert at.session_state["launch_pending"].params["trainingType"] == "Developer"
    at.button(key="launch_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    result = at.session_state["launch_result"]
    assert result["ok"] and re.fullmatch(r"ftjob-[0-9a-f]{32}", result["job_id"]), result
    demo_key = key_id(at.session_state["demo_api_key"])
    created = [
        e
        for e in sim.request_log
        if e["key_id"] == demo_key and e["method"] == "POST" and e["path"].endswith("/fine_tuning/jobs")
    ]
    assert [e["path"] for e in created] == ["/openai/v1/fine_tuning/jobs"]


def test_launch_confirmation_on_azure_warns_of_the_hosting_fee(sim, azure):
    at = open_app("pages/3_Launch.py", **{ui.LAUNCH_TRAINING: LaunchFile.of("a.jsonl", chat_jsonl(30))})
    suffix = at.text_input(key="_launch_suffix")
    assert suffix.max_chars == 40 and "Up to 40 letters" in suffix.help  # Azure's limit, not OpenAI's 64
    suffix.set_value("x" * 40).run()
    at.button(key="launch_review").click().run()
    text = readable(at)
    assert "$1.70 per hour ($1,224.00 per 720-hour month)" in text and "15 days" in text
    model = at.session_state["launch_pending"].params["model"]
    assert model == "gpt-4.1-nano-2025-04-14"  # the cheapest on Azure, which OpenAI retired on 2026-10-23
    assert "this fine-tune's deployment answers until 2027-10-14" in text and "2026-10-23" not in text
    assert "Your Azure training price" in text and "OpenAI's list price" in text
