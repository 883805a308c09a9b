"""Jobs: the account's fine-tuning jobs, one job watched live, several compared, each archivable.

The API is the source of truth: a reload loses nothing. Session state only keeps
what this browser session has already fetched, so a live refresh asks for the job
and for the events newer than those seen (at most two calls), and an ended job's
records are loaded once.
"""

from __future__ import annotations

import json
import time
from zoneinfo import ZoneInfo

import openai
import streamlit as st

from lib import calls, catalog, jobs, ui
from lib.charts.jobs import compare_figure, training_figure
from lib.costs import usd
from lib.display import md_escape
from lib.errors import explain
from lib.handoff import EvaluateRequest

LIST_PAGE_SIZE = 20
LIST_MAX_AGE_S = 30  # a full run refetches the newest jobs when the list is older than this
MAX_WATCHED_JOBS = 12  # jobs whose events this session keeps in memory
JOB_FRESH_S = 0.8  # a job fetched this recently (same run) is not fetched again
ANY_MODEL = "Any model"
STATUS_CHOICES = ("validating_files", "queued", "running", "paused", "succeeded", "failed", "cancelled")
STEP_STYLE = {  # timeline step state -> (colour, icon)
    "done": ("green", ":material/check_circle:"),
    "current": ("blue", ":material/pending:"),
    "pending": ("gray", ":material/radio_button_unchecked:"),
    "skipped": ("gray", ":material/block:"),
}

conn = ui.page_setup("Jobs", ":material/monitoring:")
ss = st.session_state
for name, default in (
    ("jobs_watch", {}),
    ("jobs_list", None),
    ("jobs_job", None),
    ("jobs_refresh_s", 5.0),
    ("jobs_confirm_cancel", None),
    ("jobs_flash", None),
    ("jobs_drawn_status", {}),
    ("jobs_meta_filter", ""),
    ("jobs_view", "Watch"),
    ("jobs_smoothing", 0.6),
    ("jobs_compare_smoothing", 0.6),
    ("jobs_status_filter", []),
    ("jobs_model_filter", ANY_MODEL),
    ("jobs_levels", ["info", "warn", "error"]),
    ("jobs_compare", []),
    ("jobs_compare_metric", next(iter(jobs.METRIC_LABELS))),
    ("jobs_compare_all", False),
):
    ss.setdefault(name, default)

st.title("Jobs")
st.caption("Watch a job live, compare runs, keep a copy of everything before the models go away.")

problem = conn.missing()
if problem:
    st.info(problem, icon=":material/key:")
    st.stop()
client = calls.WATCH.client(conn)
calendar = ui.calendar_of(conn)  # the backend's dates and price model: "openai" or "azure"
fingerprint = conn.fingerprint() + "|" + calendar  # the demo's Azure mode is another account view
# Trips once a call of this full run (or of the button callback before it) has failed: the rest of the run
# shows what was last seen instead of asking again, so a backend that is down or silent costs one wait
# and one sentence, not one per call.
guard = calls.FailureGuard.for_run(failed_before=ss.pop("jobs_action_failed", False))
try:
    tz = ZoneInfo(st.context.timezone) if st.context.timezone else None
except Exception:  # an unknown zone name from the browser: show UTC
    tz = None


# ------------------------------------------------------------------------------------- state helpers
def watch_key(job_id: str) -> str:
    return f"{fingerprint}:{job_id}"


def keep_watch(watch: jobs.JobWatch, in_use: set[str]) -> None:
    """Store ``watch`` as the most recent one; forget the oldest beyond the bound (never one in use)."""
    key = watch_key(watch.id)
    ss.jobs_watch.pop(key, None)
    ss.jobs_watch[key] = watch
    for old in list(ss.jobs_watch):
        if len(ss.jobs_watch) <= MAX_WATCHED_JOBS:
            break
        if old not in in_use:
            del ss.jobs_watch[old]


def watched_jobs() -> dict[str, dict]:
    """The freshest job objects this session watched on this connection, by id."""
    prefix = fingerprint + ":"
    return {w.id: w.job for k, w in ss.jobs_watch.items() if k.startswith(prefix)}


