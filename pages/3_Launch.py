"""Launch: from a checked file to one confirmed fine-tuning job.

The story: choose the files (handed over by the Dataset page, uploaded here,
or already on the account) and check them for the chosen model and method;
set up the job; see the charge; confirm once in a dialog. The create call is
sent with no retries and an idempotency key kept in session state, so a
rerun, a double click or a retry after a dropped connection never creates a
second job. The logic lives in ``lib/launch.py``.
"""

import json
import openai
import streamlit as st

from lib import calls, catalog, launch, memo, ui
from lib.display import human_size, md_code, md_escape
from lib.errors import explain
from lib.handoff import LaunchFile
from lib.jobspec import job_creation_refusal

conn = ui.page_setup("Launch", ":material/rocket_launch:")
ss = st.session_state
cat = catalog.load_catalog()
today = catalog.today()
calendar = ui.calendar_of(conn)  # the backend's dates and rules: "openai" or "azure"
limits = cat.limits_for(calendar)

# Permanent keys: the form survives page switches (widgets use "_" + key, see _bind).
for _key, _default in {
    "launch_model": None,
    "launch_method": "supervised",
    "launch_n_epochs": "auto",
    "launch_batch_size": "auto",
    "launch_learning_rate_multiplier": "auto",
    "launch_beta": "auto",
    "launch_suffix": "",
    "launch_seed": "",
    "launch_metadata": "",
    "launch_budget_on": False,
    "launch_budget": 25.0,
    "launch_record_estimate": True,
    "launch_train_source": None,
    "launch_val_source": "none",
    "launch_train_upload": None,
    "launch_val_upload": None,
    "launch_train_account": None,
    "launch_val_account": None,
    "launch_uploaded": {},  # (connection, sha256) -> AccountFile: never upload the same bytes twice
    "launch_pending": None,  # the request under confirmation: a launch.PendingLaunch
    "launch_result": None,  # the last outcome: {"ok": True, "job_id"...} or {"ok": False, "message"}
    "launch_retry": None,  # a launch.UnknownOutcome: its key is reused for the same request
    "launch_seen_handoff": None,
    "launch_note": None,
    "launch_training_type": launch.training_tiers()[0].training_type,  # Azure OpenAI's tier
    "launch_azure_prices": {},  # model id -> the Azure training price the user entered
}.items():
    ss.setdefault(_key, _default)
if ss.get("launch_account") is None:  # the account's models and files, read from the API
    ss.launch_account = calls.AccountReads()
if ss.get("launch_bytes") is None:  # (connection, file id) -> LaunchFile or the reason it cannot be read
    ss.launch_bytes = memo.SessionMemo(entries=8)  # files read back are held in memory: the last few only
if ss.get("launch_checks") is None:  # (sha256s, model, method) -> (FileCheck, FileCheck | None)
    ss.launch_checks = memo.SessionMemo(entries=12)

# Set when a call of this run found the API unreachable or silent: later calls in the same run are
# skipped, so a backend that stopped answering costs one bounded wait, not one per call.
guard = calls.FailureGuard()
account = conn.fingerprint() + "|" + calendar  # the demo's Azure mode lists other models

SOURCES = {"dataset": "From the Dataset page", "upload": "Upload a file", "account": "Already on the account"}


# --------------------------------------------------------------------------- helpers
def _refresh_account() -> None:
    ss.launch_account.forget()


def _read_models() -> tuple[list[launch.ModelChoice], str | None]:
    try:
        return launch.trainable_models(calls.READ.client(conn).models.list(), today=today, calendar=calendar), None
    except Exception as exc:  # the form still works from the catalog
        if isinstance(exc, openai.APIConnectionError):  # timeouts too
            guard.note("models")
        return launch.catalog_models(today=today, calendar=calendar), explain(exc, action="list the account's models")


def _reader():
    return calls.READ.client(conn)


def _files() -> tuple[list[launch.AccountFile], str | None]:
    if guard and not ss.launch_account.holds(account, "files"):  # the models call just waited in vain
        return [], (
            "The account's files are not listed: the API could not be reached a moment ago. Press Refresh to try again."
        )
    return ss.launch_account.get(account, "files", lambda: launch.account_files(_reader))


def _account_bytes(file: launch.AccountFile) -> LaunchFile | str:
    """The file's content (to check it), or why it cannot be read back."""
    return ss.launch_bytes.get((conn.fingerprint(), file.id), lambda: launch.read_back(_reader, file))


