"""Evaluate: does the fine-tune beat a well-prompted model? Measured on the user's own examples.

The story: pick the evaluation set (handed over by Dataset, uploaded, a file on the
account, or a seeded sample of the training file); pick the candidates (the account's
fine-tunes first, with the day they stop answering; base and replacement models, with
the long prompt or without); see the estimate per candidate and confirm once in a
dialog (a run id kept in session state: a double click or a rerun never starts a second
run); watch the run, which works in a background thread owned by the engine's run and is
polled by a fragment (Stop, and Resume without repeating answered calls); then read the
scoreboard, the charts and the examples that flipped, download the recording, the
scoreboard and a promptfoo config, and hand the measured tokens to Costs.

The engine is ``lib/evaluate/``; the page's own decisions (models on offer, what to record
first, runs per session) are ``lib/evaluate_session.py``; figures ``lib/charts/evaluate.py``.
Model answers, references and file text are shown with st.dataframe / st.text / st.code,
or through md_escape in markdown; never as HTML.
"""

import streamlit as st

from lib import calls, catalog, jobs, launch, memo, ui
from lib import evaluate as ev
from lib import evaluate_session as session
from lib import evaluate_view as view
from lib.charts import evaluate as charts
from lib.costs import usd
from lib.display import human_size, md_code, md_escape
from lib.errors import explain
from lib.handoff import LaunchFile

conn = ui.page_setup("Evaluate", ":material/balance:")
ss = st.session_state
cat = catalog.load_catalog()
today = catalog.today()
calendar = ui.calendar_of(conn)  # whose dates and prices apply

SOURCES = {
    "dataset": "From the Dataset page",
    "upload": "Upload a file",
    "account": "A file on the account",
    "sample": "A sample of the training file",
}
EFFORTS = ("default", *ev.candidates.REASONING_EFFORTS)
DEFAULT_LIMIT = 50

for _key, _default in {
    "eval_source": None,
    "eval_handed": None,
    "eval_upload": None,
    "eval_train": None,
    "eval_account_file": None,
    "eval_limit": DEFAULT_LIMIT,
    "eval_seed": 42,
    "eval_system": "",
    "eval_fewshot": 0,
    "eval_concurrency": 4,
    "eval_max_spend_on": False,
    "eval_max_spend": 5.0,
    "eval_recording": None,
    "eval_against_label": None,
    "eval_account": None,  # calls.AccountReads: the account's fine-tunes and files, read from the API
    "eval_bytes": None,  # memo.SessionMemo: (connection, file id) -> LaunchFile or why it cannot be read
    "eval_memo": None,
    "eval_runs": None,  # memo.SessionMemo / session.SessionRuns
    "eval_pending": None,  # the run under confirmation: run id, candidates, estimate, state
    "eval_run_id": None,  # the run shown on the page
    "eval_note": None,
    "eval_failure": None,  # the last news, and why the last start failed
    "eval_demo_files": set(),  # (connection, sha256) of sets the demo simulator was given
    "eval_judges": {},  # run id -> {"run_id": the grader's run, "grading": its GradingSet}
    "eval_drawn": {},  # run id -> whether it was running when the page was last drawn
    "eval_judge_model": None,
    "eval_rubric": ev.DEFAULT_RUBRIC,
}.items():
    ss.setdefault(_key, _default)
if ss.eval_account is None:
    ss.eval_account = calls.AccountReads()
if ss.eval_bytes is None:
    ss.eval_bytes = memo.SessionMemo(entries=6)  # files read back are held in memory: the last few only
if ss.eval_memo is None:
    ss.eval_memo = memo.SessionMemo(entries=16)
if ss.eval_runs is None:
    ss.eval_runs = session.SessionRuns()
slots = session.CandidateSlots(ss)  # the candidate rows, each field in its own permanent key


# --------------------------------------------------------------------------- state helpers
def _read_fine_tunes() -> tuple[list[tuple[str, str | None]], str | None]:
    try:
        listed = jobs.list_jobs_page(calls.READ.client(conn), limit=100).jobs  # the SDK's FineTuningJob objects
        return session.succeeded_fine_tunes(listed), None
    except Exception as exc:  # the catalog's models are still offered
        return [], explain(exc, action="list the account's fine-tuned models")


def _reader():
    return calls.READ.client(conn)


def _account_bytes(file: launch.AccountFile) -> LaunchFile | str:
    return ss.eval_bytes.get((conn.fingerprint(), file.id), lambda: launch.read_back(_reader, file))


def _refresh_account() -> None:
    ss.eval_account.forget()