def flash(kind: str, text: str) -> None:
    ss.jobs_flash = (kind, text)


# ------------------------------------------------------------------------------------- callbacks
def pick_job(job_id: str | None) -> None:
    if job_id and not jobs.is_job_id(job_id):
        flash("warning", "That is not a job id; job ids look like ftjob-abc123.")
        return
    ss.jobs_job = job_id
    ss.jobs_confirm_cancel = None
    if job_id:
        st.query_params["job"] = job_id  # a link to the page opens this job
    else:
        st.query_params.pop("job", None)


def on_pick_box() -> None:
    pick_job(ss._jobs_job)


def on_pick_row() -> None:
    rows = ss.jobs_table.selection.rows
    if rows and rows[0] < len(ss.get("jobs_table_ids", [])):
        pick_job(ss.jobs_table_ids[rows[0]])
        ss.jobs_view = "Watch"


def act(key: str, action: str) -> None:
    """Cancel, pause or resume the watched job; the outcome is flashed on the next run."""
    watch = ss.jobs_watch.get(key)
    ss.jobs_confirm_cancel = None
    if watch is None:
        return
    call = {"cancel": jobs.cancel_job, "pause": jobs.pause_job, "resume": jobs.resume_job}[action]
    done = {"cancel": "cancelled", "pause": "paused", "resume": "resumed"}[action]
    try:
        watch.update(call(client, watch.id), time.time())
    except openai.OpenAIError as exc:
        flash("error", explain(exc, action=f"{action} the job"))
        ss.jobs_action_failed = True
        return
    now = jobs.status_label(watch.status).lower()
    flash("success", f"Job {watch.id} {done}." + ("" if now == done else f" It is now {now}."))


# ------------------------------------------------------------------------------------- the list
def load_list(meta_filter: dict[str, str]) -> jobs.Listing | None:
    """The jobs list for this connection and metadata filter, from session state or the API."""
    key = (fingerprint, tuple(sorted(meta_filter.items())))
    older, refresh = ss.pop("jobs_list_older", False), ss.pop("jobs_list_refresh", False)
    if guard and ss.jobs_list is not None and ss.jobs_list.key == key:
        return ss.jobs_list  # a button's call just failed and said so: keep what was seen, do not wait again
    try:
        ss.jobs_list = jobs.update_listing(
            client,
            ss.jobs_list,
            key,
            meta_filter,
            now=time.time(),
            older=older,
            refresh=refresh,
            max_age_s=LIST_MAX_AGE_S,
            page_size=LIST_PAGE_SIZE,
        )
    except openai.OpenAIError as exc:
        ui.show_error(exc, action="list the jobs")
        guard.note("list")
    return ss.jobs_list