def _file_picker(role: str, handoff: LaunchFile | None) -> launch.Picked:
    """Draw the chooser for ``role`` ("train"/"val") and return what it holds."""
    source = ss[f"launch_{role}_source"]
    if source == "dataset":
        ui.handed_file(handoff, "Handed over by the Dataset page.")
        return launch.Picked(handoff, name=handoff.name)
    if source == "upload":
        stored = ui.upload_box(
            "JSONL file", f"launch_{role}_upload", widget_key=f"_launch_{role}_uploader", collapsed=True
        )
        refused = launch.too_large_to_train(stored.name, stored.size) if stored else None
        if refused:
            st.error(md_escape(refused), icon=":material/block:")
        return launch.Picked() if stored is None or refused else launch.Picked(stored, name=stored.name)
    if source == "account":
        files, error = _files()
        chosen, content = ui.account_file_box(
            f"launch_{role}_account", files, error, read=_account_bytes, collapsed=True
        )
        if chosen is not None:
            unreadable = content if isinstance(content, str) else None
            return launch.Picked(None if unreadable else content, chosen.id, unreadable, chosen.filename)
    return launch.Picked()


def _check(train: LaunchFile, val: LaunchFile | None, model: str, method: str):
    """The validator's verdict for these files, model and method (kept per session)."""

    def check():
        with st.spinner(f"Checking {md_code(train.name)} for {model}…"):
            return launch.check_files(
                (train.name, train.data), (val.name, val.data) if val else None, model=model, method=method
            )

    return ss.launch_checks.get((train.sha256, val.sha256 if val else None, model, method), check)


def _show_check(check: launch.FileCheck | None, unreadable: str | None) -> None:
    if unreadable:
        st.warning(
            f"Not checked here: {md_escape(unreadable)} The service checks it when the job starts.",
            icon=":material/help:",
        )
    elif check is not None and check.ok:
        st.success(check.summary(), icon=":material/check_circle:")
    elif check is not None:
        st.error(check.blocking_markdown(), icon=":material/block:")
        st.page_link("pages/1_Dataset.py", label="Fix it on the Dataset page", icon=":material/build:")


# --------------------------------------------------------------------------- the create call
def _create(pending: launch.PendingLaunch) -> None:
    """Send the confirmed request once; the outcome is in session state before the next Streamlit call."""
    try:
        job = launch.create_job(calls.CREATE.client(conn), pending.params, idempotency_key=pending.key)
    except Exception as exc:  # every refusal becomes one sentence under the form
        unknown = launch.outcome_is_unknown(exc)
        ss.launch_retry = (
            launch.UnknownOutcome(conn.fingerprint(), launch.request_fingerprint(pending.params), pending.key)
            if unknown
            else None
        )
        ss.launch_result = {"ok": False, "message": launch.explain_refusal(exc, calendar)}
        return
    ss.launch_retry = None
    ss.launch_result = {"ok": True, "job_id": job.id, "status": job.status, "model": job.model}
    ui.remember_job(job.id, job.status)


def show_request(pending: launch.PendingLaunch) -> None:
    """The confirmation's body: the charge, the files, the dates and the exact request."""
    params, charge = pending.params, pending.charge
    if charge is not None:
        st.metric("Estimated charge", launch.format_usd(charge.usd))
        st.caption(charge.formula() + ". Validation files are not charged.")
    else:
        st.warning(
            "The charge cannot be estimated: the training file could not be read back to count its tokens.",
            icon=":material/help:",
        )
    if pending.budget is not None:
        st.caption(f":material/savings: Within your budget cap of {launch.format_usd(pending.budget)}.")
    st.markdown(pending.files_markdown())
    st.markdown(" ".join(md_escape(line) for line in launch.deadline_lines(params["model"], calendar, today)))
    if calendar == "azure":
        st.warning(md_escape(launch.azure_hosting_warning()), icon=":material/payments:")
    if pending.duplicate:
        st.warning(
            f"A job with the same model, method, files, suffix and metadata was already created "
            f"{pending.duplicate}. Confirming creates another one.",
            icon=":material/content_copy:",
        )
    st.markdown("**The request that will be sent** (`POST /fine_tuning/jobs`)")
    st.code(json.dumps(params, indent=2), language="json")
    st.caption(
        f"Sent once with no automatic retries and the header `Idempotency-Key: {pending.key}`, so a "
        "repeat cannot create a second job."
    )