def _suggest(options: list[session.ModelOption], requested: str | None = None, base: str | None = None) -> None:
    """Start the candidate list over: a fine-tune as it is, against a rival with the long prompt."""
    slots.clear()
    baseline, rival = session.default_pair(options, requested, base)
    if baseline:
        slots.add(baseline, long_prompt=False)
    if rival:
        slots.add(rival, long_prompt=True)


def _record_only(model: str) -> None:
    """The first step for a fine-tune about to go: a run with only it, answering the file's own prompts."""
    slots.clear()
    slots.add(model, long_prompt=False)
    ss.eval_note = (
        f"Recording {model}: run it alone on your set, then download the recording. Load that "
        "recording later to compare new candidates against its answers after it has stopped."
    )


def _load_set(file: LaunchFile, limit: int | None, seed: int):
    """The evaluation set (read once per session and settings), or the sentence that says why it can't be used."""
    key = ("set", file.sha256, limit, seed)
    return ss.eval_memo.get(key, lambda: view.eval_set_or_reason(file.data, file.name, limit, seed))


def _load_recording(file: LaunchFile):
    return ss.eval_memo.get(("recording", file.sha256), lambda: view.recording_or_reason(file.data, file.name))


def _few_shot(system: str, train: LaunchFile, n: int, seed: int) -> str:
    key = ("shots", hash(system), train.sha256, n, seed)
    return ss.eval_memo.get(key, lambda: view.few_shot_prompt(system, train.data, train.name, n, seed))


def _file_chooser(source: str, handed: LaunchFile | None, train: LaunchFile | None) -> LaunchFile | None:
    """Draw the chooser for the set's source and return the file it holds (None until there is one)."""
    if source == "dataset":
        note = "The validation file handed over by the Dataset page: examples the fine-tune did not train on."
        ui.handed_file(handed, note)
        return handed
    if source == "upload":
        return ui.upload_box(
            "Evaluation file (JSONL)",
            "eval_upload",
            widget_key="_eval_uploader",
            help="Chat examples, one JSON object a line, each ending with the answer you expect.",
        )
    if source == "account":
        files, error = ss.eval_account.get(conn.fingerprint(), "files", lambda: launch.account_files(_reader))
        chosen, content = ui.account_file_box("eval_account_file", files, error, read=_account_bytes)
        if isinstance(content, str):
            st.error(md_escape(content), icon=":material/error:")
        return None if chosen is None or isinstance(content, str) else content
    # a seeded sample of the training file
    ui.upload_box(
        "Training file (JSONL)",
        "eval_train",
        widget_key="_eval_train_uploader",
        help="Handed over by the Dataset page when it gave Launch a training file; upload another to replace it.",
    )
    if train is not None:
        st.caption(f":material/model_training: {md_code(train.name)} · {human_size(train.size)}")
    st.warning(
        "These are training examples: a fine-tune has seen them, so it scores higher on them than it "
        "will on new questions. Prefer a validation file for the real answer.",
        icon=":material/visibility:",
    )
    return train


def _row_settings(keys: dict[str, str]) -> None:
    st.number_input("Temperature", min_value=0.0, max_value=2.0, step=0.1, **ui.bind(keys["temperature"]))
    st.number_input(
        "Max output tokens (0 = twice the longest reference)", min_value=0, step=64, **ui.bind(keys["max_tokens"])
    )
    st.selectbox(
        "Reasoning effort", EFFORTS, **ui.bind(keys["effort"]), help='For models that reason; "default" sends none.'
    )


def candidate_row(position: int, n: int, ids: list[str], labels: dict, recorded: bool, json_answers: bool) -> None:
    """One candidate: its model, long prompt, Structured Outputs (JSON answers only), settings, move up, remove."""
    keys = slots.keys(n)
    cols = st.columns([3.5, 1.8, 2.0, 1.8, 0.5, 0.5], vertical_alignment="bottom")
    cols[0].selectbox(
        "Baseline" if position == 0 and not recorded else f"Candidate {position + 1}",
        ids,
        format_func=lambda i: labels.get(i, i),
        accept_new_options=True,
        **ui.bind(keys["model"]),
        help="Or type any model id the backend accepts: a checkpoint, another fine-tune, an Azure deployment name.",
    )
    cols[1].toggle(
        "Long prompt",
        **ui.bind(keys["prompt"]),
        help="Replace each example's system message with the long prompt below.",
    )
    if json_answers:
        cols[2].toggle(
            "Structured Outputs",
            **ui.bind(keys["schema"]),
            help="Send a strict JSON Schema inferred from the references (response_format).",
        )
    with cols[3].popover("Settings", icon=":material/tune:"):
        _row_settings(keys)
    if position > 0:
        up = {"key": f"eval_up_{n}", "on_click": slots.make_baseline, "args": (n,)}
        cols[4].button("", icon=":material/vertical_align_top:", help="Make this the baseline", **up)
    if len(slots.rows) > 1:
        remove = {"key": f"eval_remove_{n}", "on_click": slots.remove, "args": (n,)}
        cols[5].button("", icon=":material/close:", help="Remove this candidate", **remove)


def _estimate(eval_set, candidates: list, key: tuple) -> list[ev.CandidateEstimate]:
    return ss.eval_memo.get(("estimate", key, calendar), lambda: ev.estimate(eval_set, candidates, calendar=calendar))


# --------------------------------------------------------------------------- starting, stopping, resuming
def _give_the_demo_the_set(file: LaunchFile) -> None:
    """Demo mode: the simulator plays the models from the examples on its account, so the set is put there once
    (local and free); on a real account nothing is uploaded."""
    key = (conn.fingerprint(), file.sha256)
    if key not in ss.eval_demo_files:
        launch.upload_file(calls.UPLOAD.client(conn), file.name, file.data)
        ss.eval_demo_files.add(key)


def _start(pending: session.PendingRun) -> None:
    """Start (or resume) the confirmed run once; the outcome is in session state before the next call."""

    def new_run():
        return ev.Run(
            pending.eval_set,
            pending.candidates,
            make_client=lambda: ui.client(conn),
            concurrency=pending.concurrency,
            max_spend=pending.max_spend,
            calendar=calendar,
            results=pending.results,
        )

    try:
        if conn.is_demo and pending.file is not None:
            _give_the_demo_the_set(pending.file)
        run = ss.eval_runs.start_once(pending.run_id, new_run)
        run.max_spend = pending.max_spend
        run.start()  # does nothing while it runs: a double click never sends a call twice
    except (ev.OverBudget, ev.CandidateSpecError, ValueError) as exc:
        ss.eval_failure = str(exc)
    except Exception as exc:  # the demo upload: one sentence, nothing started
        ss.eval_failure = explain(exc, action="start the evaluation")
    else:
        if pending.judge_of:
            ss.eval_judges[pending.judge_of] = {"run_id": pending.run_id, "grading": pending.grading}
        else:
            ss.eval_run_id = pending.run_id


def show_estimate(pending: session.PendingRun) -> None:
    """The confirmation's body: what the calls cost (nothing in demo mode), per candidate, and how the run stops."""
    total = ev.total_estimate(pending.estimates)
    calls = sum(e.calls for e in pending.estimates)
    if conn.is_demo:
        st.metric("Charge", usd(0), help="Demo mode: the simulator answers.")
        st.caption(
            f"Demo mode costs nothing. At OpenAI's list prices these {calls:,} calls would cost "
            f"{session.cost_text(total)} (simulated)."
        )
    else:
        st.metric("Estimated cost", session.cost_text(total))
        st.caption(
            f"{calls:,} calls to {conn.label()}: prompt tokens counted exactly, output estimated from the "
            "references' lengths, no cache discount assumed. Prices as of " + cat.as_of + "."
        )
    st.dataframe(session.estimate_rows(pending.estimates), hide_index=True, width="stretch")
    if pending.max_spend is not None:
        st.caption(f":material/savings: The run stops if its measured spend reaches {usd(pending.max_spend)}.")
    if pending.judge_of:
        st.caption(
            f"The judge ({md_escape(pending.candidates[0].model)}) grades each answer once; its scores are "
            "an opinion, shown apart from the measurements."
        )
    if pending.resume:
        st.caption("Resuming: only the calls without an answer are sent; answered calls are never sent again.")


def review(
    eval_set,
    candidates: list,
    estimates,
    *,
    file: LaunchFile | None = None,
    resume_of: str | None = None,
    results=(),
    judge_of: str | None = None,
    grading=None,
) -> None:
    """Open the confirmation for a new run (a fresh run id) or for resuming ``resume_of``; ``judge_of``: the
    run whose answers a grader scores (``grading`` its set)."""
    if ss.eval_pending is not None:  # a double click: the confirmation is already open
        return
    ss.eval_pending = session.PendingRun(
        run_id=resume_of or session.new_run_id(),
        eval_set=eval_set,
        candidates=candidates,
        estimates=estimates,
        results=list(results),
        concurrency=int(ss.eval_concurrency),
        max_spend=float(ss.eval_max_spend) if ss.eval_max_spend_on else None,
        resume=bool(resume_of),
        file=file,
        judge_of=judge_of,
        grading=grading,
    )
    ss.eval_note = ss.eval_failure = None