def list_section() -> list[dict]:
    """Filters, the table of jobs and paging; returns the jobs shown (newest first)."""
    with st.container(border=True):
        cols = st.columns([3, 3, 3, 1.4], vertical_alignment="bottom")
        statuses = cols[0].multiselect(
            "Status",
            STATUS_CHOICES,
            placeholder="Any status",
            format_func=jobs.status_label,
            **ui.bind("jobs_status_filter"),
        )
        cols[2].text_input(
            "Metadata",
            **ui.bind("jobs_meta_filter"),
            placeholder="team=search, run=7",
            help="Jobs whose metadata holds all these key=value pairs (filtered by the API).",
        )
        cols[3].button(
            "Refresh",
            icon=":material/refresh:",
            key="jobs_refresh_list",
            width="stretch",
            on_click=lambda: ss.update(jobs_list_refresh=True),
        )
        try:
            meta_filter = jobs.parse_metadata_filter(ss.jobs_meta_filter)
        except ValueError as exc:
            st.warning(md_escape(str(exc)), icon=":material/filter_alt_off:")
            meta_filter = {}
        listing = load_list(meta_filter)
        fresh = watched_jobs()
        loaded = [fresh.get(j["id"], j) for j in (listing.jobs if listing else [])]
        models = sorted({catalog.base_model_name(j.get("model") or "") for j in loaded} - {""})
        if ss.jobs_model_filter not in models:  # a model of another connection or filter: any model
            ss.jobs_model_filter = ANY_MODEL
        model = cols[1].selectbox("Base model", [ANY_MODEL, *models], **ui.bind("jobs_model_filter"))
        shown = jobs.filter_jobs(loaded, statuses=statuses, model=None if model == ANY_MODEL else model)
        if not loaded:
            st.info(
                "No fine-tuning jobs on this connection yet"
                + (" with that metadata." if meta_filter else ".")
                + " Launch one on the Launch page.",
                icon=":material/inbox:",
            )
            st.page_link("pages/3_Launch.py", label="Go to Launch", icon=":material/rocket_launch:")
            return []
        ss.jobs_table_ids = [j["id"] for j in shown]
        st.dataframe(
            jobs.jobs_table(shown, tz),
            key="jobs_table",
            on_select=on_pick_row,
            selection_mode="single-row",
            column_order=("status", "created", "model", "fine_tuned_model", "trained_tokens", "id", "metadata"),
            hide_index=True,
            height=min(38 + 35 * max(len(shown), 1), 300),
            width="stretch",
            column_config={
                "status": st.column_config.TextColumn("Status", width="small"),
                "model": "Base model",
                "created": "Created",
                "fine_tuned_model": st.column_config.TextColumn("Fine-tuned model", width="large"),
                "trained_tokens": st.column_config.NumberColumn("Trained tokens", format="localized"),
                "id": "Job id",
                "metadata": "Metadata",
            },
        )
        note = f"{len(shown)} of {len(loaded)} loaded jobs, newest first. Click a row to open it."
        paging = st.columns([4, 1], vertical_alignment="center")
        paging[0].caption(note)
        if listing and listing.has_more:
            paging[1].button(
                "Load older jobs", key="jobs_older", width="stretch", on_click=lambda: ss.update(jobs_list_older=True)
            )
    return shown


# ------------------------------------------------------------------------------------- one job, live
def draw_timeline(steps: list[jobs.TimelineStep], job: dict) -> None:
    cols = st.columns(len(steps))
    for col, step in zip(cols, steps):
        color, icon = STEP_STYLE[step.state]
        if step.state in ("done", "current") and step.status in jobs.STATUS_ICONS:
            icon = jobs.STATUS_ICONS[step.status]
        if step.status == "failed" and step.state == "done":
            color = "red"
        elif step.status in ("cancelled", "paused") and step.state in ("done", "current"):
            color = "orange"
        col.markdown(f":{color}[{icon} **{step.label}**]")
        when = jobs.format_time(step.at, tz) if step.at else ("now" if step.state == "current" else "—")
        col.caption(when)


