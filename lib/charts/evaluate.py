"""Figures of the Evaluate page: what each candidate scores for what it costs, and per example.

They read the evaluation contract's shapes (the run's JSON document and its
recording lines, see ``python -m lib evaluate --json``), so they work the same
for a run of this session and for a recording loaded later. Nothing here
computes a score or a price.
"""

from __future__ import annotations

import plotly.graph_objects as go

from lib.charts import COLORS, titled_layout

SCORE_LABELS = {
    "exact_match": "Exact match",
    "json_valid": "Valid JSON",
    "json_fields": "JSON fields right",
    "similarity": "Similarity",
    "tool_calls": "Tool calls right",
    "judge": "Judge's opinion",
}
# Candidates after the baseline, in order (the baseline is always the fine-tune colour).
CANDIDATE_COLORS = ("#2563eb", "#c2410c", "#7c3aed", "#ca8a04", "#db2777", "#0891b2", "#65a30d")


def plain(text: str) -> str:
    """``text`` shown as written in a figure: plotly reads tags such as ``<a href>`` in labels and
    hover text, so the three characters that make markup are written as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def candidate_color(index: int) -> str:
    """The colour of the candidate at ``index`` (0 = the baseline), the same in every figure."""
    return COLORS["fine_tuned"] if index == 0 else CANDIDATE_COLORS[(index - 1) % len(CANDIDATE_COLORS)]


def _layout(fig: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    return titled_layout(fig, title, height=height, showlegend=False)


def score_cost_figure(document: dict, score: str = "exact_match", *, simulated: bool = False) -> go.Figure:
    """Each candidate as a point: ``score`` (with its 95% interval where there is one) against the cost
    per 1,000 calls. Up and to the left is better; the baseline is drawn as a diamond.

    Candidates whose cost is unknown (a model the catalog does not price) or whose score does not
    apply are listed under the chart instead of being placed at a made-up position.
    """
    fig = go.Figure()
    left_out = []
    costs = [c.get("cost_per_1k_calls_usd") for c in document.get("candidates") or []]
    widest = max([c for c in costs if c is not None] or [0.0])
    for index, cand in enumerate(document.get("candidates") or []):
        value = (cand.get("scores") or {}).get(score)
        cost = cand.get("cost_per_1k_calls_usd")
        if value is None or cost is None:
            left_out.append(plain(cand["label"]))
            continue
        fig.add_trace(_candidate_point(cand, index, score, value, cost, widest))
    title = f"{SCORE_LABELS.get(score, score)} vs cost per 1,000 calls"
    if simulated:
        title += " (simulated)"
    _layout(fig, title)
    fig.update_xaxes(
        title_text="USD per 1,000 calls (catalog list prices)",
        tickprefix="$",
        range=[-0.05 * (widest or 1), 1.15 * (widest or 1)],
    )
    fig.update_yaxes(title_text=SCORE_LABELS.get(score, score), range=[-0.05, 1.1], tickformat=".0%")
    if left_out:
        _note_left_out(fig, left_out)
    if not fig.data:
        fig.add_annotation(
            text="No candidate has both a score and a price yet.",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
        )
    return fig


def _candidate_point(cand: dict, index: int, score: str, value: float, cost: float, widest: float) -> go.Scatter:
    """One candidate's point at (cost, score) with its label, its 95% interval as an error bar, and its hover."""
    label = plain(cand["label"])
    baseline = index == 0
    return go.Scatter(
        x=[cost],
        y=[value],
        mode="markers+text",
        name=label,
        text=[label],
        # labels of points in the right half grow leftwards, so long names stay inside the plot
        textposition="top left" if widest and cost > widest / 2 else "top right",
        error_y=_interval_bar((cand.get("ci95") or {}).get(score), value),
        marker=dict(
            size=16 if baseline else 13,
            symbol="diamond" if baseline else "circle",
            color=candidate_color(index),
            line=dict(width=1, color="white"),
        ),
        hovertemplate=(
            f"<b>%{{text}}</b>{' (baseline)' if baseline else ''}<br>"
            f"{SCORE_LABELS.get(score, score)}: %{{y:.1%}}<br>"
            "Cost per 1,000 calls: $%{x:,.4f}<extra></extra>"
        ),
    )


def _interval_bar(interval, value: float) -> dict | None:
    """The error bar of a 95% interval ``[low, high]`` around ``value``; None without a whole interval."""
    if not (interval and interval[0] is not None and interval[1] is not None):
        return None
    return dict(
        type="data",
        symmetric=False,
        array=[interval[1] - value],
        arrayminus=[value - interval[0]],
        thickness=1.5,
        width=6,
    )


def _note_left_out(fig: go.Figure, left_out: list[str]) -> None:
    """The candidates not placed (no price or no score), named under the plot."""
    fig.add_annotation(
        text="Not placed (no price or no score): " + ", ".join(left_out),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.02,
        xanchor="left",
        yanchor="top",
        font=dict(size=11, color=COLORS["base"]),
    )


def similarity_figure(rows: list[dict], labels: list[str], *, simulated: bool = False) -> go.Figure:
    """Per-example similarity to the reference, one box of points per candidate (in ``labels`` order).

    ``rows`` are recording lines (``{"line", "label", "scores": {"similarity"}}``); lines without
    an answer (errors) carry no similarity and are left out. Hovering a point names its line.
    """
    fig = go.Figure()
    for index, label in enumerate(labels):
        points = [
            (r["line"], r["scores"]["similarity"])
            for r in rows
            if r.get("label") == label and (r.get("scores") or {}).get("similarity") is not None
        ]
        shown = plain(label)
        fig.add_trace(
            go.Box(
                y=[s for _, s in points],
                x=[shown] * len(points),
                name=shown,
                customdata=[line for line, _ in points],
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker=dict(size=5, color=candidate_color(index), opacity=0.7),
                line=dict(color=candidate_color(index)),
                fillcolor="rgba(0,0,0,0)",
                hovertemplate="line %{customdata}: %{y:.2f}<extra>%{x}</extra>",
            )
        )
    _layout(fig, "Similarity to the reference, per example" + (" (simulated)" if simulated else ""))
    fig.update_yaxes(title_text="Similarity (1 = identical)", range=[-0.03, 1.05])
    if not any(trace.y is not None and len(trace.y) for trace in fig.data):
        fig.add_annotation(text="No answers to compare yet.", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig
