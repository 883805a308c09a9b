"""Dataset: check a fine-tuning JSONL file line by line, see what it costs, fix it, hand it to Launch.

The story: take a training file (and optionally a validation file) from an
upload or a bundled sample; check it for the chosen model with the validator
(``lib.validate``, cached by content hash so reruns and page switches never
check again); show the verdict, the figures, the problems, the token charts,
duplicates and overlap, and any example as chat bubbles; then offer a cleaned
file, a seeded split, and "Use for launch". Decisions in between live in
``lib/dataset_view.py``, charts in ``lib/charts/dataset.py``.

Dataset text is user input: it is shown with ``st.text``, ``st.code`` and
``st.dataframe`` only, and anything from a file that reaches markdown (a file
name, a finding that quotes a value) goes through ``md_escape``.
"""

import pandas as pd
import streamlit as st

from lib.display import human_size, md_code, md_escape
from lib import catalog, memo, ui, validate
from lib import dataset_view as view
from lib.charts import dataset as charts
from lib.handoff import EvaluateRequest, LaunchFile

conn = ui.page_setup("Dataset", ":material/dataset:")
calendar = ui.calendar_of(conn)  # the connected backend's dates
ss = st.session_state
cat = catalog.load_catalog()
today = catalog.today()
# The server refuses bigger uploads (.streamlit/config.toml); the same number is checked in code below,
# because neither AppTest nor a proxy in front of the server is bound by it.
MAX_UPLOAD_MB = st.get_option("server.maxUploadSize")
PROGRESS_FROM_BYTES = 2 << 20  # smaller files are checked before a bar would be seen

# Permanent keys: what the user uploaded or chose survives reruns and page switches. Widgets are per page,
# so each uses a "_" twin (see ui.bind).
TRAIN, VALID = "dataset_train", "dataset_valid"  # LaunchFile | None
for _key, _default in {
    TRAIN: None, VALID: None,
    "dataset_sample": None,  # key of the sample the training file came from (None: uploaded)
    "dataset_origin": {},  # TRAIN / VALID -> "upload" | "sample"
    "dataset_upload_gen": 0,  # bumped to give the uploaders fresh, empty widgets
    "dataset_notice": None,  # why the last upload was refused
    "dataset_model": validate.DEFAULT_MODEL, "dataset_epochs": "auto",
    "dataset_codes": [], "dataset_severities": ["error", "warning"],
    "dataset_view_file": "training", "dataset_view_line": 1,
    "dataset_dedupe": False, "dataset_split_percent": 10, "dataset_split_seed": 42,
    "dataset_handoff": None, "dataset_handed": None,
}.items():  # fmt: skip
    ss.setdefault(_key, _default)


# --------------------------------------------------------------------------- state helpers
def _on_upload(which: str, widget_key: str) -> None:
    """Keep an uploaded file's bytes in the permanent key (after the size check), or forget a removed one."""
    f = ss[widget_key]
    ss.dataset_notice = None
    ss.dataset_handed = None
    if f is None:  # the user removed the file from the uploader
        _forget(which, fresh_widgets=False)
        return
    refused = view.upload_too_large(f.size, MAX_UPLOAD_MB)
    if refused:
        ss.dataset_notice = f"{f.name}: {refused}"
        return
    ss[which] = LaunchFile.of(f.name, f.getvalue())
    ss.dataset_origin[which] = "upload"
    if which == TRAIN:
        ss.dataset_sample = None
        if ss.dataset_origin.get(VALID) == "sample":  # a sample's validation file belongs to its training file
            ss[VALID] = None
    ss.dataset_view_line = 1


def _on_sample() -> None:
    key = ss._dataset_sample
    ss.dataset_sample = key
    ss.dataset_notice = None
    ss.dataset_handed = None
    if key is None:
        return
    (name, data), validation = view.load_sample(key)
    ss[TRAIN] = LaunchFile.of(name, data)
    ss[VALID] = LaunchFile.of(*validation) if validation else None
    ss.dataset_origin = {TRAIN: "sample", VALID: "sample"}
    ss.dataset_upload_gen += 1  # empty the uploaders: the sample is what is checked now
    ss.dataset_view_line = 1


