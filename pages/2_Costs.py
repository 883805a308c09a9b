"""Costs: does fine-tuning pay for itself, with your numbers, before the model shuts down?"""

import datetime as dt

import pandas as pd
import streamlit as st

from lib import catalog, costs, ui
from lib.display import md_code, md_escape
from lib.charts import costs as charts
from lib.costs import CostInputError, Outcome, Scenario

conn = ui.page_setup("Costs", ":material/payments:")
cat = catalog.load_catalog()
today = catalog.today()
ss = st.session_state
# The calendar of the connection (Azure, or the demo acting as Azure) decides the default billing (changeable below).
conn_backend = ui.calendar_of(conn)
source_names = {url: name for name, url in cat.sources.items()}


def cached_figure(name: str, build, *inputs):
    """``build(*inputs)``, once per distinct inputs in this session: a figure is ~0.1 s of plotly
    work, and a page switch or an unrelated widget redrew all four with the same numbers."""
    return ui.session_memo("costs_figures", entries=8).get((name, repr(inputs)), lambda: build(*inputs))


def sourced(dated: costs.Dated) -> str:
    """``[pricing](url), as of 2026-11-26`` (plus a doubt badge): the source one click away."""
    name = source_names.get(dated.source, "source")
    link = f"[{name}]({dated.source})" if dated.source.startswith("https://") else md_escape(dated.source)
    return f"{link}, as of {dated.as_of}" + (" :red-badge[doubtful]" if dated.doubtful else "")


st.title("Costs")
st.markdown(
    "Fine-tuning costs money up front (training) and on every call after it (on OpenAI a fine-tuned "
    "model's tokens cost more; on Azure each deployment pays an hourly hosting fee). It pays back only if "
    "the shorter prompt it allows saves more per call than that premium, often enough to repay the "
    "training, **before the model is shut down**."
)

# ---------------------------------------------------------------- state
# Permanent keys hold what the user typed (widgets are per page and forget it);
# widget keys are "_" + the permanent key, refilled before each render.


def key(name: str) -> str:
    return "costs_" + name


def to_state(values: dict) -> None:
    """Copy scenario-shaped values into the permanent keys (shares become whole percents)."""
    for name, value in values.items():
        if name.endswith("_cached_share"):
            ss[key(name.replace("_share", "_pct"))] = round(value * 100)
        elif name == "epochs":
            ss[key(name)] = "auto" if value is None else value
        elif name == "price_overrides":
            ss[key("overrides")][values.get("model", ss[key("model")])] = dict(value)
        else:
            ss[key(name)] = value


def scenario_from_state() -> Scenario:
    """The scenario the inputs describe; raises CostInputError on bad input."""
    model = ss[key("model")]
    epochs = ss[key("epochs")]
    return Scenario(
        model=model,
        billed_tokens_per_epoch=ss[key("billed_tokens_per_epoch")],
        examples=ss[key("examples")],
        epochs=None if epochs == "auto" else epochs,
        base_prompt_tokens=ss[key("base_prompt_tokens")],
        fine_tuned_prompt_tokens=ss[key("fine_tuned_prompt_tokens")],
        message_tokens=ss[key("message_tokens")],
        output_tokens=ss[key("output_tokens")],
        base_cached_share=ss[key("base_cached_pct")] / 100,
        fine_tuned_cached_share=ss[key("fine_tuned_cached_pct")] / 100,
        calls_per_month=ss[key("calls_per_month")],
        start_date=ss[key("start_date")],
        horizon_months=ss[key("horizon_months")],
        price_overrides=ss[key("overrides")].get(model, {}),
        method=ss[key("method")],
        backend=ss[key("backend")],
        deployment_type=ss[key("deployment_type")],
        hosting_usd_per_hour=ss[key("hosting_usd_per_hour")],
        hosting_hours_per_day=ss[key("hosting_hours_per_day")],
    )


def bound(name: str) -> dict:
    """Widget kwargs for a permanent scenario key (``costs_<name>``)."""
    return ui.bind(key(name))


def count_input(label: str, name: str, step: int, help: str | None = None) -> None:
    """A whole-number input (tokens, examples, calls) bound to ``costs_<name>``."""
    st.number_input(label, min_value=0, step=step, help=help, **bound(name))


