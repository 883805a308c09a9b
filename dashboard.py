"""Tuning Desk home page: should you fine-tune, and where this session stands."""

import streamlit as st

from lib import catalog, ui
from lib.display import md_code, md_escape

conn = ui.page_setup("Home", ":material/tune:")
cat = catalog.load_catalog()
summary = ui.get_dataset_summary()
jobs = ui.session_jobs()

st.title("Tuning Desk")
st.markdown("From *should we fine-tune an OpenAI model?* to a running, watched fine-tuning job.")

calendar = ui.calendar_of(conn)
st.warning(ui.deadline_text(calendar=calendar), icon=":material/hourglass_bottom:")
banner_dates = cat.lifecycle(cat.retiring_models[0], calendar)  # where the banner's dates come from
st.caption(
    f"Source: [{ {url: name for name, url in cat.sources.items()}.get(banner_dates.source, 'source') }]"
    f"({banner_dates.source}), as of {banner_dates.as_of}."
)
if conn.is_demo:
    st.info(
        "You are in **demo mode**: a local simulator answers every call, so every page works and nothing "
        "costs money. Choose OpenAI, Azure OpenAI or a custom URL in the sidebar to use a real account.",
        icon=":material/science:",
    )

st.header("When should you fine-tune?")
wins, loses = st.columns(2)
with wins.container(border=True):
    st.subheader(":material/check_circle: Fine-tuning wins")
    st.markdown(
        "- **Strict output format**: JSON, labels or a house template the model must follow every time.\n"
        "- **Style and tone**: a voice that prompting only approximates.\n"
        "- **Shorter prompts**: bake long instructions and examples into the weights and send a fraction "
        "of the tokens on every call.\n"
        "- **Domain vocabulary**: jargon, codes and phrasing of your field used the way you use them."
    )
with loses.container(border=True):
    st.subheader(":material/cancel: It does not")
    st.markdown(
        "- **New facts**: fine-tuning teaches behaviour, not knowledge; facts belong in retrieval (RAG) "
        "or the prompt, where they can be updated and cited.\n"
        "- **Reasoning**: it will not make the model smarter; a better base model or better prompting will."
    )
    st.caption("Try prompting (and retrieval) first; fine-tune when prompts get long, brittle or expensive.")
st.page_link(
    "pages/5_Evaluate.py",
    label="Not sure? Measure it: your own examples through a fine-tune and a "
    "prompted model, scored and priced side by side",
    icon=":material/balance:",
)

st.header("The workflow")
steps = st.columns(5)
flow = [
    (
        "pages/1_Dataset.py",
        "1 · Dataset",
        ":material/dataset:",
        "Validate a JSONL file line by line, count tokens exactly, fix it.",
    ),
    (
        "pages/2_Costs.py",
        "2 · Costs",
        ":material/payments:",
        "Training cost, the fine-tuned premium, and when it pays back.",
    ),
    (
        "pages/3_Launch.py",
        "3 · Launch",
        ":material/rocket_launch:",
        "Upload, configure, see the charge, confirm one job.",
    ),
    (
        "pages/4_Jobs.py",
        "4 · Jobs",
        ":material/monitoring:",
        "Watch status, loss curves, checkpoints; cancel or archive.",
    ),
    (
        "pages/5_Evaluate.py",
        "5 · Evaluate",
        ":material/balance:",
        "Fine-tune vs prompt on your examples: scores, cost, flips.",
    ),
]
for col, (page, label, icon, text) in zip(steps, flow):
    with col.container(border=True):
        st.page_link(page, label=label, icon=icon)
        st.caption(text)

st.header("This session")
left, right = st.columns(2)
with left.container(border=True):
    st.markdown("**Dataset**")
    if summary:
        verdict = "ready" if summary.error_count == 0 else f"{summary.error_count} errors to fix"
        st.markdown(
            f"{md_code(summary.name)}: {summary.examples:,} examples, {summary.total_tokens:,} tokens, {verdict}."
        )
    else:
        st.caption("No dataset loaded yet. Start on the Dataset page (sample files included).")
with right.container(border=True):
    st.markdown("**Jobs**")
    if jobs:
        running = [j for j, s in jobs.items() if s not in ("succeeded", "failed", "cancelled")]
        st.markdown(f"{len(jobs)} job(s) launched or watched here, {len(running)} still running.")
        for job_id, status in list(jobs.items())[-5:]:
            st.page_link("pages/4_Jobs.py", label=md_escape(f"{job_id} · {status}"), query_params={"job": job_id})
    else:
        st.caption("No jobs yet in this session.")

if calendar == "azure":
    with st.expander("Azure OpenAI's dates for these fine-tunes"):
        st.dataframe(catalog.calendar_table("azure", catalog.today()), hide_index=True)
        st.caption(f"Dates as of {cat.as_of}; source: {cat.sources['azure_retirements']}")
else:
    with st.expander("About the platform wind-down"):
        st.markdown(cat.winding_down_text)
        for stage in cat.stages:
            note = " (reported by secondary sources)" if stage.doubtful else ""
            st.markdown(f"- **{stage.date:%Y-%m-%d}**: {stage.text}{note}")
        st.caption(f"Dates as of {cat.as_of}; source: {cat.sources['deprecations']}")