def live_panel(key: str) -> None:
    """Status, progress, curves and events of one job; refreshed on a timer while the job runs."""
    watch: jobs.JobWatch | None = ss.jobs_watch.get(key)
    if watch is None:
        return
    problem = None
    if ss.pop("jobs_skip_poll", None) == key:
        pass  # this full run already failed to reach the API and said so; the next tick polls again
    elif not watch.terminal:
        try:
            jobs.poll(client, watch, job_fresh_for=JOB_FRESH_S)
            ui.remember_job(watch.id, watch.status)
        except openai.OpenAIError as exc:
            problem = explain(exc, action="refresh the job")
    if watch.status != ss.jobs_drawn_status.get(key):
        # A new status: redraw the whole page (actions, result, and no timer once the job has ended).
        st.rerun()
    if problem:
        st.warning(
            f"{md_escape(problem)} Retrying every {ss.jobs_refresh_s:g} s; showing what was last seen.",
            icon=":material/cloud_off:",
        )
    job = watch.job
    events = watch.log.events
    draw_timeline(jobs.status_timeline(job, events), job)
    rows = jobs.metric_rows(events)
    progress = jobs.job_progress(job, rows)
    st.progress(progress.fraction or 0.0, text=progress.text())
    eta = jobs.eta_text(job, time.time(), tz)
    refreshed = jobs.format_time(watch.fetched_at, tz)
    if watch.terminal:
        st.caption(f"The job has ended ({jobs.format_time(job.get('finished_at'), tz)}); it is no longer refreshed.")
    else:
        st.caption(" · ".join(filter(None, [eta, f"refreshed {refreshed}, every {ss.jobs_refresh_s:g} s"])))

    smoothing = st.slider(
        "Smoothing (EMA)",
        0.0,
        0.95,
        step=0.05,
        **ui.bind("jobs_smoothing"),
        help="Exponential moving average of the noisy per-step curves; full validation "
        "points (once per epoch) are never smoothed.",
    )
    left, right = st.columns(2)
    left.plotly_chart(
        training_figure(rows, smoothing=smoothing, total_steps=progress.total_steps),
        key="jobs_loss_chart",
        width="stretch",
    )
    right.plotly_chart(
        training_figure(rows, accuracy=True, smoothing=smoothing, total_steps=progress.total_steps),
        key="jobs_accuracy_chart",
        width="stretch",
    )

    counts = jobs.level_counts(events)
    head = st.columns([2, 3], vertical_alignment="bottom")
    levels = head[0].pills("Event levels", ["info", "warn", "error"], selection_mode="multi", **ui.bind("jobs_levels"))
    complete = "" if watch.log.complete else " Older events are still being fetched."
    head[1].caption(
        f"{len(events)} events seen ({', '.join(f'{n} {lv}' for lv, n in counts.items())}), newest first.{complete}"
    )
    st.dataframe(
        jobs.events_table(events, levels, tz),
        hide_index=True,
        height=260,
        width="stretch",
        key="jobs_events",
        column_config={"message": st.column_config.TextColumn("Message", width="large")},
    )


# ------------------------------------------------------------------------------------- one job, static parts
def actions_row(key: str, watch: jobs.JobWatch) -> None:
    status = watch.status
    row = st.container(horizontal=True, gap="small")
    if not watch.terminal:
        row.button(
            "Cancel job",
            icon=":material/cancel:",
            key="jobs_cancel",
            on_click=lambda: ss.update(jobs_confirm_cancel=watch.id),
        )
    if status == "running":
        row.button("Pause", icon=":material/pause:", key="jobs_pause", on_click=act, args=(key, "pause"))
    elif status == "paused":
        row.button("Resume", icon=":material/play_arrow:", key="jobs_resume", on_click=act, args=(key, "resume"))
    if row.button(
        "Clone into Launch",
        icon=":material/content_copy:",
        key="jobs_clone",
        help="Open the Launch form filled with this job's settings.",
    ):
        ui.set_launch_prefill(jobs.clone_prefill(watch.job))
        st.switch_page("pages/3_Launch.py")
    if (
        status == "succeeded"
        and watch.job.get("fine_tuned_model")
        and row.button(
            "Evaluate this model",
            icon=":material/balance:",
            key="jobs_evaluate",
            help="Measure it against a prompted base or replacement model on your own examples.",
        )
    ):
        ui.set_evaluate_request(EvaluateRequest(model=watch.job["fine_tuned_model"], base_model=watch.job.get("model")))
        st.switch_page("pages/5_Evaluate.py")
    if watch.final_loaded:
        snapshot = (
            dict(watch.job),
            list(watch.log.events),
            list(watch.checkpoints or []),
            dict(watch.result_files or {}),
            dict(watch.files),
            catalog.today(),
            calendar,
        )

        def build() -> bytes:  # runs on click, in another thread: only the snapshot, no session state
            job, events, checkpoints, results, files, today, on = snapshot
            return jobs.build_archive(job, events, checkpoints, results, files, today=today, calendar=on)

        row.download_button(
            "Download archive",
            data=build,
            file_name=jobs.archive_name(watch.job),
            mime="application/zip",
            icon=":material/archive:",
            key="jobs_archive",
            on_click="ignore",
            type="primary",
            help="One zip: job JSON, all events, metrics, checkpoints, result CSV, file details and a README.",
        )
    if ss.jobs_confirm_cancel == watch.id and not watch.terminal:
        with st.container(border=True):
            st.warning(
                f"Cancel job {md_escape(watch.id)}? Training stops for good: a cancelled job cannot be resumed, "
                "and training again means launching (and paying for) a new job.",
                icon=":material/warning:",
            )
            yes, no, _ = st.columns([1.2, 1, 3])
            yes.button("Yes, cancel the job", type="primary", key="jobs_cancel_yes", on_click=act, args=(key, "cancel"))
            no.button("Keep it running", key="jobs_cancel_no", on_click=lambda: ss.update(jobs_confirm_cancel=None))