def _forget(which: str, fresh_widgets: bool = True) -> None:
    ss[which] = None
    ss.dataset_origin.pop(which, None)
    ss.dataset_handed = None
    if which == TRAIN:
        ss.dataset_sample = None
    if fresh_widgets:  # the ✕ next to a kept file: the uploader may still hold that file
        ss.dataset_upload_gen += 1


def _pick_problem() -> None:
    """A click on a row of the problems table opens that line in the example viewer."""
    selected = ss._dataset_problem_table.selection.rows
    rows = ss.get("dataset_problem_rows") or []
    if selected and selected[0] < len(rows):
        file, line = rows[selected[0]]
        if line is not None:
            ss.dataset_view_file, ss.dataset_view_line = file, int(line)


def _jump(line_key: str) -> None:
    if ss[line_key] is not None:
        ss.dataset_view_line = int(ss[line_key])


# --------------------------------------------------------------------------- cached work
# Reports and line indexes are memoised, not recomputed on every rerun, and given back: a session's
# own memo goes with the session (and is emptied when it idles), and only small inputs are shared
# between sessions, within a byte budget (lib/memo.py). Sharing one object is safe: it is keyed by
# the content's hash, never holds session state or keys, and nothing changes a report or an index.
def session_memo() -> memo.SessionMemo:
    if "dataset_memo" not in ss:
        ss.dataset_memo = memo.SessionMemo(entries=4)
    return ss.dataset_memo


def check(train_sha: str, valid_sha: str | None, model: str, epochs, train_name: str, valid_name: str,
          _train: bytes, _valid: bytes | None) -> validate.Report:  # fmt: skip
    """The validator's report, once per (content, model, epochs) across reruns and pages (and, for
    small files, sessions). The bytes are passed unhashed: their sha256 is already in the key."""

    def build() -> validate.Report:
        bar = st.empty() if len(_train) > PROGRESS_FROM_BYTES else None
        steps = [-1]

        def progress(fraction: float) -> None:
            step = int(fraction * 20)  # at most 20 updates
            if bar is not None and step != steps[0]:
                steps[0] = step
                bar.progress(min(fraction, 1.0), text=f"Checking {train_name}… {fraction:.0%}")

        report = validate.validate_bytes(
            _train,
            model=model,
            n_epochs=epochs,
            validation=_valid,
            name=train_name,
            validation_name=valid_name,
            progress=progress,
        )
        if bar is not None:
            bar.empty()
        return report

    key = ("report", train_sha, valid_sha, model, epochs, train_name, valid_name)
    cost = len(_train) + len(_valid or b"")
    return session_memo().get(key, lambda: view.SHARED_REPORTS.get(key, build, cost))


def check_file(f: LaunchFile, v: LaunchFile | None = None) -> validate.Report:
    return check(
        f.sha256,
        v.sha256 if v else None,
        ss.dataset_model,
        ss.dataset_epochs,
        f.name,
        v.name if v else "",
        _train=f.data,
        _valid=v.data if v else None,
    )


def line_index(sha: str, _data: bytes) -> view.LineIndex:
    """Random access to the lines of this session's file (kept in the session's memo only)."""
    return session_memo().get(("index", sha), lambda: view.LineIndex(_data))


def handoff_files(choice: str, train: LaunchFile, valid: LaunchFile | None, report) -> tuple:
    """(training, validation) LaunchFiles for a hand-over choice (see HANDOFF)."""
    if choice == "split":
        part_train, part_valid = validate.split_jsonl(
            train.data, report, validation_fraction=ss.dataset_split_percent / 100, seed=int(ss.dataset_split_seed)
        )
        return (
            LaunchFile.of(view.derived_name(train.name, "train"), part_train),
            LaunchFile.of(view.derived_name(train.name, "valid"), part_valid),
        )
    if choice == "cleaned":
        cleaned = LaunchFile.of(
            view.derived_name(train.name, "clean"), validate.clean_jsonl(train.data, report, dedupe=ss.dataset_dedupe)
        )
        if valid is not None and report.validation is not None and report.validation.errors:
            valid = LaunchFile.of(
                view.derived_name(valid.name, "clean"),
                validate.clean_jsonl(valid.data, report.validation, dedupe=ss.dataset_dedupe),
            )
        return cleaned, valid
    return train, valid


def _hand_over(choice: str) -> None:
    """ "Use for launch": check the chosen files, then leave them for Launch and their figures for Costs."""
    train, valid = ss[TRAIN], ss[VALID]
    try:
        report = check_file(train, valid)
        handed_train, handed_valid = handoff_files(choice, train, valid, report)
        handed_report = check_file(handed_train, handed_valid)
    except Exception as exc:  # a last resort: a callback must not end in a traceback either
        ss.dataset_handed = {
            "source": train.sha256,
            "error": f"Not handed over: the files could not be prepared "
            f"({type(exc).__name__}). Try again, or download them and upload them on Launch.",
        }
        return
    if not view.ready(handed_report):
        kind, sentence = view.verdict(handed_report)
        ss.dataset_handed = {"source": train.sha256, "error": f"Not handed over: {sentence}"}
        return
    ui.set_launch_files(handed_train, handed_valid)
    ui.set_dataset_summary(handed_report.summary())
    ss.dataset_handed = {
        "source": train.sha256,
        "model": ss.dataset_model,
        "train": handed_train.name,
        "valid": handed_valid.name if handed_valid else None,
        "examples": handed_report.examples,
        "valid_examples": handed_report.validation.examples if handed_report.validation else 0,
    }


HANDOFF = {
    "as_checked": "The files as checked",
    "cleaned": "The cleaned file (lines with errors removed)",
    "split": "A seeded split of the good lines into training and validation files",
}


# --------------------------------------------------------------------------- the inputs
st.title("Dataset")
st.markdown(
    "Check a fine-tuning file line by line the way the API will, count its tokens exactly, "
    "and fix it before it costs a failed job."
)

inputs = st.container(border=True)
up_col, sample_col, model_col = inputs.columns([1.25, 1, 1.1], gap="medium")
gen = ss.dataset_upload_gen
with up_col:
    for which, label in ((TRAIN, "Training file (JSONL)"), (VALID, "Validation file (optional)")):
        widget_key = f"_{which}_upload_{gen}"
        st.file_uploader(
            label,
            key=widget_key,
            on_change=_on_upload,
            args=(which, widget_key),
            help=f"One JSON example per line, up to {MAX_UPLOAD_MB:,} MB. Checked in this session only; "
            "nothing is stored.",
        )
        current = ss[which]
        if current is not None and ss.get(widget_key) is None:  # kept from an earlier upload, a sample or page
            origin = "bundled sample" if ss.dataset_origin.get(which) == "sample" else "uploaded earlier"
            left, right = st.columns([9, 1], vertical_alignment="center")
            left.caption(f":material/description: {md_code(current.name)} · {human_size(current.size)} · {origin}")
            right.button(
                "",
                key=f"_forget_{which}",
                on_click=_forget,
                args=(which,),
                type="tertiary",
                icon=":material/close:",
                help="Remove this file",
            )
    if ss.dataset_notice:
        st.error(md_escape(ss.dataset_notice), icon=":material/block:")

with sample_col:
    ss._dataset_sample = ss.dataset_sample
    st.selectbox(
        "Or try a bundled sample",
        [s.key for s in view.SAMPLES],
        key="_dataset_sample",
        on_change=_on_sample,
        index=None,
        placeholder="Choose a sample…",
        format_func=lambda key: view.SAMPLES_BY_KEY[key].label,
    )
    if ss.dataset_sample:
        st.caption(view.SAMPLES_BY_KEY[ss.dataset_sample].description)
    else:
        st.caption(
            "Support conversations of a made-up bike shop: a clean set, one with typical faults, "
            "DPO pairs and tool calls."
        )

with model_col:
    models = view.model_choices(cat, today, calendar)
    ids = [m.id for m in models]
    if ss.dataset_model not in ids:
        ss.dataset_model = ids[0]
    st.selectbox(
        "Model",
        ids,
        format_func=lambda mid: view.model_label(cat.models[mid]),
        help="Drives the tokenizer, the per-example token limit and the training price.",
        **ui.bind("dataset_model"),
    )
    info = cat.models[ss.dataset_model]
    st.caption(":material/hourglass_bottom: " + view.deadline_note(info, cat, today, calendar))
    st.selectbox(
        "Epochs",
        ["auto", *range(cat.limits["n_epochs"][0], cat.limits["n_epochs"][1] + 1)],
        format_func=view.epochs_label,
        help="Passes over the training file; billing multiplies by it.",
        **ui.bind("dataset_epochs"),
    )

train, valid = ss[TRAIN], ss[VALID]
if train is None:
    if valid is not None:
        st.info(
            "Add a training file too: the validation file is checked together with it.", icon=":material/upload_file:"
        )
    else:
        st.info(
            "Upload a JSONL file or choose a sample to start. Supported: chat (with tools, weights and "
            "images), DPO preference pairs, and legacy prompt/completion files.",
            icon=":material/upload_file:",
        )
    st.stop()

# --------------------------------------------------------------------------- the check
try:
    report = view.with_calendar(check_file(train, valid), cat, today, calendar)
except Exception as exc:  # the validator turns bad data into findings; this is a last resort, never a traceback
    st.error(
        f"The file could not be checked ({type(exc).__name__}). Try another model or file; if it keeps "
        "happening, check it with `python -m lib validate FILE` and report the message.",
        icon=":material/error:",
    )
    st.stop()
valid_examples = report.valid_examples  # a walk over every line: once per run, not at each use

handed = ss.dataset_handed
if not (handed and handed.get("source") == train.sha256):
    handed = None  # a hand-over of other files is not this file's news
if not (handed and "error" not in handed and handed.get("model") == ss.dataset_model):
    ui.set_dataset_summary(report.summary())  # the Costs page prefills from the last checked file

kind, sentence = view.verdict(report)
icon = {"ready": ":material/check_circle:", "fix": ":material/build:", "unusable": ":material/block:"}[kind]
(st.success if kind == "ready" else st.error)(md_escape(sentence), icon=icon)
st.caption(md_escape(view.file_facts(report, train.size)))

if kind != "unusable":
    cols = st.columns(5)
    cols[0].metric(
        "Examples",
        f"{report.examples:,}",
        help=f"{valid_examples:,} of them without errors, out of {report.lines:,} lines.",
    )
    cols[1].metric(
        "Tokens",
        f"{report.total_tokens:,}",
        help=f"Exact count with {report.encoding} ({report.counter}), the OpenAI recipe for chat "
        "messages, tools and images.",
    )
    cols[2].metric(
        "Billed tokens",
        f"{report.billed_tokens:,}",
        help=f"{report.billed_tokens_per_epoch:,} per epoch × {report.n_epochs} epochs; an example over "
        "the limit is billed up to the limit.",
    )
    cols[3].metric(
        "Epochs (auto, estimated)" if report.n_epochs_is_estimate else "Epochs",
        report.n_epochs,
        help='OpenAI does not document how "auto" chooses; this is the cookbook\'s rule '
        "(3, more for small files, fewer for huge ones)."
        if report.n_epochs_is_estimate
        else None,
    )
    cols[4].metric("Estimated training cost", view.cost_text(report), help=view.price_note(report, info))
    st.caption(md_escape(view.price_note(report, info)))
    if calendar == "azure":
        st.caption(":material/info: " + md_escape(cat.azure.training_price_note))
    if report.validation is not None:
        st.caption(":material/fact_check: " + md_escape(view.validation_facts(report.validation)))
    with st.container(border=True):
        _, guide = view.size_guide(valid_examples)
        st.markdown(":material/straighten: **Dataset size** &nbsp; " + view.size_ladder(valid_examples))
        st.caption(guide)

# --------------------------------------------------------------------------- problems
st.subheader("Problems", divider="gray")
counts = view.code_counts(report)
if not counts:
    st.success("No problems: every line is a valid example.", icon=":material/check:")