def _stop(run_id: str) -> None:
    run = ss.eval_runs.get(run_id)
    if run is not None:
        run.stop()


def _resume(run_id: str, judge_of: str | None = None) -> None:
    run = ss.eval_runs.get(run_id)
    if run is not None and not run.running:
        grading = ss.eval_judges[judge_of]["grading"] if judge_of else None
        review(
            run.eval_set,
            run.candidates,
            session.remaining_estimate(run, calendar=calendar),
            resume_of=run_id,
            judge_of=judge_of,
            grading=grading,
        )


def live_progress(run_id: str, judge_of: str | None = None) -> None:
    """Calls done, errors, spend and time left, and Stop; a fragment refreshed on a timer while the run works."""
    run = ss.eval_runs.get(run_id)
    progress = run.progress()
    if progress.running != ss.eval_drawn.get(run_id):
        st.rerun()  # started or ended: redraw the page (results, Resume, and no timer once it has ended)
    st.progress(progress.fraction, text=f"{progress.done:,} of {progress.total:,} calls")
    cols = st.columns(4)
    cols[0].metric("Calls done", f"{progress.done:,} / {progress.total:,}")
    cols[1].metric("Errors", f"{progress.errors:,}")
    spend = f"{usd(0)} (demo)" if conn.is_demo else usd(progress.spend_usd)
    cols[2].metric(
        "Spend so far",
        spend,
        help="Measured from the usage each answer reports, at catalog prices."
        + (" Demo mode: what it would cost on OpenAI, simulated; nothing is charged." if conn.is_demo else ""),
    )
    cols[3].metric("Time left", "—" if progress.eta_s is None else jobs.format_duration(progress.eta_s))
    if progress.running:
        st.button(
            "Stop",
            icon=":material/stop_circle:",
            key=f"eval_stop{'_judge' if judge_of else ''}",
            on_click=_stop,
            args=(run_id,),
            help="No new calls are sent; the calls in flight finish and are kept.",
        )


def watch(run_id: str, judge_of: str | None = None) -> None:
    """A run's progress, polled while it works; once it has stopped, what is left and Resume.

    Resume is drawn outside the fragment: its confirmation dialog opens on a full run of the page.
    """
    run = ss.eval_runs.get(run_id)
    ss.eval_drawn[run_id] = run.running
    st.fragment(run_every=1.0 if run.running else None)(live_progress)(run_id, judge_of)
    if run.running:
        return
    unanswered = len(run.remaining())
    st.caption(view.unanswered_text(run.progress().stopped_reason, unanswered))
    if unanswered:
        st.button(
            "Resume…",
            icon=":material/play_arrow:",
            key=f"eval_resume{'_judge' if judge_of else ''}",
            on_click=_resume,
            args=(run_id, judge_of),
        )


def ask_a_judge(run_id: str, run, results: list) -> None:
    """Choose a grader and a rubric, see the estimate of grading every answer, and open its confirmation."""
    st.caption(
        "Useful where exact match is too strict (prose answers). It costs money like the run: one call "
        "per answer, estimated and confirmed first."
    )
    graders = [o.id for o in session.model_options([], calendar=calendar, today=today)]
    if ss.eval_judge_model not in graders:
        ss.eval_judge_model = graders[0] if graders else None
    st.selectbox("Grader model", graders, accept_new_options=True, **ui.bind("eval_judge_model"))
    st.text_area("Rubric", height=130, **ui.bind("eval_rubric"))
    if not ss.eval_judge_model or not (ss.eval_rubric or "").strip():
        st.caption("Choose a grader model and write a rubric.")
        return
    judge = ev.Judge(ss.eval_judge_model.strip(), rubric=ss.eval_rubric.strip())
    grading = ev.grading_set(run.eval_set, run.candidates, results, judge)
    if not len(grading.eval_set):
        st.caption("No answer to grade.")
        return
    key = ("judge", run_id, ss.eval_judge_model, hash(ss.eval_rubric), len(grading.eval_set))
    estimates = _estimate(grading.eval_set, [grading.candidate], key)
    cost = "nothing in demo mode" if conn.is_demo else session.cost_text(ev.total_estimate(estimates))
    st.caption(f"{len(grading.eval_set):,} answers to grade · estimated {cost}.")
    if st.button(
        "Review the judge's estimate…",
        icon=":material/gavel:",
        key="eval_judge_review",
        disabled=ss.eval_pending is not None,
    ):
        review(grading.eval_set, [grading.candidate], estimates, judge_of=run_id, grading=grading)