def result_section(watch: jobs.JobWatch) -> None:
    job = watch.job
    st.subheader("Result")
    sentence = jobs.error_sentence(job)
    if sentence:
        st.error(f"The job failed: {md_escape(sentence)}", icon=":material/error:")  # it quotes the file
    if job.get("fine_tuned_model") and calendar == "azure":
        st.markdown("**Fine-tuned model**: deploy it first; calls then use the deployment's name as `model`.")
        st.code(job["fine_tuned_model"], language=None)
        deploy_section(job["fine_tuned_model"])
    elif job.get("fine_tuned_model"):
        st.markdown("**Fine-tuned model**: use this name as `model` in your API calls.")
        st.code(job["fine_tuned_model"], language=None)
    elif not watch.terminal:
        st.caption(
            "The fine-tuned model's name appears here when the job succeeds; the checkpoints "
            "(one per epoch, the last three kept) and the result file follow."
        )
    if watch.checkpoints:
        rows = jobs.checkpoint_rows(watch.checkpoints)
        best = jobs.best_checkpoint(watch.checkpoints)
        st.markdown("**Checkpoints** (the last three epochs)")
        table = [
            {
                "best": "★ best" if best and r["id"] == best["id"] else "",
                "step": r["step"],
                "checkpoint": r["checkpoint"],
                **{k: r[k] for k in jobs.METRIC_KEYS},
            }
            for r in rows
        ]
        number = st.column_config.NumberColumn
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key="jobs_checkpoints",
            column_config={
                "best": st.column_config.TextColumn("", width="small"),
                "step": "Step",
                "checkpoint": st.column_config.TextColumn("Checkpoint model", width="large"),
                **{k: number(jobs.METRIC_LABELS[k], format="%.4f") for k in jobs.METRIC_KEYS},
            },
        )
        if best:
            which = "validation loss" if best.get("valid_loss") is not None else "full validation loss"
            value = best.get("valid_loss") if best.get("valid_loss") is not None else best.get("full_valid_loss")
            use = (
                "On Azure OpenAI it is deployed like the final model (its name as the model to deploy):"
                if calendar == "azure"
                else "A checkpoint answers like any fine-tuned model:"
            )
            st.success(
                f"Best by {which}: the checkpoint at step {best['step']:,} ({which} {value:.4f}). {use}",
                icon=":material/star:",
            )
            st.code(best["checkpoint"], language=None)
    elif watch.terminal and watch.checkpoints == [] and job.get("status") == "succeeded":
        st.caption("The API reported no checkpoints for this job.")
    for file_id, text in (watch.result_files or {}).items():
        rows = jobs.parse_result_csv(text)
        with st.expander(f"Result file · {len(rows):,} steps"):
            st.dataframe(rows, hide_index=True, width="stretch", height=240, key=f"jobs_result_table_{file_id}")
        st.download_button(
            "Download result CSV",
            text,
            file_name=f"{job['id']}-{file_id}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"jobs_result_{file_id}",
        )