if key("model") not in ss:
    defaults = costs.default_scenario(today)
    ss[key("overrides")] = {}
    to_state({f: getattr(defaults, f) for f in costs.PARAM_NAMES})
    ss[key("backend")] = ss[key("conn_backend")] = conn_backend
    ss[key("hosting_usd_per_hour")] = costs.hosting_fee(ss[key("deployment_type")]).value
    ss.setdefault(key("prompt_text"), "")
    ss.setdefault(key("prefilled_from"), None)
    ss.setdefault(key("written_params"), None)

notices: list[str] = []

# A dataset checked on the Dataset page fills in what it knows, once per new file.
summary = ui.get_dataset_summary()
if summary is not None and ss[key("prefilled_from")] != summary.sha256:
    to_state(costs.prefill_from_dataset(summary, today))
    ss[key("prefilled_from")] = summary.sha256

# A link restores its scenario (a link this page wrote itself is already in effect).
params = st.query_params.to_dict()
link_problem = None
if params and params != ss[key("written_params")]:
    try:
        current = scenario_from_state()
    except CostInputError:
        current = costs.default_scenario(today)
    try:
        restored = costs.scenario_from_params(params, current)
    except CostInputError as exc:
        link_problem = str(exc)
    else:
        to_state(
            {f: getattr(restored, f) for f in costs.PARAM_NAMES}
            | {"model": restored.model, "price_overrides": restored.price_overrides}
        )
    ss[key("written_params")] = params

# A new connection brings its own billing; a choice made on this page holds until the connection changes.
if ss[key("conn_backend")] != conn_backend:
    ss[key("backend")] = ss[key("conn_backend")] = conn_backend

backend = ss[key("backend")]
trainable = {m.id: m for m in costs.trainable_models(backend, today)}
if not trainable:
    last = costs.training_until(ss[key("model")], backend)
    when = f" on {last.date:%Y-%m-%d} ({sourced(last)})" if last.date else ""
    st.warning(
        f"No model can be fine-tuned any more on {costs.BACKENDS[backend]}: new jobs stopped{when}.",
        icon=":material/block:",
    )
    st.stop()
if ss[key("model")] not in trainable:
    gone = costs.resolve_model(ss[key("model")])
    first = next(iter(trainable.values()))
    gone_on = costs.shutdown_for(gone, backend).date
    when = (
        f"shut down on {gone_on:%Y-%m-%d}"
        if gone_on is not None and gone_on <= today
        else f"cannot be trained on {costs.BACKENDS[backend]}"
    )
    notices.append(f"{gone.label} ({gone.id}) {when} and can no longer be fine-tuned; showing {first.label} instead.")
    ss[key("model")] = first.id

if link_problem:
    st.error(f"The link's scenario was not loaded: {md_escape(link_problem)}", icon=":material/link_off:")
for notice in notices:
    st.warning(md_escape(notice), icon=":material/info:")
if summary is not None:
    epochs_text = f"{summary.n_epochs} epochs" + (" (auto, estimated)" if summary.n_epochs_is_estimate else "")
    st.caption(
        f":material/dataset: Prefilled from {md_code(summary.name)}: {summary.examples:,} examples, "
        f"{summary.billed_tokens_per_epoch:,} billed tokens per epoch, {epochs_text}, and its typical "
        "system prompt, message and answer lengths. Change any figure to explore."
    )
    if summary.error_count:
        st.warning(
            f"{md_code(summary.name)} still has {summary.error_count:,} errors; the figures may change once "
            "they are fixed.",
            icon=":material/warning:",
        )
else:
    st.caption(
        ":material/dataset: No dataset checked yet: type your own figures, or check a file on the "
        "Dataset page to fill them in."
    )
    st.page_link("pages/1_Dataset.py", label="Check a dataset", icon=":material/dataset:")

# Token means measured on the Evaluate page replace typed guesses when the user asks.
measured = ui.get_measured_usage()
measured_values = costs.prefill_from_measured(measured) if measured is not None else None
measured_in_use = measured_values is not None and all(ss[key(k)] == v for k, v in measured_values.items())
if measured is not None:
    label = costs.measured_label(measured)
    with st.container(border=True):
        st.markdown(
            f":material/labs: **Evaluate measured these calls** ({label}): the prompted "
            f"{md_code(measured.prompted_model)} sent {measured.prompt_tokens_prompted:,.0f} prompt tokens a "
            f"call, the fine-tune {md_code(measured.fine_tuned_model)} {measured.prompt_tokens_fine_tuned:,.0f}"
            f", and answers averaged {measured.completion_tokens:,.0f} tokens. Both calls are priced here "
            "at the rates of the model chosen below."
        )
        if measured_in_use:
            st.caption(f":material/check: The figures below are the measured means ({label}).")
        else:
            st.button(
                "Use the measured token counts",
                key="_costs_use_measured",
                icon=":material/labs:",
                on_click=to_state,
                args=(measured_values,),
            )


# ---------------------------------------------------------------- inputs
def use_counted_prompt(n_tokens: int) -> None:
    ss[key("base_prompt_tokens")] = n_tokens


def set_price(model_id: str, price_key: str, catalog_value: float | None) -> None:
    value = ss["_" + key("price_" + price_key)]
    overrides = ss[key("overrides")].setdefault(model_id, {})
    if value is None or value == catalog_value:
        overrides.pop(price_key, None)
    else:
        overrides[price_key] = value


def reset_prices(model_id: str) -> None:
    ss[key("overrides")].pop(model_id, None)


results_area = st.container()  # filled once the inputs below are read
inputs, outputs = st.columns([2, 3], gap="large")


def set_deployment_fee() -> None:
    """A new deployment type brings its catalog fee (the user can still type their own)."""
    ss[key("deployment_type")] = ss["_" + key("deployment_type")]
    ss[key("hosting_usd_per_hour")] = costs.hosting_fee(ss[key("deployment_type")]).value


def shutdown_label(model_id: str) -> str:
    until = costs.shutdown_for(model_id, backend).date
    return f"{trainable[model_id].label} (" + (
        f"fine-tunes answer until {until:%Y-%m-%d})" if until else "no shutdown announced)"
    )