def judge_section(run_id: str, run, results: list, judge_run) -> None:
    """The optional judge: a grader model's 0-1 opinion of each answer, estimated and confirmed like the run."""
    title = "Ask a judge (optional): a grader model's opinion of each answer, 0 to 1"
    with st.expander(title, expanded=judge_run is not None, icon=":material/gavel:"):
        if judge_run is None:
            ask_a_judge(run_id, run, results)
            return
        watch(ss.eval_judges[run_id]["run_id"], judge_of=run_id)
        if not judge_run.running:
            st.caption(
                "The judge's scores are in the scoreboard's \"judge (opinion)\" column: an opinion of "
                "a model, not a measurement."
            )


def _report(run_id: str, run):
    """The run's answers so far (with a finished judge's verdicts), its report, and the judge's run."""
    results = run.results()
    judge = ss.eval_judges.get(run_id)
    judge_run = ss.eval_runs.get(judge["run_id"]) if judge else None
    verdicts = judge_run.results() if judge_run is not None and not judge_run.running else []
    if verdicts:  # a grader's opinion joins the scores as "judge"
        results = ev.apply_verdicts(results, judge["grading"], verdicts)
    report = ss.eval_memo.get(
        view.report_key(run_id, results, verdicts),
        lambda: ev.summarize(run.eval_set, run.candidates, results, prices_as_of=cat.as_of, calendar=calendar),
    )
    return results, report, judge_run


def scoreboard(report, results: list, simulated: bool) -> None:
    st.subheader("Scoreboard", anchor=False)
    if simulated:
        st.caption(
            ":material/science: Simulated: a simulator gave these answers, so the scores, "
            "tokens, costs and latencies show how the page reads, not how your models do."
        )
    if report.references_from:
        st.caption(f"References: the recorded answers of {md_escape(report.references_from)}.")
    st.dataframe(
        session.scoreboard_table(report),
        hide_index=True,
        width="stretch",
        key="eval_scoreboard",
        column_config={
            "candidate": st.column_config.TextColumn(width="medium"),
            "per 1,000 calls": st.column_config.NumberColumn("$ per 1,000 calls", format="$%.4f"),
            "similarity": st.column_config.NumberColumn(format="%.3f", width="small"),
            "p50 ms": st.column_config.NumberColumn(format="%.0f", width="small"),
            "p95 ms": st.column_config.NumberColumn(format="%.0f", width="small"),
        },
    )
    st.caption(
        f"Baseline: {md_escape(report.baseline)}. Exact match and valid JSON with their 95% Wilson interval; "
        "wins and losses count the examples where exactly one of the two is right, with the exact McNemar "
        f"p-value (below 0.05: unlikely to be chance). Cost from the usage each answer reported, at the "
        f"catalog's prices as of {report.prices_as_of}. A judge's score is an opinion, not a measurement."
    )
    for note in report.notes:
        st.caption(md_escape(note))
    for sentence, count in session.error_summary(results):
        st.warning(
            f"{count:,} call{'s' if count != 1 else ''} without an answer: {md_escape(sentence)}",
            icon=":material/error:",
        )


def flips_section(run, results: list, baseline: str) -> None:
    """The examples where exactly one of the baseline and a candidate is right, one readable in full."""
    flipped = ev.flips(run.eval_set, run.candidates, results)
    st.subheader(f"Flips ({len(flipped):,})", anchor=False)
    if not flipped:
        st.caption("No example where the baseline and a candidate disagree on exact match.")
        return
    st.caption(
        "Examples where exactly one of the baseline and a candidate is right, answers side by side with the reference."
    )
    table = session.flip_rows(flipped)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(table)),
        key="eval_flips",
        column_config={
            name: st.column_config.TextColumn(width="medium")
            for name in ("baseline answer", "candidate answer", "reference")
        },
    )
    index = st.selectbox(
        "Read one in full",
        range(len(flipped)),
        key="eval_flip_pick",
        format_func=lambda i: f"line {flipped[i].line} · {flipped[i].label} · {table[i]['who is right']} right",
    )
    cols = st.columns(3)
    for col, title, column in (
        (cols[0], f"Baseline ({baseline})", "baseline answer"),
        (cols[1], f"Candidate ({flipped[index].label})", "candidate answer"),
        (cols[2], "Reference", "reference"),
    ):
        col.markdown(f"**{md_escape(title)}**")
        col.code(table[index][column] or "(no answer)", language=None, wrap_lines=True)