def deploy_section(model: str) -> None:
    """Azure OpenAI: how to deploy the fine-tuned model, what the deployment costs, and that it keeps costing."""
    deployment = jobs.azure_deployment(model)
    with st.container(border=True):
        st.markdown("**Deploy it on Azure OpenAI** (a fine-tuned model answers only once deployed)")
        st.caption(
            "The management API takes an Entra ID token (`az login`), not the API key. Fill in your "
            "subscription, resource group and Azure OpenAI resource."
        )
        request, command = st.tabs(["Management API request", "az command"])
        request.code(f"PUT {deployment.url}", language=None)
        request.code(json.dumps(deployment.body, indent=2), language="json")
        request.code(deployment.curl, language="bash")
        command.code(deployment.az_command, language="bash")
        costs = jobs.azure_hosting_costs()
        st.markdown("**What the deployment costs while it exists** (plus tokens at the base model's rate)")
        st.dataframe(
            [
                {
                    "Deployment type": c.label,
                    "Per hour": usd(c.usd_per_hour),
                    f"Per month ({c.hours_per_month} h)": usd(c.usd_per_month),
                    "Note": ("Doubtful. " if c.doubtful else "") + c.note,
                }
                for c in costs
            ],
            hide_index=True,
            width="stretch",
            key="jobs_hosting",
        )
        st.caption(f"Source: {costs[0].source} (as of {costs[0].as_of}).")
        st.warning(md_escape(jobs.azure_charges_note()), icon=":material/payments:")
        st.code(deployment.az_delete, language="bash")


def details_section(watch: jobs.JobWatch) -> None:
    job = watch.job
    note = jobs.shutdown_note(job.get("model") or "", catalog.today(), calendar=calendar)
    show = st.warning if note.days_left is not None and note.days_left <= 90 else st.info
    show(md_escape(note.text), icon=":material/event_busy:")

    st.subheader("Cost")
    cost = jobs.job_cost(job, calendar=calendar)
    a, b, c = st.columns(3)
    delta = (
        ("+" if cost.difference_usd >= 0 else "") + usd(cost.difference_usd) + " vs estimate"
        if cost.difference_usd is not None
        else None
    )
    a.metric(
        "Actual training cost",
        usd(cost.actual_usd) if cost.actual_usd is not None else "—",
        delta=delta,
        delta_color="inverse",
    )
    b.metric("Pre-launch estimate", usd(cost.estimated_usd) if cost.estimated_usd is not None else "—")
    c.metric("Trained tokens", f"{cost.trained_tokens:,}" if cost.trained_tokens is not None else "—")
    missing = (
        ""
        if cost.estimated_usd is not None
        else " No pre-launch estimate is recorded on this job (Launch stores one in the job's metadata)."
    )
    st.caption(cost.note + missing)

    st.subheader("Settings")
    left, right = st.columns(2)
    with left:
        st.markdown("**Hyperparameters** (as the API reports them; numbers once training has started)")
        hyper = {"method": jobs.method_type(job), **{k: str(v) for k, v in jobs.hyperparameters(job).items()}}
        st.dataframe([hyper], hide_index=True, width="stretch", key="jobs_hyper")
        st.markdown("**Seed, suffix and metadata**")
        st.json(
            {"seed": job.get("seed"), "suffix": jobs.suffix_of(job), "metadata": job.get("metadata") or {}},
            expanded=True,
        )
    with right:
        st.markdown("**Files**")
        roles = {
            job.get("training_file"): "training",
            job.get("validation_file"): "validation",
            **{f: "result" for f in job.get("result_files") or []},
        }
        rows = []
        for file_id in jobs.file_ids(job):
            info = watch.files.get(file_id) or {}
            rows.append(
                {
                    "role": roles.get(file_id),
                    "id": file_id,
                    "filename": info.get("filename"),
                    "bytes": info.get("bytes"),
                    "created": jobs.format_time(info.get("created_at"), tz),
                    "note": info.get("error") or "",
                }
            )
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            key="jobs_files",
            column_config={"bytes": st.column_config.NumberColumn("Bytes", format="localized")},
        )
        st.caption(
            f"Created {jobs.format_time(job.get('created_at'), tz)} · organization {job.get('organization_id') or '—'}"
        )


