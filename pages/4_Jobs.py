"""Jobs: the account's fine-tuning jobs, one job watched live, several compared, each archivable.

The API is the source of truth: a reload loses nothing. Session state only keeps
what this browser session has already fetched, so a live refresh asks for the job
and for the events newer than those seen (at most two calls), and an ended job's
records are loaded once.
"""

from __future__ import annotations

import json
import time

import openai
import streamlit as st
from openai.types.fine_tuning import FineTuningJob
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from lib import calls, catalog, jobs, ui
from lib.charts.jobs import compare_figure, training_figure
from lib.costs import usd
from lib.display import md_escape
from lib.errors import explain
from lib.handoff import EvaluateRequest

conn = ui.page_setup("Jobs", ":material/monitoring:")
ss = st.session_state
for name, default in {
    "jobs_watch": jobs.WatchStore(),
    "jobs_list": None,
    "jobs_job": None,
    "jobs_refresh_s": 5.0,
    "jobs_confirm_cancel": None,
    "jobs_flash": None,
    "jobs_meta_filter": "",
    "jobs_view": "Watch",
    "jobs_smoothing": 0.6,
    "jobs_compare_smoothing": 0.6,
    "jobs_status_filter": [],
    "jobs_model_filter": jobs.ANY_MODEL,
    "jobs_levels": ["info", "warn", "error"],
    "jobs_compare": [],
    "jobs_compare_metric": next(iter(jobs.METRIC_LABELS)),
    "jobs_compare_all": False,
}.items():
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
tz = jobs.timezone_named(st.context.timezone)  # the browser's zone; UTC when unknown
store: jobs.WatchStore = ss.jobs_watch


def grid(rows: list[dict], key: str, **options) -> None:
    """A table of ``rows`` the width of the page, without the index column."""
    st.dataframe(rows, key=key, hide_index=True, width="stretch", **options)


def rows_high(count: int, most: int = 100_000) -> int:
    """The height in pixels of a table showing ``count`` rows (at least one) and a header, at most ``most``."""
    return min(38 + 35 * max(count, 1), most)


# ------------------------------------------------------------------------------------- callbacks
def flash(kind: str, text: str) -> None:
    ss.jobs_flash = (kind, text)


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
    pick_job(ss._jobs_job)  # a typed id is checked before it is kept


def on_pick_row() -> None:
    rows = ss.jobs_table.selection.rows
    if rows and rows[0] < len(ss.get("jobs_table_ids", [])):
        pick_job(ss.jobs_table_ids[rows[0]])
        ss.jobs_view = "Watch"


def act(connection: str, job_id: str, action: str) -> None:
    """Cancel, pause or resume the watched job; the outcome is flashed on the next run."""
    watch = store.get(connection, job_id)
    ss.jobs_confirm_cancel = None
    if watch is None:
        return
    try:
        flash("success", jobs.run_action(client, watch, action, now=time.time()))
    except openai.OpenAIError as exc:
        flash("error", explain(exc, action=f"{action} the job"))
        ss.jobs_action_failed = True


# ------------------------------------------------------------------------------------- the list
def load_list(meta_filter: dict[str, str]) -> jobs.Listing | None:
    """The jobs list for this connection and metadata filter, from session state or the API."""
    key = jobs.listing_key(fingerprint, meta_filter)
    older, refresh = ss.pop("jobs_list_older", False), ss.pop("jobs_list_refresh", False)
    if guard and ss.jobs_list is not None and ss.jobs_list.key == key:
        return ss.jobs_list  # a button's call just failed and said so: keep what was seen, do not wait again
    try:
        ss.jobs_list = jobs.update_listing(
            client, ss.jobs_list, key, meta_filter, now=time.time(), older=older, refresh=refresh
        )
    except openai.OpenAIError as exc:
        ui.show_error(exc, action="list the jobs")
        guard.note("list")
    return ss.jobs_list