with inputs:
    with st.container(border=True):
        st.markdown("**Backend and model**")
        st.radio(
            "Billed by",
            list(costs.BACKENDS),
            format_func=costs.BACKENDS.get,
            horizontal=True,
            **bound("backend"),
            help="Follows the connection in the sidebar; change it to compare. OpenAI "
            "charges more per fine-tuned token; Azure bills the base rate plus an "
            "hourly hosting fee per deployment.",
        )
        st.selectbox("Base model to fine-tune", list(trainable), **bound("model"), format_func=shutdown_label)
        model = trainable[ss[key("model")]]
        shutdown = costs.shutdown_for(model, backend)
        jobs_until = costs.training_until(model, backend)
        training_note = (
            " (OpenAI's list price: Azure publishes none per model; enter yours under Prices)"
            if backend == "azure"
            else ""
        )
        st.caption(
            f"`{model.id}` on {costs.BACKENDS[backend]}: training {costs.usd_per_1m(model.training_per_1m)}"
            f"{training_note} ({sourced(costs.Dated(None, model.training_source, model.training_as_of))}). "
            + (
                f"Its fine-tunes answer until **{shutdown.date:%Y-%m-%d}** ({sourced(shutdown)})"
                if shutdown.date
                else "No shutdown announced"
            )
            + (f"; new jobs until {jobs_until.date:%Y-%m-%d}" if jobs_until.date else "")
            + (" :red-badge[doubtful]" if jobs_until.doubtful else "")
            + "."
        )

    bounds = costs.input_bounds()
    with st.container(border=True):
        st.markdown("**Training data**")
        count_input(
            "Billed tokens per epoch",
            "billed_tokens_per_epoch",
            1_000,
            "Tokens of the training file, each example capped at the model's limit. Validation files are not billed.",
        )
        count_input("Training examples", "examples", 10)
        st.selectbox("Training method", list(costs.METHODS), format_func=costs.METHODS.get, **bound("method"))
        if ss[key("method")] == "dpo":
            st.caption(f":material/info: DPO estimate: {costs.DPO_BILLING_NOTE}.")
        lo, hi = (int(bounds["epochs"].minimum), int(bounds["epochs"].maximum))
        estimate = catalog.auto_epochs(max(1, int(ss[key("examples")] or 1)))
        st.selectbox(
            "Epochs",
            ["auto", *range(lo, hi + 1)],
            **bound("epochs"),
            format_func=lambda e: f"auto (≈ {estimate}, an estimate)" if e == "auto" else str(e),
            help='"auto" lets OpenAI choose; it does not publish its rule, so the page estimates it '
            "with the cookbook's heuristic.",
        )

    with st.container(border=True):
        st.markdown("**Each call**")
        count_input(
            "Current prompt: tokens of instructions and examples",
            "base_prompt_tokens",
            50,
            "What you send the base model today on every call, before the call's own message.",
        )
        with st.expander("Paste your current prompt to count its tokens"):
            st.text_area(
                "Current prompt",
                height=150,
                **bound("prompt_text"),
                placeholder="You are a support assistant for ... Answer in this format: ...",
            )
            text = ss[key("prompt_text")]
            if text:
                try:
                    counted = costs.count_prompt_tokens(text, model.id)
                except CostInputError as exc:
                    st.error(md_escape(str(exc)))
                else:
                    st.caption(f"{counted:,} tokens with {model.encoding} (exact, counted here).")
                    st.button(
                        f"Use {counted:,} tokens as the current prompt",
                        key="_costs_use_count",
                        on_click=use_counted_prompt,
                        args=(counted,),
                    )
        count_input(
            "Fine-tuned prompt: tokens of the short instructions left",
            "fine_tuned_prompt_tokens",
            10,
            "Prefilled with the dataset's typical system prompt: the fine-tuned model gets the same short "
            "prompt it was trained with.",
        )
        count_input(
            "Message tokens per call (sent to both)",
            "message_tokens",
            10,
            "The user's own input on each call; prefilled from the dataset's typical prompt.",
        )
        count_input(
            "Answer tokens per call", "output_tokens", 10, "Prefilled from the dataset's typical assistant answer."
        )
        with st.expander("Prompt caching"):
            st.slider(
                "Share of the base model's input served from cache (%)",
                0,
                100,
                **bound("base_cached_pct"),
                help="Repeated prompt prefixes of 1,024 tokens or more are billed at the cached-input price.",
            )
            st.slider(
                "Share of the fine-tuned model's input served from cache (%)",
                0,
                100,
                **bound("fine_tuned_cached_pct"),
                help="A short fine-tuned prompt is usually below the caching threshold: 0% is typical.",
            )

    if backend == "azure":
        with st.container(border=True):
            st.markdown("**Azure deployment**")
            types = costs.deployment_types()
            st.selectbox(
                "Deployment type",
                list(types),
                format_func=types.get,
                **bound("deployment_type") | {"on_change": set_deployment_fee, "args": ()},
            )
            fee = costs.hosting_fee(ss[key("deployment_type")])
            st.number_input(
                "Hosting fee per hour (USD)",
                min_value=0.0,
                step=0.1,
                format="%.2f",
                **bound("hosting_usd_per_hour"),
                help="Azure bills each fine-tuned deployment by the hour it exists, whether it is "
                f"called or not; {costs.hosting_hours_per_month()} hours make a month here.",
            )
            st.caption(
                f"Catalog: {costs.usd(fee.value)} an hour for a {types[ss[key('deployment_type')]]} "
                f"deployment ({sourced(fee)}). {md_escape(fee.note)}"
            )
            st.slider(
                "Hours a day the deployment stays up",
                1,
                24,
                **bound("hosting_hours_per_day"),
                help="Deleting the deployment when idle and deploying it again stops the fee; calls can "
                "only be made while it is up. A deployment with no calls for 15 days is deleted.",
            )

    with st.container(border=True):
        st.markdown("**Volume and time**")
        count_input("Calls per month", "calls_per_month", 1_000)
        span = dt.timedelta(days=costs.MAX_START_DATE_DISTANCE_DAYS)
        st.date_input("First fine-tuned call on", min_value=today - span, max_value=today + span, **bound("start_date"))
        st.slider(
            "Horizon (months)",
            1,
            costs.MAX_HORIZON_MONTHS,
            **bound("horizon_months"),
            help="How far ahead to count. Results never count past the model's shutdown.",
        )

    sheet = costs.price_sheet(model, ss[key("overrides")].get(model.id, {}), backend)
    # The price editor is drawn only while open: a dozen inputs and notes the browser would otherwise
    # build on every run, hidden (an override shows in the results and opens it on the next visit).
    price_editor = st.expander(
        "Prices (USD per 1M tokens): edit to override",
        expanded=bool(ss[key("overrides")].get(model.id)),
        key="_costs_prices_open",
        on_change="rerun",
    )
    with price_editor:
        if price_editor.open:
            for figure in sheet.figures:
                ss["_" + key("price_" + figure.key)] = figure.value
                field_col, note_col = st.columns([2, 3], vertical_alignment="bottom")
                field_col.number_input(
                    figure.label,
                    min_value=0.0,
                    step=0.05,
                    format="%.4f",
                    key="_" + key("price_" + figure.key),
                    on_change=set_price,
                    args=(model.id, figure.key, figure.catalog_value),
                )
                if figure.overridden:
                    catalog_text = costs.usd_price(figure.catalog_value)
                    note_col.caption(f":orange-badge[overridden] catalog: {catalog_text}")
                elif figure.value is None:
                    note_col.caption("The catalog has no such price: these tokens bill at the input price.")
                else:
                    flag = f" :red-badge[doubtful] {figure.doubt}" if figure.doubtful else ""
                    note = f" :blue-badge[prefilled] {figure.note}" if figure.note else ""
                    note_col.caption(
                        f"catalog, as of {figure.as_of} · [{source_names.get(figure.source, 'source')}]"
                        f"({figure.source}){flag}{note}"
                    )
            st.button(
                "Reset prices to the catalog",
                key="_costs_reset_prices",
                on_click=reset_prices,
                args=(model.id,),
                disabled=not sheet.overridden,
            )
            batch = costs.batch_price_figures(model)
            if batch:
                st.caption(
                    "For reference, fine-tuned calls through the Batch API (not used above: the catalog has "
                    "no batch prices for the base models to compare with):"
                )
                st.caption(
                    "  \n".join(
                        f"{f.label}: {costs.usd_price(f.value)}" + (" :red-badge[doubtful]" if f.doubtful else "")
                        for f in batch
                    )
                )
                for doubt in dict.fromkeys(f.doubt for f in batch if f.doubtful):
                    st.caption(f":material/warning: {doubt}")

# ---------------------------------------------------------------- outputs
with results_area:
    try:
        scenario = scenario_from_state()
        projection = costs.project(scenario)
    except CostInputError as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        st.stop()

    shared = costs.scenario_to_params(scenario)
    if st.query_params.to_dict() != shared:
        st.query_params.from_dict(shared)
    ss[key("written_params")] = shared

    p = projection
    azure = p.backend == "azure"
    used = costs.sources_used(p)
    if azure:
        fee = costs.hosting_fee(scenario.deployment_type)
        used.append(costs.Dated("hosting fee", fee.source, fee.as_of, fee.doubtful))
    basis = "; ".join(f"{d.value}: {sourced(d)}" for d in used) or "your own prices"
    if azure:  # five figures: three and two, so none is cut off
        top, bottom = st.columns(3), st.columns(2)
        cards = [top[0], top[1], bottom[0], bottom[1], top[2]]
    else:
        cards = st.columns(4)
    training_price = sheet["training"]
    cards[0].metric(
        "Training cost (estimate)",
        costs.usd(p.training.cost),
        f"{p.training.billed_tokens:,} billed tokens",
        "off",
        delta_arrow="off",
        border=True,
        help=f"{p.training.billed_tokens_per_epoch:,} billed tokens per epoch x {p.training.epochs} "
        f"epochs x {costs.usd_per_1m(p.training.price_per_1m)}. An estimate: "
        f"{p.training.counted}. Price: "
        + (
            "yours."
            if training_price.overridden
            else f"{sourced(costs.Dated(None, training_price.source, training_price.as_of))}"
            + (f" ({training_price.note})" if training_price.note else "")
            + "."
        ),
    )
    relative = p.saving_per_call / p.base_call.cost if p.base_call.cost else 0.0
    cards[1].metric(
        "Saving per call",
        costs.usd(p.saving_per_call),
        f"{abs(relative):.0%} " + ("cheaper than a base call" if relative >= 0 else "dearer"),
        "green" if relative > 0 else "red",
        delta_arrow="off",
        border=True,
        help=f"Base model with the long prompt: {costs.usd_per_call(p.base_call.cost)}; fine-tuned "
        f"with the short prompt: {costs.usd_per_call(p.fine_tuned_call.cost)}; the saving: "
        f"{costs.usd_per_call(p.saving_per_call)}. Prices: {basis}.",
    )
    if p.break_even_date is None:
        why = {
            Outcome.NEVER: "fine-tuned calls cost more",
            Outcome.HOSTING: "hosting outweighs the saving",
            Outcome.AFTER_SHUTDOWN: "not before the shutdown",
        }.get(p.outcome, "not within ten years")
        cards[2].metric(
            "Break-even",
            "never",
            why,
            "red",
            delta_arrow="off",
            border=True,
            help=None
            if p.break_even_calls is None
            else f"Repaying the training would take {p.break_even_calls:,} calls.",
        )
    else:
        late = p.outcome is Outcome.AFTER_SHUTDOWN
        cards[2].metric(
            "Break-even",
            f"{p.break_even_calls:,} calls",
            f"{p.break_even_date:%Y-%m-%d}" + (" · too late" if late else ""),
            "red" if late else "green" if p.pays_off else "orange",
            delta_arrow="off",
            border=True,
            help="The calls (and the date, at your volume) after which the savings have repaid the "
            "training" + (" and the hosting" if azure else "") + ". An estimate from the prices "
            f"used: {basis}.",
        )
    by_shutdown = (
        ""
        if p.net_saving_by_shutdown is None or p.horizon_end == p.shutdown_date
        else f" By the shutdown ({p.shutdown_date:%Y-%m-%d}) it would be {costs.usd(p.net_saving_by_shutdown)}."
    )
    cards[3].metric(
        f"Net by {p.horizon_end:%Y-%m-%d}",
        costs.usd(p.net_saving_at_horizon),
        "cut at the shutdown" if p.horizon_capped else "end of your horizon",
        "off",
        delta_arrow="off",
        border=True,
        help="Savings on the calls made by this date, minus training"
        + (" and hosting" if azure else "")
        + ". Never counted past the model's "
        f"shutdown.{by_shutdown} An estimate from: {basis}.",
    )
    if azure:
        cards[4].metric(
            "Hosting a month",
            costs.usd(p.hosting_per_month),
            f"needs {costs.calls_text(p.hosting_needs_calls_per_month)} calls a month"
            if p.hosting_needs_calls_per_month
            else "no saving pays it",
            "red" if p.outcome is Outcome.HOSTING else "off",
            delta_arrow="off",
            border=True,
            help=f"{costs.usd(scenario.hosting_usd_per_hour)} an hour x "
            f"{scenario.hosting_hours_per_day:g} hours a day, {costs.hosting_hours_per_month()} hours a month; "
            f"{sourced(costs.hosting_fee(scenario.deployment_type))} (fee per deployment, "
            "billed while it exists, called or not).",
        )

    show = {Outcome.PAYS_OFF: st.success, Outcome.NOT_BY_HORIZON: st.warning}.get(p.outcome, st.error)
    show(costs.verdict(p))
    if azure and costs.hosting_text(p):
        st.caption(":material/dns: " + costs.hosting_text(p))
    need = costs.pay_off_thresholds(scenario)
    if not p.pays_off:
        ways = []
        if need.min_calls_per_month is not None:
            ways.append(f"at least {need.min_calls_per_month:,} calls a month")
        if need.min_tokens_saved_per_call is not None:
            at_most = scenario.base_prompt_tokens - need.min_tokens_saved_per_call
            ways.append(
                f"a fine-tuned prompt of at most {at_most:,} token{'' if at_most == 1 else 's'} "
                f"(now {scenario.fine_tuned_prompt_tokens:,})"
            )
        st.caption(
            f"To pay back by {need.horizon_end:%Y-%m-%d} it would take "
            + (" or ".join(ways) if ways else "more than shorter prompts and more calls can give")
            + "."
        )
    overridden = (
        (
            ":orange-badge[your prices] Overridden: "
            + ", ".join(costs.PRICE_LABELS[k].lower() for k in sheet.overridden)
            + ". "
        )
        if sheet.overridden
        else ""
    )
    st.caption(f":material/info: An estimate, not a quote. {overridden}Sources: {basis}.")
    if measured_in_use:
        st.caption(f":material/labs: Prompt and answer tokens {costs.measured_label(measured)} by Evaluate.")