def downloads(run, results: list, report, simulated: bool) -> None:
    """The recording, the scoreboard and a promptfoo config, built only when downloaded."""
    st.subheader("Keep it", anchor=False)
    settings = {"limit": ss.eval_limit or None, "seed": ss.eval_seed, "concurrency": run.concurrency}
    snapshot = (run.eval_set, list(run.candidates), list(results), {**settings, "simulated": simulated}, report)
    stem = view.download_stem(run.eval_set)
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "Recording (JSONL)",
        data=lambda s=snapshot: ev.recording_bytes(s[0], s[1], s[2], s[3]),
        file_name=f"{stem}-recording.jsonl",
        mime="application/jsonl",
        on_click="ignore",
        icon=":material/download:",
        type="primary",
        key="eval_dl_recording",
        help="Every answer with its scores and usage. Load it later to compare against.",
    )
    row.download_button(
        "Scoreboard (CSV)",
        data=lambda s=snapshot: ev.scoreboard_csv(s[4]),
        file_name=f"{stem}-scoreboard.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/table:",
        key="eval_dl_scoreboard",
    )
    row.download_button(
        "promptfoo config",
        data=lambda s=snapshot: ev.promptfoo_config(s[0], s[1]),
        file_name="promptfooconfig.yaml",
        mime="application/yaml",
        on_click="ignore",
        icon=":material/integration_instructions:",
        key="eval_dl_promptfoo",
        help="The same comparison as a promptfoo configuration, to run in CI.",
    )


def to_costs(run, report, simulated: bool) -> None:
    """Hand the measured token means to Costs (a fine-tune and a long-prompt candidate in the same run)."""
    pair = session.costs_pair(run.candidates)
    with st.container(border=True):
        st.markdown("**:material/payments: Use these measurements on Costs**")
        if pair is None:
            st.caption("Needs a fine-tuned candidate and a candidate with the long prompt in the same run.")
            return
        measured = ev.measured_usage(report, fine_tuned_label=pair[0], prompted_label=pair[1])
        st.caption(view.measured_text(measured, pair[0], pair[1], simulated))
        if st.button("Use these measurements on Costs", icon=":material/send:", key="eval_to_costs"):
            ui.set_measured_usage(measured)
            ss.eval_note = "Handed to Costs: it now uses the measured tokens instead of typed guesses."
        if ui.get_measured_usage() == measured:
            st.page_link("pages/2_Costs.py", label="Continue to Costs", icon=":material/arrow_forward:")


def results_section(run_id: str, run) -> None:
    """Scoreboard, charts, flips, downloads and the hand-over to Costs for ``run``'s answers so far."""
    if not run.results():
        return
    results, report, judge_run = _report(run_id, run)
    simulated = report.simulated or conn.is_demo
    st.header("5 · Results", anchor=False)
    scoreboard(report, results, simulated)
    left, right = st.columns(2)
    document = report.to_document()
    left.plotly_chart(charts.score_cost_figure(document, simulated=simulated), key="eval_chart_cost", width="stretch")
    labels = [c.display_label for c in run.candidates]
    figure = charts.similarity_figure([r.to_record() for r in results], labels, simulated=simulated)
    right.plotly_chart(figure, key="eval_chart_similarity", width="stretch")
    flips_section(run, results, report.baseline)
    judge_section(run_id, run, results, judge_run)
    downloads(run, results, report, simulated)
    to_costs(run, report, simulated)


# --------------------------------------------------------------------------- the page
request = ui.get_evaluate_request()
if request is not None:  # Jobs' "Evaluate this model" or Dataset's validation file
    if request.eval_file is not None:
        ss.eval_handed, ss.eval_source = request.eval_file, "dataset"
    if request.model:
        ss.eval_requested = (request.model, request.base_model)
    ui.set_evaluate_request(None)

st.title("Evaluate")
st.caption(
    "Does the fine-tune beat a well-prompted model? Run your own examples through each candidate, score "
    "the answers, price every call. Nothing is sent before you confirm the estimate."
)
if conn.is_demo:
    st.info(
        "**Demo mode**: the simulator answers, nothing costs money, and every figure on this page is simulated.",
        icon=":material/science:",
    )
missing = conn.missing()
if missing:
    st.info(missing, icon=":material/key:")
    st.stop()
if ss.eval_note:
    st.info(md_escape(ss.eval_note), icon=":material/info:")
if ss.eval_failure:
    st.error(md_escape(ss.eval_failure), icon=":material/error:")

# The models on offer: the account's fine-tunes first. One about to stop answering is recorded first.
tunes, tunes_error = ss.eval_account.get(conn.fingerprint(), "tunes", _read_fine_tunes)
requested = ss.pop("eval_requested", None)
options = session.model_options(
    tunes, calendar=calendar, today=today, extra=[m for m in ([requested[0]] if requested else []) + slots.models()]
)
if requested:
    _suggest(options, *requested)