else:
    by_code = {r["code"]: r for r in counts}
    ss.dataset_codes = [c for c in ss.dataset_codes if c in by_code]
    st.segmented_control(
        "Severity",
        ["error", "warning"],
        selection_mode="multi",
        format_func=lambda s: s.title() + "s",
        **ui.bind("dataset_severities"),
    )
    st.pills(
        "Findings per code (select to filter)",
        list(by_code),
        selection_mode="multi",
        width="stretch",
        format_func=lambda c: view.code_pill_label(by_code[c]),
        **ui.bind("dataset_codes"),
    )
    rows = view.problem_rows(
        report, codes=set(ss.dataset_codes) or None, severities=set(ss.dataset_severities or ["error", "warning"])
    )
    ss.dataset_problem_rows = [(r["file"], r["line"]) for r in rows]
    frame = pd.DataFrame(rows, columns=["file", "line", "severity", "code", "message"])
    frame["line"] = [view.line_label(line) for line in frame["line"]]  # "file" for whole-file findings
    if report.validation is None:
        frame = frame.drop(columns="file")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=min(460, 38 + 35 * max(len(rows), 1)),
        key="_dataset_problem_table",
        on_select=_pick_problem,
        selection_mode="single-row",
        column_config={
            "line": st.column_config.TextColumn(width=60, alignment="right"),
            "severity": st.column_config.TextColumn(width=80),
            "code": st.column_config.TextColumn(width=250),
            "file": st.column_config.TextColumn(width=80),
        },
    )
    st.caption(
        f"{len(rows):,} of {sum(r['count'] for r in counts):,} findings shown. Select a row to read "
        "the whole message next to its example in the viewer below."
    )

if kind == "unusable" and not report.error_lines:
    st.stop()  # not a text file, or empty: there is no line to show, count or fix

# --------------------------------------------------------------------------- example viewer
st.subheader("Example viewer", divider="gray")
sources = {"training": (train, report)}
if valid is not None and report.validation is not None:
    sources["validation"] = (valid, report.validation)
if ss.dataset_view_file not in sources:
    ss.dataset_view_file = "training"
pick_cols = st.columns([1, 1, 2.2] if len(sources) > 1 else [1, 2.2])
if len(sources) > 1:
    pick_cols.pop(0).segmented_control("File", list(sources), format_func=str.title, **ui.bind("dataset_view_file"))
    if ss.dataset_view_file is None:
        ss.dataset_view_file = "training"
shown_file, shown_report = sources[ss.dataset_view_file]
n_lines = max(shown_report.lines, 1)
ss.dataset_view_line = min(max(int(ss.dataset_view_line or 1), 1), n_lines)
pick_cols[0].number_input("Line", min_value=1, max_value=n_lines, step=1, **ui.bind("dataset_view_line"))
problem_lines = view.viewer_lines(shown_report)
if problem_lines:
    ss._dataset_jump = None
    jump_labels = view.jump_labels(shown_report, problem_lines)
    pick_cols[1].selectbox(
        "Jump to a line with a finding",
        problem_lines,
        index=None,
        key="_dataset_jump",
        on_change=_jump,
        args=("_dataset_jump",),
        placeholder=f"{len(problem_lines):,} lines",
        format_func=jump_labels.__getitem__,
    )
line = int(ss.dataset_view_line)
for finding in view.findings_on_line(shown_report, line):
    (st.error if finding.severity == "error" else st.warning)(md_escape(finding.message))
index = line_index(shown_file.sha256, _data=shown_file.data)
example = validate.read_example(index.raw(line) + b"\n", 1)
bubbles = view.bubbles(example)
if not bubbles:
    raw, cut = index.text(line)
    st.caption(f"Line {line} is not a JSON object, so it can't be shown as a conversation. Its text:")
    st.code(raw or "(empty line)", language=None, wrap_lines=True)
    if cut:
        st.caption(f"… {cut:,} more characters not shown.")