with outputs:
    cumulative = cached_figure("cumulative", lambda p: charts.cumulative_cost_chart(p, costs.cumulative_costs(p)), p)
    st.plotly_chart(cumulative, key="costs_cumulative")
    st.info(
        "**What fine-tuning does not buy.** These figures price shorter prompts and a reliable format or "
        "style. Fine-tuning does not teach the model new facts (keep those in the prompt or in retrieval, "
        "where they can be updated) and does not make it reason better. If your long prompt carries facts "
        "or worked reasoning, a short prompt will not replace it, whatever the numbers say.",
        icon=":material/lightbulb:",
    )
    st.download_button(
        "Download this scenario (CSV)",
        costs.scenario_csv(scenario, p),
        file_name=f"costs-{p.model_id}-{scenario.start_date:%Y-%m-%d}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="_costs_download",
    )
    st.caption(":material/link: The address bar holds this scenario: copy the link to share it or come back.")

    st.subheader("How sensitive is the answer?")
    st.caption(
        "Months of calls needed to repay training, against the months the model has left. "
        "Everything else stays as you set it."
    )
    sensitivities = {
        "Tokens saved per call": ("prompt", costs.sensitivity_to_prompt_savings),
        "Calls per month": ("volume", costs.sensitivity_to_volume),
    }
    # One view at a time: only the open tab is built and drawn (a plotly chart is the dearest thing on the page).
    views = st.tabs(list(sensitivities), key="_costs_sensitivity_view", on_change="rerun")
    for view, (topic, sensitivity) in zip(views, sensitivities.values()):
        if view.open:
            view.plotly_chart(
                cached_figure(topic, lambda s, f=sensitivity: charts.sensitivity_chart(f(s)), scenario),
                key=f"costs_sensitivity_{topic}",
            )