elif not slots.rows:
    _suggest(options)
labels = {o.id: o.label(today) for o in options}
for due in session.record_first(options, today):
    left, right = st.columns([5, 1.4], vertical_alignment="center")
    left.warning(view.record_first_warning(due.id, due.shutdown_date, today), icon=":material/event_busy:")
    right.button(
        "Record its answers",
        icon=":material/fiber_manual_record:",
        key=f"eval_record_{due.id}",
        on_click=_record_only,
        args=(due.id,),
        width="stretch",
        help="A run with only this model on your examples; then download the recording.",
    )

launch_train, launch_valid = ui.get_launch_files()
handed = ss.eval_handed or launch_valid
train = ss.eval_train or launch_train

# 1 · The evaluation set
with st.container(border=True):
    ui.heading_with_refresh(
        "1 · The examples",
        key="eval_refresh",
        on_refresh=_refresh_account,
        help="Read the account's files and fine-tuned models again.",
    )
    sources = [s for s in SOURCES if s != "dataset" or handed]
    if ss.eval_source not in sources:  # first visit, or the hand-over is gone: a handed file comes first
        ss.eval_source = "dataset" if handed else "upload"
    st.radio(
        "Examples",
        sources,
        format_func=SOURCES.get,
        horizontal=True,
        label_visibility="collapsed",
        **ui.bind("eval_source"),
    )
    chosen = _file_chooser(ss.eval_source, handed, train)
    set_facts = st.empty()  # what was read from the file, filled in below
    left, right = st.columns(2)
    left.number_input(
        "Examples to evaluate (0 = all)",
        min_value=0,
        step=10,
        **ui.bind("eval_limit"),
        help="A seeded random sample, the same examples for every candidate.",
    )
    right.number_input(
        "Seed", min_value=0, step=1, **ui.bind("eval_seed"), help="The same seed picks the same examples."
    )
    with st.expander("Compare against a recording (a fine-tune that no longer answers)"):
        ui.upload_box(
            "Recording (JSONL)",
            "eval_recording",
            widget_key="_eval_recording_uploader",
            help="A recording downloaded from this page: its answers stand in for its model.",
        )
        recording = None
        if ss.eval_recording is not None:
            loaded = _load_recording(ss.eval_recording)
            if isinstance(loaded, str):
                st.error(md_escape(loaded), icon=":material/block:")
            else:
                recording = loaded
                if ss.eval_against_label not in recording.labels:
                    ss.eval_against_label = recording.baseline
                st.selectbox(
                    "Stands in as the baseline",
                    recording.labels,
                    **ui.bind("eval_against_label"),
                    help="Its recorded answers are the baseline; its calls are not sent again.",
                )
                st.caption(
                    f"Made on {md_code(recording.eval_file or 'an unnamed file')}: evaluate the same file "
                    "with the same sample."
                )
            st.button(
                "Remove the recording",
                key="eval_recording_remove",
                on_click=lambda: ss.update(eval_recording=None, eval_against_label=None),
            )

if chosen is None:
    st.info(
        "Choose the examples to evaluate: a chat JSONL file whose last assistant message in each line is the "
        "answer you expect.",
        icon=":material/upload_file:",
    )
    st.stop()
eval_set = _load_set(chosen, int(ss.eval_limit) or None, int(ss.eval_seed))
if isinstance(eval_set, str):
    set_facts.error(md_escape(eval_set), icon=":material/block:")
    st.stop()
stand_in = None
if recording is not None:
    try:
        eval_set, *stand_in = session.stand_in(eval_set, recording, ss.eval_against_label)
    except ValueError as exc:
        set_facts.error(md_escape(str(exc)), icon=":material/block:")
        st.stop()
set_facts.caption(view.set_caption(eval_set))