def _upload(role: str, local: LaunchFile, client) -> launch.AccountFile | None:
    """Upload ``local`` once per connection (with a progress bar); None after showing why it failed."""
    known = ss.launch_uploaded.get((conn.fingerprint(), local.sha256))
    if known is not None:
        return known
    bar = st.progress(0.0, text=f"Uploading {md_code(local.name)}…")

    def show(sent: int, total: int) -> None:
        bar.progress(
            sent / total if total else 1.0,
            text=f"Uploading {md_code(local.name)}: {human_size(sent)} of {human_size(total)}",
        )

    try:
        known = launch.upload_file(client, local.name, local.data, progress=show)
    except Exception as exc:
        message = (
            str(exc) if isinstance(exc, launch.FileTooLargeError) else explain(exc, action=f"upload the {role} file")
        )
        ss.launch_result = {"ok": False, "message": message.rstrip(".") + ". Nothing was created or charged."}
        return None
    finally:
        bar.empty()
    ss.launch_uploaded[(conn.fingerprint(), local.sha256)] = known
    ss.launch_bytes.put((conn.fingerprint(), known.id), local)
    ss.launch_account.forget("files")  # the account now holds one more file
    return known


def review(
    form: launch.LaunchForm,
    train: launch.Picked,
    val: launch.Picked,
    train_check,
    choice: launch.ModelChoice,
    charge,
    cap: float | None,
) -> None:
    """Upload what is not on the account yet, build the exact request and open the confirmation."""
    if ss.launch_pending is not None:  # a double click on Review: the confirmation is already open
        return
    client = calls.UPLOAD.client(conn)
    ids = {}
    for role, picked in (("training", train), ("validation", val)):
        if picked.account_id or not picked.chosen:
            ids[role] = picked.account_id
            continue
        uploaded = _upload(role, picked.file, client)
        if uploaded is None:
            return
        ids[role] = uploaded.id
    ss.launch_pending = launch.prepare_review(
        client,
        form,
        training_file=ids["training"],
        validation_file=ids["validation"],
        training_name=train.name,
        validation_name=val.name,
        training_examples=train_check.examples if train_check is not None else None,
        charge=charge,
        record_estimate=ss.launch_record_estimate,
        budget=cap,
        connection=conn.fingerprint(),
        retry=ss.launch_retry,
    )
    ss.launch_result = None


# --------------------------------------------------------------------------- the page
# A job cloned on the Jobs page arrives once as a prefill: copy it into the form.
prefill = ui.get_launch_prefill()
if prefill:
    values = {**launch.prefill_form(prefill), **launch.prefill_files(prefill)}
    ss.update({"launch_" + name: value for name, value in values.items()})
    ss.launch_note = "Settings copied from an earlier job. Change what you need, then review the charge."
    ss.launch_result = None
    ui.set_launch_prefill(None)

handoff_train, handoff_val = ui.get_launch_files()
handoff_id = (handoff_train.sha256 if handoff_train else None, handoff_val.sha256 if handoff_val else None)
if handoff_train and handoff_id != ss.launch_seen_handoff:  # a new file from the Dataset page: use it
    ss.launch_train_source = "dataset"
    ss.launch_val_source = "dataset" if handoff_val else ss.launch_val_source
    summary = ui.get_dataset_summary()
    if summary is not None and summary.sha256 == handoff_train.sha256:  # and the model it was checked for
        ss.launch_model, ss.launch_method = launch.settings_for_dataset(
            summary.model, summary.format, ss.launch_model, ss.launch_method
        )
ss.launch_seen_handoff = handoff_id

st.title("Launch a fine-tuning job")
st.caption(
    "Choose a checked file, set up the job, see the charge, then confirm once. "
    "Nothing is created or charged before you confirm."
)
if ss.launch_note:
    st.info(ss.launch_note, icon=":material/content_copy:")
missing = conn.missing()
if missing:
    st.info(missing, icon=":material/key:")
    st.stop()

models, models_error = ss.launch_account.get(account, "models", _read_models)

# 1 · Files
with st.container(border=True):
    ui.heading_with_refresh(
        "1 · Training data",
        key="launch_refresh",
        on_refresh=_refresh_account,
        help="Read the account's models and files again.",
    )
    train_col, val_col = st.columns(2)
    with train_col:
        options = [s for s in SOURCES if s != "dataset" or handoff_train]
        if ss.launch_train_source not in options:
            ss.launch_train_source = options[0] if handoff_train else "upload"
        st.radio("Training file", options, format_func=SOURCES.get, horizontal=True, **ui.bind("launch_train_source"))
        train = _file_picker("train", handoff_train)
    with val_col:
        val_options = ["none"] + [s for s in SOURCES if s != "dataset" or handoff_val]
        if ss.launch_val_source not in val_options:
            ss.launch_val_source = "none"
        st.radio(
            "Validation file (optional, not charged)",
            val_options,
            format_func=lambda s: "None" if s == "none" else SOURCES[s],
            horizontal=True,
            **ui.bind("launch_val_source"),
        )
        val = _file_picker("val", handoff_val)