def watch_section(job_id: str | None, in_use: set[str]) -> None:
    if not job_id:
        st.info("Pick a job in the list above (or paste a job id) to watch it.", icon=":material/touch_app:")
        return
    key = watch_key(job_id)
    watch: jobs.JobWatch | None = ss.jobs_watch.get(key)
    now = time.time()
    if guard:  # the list just failed: one sentence says it, and nothing is asked again in this run
        if watch is None:
            st.button("Try again", icon=":material/refresh:", key="jobs_retry_open")
            return
        ss.jobs_skip_poll = key
    elif watch is None or (not watch.terminal and now - watch.fetched_at > JOB_FRESH_S):
        try:
            job = jobs.fetch_job(client, job_id)
        except openai.OpenAIError as exc:
            guard.note("job")
            if watch is None:
                ui.show_error(exc, action="open the job")
                st.button("Try again", icon=":material/refresh:", key="jobs_retry_open")
                return
            st.warning(
                md_escape(explain(exc, action="refresh the job")) + " Showing what was last seen.",
                icon=":material/cloud_off:",
            )
            ss.jobs_skip_poll = key
        else:
            if watch is None:
                watch = jobs.JobWatch(job)
            watch.update(job, now)
    keep_watch(watch, in_use)
    ui.remember_job(watch.id, watch.status)
    try:
        if guard:
            pass  # the records load on a later run, once the API answers
        elif watch.terminal and not watch.final_loaded:
            with st.spinner("Loading the job's records (events, checkpoints, result file)…"):
                jobs.load_final(client, watch)
        elif not watch.terminal and not all(f in watch.files for f in jobs.file_ids(watch.job)):
            watch.files = jobs.fetch_file_metadata(client, watch.job, watch.files)
    except openai.OpenAIError as exc:
        ui.show_error(exc, action="load the job's records")

    job = watch.job
    head = st.columns([5, 2], vertical_alignment="bottom")
    with head[0]:
        st.subheader(md_escape(job["id"]), anchor=False)
        label = jobs.status_label(watch.status)
        color = {"succeeded": "green", "failed": "red", "cancelled": "orange", "paused": "orange"}.get(
            watch.status, "blue"
        )
        st.badge(label, icon=jobs.STATUS_ICONS.get(watch.status), color=color)
        st.caption(
            md_escape(
                f"{job.get('model')} · {jobs.method_type(job)}"
                + (f" · suffix {jobs.suffix_of(job)}" if jobs.suffix_of(job) else "")
            )
        )
    if not watch.terminal:
        head[1].number_input(
            "Refresh every (seconds)",
            min_value=0.5,
            max_value=600.0,
            step=0.5,
            format="%g",
            **ui.bind("jobs_refresh_s"),
            help="How often the live panel asks the API for news while the job runs.",
        )
    actions_row(key, watch)

    ss.jobs_drawn_status[key] = watch.status
    run_every = None if watch.terminal else ss.jobs_refresh_s  # no timer once the job has ended
    with st.container(border=True):
        st.fragment(run_every=run_every)(live_panel)(key)

    result_section(watch)
    details_section(watch)
    if not watch.final_loaded:
        st.caption(
            ":material/archive: The archive (job, events, checkpoints, result file, README) is offered "
            "once the job has ended."
        )
    else:
        st.caption(
            ":material/archive: Download the archive above: these models and their records go away "
            "with the base-model shutdowns."
        )