# 2 · Candidates
with st.container(border=True):
    st.subheader("2 · Candidates", anchor=False)
    st.caption("The first candidate is the baseline the others are compared with (normally the fine-tune).")
    if tunes_error:
        st.warning(md_escape(tunes_error) + " Showing the catalog's models.", icon=":material/warning:")
    if stand_in:
        st.info(
            f"Baseline: the recorded answers of {md_escape(stand_in[0].display_label)} (no call is sent for it).",
            icon=":material/history:",
        )
    for position, n in enumerate(slots.rows):
        candidate_row(position, n, [o.id for o in options], labels, bool(stand_in), eval_set.references_are_json)
    st.button(
        "Add a candidate",
        icon=":material/add:",
        key="eval_add",
        on_click=lambda: slots.add(session.default_pair(options)[1] or options[0].id, long_prompt=True),
    )

    choices = slots.choices(structured_allowed=eval_set.references_are_json)
    if any(c.long_prompt for c in choices):
        if not ss.get("eval_system_seeded"):
            ss.eval_system_seeded = True
            ss.eval_system = ss.eval_system or next((e.system for e in eval_set.examples if e.system), "")
        st.text_area(
            "The long prompt",
            height=200,
            **ui.bind("eval_system"),
            help='Replaces the system message of every example for the candidates with "Long prompt" on: '
            "the instructions and examples a fine-tune lets you drop. Starts from the file's own.",
        )
        shots_col, note_col = st.columns([1, 3], vertical_alignment="bottom")
        shots_col.number_input(
            "Few-shot examples",
            min_value=0,
            max_value=20,
            step=1,
            **ui.bind("eval_fewshot"),
            help="Worked examples drawn (with the seed) from the training file and added to the long prompt.",
        )
        if ss.eval_fewshot and train is None:
            note_col.caption(
                "Few-shot examples come from the training file: hand it over from the Dataset page, or "
                'choose "A sample of the training file" above and upload it.'
            )
        elif ss.eval_fewshot:
            note_col.caption(f"Drawn from {md_code(train.name)}.")

problems = []
system = (ss.eval_system or "").strip() or None
if system and ss.eval_fewshot and train is not None:
    try:
        system = _few_shot(system, train, int(ss.eval_fewshot), int(ss.eval_seed))
    except ev.EvalInputError as exc:
        problems.append(f"No few-shot examples: {exc}")
plan = view.plan_candidates(choices, session.candidate_labels(choices), system, stand_in[0] if stand_in else None)
problems += plan.problems
candidates = plan.candidates

# 3 · Estimate and run
with st.container(border=True):
    st.subheader("3 · Estimate and run", anchor=False)
    estimates = []
    if not problems:
        try:
            estimates = _estimate(eval_set, plan.to_call, view.estimate_key(eval_set, candidates))
        except (ev.CandidateSpecError, ValueError) as exc:
            problems.append(str(exc))
    if estimates:
        st.dataframe(
            session.estimate_rows(estimates),
            hide_index=True,
            width="stretch",
            key="eval_estimate",
            column_config={
                "cost (est.)": st.column_config.NumberColumn(format="$%.4f"),
                "per 1,000 calls": st.column_config.NumberColumn(format="$%.4f"),
                "prompt tokens": st.column_config.NumberColumn(format="localized"),
                "output tokens (est.)": st.column_config.NumberColumn(format="localized"),
            },
        )
        st.caption(view.estimate_caption(ev.total_estimate(estimates), demo=conn.is_demo))
    left, right = st.columns(2)
    with left:
        st.toggle("Stop at a spending limit", **ui.bind("eval_max_spend_on"))
        if ss.eval_max_spend_on:
            st.number_input("Spending limit (USD)", min_value=0.0, step=1.0, format="%.2f", **ui.bind("eval_max_spend"))
    right.number_input(
        "Calls at a time",
        min_value=1,
        max_value=16,
        step=1,
        **ui.bind("eval_concurrency"),
        help="How many calls are in flight at once; rate limits are retried by the SDK.",
    )
    limit = float(ss.eval_max_spend) if ss.eval_max_spend_on else None
    over = view.over_spending_limit(ev.total_estimate(estimates), limit) if estimates else None
    problems += [over] if over else []
    current = ss.eval_runs.get(ss.eval_run_id)
    busy = current is not None and current.running
    if problems:
        st.error("\n".join(f"- {md_escape(p)}" for p in problems), icon=":material/block:")
    if busy:
        st.caption(":material/hourglass_top: A run is in progress below: stop it or let it finish to start another.")
    if st.button(
        "Review the estimate and run…",
        type="primary",
        icon=":material/receipt_long:",
        key="eval_review",
        disabled=bool(problems) or busy or not estimates or ss.eval_pending is not None,
    ):
        review(eval_set, candidates, estimates, file=chosen, results=stand_in[1] if stand_in else ())

# 4 · Progress and 5 · results
run = ss.eval_runs.get(ss.eval_run_id)
if run is not None:
    with st.container(border=True):
        st.subheader("4 · Progress", anchor=False)
        watch(ss.eval_run_id)
    if not run.running:
        results_section(ss.eval_run_id, run)

ui.confirm_spend(
    "Confirm the evaluation",
    "eval_pending",
    show=show_estimate,
    act=_start,
    confirm_label="Confirm and run",
    busy_label="Starting…",
    icon=":material/play_arrow:",
)