else:
    answers = [b for b in bubbles if b.side]
    for b in [b for b in bubbles if not b.side]:
        view_bubble = st.chat_message(b.role, avatar=b.avatar)
        view_bubble.caption(md_escape(b.caption))
        if b.text:
            view_bubble.text(b.text)
        if b.code:
            view_bubble.code(b.code, language="json", wrap_lines=True)
        if b.cut_chars:
            view_bubble.caption(f"… {b.cut_chars:,} more characters not shown.")
    if answers:  # DPO: the two answers side by side
        for col, b in zip(st.columns(len(answers)), answers):
            with col.container(border=True):
                st.markdown(
                    ":material/thumb_up: **Preferred**"
                    if b.side == "preferred"
                    else ":material/thumb_down: **Non-preferred**"
                )
                bubble = st.chat_message(b.role, avatar=b.avatar)
                bubble.caption(md_escape(b.caption))
                bubble.text(b.text)
                if b.code:
                    bubble.code(b.code, language="json", wrap_lines=True)
                if b.cut_chars:
                    bubble.caption(f"… {b.cut_chars:,} more characters not shown.")
    with st.expander("Raw line"):
        raw, cut = index.text(line)
        st.code(raw, language="json", wrap_lines=True)
        if cut:
            st.caption(f"… {cut:,} more characters not shown.")

if kind == "unusable":
    st.stop()  # nothing in the file can be kept, counted or handed over

# --------------------------------------------------------------------------- fix and hand over
st.subheader("Fix and hand over", divider="gray")
clean_col, split_col = st.columns(2, gap="medium")
with clean_col.container(border=True):
    st.markdown("**:material/cleaning_services: Cleaned file**")
    n_dups = len(report.duplicates)
    st.toggle(f"Also drop duplicate examples ({n_dups:,})", disabled=not n_dups, **ui.bind("dataset_dedupe"))
    plan = view.clean_plan(report, dedupe=ss.dataset_dedupe)
    st.caption(view.clean_caption(plan))
    # Download data is built on click, outside this script run and its session: capture the values now.
    st.download_button(
        "Download cleaned file",
        key="_dataset_download_clean",
        data=lambda dedupe=ss.dataset_dedupe: validate.clean_jsonl(train.data, report, dedupe=dedupe),
        file_name=view.derived_name(train.name, "clean"),
        mime="application/jsonl",
        on_click="ignore",
        icon=":material/download:",
        disabled=not plan["kept"],
    )
with split_col.container(border=True):
    st.markdown("**:material/call_split: Train / validation split**")
    share_col, seed_col = st.columns(2)
    share_col.slider("Validation share", 5, 50, step=5, format="%d%%", **ui.bind("dataset_split_percent"))
    seed_col.number_input(
        "Seed",
        min_value=0,
        max_value=cat.limits["seed"][1],
        step=1,
        help="The same seed and share always give the same split.",
        **ui.bind("dataset_split_seed"),
    )
    st.caption(view.split_caption(valid_examples, ss.dataset_split_percent))

    def _split_part(
        part: int, fraction: float = ss.dataset_split_percent / 100, seed: int = int(ss.dataset_split_seed)
    ):
        return lambda: validate.split_jsonl(train.data, report, validation_fraction=fraction, seed=seed)[part]

    can_split = valid_examples >= 2
    for part, (column, label, suffix) in enumerate(
        zip(st.columns(2), ("Training part", "Validation part"), ("train", "valid"))
    ):
        column.download_button(
            label,
            data=_split_part(part),
            file_name=view.derived_name(train.name, suffix),
            mime="application/jsonl",
            on_click="ignore",
            icon=":material/download:",
            disabled=not can_split,
            key=f"_dataset_download_split_{suffix}",
        )