st.divider()
st.subheader("All trainable models")
st.caption(
    f"The same calls on every model that can still be fine-tuned; your price overrides apply to {model.label} only."
)
comparison = costs.compare_models(scenario, today)
per_1m_calls = "USD per million calls, from the catalog's per-token prices (as of the date in the last column)"
money = dict(format="dollar")
st.dataframe(
    pd.DataFrame(costs.comparison_table(comparison)).drop(columns=["Model id"]),
    hide_index=True,
    width="stretch",
    column_config={
        "Shuts down": st.column_config.DateColumn(
            help=f"When fine-tunes stop answering on {costs.BACKENDS[backend]} ({sourced(shutdown)})."
        ),
        "Training (estimate)": st.column_config.NumberColumn(
            **money,
            help="Billed tokens x epochs x the catalog's training price; an estimate until the job "
            "reports its trained tokens.",
        ),
        "Base, per 1M calls": st.column_config.NumberColumn(**money, help=per_1m_calls + ": the long prompt."),
        "Fine-tuned, per 1M calls": st.column_config.NumberColumn(**money, help=per_1m_calls + ": the short prompt."),
        "Saving, per 1M calls": st.column_config.NumberColumn(**money, help=per_1m_calls + "."),
        "Hosting a month": st.column_config.NumberColumn(
            **money, help=f"One Azure deployment, {costs.hosting_hours_per_month()} hours a month at the fee set above."
        ),
        "Break-even calls": st.column_config.NumberColumn(format="localized"),
        "Net by": st.column_config.DateColumn(
            help="The date the net figure is for: your horizon, cut at that model's shutdown."
        ),
        "Net": st.column_config.NumberColumn(
            **money, help='Savings minus training (and hosting) by the "Net by" date; an estimate.'
        ),
        "Prices as of": st.column_config.TextColumn(
            help="The oldest catalog date among the prices used; sources are listed under Prices above."
        ),
    },
)
for model_id, reason in comparison.skipped.items():
    st.caption(f"{model_id}: {reason}")
# The chart draws the table's "Net" column: drawn when asked for (a plotly chart is the page's dearest element).
net_chart = st.expander(
    "The net results as a chart", icon=":material/bar_chart:", key="_costs_comparison_chart", on_change="rerun"
)
if net_chart.open:
    net_chart.plotly_chart(
        cached_figure("comparison", charts.model_comparison_chart, comparison), key="costs_comparison"
    )