# 2 · Model and method
with st.container(border=True):
    st.subheader("2 · Model and method", anchor=False)
    if models_error:
        st.warning(md_escape(models_error) + " Showing the catalog's models instead.", icon=":material/warning:")
    by_id = {m.id: m for m in models}
    if not by_id:
        closed = job_creation_refusal(today, calendar)
        st.error(
            closed or f"No model can be fine-tuned on {today:%Y-%m-%d}: every trainable model is shut down.",
            icon=":material/block:",
        )
        st.stop()
    if ss.launch_model not in by_id:
        if ss.launch_model:
            st.warning(
                f"{md_escape(ss.launch_model)} cannot be fine-tuned any more (shut down, or not on this account); "
                "pick another model.",
                icon=":material/warning:",
            )
        ss.launch_model = next(iter(by_id))
    left, right = st.columns([3, 2])
    left.selectbox(
        "Model",
        list(by_id),
        format_func=lambda i: by_id[i].label(),
        **ui.bind("launch_model"),
        help="Models this account can still fine-tune, with the training price and the date their "
        f"fine-tunes stop answering on {catalog.CALENDAR_LABELS[calendar]}.",
    )
    choice = by_id[ss.launch_model]
    if ss.launch_method not in choice.methods:
        ss.launch_method = choice.methods[0]
    right.radio(
        "Method",
        list(choice.methods),
        format_func=launch.METHOD_LABELS.get,
        horizontal=True,
        **ui.bind("launch_method"),
        help="Supervised learns from chat examples; DPO learns from pairs of a preferred and a non-preferred answer.",
    )
    if calendar == "azure":
        tiers = {t.training_type: t for t in launch.training_tiers()}
        left.radio(
            "Training tier (Azure trainingType)",
            list(tiers),
            format_func=lambda t: launch.tier_label(tiers[t]),
            horizontal=True,
            **ui.bind("launch_training_type"),
        )
        tier = tiers[ss.launch_training_type]
        left.caption(
            f":material/info: {md_escape(tier.trade_offs)} "
            + " ".join(md_escape(f"{t.label}: {t.trade_offs}") for t in cat.training_tiers() if not t.training_type)
        )

train_check, val_check = _check(train.file, val.file, choice.id, ss.launch_method) if train.file else (None, None)
if val.file is not None and train.file is None:  # a validation file is checked with its training file
    val_check = None
with train_col:
    _show_check(train_check, train.unreadable)
with val_col:
    _show_check(val_check, val.unreadable)

# 3 · Hyperparameters
with st.container(border=True):
    st.subheader("3 · Hyperparameters", anchor=False)
    fields = launch.hyperparameter_fields(ss.launch_method)
    for col, (name, label) in zip(st.columns(len(fields)), fields):
        with col:
            st.text_input(label, placeholder="auto", help=f"API field: {name}", **ui.bind(f"launch_{name}"))
            st.caption(launch.HYPERPARAMETER_HELP[name])
    if train_check and train_check.examples and launch.parse_number(ss.launch_n_epochs) == "auto":
        st.caption(
            f':material/info: For {train_check.examples:,} examples "auto" likely means '
            f"{catalog.auto_epochs(train_check.examples)} epochs (an estimate: OpenAI does not publish the rule)."
        )

# 4 · Name, seed, metadata
with st.container(border=True):
    st.subheader("4 · Name, seed and metadata", anchor=False)
    left, mid, right = st.columns([2, 1, 2])
    left.text_input(
        "Suffix",
        max_chars=limits["suffix_max_chars"],
        placeholder="support-bot-v2",
        help=launch.suffix_help(calendar),
        **ui.bind("launch_suffix"),
    )
    mid.text_input(
        "Seed",
        placeholder="random",
        help="A whole number makes a run repeatable; empty lets the service pick one.",
        **ui.bind("launch_seed"),
    )
    right.text_area(
        "Metadata",
        placeholder="key=value, one pair per line",
        height=100,
        help=launch.metadata_help(calendar),
        **ui.bind("launch_metadata"),
    )