with st.container(border=True):
    st.markdown("**:material/rocket_launch: Use for launch**")
    # "As checked" only when the API would accept it; "cleaned" only when cleaning changes something.
    cleaning_helps = plan["error_lines"] + plan["blank_lines"] + plan["duplicates"] > 0 or bool(
        report.validation and report.validation.errors
    )
    choices = [c for c in HANDOFF if (c != "as_checked" or view.ready(report)) and (c != "cleaned" or cleaning_helps)]
    if ss.dataset_handoff not in choices:
        ss.dataset_handoff = choices[0]
    names = {
        "as_checked": md_code(train.name) + (f" + {md_code(valid.name)}" if valid else ""),
        "cleaned": md_code(view.derived_name(train.name, "clean")) + (" + the validation file" if valid else ""),
        "split": f"{ss.dataset_split_percent}% to validation, seed {ss.dataset_split_seed}"
        + (" (instead of the uploaded validation file)" if valid else ""),
    }
    st.radio(
        "Hand over",
        choices,
        format_func=lambda c: f"{HANDOFF[c]}: {names[c]}",
        label_visibility="collapsed",
        **ui.bind("dataset_handoff"),
    )
    st.button(
        "Use for launch",
        type="primary",
        icon=":material/send:",
        key="_dataset_use",
        on_click=lambda: _hand_over(ss.dataset_handoff),
        disabled=valid_examples == 0,
    )
    if handed:
        if "error" in handed:
            st.error(md_escape(handed["error"]), icon=":material/block:")
        else:
            st.success(md_escape(view.handed_text(handed)), icon=":material/check_circle:")
            st.page_link("pages/3_Launch.py", label="Continue to Launch", icon=":material/arrow_forward:")
    else:
        st.caption("Leaves the files for the Launch page and their figures for the Costs page.")
    if valid is not None and st.button(
        "Evaluate with this validation file",
        icon=":material/balance:",
        key="_dataset_evaluate",
        help="Measure models on these held-out examples.",
    ):
        ui.set_evaluate_request(EvaluateRequest(eval_file=valid))
        st.switch_page("pages/5_Evaluate.py")

# --------------------------------------------------------------------------- charts
st.subheader("Tokens", divider="gray")
stats = report.stats
if stats.get("max") is not None:
    st.caption(view.stats_caption(stats, report.training_limit))
# The three figures depend on the checked content and model only: built once, not on every rerun
# (a widget anywhere on the page reran ~0.1 s of plotly work for each of them).
figures = ui.session_memo("dataset_figures", entries=2).get(
    ("figures", report.sha256, report.validation.sha256 if report.validation else None, report.model),
    lambda: (
        charts.tokens_histogram(
            report.per_example_tokens,
            report.training_limit,
            report.validation.per_example_tokens if report.validation else None,
        ),
        charts.assistant_tokens_histogram(report.assistant_tokens),
        charts.messages_histogram(report.n_messages),
    ),
)
for column, figure, name in zip(st.columns(3), figures, ("tokens", "assistant", "messages")):
    column.plotly_chart(figure, key=f"_dataset_chart_{name}")

# --------------------------------------------------------------------------- duplicates and overlap
st.subheader("Duplicates and overlap", divider="gray")
dup_col, overlap_col = st.columns(2, gap="medium")
train_index = line_index(train.sha256, _data=train.data)
with dup_col:
    dups = view.duplicate_rows(report, train.data, train_index)
    st.markdown(f"**Duplicate examples** ({len(report.duplicates):,})")
    if dups:
        st.dataframe(
            pd.DataFrame(dups),
            hide_index=True,
            width="stretch",
            column_config={
                "line": st.column_config.NumberColumn(format="%d", width=100),
                "same_as": st.column_config.NumberColumn("same as line", format="%d", width=110),
            },
        )
        st.caption("Duplicates add cost, not signal; the cleaned file can drop them.")
    else:
        st.caption("No line repeats an earlier one.")
with overlap_col:
    st.markdown(f"**Also in the validation file** ({len(report.overlap):,})")
    if report.validation is None:
        st.caption("No validation file. Upload one, or make one with the split above.")
    elif report.overlap:
        st.dataframe(
            pd.DataFrame(view.overlap_rows(report, train.data, train_index)),
            hide_index=True,
            width="stretch",
            column_config={
                "line": st.column_config.NumberColumn("training line", format="%d", width=100),
                "validation_line": st.column_config.NumberColumn("validation line", format="%d", width=110),
            },
        )
        st.caption("An example in both files makes the validation loss look better than it is.")
    else:
        st.caption("No example appears in both files.")