def list_section() -> list[FineTuningJob]:
    """Filters, the table of jobs and paging; returns the jobs shown (newest first)."""
    with st.container(border=True):
        cols = st.columns([3, 3, 3, 1.4], vertical_alignment="bottom")
        statuses = cols[0].multiselect(
            "Status",
            jobs.STATUS_CHOICES,
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
        refresh = {"on_click": lambda: ss.update(jobs_list_refresh=True), "width": "stretch"}
        cols[3].button("Refresh", icon=":material/refresh:", key="jobs_refresh_list", **refresh)
        try:
            meta_filter = jobs.parse_metadata_filter(ss.jobs_meta_filter)
        except ValueError as exc:
            st.warning(md_escape(str(exc)), icon=":material/filter_alt_off:")
            meta_filter = {}
        listing = load_list(meta_filter)
        view = jobs.list_view(
            listing.jobs if listing else [], store.jobs(fingerprint), statuses=statuses, model=ss.jobs_model_filter
        )
        ss.jobs_model_filter = view.model  # a model of another connection or filter: any model
        cols[1].selectbox("Base model", [jobs.ANY_MODEL, *view.models], **ui.bind("jobs_model_filter"))
        if not view.loaded:
            st.info(jobs.empty_list_text(bool(meta_filter)), icon=":material/inbox:")
            st.page_link("pages/3_Launch.py", label="Go to Launch", icon=":material/rocket_launch:")
            return []
        jobs_table(view, has_more=bool(listing and listing.has_more))
    return view.shown


def jobs_table(view: jobs.ListView, has_more: bool) -> None:
    ss.jobs_table_ids = [j.id for j in view.shown]
    column = st.column_config
    grid(
        jobs.jobs_table(view.shown, tz),
        "jobs_table",
        on_select=on_pick_row,
        selection_mode="single-row",
        height=rows_high(len(view.shown), most=300),
        column_config={
            "status": column.TextColumn("Status", width="small"),
            "model": "Base model",
            "created": "Created",
            "fine_tuned_model": column.TextColumn("Fine-tuned model", width="large"),
            "trained_tokens": column.TextColumn(
                "Trained tokens", help="Reported by the API once training ends", alignment="right"
            ),
            "id": "Job id",
            "metadata": "Metadata",
        },
    )
    paging = st.columns([4, 1], vertical_alignment="center")
    paging[0].caption(view.caption)
    if has_more:
        older = {"on_click": lambda: ss.update(jobs_list_older=True), "width": "stretch"}
        paging[1].button("Load older jobs", key="jobs_older", **older)


# ------------------------------------------------------------------------------------- one job, live
def draw_timeline(steps: list[jobs.TimelineStep]) -> None:
    for col, step in zip(st.columns(len(steps)), steps):
        color, icon = jobs.timeline_style(step)
        col.markdown(f":{color}[{icon} **{step.label}**]")
        col.caption(jobs.step_time(step, tz))


def live_panel(job_id: str) -> None:
    """Status, progress, curves and events of one job; refreshed on a timer while the job runs."""
    watch = store.get(fingerprint, job_id)
    if watch is None:
        return
    problem = None
    if ss.pop("jobs_skip_poll", None) == job_id:
        pass  # this full run already failed to reach the API and said so; the next tick polls again
    elif not watch.terminal:
        try:
            jobs.poll(client, watch, job_fresh_for=jobs.JOB_FRESH_S)
            ui.remember_job(watch.id, watch.status)
        except openai.OpenAIError as exc:
            problem = explain(exc, action="refresh the job")
    if watch.status != watch.drawn_status:
        st.rerun()  # a new status: redraw the whole page (actions, result, and no timer once the job has ended)
    if problem:
        retry = f" Retrying every {ss.jobs_refresh_s:g} s; showing what was last seen."
        st.warning(md_escape(problem) + retry, icon=":material/cloud_off:")
    draw_timeline(jobs.status_timeline(watch.job, watch.log.events))
    rows = jobs.metric_rows(watch.log.events)
    progress = jobs.job_progress(watch.job, rows)
    st.progress(progress.fraction or 0.0, text=progress.text())
    st.caption(jobs.live_caption(watch, time.time(), ss.jobs_refresh_s, tz))
    curves(rows, progress.total_steps)
    events_log(watch)


def curves(rows: list[dict], total_steps: int | None) -> None:
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
    for side, accuracy, key in ((left, False, "jobs_loss_chart"), (right, True, "jobs_accuracy_chart")):
        figure = training_figure(rows, accuracy=accuracy, smoothing=smoothing, total_steps=total_steps)
        side.plotly_chart(figure, key=key, width="stretch")


def events_log(watch: jobs.JobWatch) -> None:
    head = st.columns([2, 3], vertical_alignment="bottom")
    levels = head[0].pills("Event levels", ["info", "warn", "error"], selection_mode="multi", **ui.bind("jobs_levels"))
    head[1].caption(jobs.events_caption(watch.log.events, watch.log.complete))
    message = st.column_config.TextColumn("Message", width="large")
    grid(jobs.events_table(watch.log.events, levels, tz), "jobs_events", height=260, column_config={"message": message})


# ------------------------------------------------------------------------------------- one job, static parts
def actions_row(watch: jobs.JobWatch) -> None:
    offered = jobs.offered_actions(watch)
    row = st.container(horizontal=True, gap="small")
    if "cancel" in offered:
        row.button("Cancel job", icon=":material/cancel:", key="jobs_cancel", on_click=ask_cancel, args=(watch.id,))
    for action, label, icon in (("pause", "Pause", ":material/pause:"), ("resume", "Resume", ":material/play_arrow:")):
        if action in offered:
            row.button(label, icon=icon, key=f"jobs_{action}", on_click=act, args=(fingerprint, watch.id, action))
    clone_help = "Open the Launch form filled with this job's settings."
    if row.button("Clone into Launch", icon=":material/content_copy:", key="jobs_clone", help=clone_help):
        ui.set_launch_prefill(jobs.clone_prefill(watch.job))
        st.switch_page("pages/3_Launch.py")
    evaluate_help = "Measure it against a prompted base or replacement model on your own examples."
    if "evaluate" in offered and row.button(
        "Evaluate this model", icon=":material/balance:", key="jobs_evaluate", help=evaluate_help
    ):
        ui.set_evaluate_request(EvaluateRequest(model=watch.job.fine_tuned_model, base_model=watch.job.model))
        st.switch_page("pages/5_Evaluate.py")
    if "archive" in offered:
        snapshot = jobs.ArchiveSnapshot.of(watch, catalog.today(), calendar)
        row.download_button(
            "Download archive",
            data=snapshot.build,  # runs on click, in another thread: the snapshot only, no session state
            file_name=snapshot.name,
            mime="application/zip",
            icon=":material/archive:",
            key="jobs_archive",
            on_click="ignore",
            type="primary",
            help="One zip: job JSON, all events, metrics, checkpoints, result CSV, file details and a README.",
        )
    if ss.jobs_confirm_cancel == watch.id and "cancel" in offered:
        confirm_cancel(watch)


def ask_cancel(job_id: str | None) -> None:
    ss.jobs_confirm_cancel = job_id


def confirm_cancel(watch: jobs.JobWatch) -> None:
    with st.container(border=True):
        st.warning(jobs.cancel_question(watch.id), icon=":material/warning:")
        yes, no, _ = st.columns([1.2, 1, 3])
        cancel = (fingerprint, watch.id, "cancel")
        yes.button("Yes, cancel the job", type="primary", key="jobs_cancel_yes", on_click=act, args=cancel)
        no.button("Keep it running", key="jobs_cancel_no", on_click=ask_cancel, args=(None,))


def result_section(watch: jobs.JobWatch) -> None:
    job = watch.job
    st.subheader("Result")
    sentence = jobs.error_sentence(job)
    if sentence:
        st.error(f"The job failed: {md_escape(sentence)}", icon=":material/error:")  # it quotes the file
    model = job.fine_tuned_model
    if model and calendar == "azure":
        st.markdown("**Fine-tuned model**: deploy it first; calls then use the deployment's name as `model`.")
        st.code(model, language=None)
        deploy_section(model)
    elif model:
        st.markdown("**Fine-tuned model**: use this name as `model` in your API calls.")
        st.code(model, language=None)
    elif not watch.terminal:
        st.caption(
            "The fine-tuned model's name appears here when the job succeeds; the checkpoints "
            "(one per epoch, the last three kept) and the result file follow."
        )
    if watch.checkpoints:
        checkpoints_table(watch.checkpoints)
    elif watch.terminal and watch.checkpoints == [] and job.status == "succeeded":
        st.caption("The API reported no checkpoints for this job.")
    result_files(job.id, watch.result_files or {})


def checkpoints_table(checkpoints: list[FineTuningJobCheckpoint]) -> None:
    table, best = jobs.checkpoint_table(checkpoints)
    st.markdown("**Checkpoints** (the last three epochs)")
    column = st.column_config
    grid(
        table,
        "jobs_checkpoints",
        column_config={
            "best": column.TextColumn("", width="small"),
            "step": "Step",
            "checkpoint": column.TextColumn("Checkpoint model", width="large"),
            **{k: column.NumberColumn(jobs.METRIC_LABELS[k], format="%.4f") for k in jobs.METRIC_KEYS},
        },
    )
    if best:
        st.success(jobs.best_checkpoint_text(best, calendar), icon=":material/star:")
        st.code(best["checkpoint"], language=None)


def result_files(job_id: str, files: dict[str, str]) -> None:
    for file_id, text in files.items():
        rows = jobs.parse_result_csv(text)
        with st.expander(f"Result file · {len(rows):,} steps"):
            grid(rows, f"jobs_result_table_{file_id}", height=240)
        st.download_button(
            "Download result CSV",
            text,
            file_name=f"{job_id}-{file_id}.csv",
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
        grid(jobs.hosting_rows(costs), "jobs_hosting")
        st.caption(f"Source: {costs[0].source} (as of {costs[0].as_of}).")
        st.warning(md_escape(jobs.azure_charges_note()), icon=":material/payments:")
        st.code(deployment.az_delete, language="bash")


def details_section(watch: jobs.JobWatch) -> None:
    job = watch.job
    note = jobs.shutdown_note(job.model or "", catalog.today(), calendar=calendar)
    show = st.warning if note.days_left is not None and note.days_left <= 90 else st.info
    show(md_escape(note.text), icon=":material/event_busy:")
    st.subheader("Cost")
    cost = jobs.job_cost(job, calendar=calendar)
    a, b, c = st.columns(3)
    actual = usd(cost.actual_usd) if cost.actual_usd is not None else "—"
    a.metric("Actual training cost", actual, delta=cost.difference_text, delta_color="inverse")
    b.metric("Pre-launch estimate", usd(cost.estimated_usd) if cost.estimated_usd is not None else "—")
    c.metric("Trained tokens", jobs.trained_tokens_text(cost.trained_tokens))
    st.caption(cost.explanation)
    st.subheader("Settings")
    left, right = st.columns(2)
    hyper, identity = jobs.settings_of(job)
    left.markdown("**Hyperparameters** (as the API reports them; numbers once training has started)")
    left.dataframe([hyper], hide_index=True, width="stretch", key="jobs_hyper")
    left.markdown("**Seed, suffix and metadata**")
    left.json(identity, expanded=True)
    right.markdown("**Files**")
    bytes_column = st.column_config.NumberColumn("Bytes", format="localized")
    rows = jobs.file_rows(job, watch.files, tz)
    right.dataframe(rows, hide_index=True, width="stretch", key="jobs_files", column_config={"bytes": bytes_column})
    right.caption(f"Created {jobs.format_time(job.created_at, tz)} · organization {job.organization_id or '—'}")


def open_job(job_id: str) -> jobs.JobWatch | None:
    """The watch of ``job_id``, fetched unless fresh; None (and a Try again button) when it cannot be opened."""
    watch = store.get(fingerprint, job_id)
    if guard:  # the list just failed: one sentence says it, and nothing is asked again in this run
        ss.jobs_skip_poll = job_id
    else:
        try:
            watch = jobs.open_watch(client, watch, job_id, now=time.time())
        except openai.OpenAIError as exc:
            guard.note("job")
            if watch is None:
                ui.show_error(exc, action="open the job")
            else:
                last_seen = md_escape(explain(exc, action="refresh the job")) + " Showing what was last seen."
                st.warning(last_seen, icon=":material/cloud_off:")
                ss.jobs_skip_poll = job_id
    if watch is None:
        st.button("Try again", icon=":material/refresh:", key="jobs_retry_open")
    return watch


def load_records(watch: jobs.JobWatch) -> None:
    """An ended job's records (once), a running job's file details; nothing after a failure of this run."""
    if guard:
        return  # the records load on a later run, once the API answers
    try:
        if watch.terminal and not watch.final_loaded:
            with st.spinner("Loading the job's records (events, checkpoints, result file)…"):
                jobs.load_final(client, watch)
        elif not watch.terminal:
            jobs.load_file_details(client, watch)
    except openai.OpenAIError as exc:
        ui.show_error(exc, action="load the job's records")


def job_heading(watch: jobs.JobWatch) -> None:
    head = st.columns([5, 2], vertical_alignment="bottom")
    with head[0]:
        st.subheader(md_escape(watch.id), anchor=False)
        status = watch.status
        st.badge(jobs.status_label(status), icon=jobs.STATUS_ICONS.get(status), color=jobs.status_color(status))
        st.caption(md_escape(jobs.job_caption(watch.job)))
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


def watch_section(job_id: str | None, in_use: set[str]) -> None:
    if not job_id:
        st.info("Pick a job in the list above (or paste a job id) to watch it.", icon=":material/touch_app:")
        return
    watch = open_job(job_id)
    if watch is None:
        return
    store.keep(fingerprint, watch, in_use)
    ui.remember_job(watch.id, watch.status)
    load_records(watch)
    job_heading(watch)
    actions_row(watch)
    watch.drawn_status = watch.status
    run_every = None if watch.terminal else ss.jobs_refresh_s  # no timer once the job has ended
    with st.container(border=True):
        st.fragment(run_every=run_every)(live_panel)(job_id)
    result_section(watch)
    details_section(watch)
    if watch.final_loaded:
        archive = "Download the archive above: these models and their records go away with the base-model shutdowns."
    else:
        archive = "The archive (job, events, checkpoints, result file, README) is offered once the job has ended."
    st.caption(":material/archive: " + archive)


# ------------------------------------------------------------------------------------- compare
def compare_section(shown: list[FineTuningJob], in_use: set[str]) -> None:
    listed = {j.id: j for j in shown}
    ss.jobs_compare = [i for i in ss.jobs_compare if i in listed]  # jobs the list no longer shows drop out
    chosen = st.multiselect(
        "Jobs to compare",
        list(listed),
        **ui.bind("jobs_compare"),
        max_selections=8,
        format_func=lambda i: jobs.job_label(listed[i]) if i in listed else i,
        placeholder="Pick two or more jobs",
    )
    if len(chosen) < 2:
        hint = "Pick two or more jobs to overlay their curves and see which settings differ."
        st.info(hint, icon=":material/compare_arrows:")
        return
    with st.spinner("Loading the jobs' events…"):
        watches, failures = jobs.watches_with_history(
            client, store, fingerprint, chosen, in_use=in_use, guard=guard, now=time.time()
        )
    for job_id, exc in failures:
        ui.show_error(exc, action=f"load job {job_id}")
    if len(watches) >= 2:
        draw_comparison(jobs.comparison(watches))


def draw_comparison(compared: jobs.Comparison) -> None:
    controls = st.columns([2, 3], vertical_alignment="bottom")
    metric = controls[0].selectbox(
        "Metric", list(jobs.METRIC_LABELS), **ui.bind("jobs_compare_metric"), format_func=jobs.METRIC_LABELS.get
    )
    smoothing = controls[1].slider("Smoothing (EMA)", 0.0, 0.95, step=0.05, **ui.bind("jobs_compare_smoothing"))
    figure = compare_figure(compared.curves, metric or "train_loss", smoothing=smoothing)
    st.plotly_chart(figure, key="jobs_compare_chart", width="stretch")
    show_all = st.toggle("Also show the settings they share", **ui.bind("jobs_compare_all"))
    table = compared.table(only_differences=not show_all)
    columns = {"setting": "Setting", **compared.labels}
    grid(table, "jobs_compare_table", height=rows_high(len(table)), column_config=columns)
    if compared.running:
        st.caption(
            f"Still running: {md_escape(', '.join(compared.running))}. Their curves are as of this view; "
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
known = {**{j.id: j for j in shown}, **store.jobs(fingerprint)}
if ss.jobs_job is None and shown:
    pick_job(shown[0].id)  # open the newest job by default

view = st.segmented_control(
    "View",
    ["Watch", "Compare"],
    **ui.bind("jobs_view"),
    format_func={"Watch": "Watch one job", "Compare": "Compare jobs"}.get,
)
in_use = {ss.jobs_job} if ss.jobs_job else set()
if view == "Compare":
    compare_section(shown, in_use)
else:
    st.selectbox(
        "Job",
        jobs.picker_options([j.id for j in shown], ss.jobs_job),
        **{**ui.bind("jobs_job"), "on_change": on_pick_box, "args": ()},
        accept_new_options=True,
        format_func=lambda i: jobs.job_label(known[i]) if i in known else i,
        placeholder="Pick a job, or paste a job id",
        help="Or click a row in the list above.",
    )
    if ss.jobs_job and st.query_params.get("job") != ss.jobs_job:
        st.query_params["job"] = ss.jobs_job
    watch_section(ss.jobs_job, in_use)