form = launch.LaunchForm(
    model=choice.id,
    method=ss.launch_method,
    n_epochs=ss.launch_n_epochs,
    batch_size=ss.launch_batch_size,
    learning_rate_multiplier=ss.launch_learning_rate_multiplier,
    beta=ss.launch_beta,
    suffix=ss.launch_suffix,
    seed=ss.launch_seed,
    metadata=ss.launch_metadata,
    training_type=ss.launch_training_type if calendar == "azure" else "",
)
problems = launch.form_errors(form, today=today, calendar=calendar)
for doubt in launch.form_warnings(form, calendar=calendar):
    st.warning(md_escape(doubt), icon=":material/help:")


def _store_azure_price(model_id: str) -> None:
    ss.launch_azure_prices = {**ss.launch_azure_prices, model_id: ss[f"_launch_azure_price_{model_id}"]}


charge = None
if train_check is not None and train_check.billed_tokens_per_epoch is not None and not problems:
    charge = launch.estimate_charge(
        choice.info,
        billed_tokens_per_epoch=train_check.billed_tokens_per_epoch,
        examples=train_check.examples,
        n_epochs=launch.parse_number(ss.launch_n_epochs),
        price_per_1m=ss.launch_azure_prices.get(choice.info.id, choice.info.training_per_1m)
        if calendar == "azure"
        else None,
        method=ss.launch_method,
    )

# 5 · Charge and launch
with st.container(border=True):
    st.subheader("5 · Charge and launch", anchor=False)
    left, right = st.columns([2, 3])
    with left:
        if calendar == "azure":  # Azure prints no per-model training price: the user's, prefilled with OpenAI's
            price_key = f"_launch_azure_price_{choice.info.id}"
            ss[price_key] = float(ss.launch_azure_prices.get(choice.info.id, choice.info.training_per_1m))
            st.number_input(
                "Your Azure training price (USD per 1M tokens)",
                min_value=0.0,
                step=0.5,
                format="%.2f",
                key=price_key,
                on_change=_store_azure_price,
                args=(choice.info.id,),
                help=cat.azure.training_price_note,
            )
            st.caption(
                f"Starts at OpenAI's list price ({launch.format_usd(choice.info.training_per_1m)}); "
                "Azure's own price for "
                "your tier may differ."
            )
        if charge is not None:
            st.metric("Estimated charge", launch.format_usd(charge.usd))
            st.caption(charge.formula() + ".")
        else:
            st.metric("Estimated charge", "—")
            st.caption("Shown once a readable training file and valid settings are chosen.")
    with right:
        st.toggle("Refuse launches above a budget cap", **ui.bind("launch_budget_on"))
        if ss.launch_budget_on:
            st.number_input("Budget cap (USD)", min_value=0.0, step=5.0, format="%.2f", **ui.bind("launch_budget"))
        st.toggle(
            "Record the estimate in the job's metadata",
            **ui.bind("launch_record_estimate"),
            help="Adds estimated_trained_tokens and estimated_cost_usd to the metadata, so the Jobs page can "
            "set the estimate beside the actual cost later (skipped if 15 or more pairs are used).",
        )
    cap = float(ss.launch_budget) if ss.launch_budget_on and ss.launch_budget is not None else None

    blockers = launch.launch_blockers(
        problems,
        training_chosen=train.chosen,
        failed_checks=[which for c, which in ((train_check, "training"), (val_check, "validation")) if c and not c.ok],
        validation_missing=ss.launch_val_source != "none" and not val.chosen,
        charge=charge,
        cap_usd=cap,
    )
    if blockers:
        st.error("\n".join(f"- {md_escape(b)}" for b in blockers), icon=":material/block:")
    if st.button(
        "Review the charge and launch…",
        type="primary",
        icon=":material/receipt_long:",
        disabled=bool(blockers) or ss.launch_pending is not None,
        key="launch_review",
    ):
        ss.launch_note = None
        review(form, train, val, train_check, choice, charge, cap)

    result = ss.launch_result
    if result and result["ok"]:
        st.success(
            f"Job **{md_escape(result['job_id'])}** created ({md_escape(result['status'])}) for "
            f"{md_escape(result['model'])}. "
            "Follow it on the Jobs page, where it can also be cancelled.",
            icon=":material/check_circle:",
        )
        st.page_link(
            "pages/4_Jobs.py",
            label=f"Watch {md_escape(result['job_id'])} on the Jobs page",
            icon=":material/monitoring:",
            query_params={"job": result["job_id"]},
        )
    elif result:
        st.error(md_escape(result["message"]), icon=":material/error:")

ui.confirm_spend(
    "Confirm the launch",
    "launch_pending",
    show=show_request,
    act=_create,
    confirm_label="Confirm and create the job",
    busy_label="Creating the job…",
    icon=":material/rocket_launch:",
)
