"""The API faults and the surfaces that meet them: what ``test_faults.py`` runs in-process and
``slow_session.py`` runs one surface a process.

A :class:`Kind` is a fault the simulator can play, a :class:`Surface` a place in the app that
calls the API (how to get there, the user's action, what "working again" looks like), and a
:class:`Session` one AppTest session on the custom backend with a dataset loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import openai
from streamlit.testing.v1 import AppTest

from lib.connection import CALL_TIMEOUT_S
from lib.display import md_escape
from tests.apptest import custom_backend, open_app
from tests.factories import chat_jsonl

MINI = "gpt-4o-mini-2024-07-18"
SLOW_BOUND_S = 50.0  # a page answers a silent backend within this: about 41 s (lib/connection.py), plus slack
FORM = {"suffix": "kept-suffix", "n_epochs": "2", "metadata": "team=hardening"}


# --------------------------------------------------------------------------- the faults
@dataclass(frozen=True)
class Kind:
    name: str
    fault: dict  # Simulator.add_fault arguments ({} for "refused": the simulator is stopped instead)
    phrase: str  # what the sentence must say


KINDS = [
    Kind("401", {"status": 401}, "rejected (401)"),
    Kind("403", {"status": 403}, "(403)"),
    Kind("404", {"status": 404}, "(404)"),
    Kind("429", {"status": 429, "retry_after": 1}, "(429)"),
    Kind("500", {"status": 500}, "internal error (500)"),
    Kind("refused", {}, "Could not reach the API"),
    Kind("dropped", {"drop": True}, "Could not reach the API"),
]
SLOW = Kind("slow", {"latency": CALL_TIMEOUT_S + 6}, "did not answer in time")


def inject(sim, kind: Kind, method: str | None, path: str | None) -> Callable[[], None]:
    """Arm ``kind`` for every matching request until the returned function undoes it."""
    if kind.name == "refused":
        port = sim.port
        sim.stop()
        return lambda: sim.start(host="127.0.0.1", port=port)
    sim.add_fault(method=method, path=path, times=None, **kind.fault)
    return sim.clear_faults


# --------------------------------------------------------------------------- one user's session
class Session:
    """One AppTest browser session on the custom backend, with a dataset loaded and the Launch form filled."""

    def __init__(self, sim, key: str):
        self.sim, self.key = sim, key
        self.client = openai.OpenAI(api_key=key, base_url=sim.base_url, max_retries=0)
        at = open_app("pages/1_Dataset.py", timeout=120, **custom_backend(sim.base_url, key))
        at.selectbox(key="_dataset_sample").set_value("support_chat").run()
        at.button(key="_dataset_use").click().run()  # hands the file to Launch, as a user would
        self.at = at
        self.dataset_sha = at.session_state["dataset_train"].sha256

    def to(self, page: str) -> AppTest:
        return self.at.switch_page(page).run()

    def fill_launch_form(self) -> None:
        at = self.to("pages/3_Launch.py")
        for name, value in FORM.items():
            (at.text_area if name == "metadata" else at.text_input)(key="_launch_" + name).set_value(value)
        at.run()
        self.no_exception()

    def fingerprint(self) -> str:
        from lib.connection import Connection

        return Connection("custom", api_key=self.key, base_url=self.sim.base_url).fingerprint()

    def no_exception(self) -> None:
        assert not self.at.exception, ["\n".join(e.stack_trace)[-2000:] for e in self.at.exception]

    def alerts(self) -> list[str]:
        return [plain(a.value) for a in list(self.at.error) + list(self.at.warning)]

    def problems(self) -> list[str]:
        """Alerts about a failed call (not, say, the model's shutdown note)."""
        phrases = [k.phrase for k in [*KINDS, SLOW]] + ["Not found", "Permission denied", "Rate limited"]
        return [a for a in self.alerts() if any(p in a for p in phrases)]

    def one_sentence(self, phrase: str) -> str:
        """Exactly one alert names the failure; it is one plain sentence with no traceback and no key."""
        self.no_exception()
        alerts = self.alerts()
        naming = [a for a in alerts if phrase in a]
        assert len(naming) == 1, f"{phrase!r} in {alerts}"
        assert not any("Traceback" in a or self.key in a for a in alerts), alerts
        assert "\n" not in naming[0] and len(naming[0]) < 400, naming[0]
        return naming[0]

    def kept(self) -> None:
        """The dataset (and, once filled, the Launch form) are still this session's."""
        ss = self.at.session_state
        assert ss["dataset_train"].sha256 == self.dataset_sha
        if "launch_suffix" in ss and ss["launch_suffix"]:
            assert (ss["launch_suffix"], ss["launch_n_epochs"], ss["launch_metadata"]) == tuple(FORM.values())

    def dataset_page_still_ready(self) -> None:
        at = self.to("pages/1_Dataset.py")
        self.no_exception()
        assert plain(at.success[0].value).startswith("Ready to train: 96 examples")


def plain(markdown) -> str:
    """Markdown as read: the escapes of md_escape removed."""
    return str(markdown).replace("\\", "")


def new_job(client, *, suffix: str = "faults") -> str:
    training = client.files.create(file=("train.jsonl", chat_jsonl(12)), purpose="fine-tune")
    return client.fine_tuning.jobs.create(model=MINI, training_file=training.id, suffix=suffix).id


# --------------------------------------------------------------------------- the surfaces
@dataclass
class Surface:
    """Where a fault is met: how to get there, what the user does, and what "working again" looks like."""

    name: str
    method: str | None
    path: str | None  # the fault's path (see lib/simulator/faults.py); "{job}" is filled in
    prepare: Callable[[Session], dict]  # once per session; returns context for act/recover
    act: Callable[[Session, dict], None]  # the user's action that meets the fault
    recover: Callable[[Session, dict], None]  # the same action once the fault is gone, checked
    before: Callable[[Session, dict], None] | None = None  # before each fault, while the backend is fine
    phrases: dict[str, str] | None = None  # per-kind sentence, where the page words it its own way

    def phrase(self, kind: Kind) -> str:
        return (self.phrases or {}).get(kind.name, kind.phrase)


def _prepare_home(s: Session) -> dict:
    s.to("dashboard.py")
    return {}


def _test_connection(s: Session, ctx: dict) -> None:
    s.at.sidebar.button(key="_test_connection").click().run()


def _connection_works(s: Session, ctx: dict) -> None:
    _test_connection(s, ctx)
    assert "Reached Custom" in plain(s.at.sidebar.success[0].value)


def _prepare_launch(s: Session) -> dict:
    s.fill_launch_form()
    return {}


def _refresh_models(s: Session, ctx: dict) -> None:
    s.at.button(key="launch_refresh").click().run()


def _models_listed(s: Session, ctx: dict) -> None:
    _refresh_models(s, ctx)
    s.no_exception()
    assert not [a for a in s.alerts() if "list the account's models" in a]


def _review(s: Session, ctx: dict) -> None:
    s.at.session_state["launch_uploaded"] = {}  # forget earlier uploads, so the review uploads again
    s.at.button(key="launch_review").click().run()


def _reviewed(s: Session, ctx: dict) -> None:
    _review(s, ctx)
    s.no_exception()
    assert s.at.session_state["launch_pending"] is not None, s.alerts()
    s.at.button(key="launch_cancel").click().run()


def _open_confirmation(s: Session, ctx: dict) -> None:
    s.at.button(key="launch_review").click().run()
    assert s.at.session_state["launch_pending"] is not None, s.alerts()
    ctx["jobs_before"] = len(s.client.fine_tuning.jobs.list().data)


def _confirm(s: Session, ctx: dict) -> None:
    s.at.button(key="launch_confirm").click().run()


def _created_once(s: Session, ctx: dict) -> None:
    s.at.button(key="launch_review").click().run()  # the same settings again (the same key if it may exist)
    s.at.button(key="launch_confirm").click().run()
    s.no_exception()
    assert s.at.session_state["launch_result"]["ok"], s.alerts()
    assert len(s.client.fine_tuning.jobs.list().data) == ctx["jobs_before"] + 1  # a retry never makes two


def _prepare_jobs(s: Session) -> dict:
    job = new_job(s.client)
    s.at.query_params["job"] = job
    s.to("pages/4_Jobs.py")
    s.no_exception()
    return {"job": job}


def _refresh_list(s: Session, ctx: dict) -> None:
    s.at.button(key="jobs_refresh_list").click().run()


def _list_works(s: Session, ctx: dict) -> None:
    _refresh_list(s, ctx)
    s.no_exception()
    assert not s.problems(), s.problems()
    assert ctx["job"] in s.at.session_state["jobs_table_ids"] and s.at.session_state["jobs_job"] == ctx["job"]


def _open_new_job(s: Session, ctx: dict) -> None:
    ctx["job"] = ctx.pop("next")
    s.at.query_params["job"] = ctx["job"]
    s.at.run()


def _prepare_next_job(s: Session, ctx: dict) -> None:
    ctx["next"] = new_job(s.client, suffix="opened")


def _job_opens(s: Session, ctx: dict) -> None:
    s.at.button(key="jobs_retry_open").click().run()
    s.no_exception()
    assert not s.problems(), s.problems()
    assert any(md_escape(ctx["job"]) == h.value for h in s.at.subheader)  # the heading is escaped markdown


def _ask_to_cancel(s: Session, ctx: dict) -> None:
    s.at.button(key="jobs_cancel").click().run()


def _cancel(s: Session, ctx: dict) -> None:
    s.at.button(key="jobs_cancel_yes").click().run()


def _cancelled(s: Session, ctx: dict) -> None:
    if s.client.fine_tuning.jobs.retrieve(ctx["job"]).status == "cancelled":
        # A slow cancel reaches the service after the client gave up: the page must then show it ended.
        s.at.run()
        s.no_exception()
        assert "jobs_cancel" not in [b.key for b in s.at.button]
        watched = [w for key, w in s.at.session_state["jobs_watch"].items() if key.endswith(f":{ctx['job']}")]
        assert watched and all(w.status == "cancelled" for w in watched)
    else:
        _ask_to_cancel(s, ctx)
        _cancel(s, ctx)
        s.no_exception()
        assert any(f"Job {ctx['job']} cancelled" in plain(m.value) for m in s.at.success), s.alerts()
    _prepare_next_job(s, ctx)
    _open_new_job(s, ctx)  # a fresh running job for the next fault


SURFACES = [
    Surface("sidebar connection test", "GET", "/models", _prepare_home, _test_connection, _connection_works),
    Surface("Launch model list", "GET", "/models", _prepare_launch, _refresh_models, _models_listed),
    Surface("Launch upload", "POST", "/files", _prepare_launch, _review, _reviewed),
    Surface(
        "Launch create",
        "POST",
        "/fine_tuning/jobs$",
        _prepare_launch,
        _confirm,
        _created_once,
        before=_open_confirmation,
        phrases={
            "403": "OpenAI refused to create the job for this organization (403)",
            "500": "internal error (500) while creating the job, so it may or may not exist",
        },
    ),
    Surface("Jobs list", "GET", "/fine_tuning/jobs", _prepare_jobs, _refresh_list, _list_works),
    Surface(
        "Jobs open a job",
        "GET",
        "/fine_tuning/jobs/{job}",
        _prepare_jobs,
        _open_new_job,
        _job_opens,
        before=_prepare_next_job,
    ),
    Surface("Jobs cancel", "POST", "/cancel", _prepare_jobs, _cancel, _cancelled, before=_ask_to_cancel),
]