# ------------------------------------------------------------------------------------- compare
def compare_section(shown: list[dict], in_use: set[str]) -> None:
    fresh = {j["id"]: j for j in shown}
    ss.jobs_compare = [i for i in ss.jobs_compare if i in fresh]  # jobs the list no longer shows drop out
    chosen = st.multiselect(
        "Jobs to compare",
        list(fresh),
        **ui.bind("jobs_compare"),
        max_selections=8,
        format_func=lambda i: jobs.job_label(fresh.get(i, {"id": i})),
        placeholder="Pick two or more jobs",
    )
    if len(chosen) < 2:
        st.info(
            "Pick two or more jobs to overlay their curves and see which settings differ.",
            icon=":material/compare_arrows:",
        )
        return
    watches = []
    in_use |= {watch_key(i) for i in chosen}
    with st.spinner("Loading the jobs' events…"):
        for job_id in chosen:
            watch = ss.jobs_watch.get(watch_key(job_id))
            try:
                if guard:  # said once already: compare what was last seen
                    pass
                elif watch is None or not watch.terminal:
                    job = jobs.fetch_job(client, job_id)
                    watch = watch or jobs.JobWatch(job)
                    watch.update(job, time.time())
                if not guard and not (watch.terminal and watch.log.complete):
                    jobs.fetch_all_events(client, job_id, watch.log)
            except openai.OpenAIError as exc:
                ui.show_error(exc, action=f"load job {job_id}")
                guard.note("compare")
            if watch is None:
                continue
            keep_watch(watch, in_use)
            watches.append(watch)
    if len(watches) < 2:
        return
    rows_by_job = {w.id: jobs.metric_rows(w.log.events) for w in watches}
    controls = st.columns([2, 3], vertical_alignment="bottom")
    metric = controls[0].selectbox(
        "Metric", list(jobs.METRIC_LABELS), **ui.bind("jobs_compare_metric"), format_func=jobs.METRIC_LABELS.get
    )
    smoothing = controls[1].slider("Smoothing (EMA)", 0.0, 0.95, step=0.05, **ui.bind("jobs_compare_smoothing"))
    labels = {w.id: jobs.short_label(w.job) for w in watches}
    st.plotly_chart(
        compare_figure({labels[w.id]: rows_by_job[w.id] for w in watches}, metric or "train_loss", smoothing=smoothing),
        key="jobs_compare_chart",
        width="stretch",
    )
    show_all = st.toggle("Also show the settings they share", **ui.bind("jobs_compare_all"))
    table = jobs.compare_table([w.job for w in watches], rows_by_job, only_differences=not show_all)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="jobs_compare_table",
        height=38 + 35 * len(table),
        column_config={"setting": "Setting", **{w.id: labels[w.id] for w in watches}},
    )
    running = [labels[w.id] for w in watches if not w.terminal]
    if running:
        st.caption(
            f"Still running: {md_escape(', '.join(running))}. Their curves are as of this view; "
            "reopen the comparison to update them."
        )


# ------------------------------------------------------------------------------------- the page
url_job = st.query_params.get("job")
if url_job and url_job != ss.jobs_job:  # the URL changed (a link was followed): it wins
    if jobs.is_job_id(url_job):
        ss.jobs_job = url_job
        ss.jobs_view = "Watch"
    else:
        st.warning("The link's job parameter is not a job id, so it was ignored.", icon=":material/link_off:")

if ss.jobs_flash:
    kind, text = ss.jobs_flash
    ss.jobs_flash = None
    {"success": st.success, "error": st.error, "warning": st.warning}[kind](md_escape(text))

shown = list_section()
all_known = {**{j["id"]: j for j in shown}, **watched_jobs()}
if ss.jobs_job is None and shown:
    pick_job(shown[0]["id"])  # open the newest job by default

view = st.segmented_control(
    "View",
    ["Watch", "Compare"],
    **ui.bind("jobs_view"),
    format_func={"Watch": "Watch one job", "Compare": "Compare jobs"}.get,
)
in_use = {watch_key(ss.jobs_job)} if ss.jobs_job else set()
if view == "Compare":
    compare_section(shown, in_use)
else:
    options = [j["id"] for j in shown]
    if ss.jobs_job and ss.jobs_job not in options:
        options.insert(0, ss.jobs_job)
    ss._jobs_job = ss.jobs_job
    st.selectbox(
        "Job",
        options,
        key="_jobs_job",
        on_change=on_pick_box,
        accept_new_options=True,
        format_func=lambda i: jobs.job_label(all_known.get(i, {"id": i})),
        placeholder="Pick a job, or paste a job id",
        help="Or click a row in the list above.",
    )
    if ss.jobs_job and st.query_params.get("job") != ss.jobs_job:
        st.query_params["job"] = ss.jobs_job
    watch_section(ss.jobs_job, in_use)
