"""Histograms of one dataset: tokens per example, assistant tokens, messages per example.

Each function takes the validator's per-line lists (``None`` where a line is
not an example) and returns a plotly figure; no streamlit here.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lib.charts import COLORS, TEMPLATE

HEIGHT = 300
MAX_BINS = 40


def _present(values) -> list[int]:
    return [v for v in (values or []) if v is not None]


def _base(title: str, x_title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE, height=HEIGHT, title=dict(text=title, font=dict(size=15), y=0.97, yanchor="top"),
        margin=dict(l=10, r=10, t=64, b=10), bargap=0.05, barmode="overlay",
        # Between the title and the plot: inside the plot it would hide the tallest bar.
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        xaxis_title=x_title, yaxis_title="examples",
    )  # fmt: skip
    return fig


def bin_edges(*series: list[int], integer: bool = False) -> np.ndarray:
    """Shared bin edges for one or more value lists (so overlaid bars line up).

    ``integer`` gives one bin per whole number (message counts) while that
    stays under :data:`MAX_BINS` bins.
    """
    values = np.concatenate([np.asarray(s, dtype=np.float64) for s in series if len(s)])
    low, high = float(values.min()), float(values.max())
    if integer and high - low + 1 <= MAX_BINS:
        return np.arange(low - 0.5, high + 1.5)
    if low == high:
        return np.array([low - 0.5, high + 0.5])
    edges = np.histogram_bin_edges(values, bins="auto")
    return edges if len(edges) <= MAX_BINS + 1 else np.linspace(low, high, MAX_BINS + 1)


def _add(fig: go.Figure, values: list[int], edges: np.ndarray, name: str, color: str, unit: str) -> None:
    """One series as pre-counted bars: a million examples cost the browser 40 bars, not a million points."""
    if not values:
        return
    counts, _ = np.histogram(np.asarray(values, dtype=np.float64), bins=edges)
    lows, highs = edges[:-1], edges[1:]
    if unit == "messages":  # integer bins: name the count, not the half-integer edges
        ranges = [f"{(lo + hi) / 2:,.0f} {unit}" for lo, hi in zip(lows, highs)]
    else:
        ranges = [f"{lo:,.0f}–{hi:,.0f} {unit}" for lo, hi in zip(lows, highs)]
    fig.add_trace(go.Bar(
        x=(lows + highs) / 2, y=counts, width=(highs - lows), name=name, marker_color=color, opacity=0.85,
        customdata=ranges, hovertemplate="%{customdata}: %{y:,} examples<extra>" + name + "</extra>",
    ))  # fmt: skip


def tokens_histogram(per_example: list, limit: int | None, validation: list | None = None) -> go.Figure:
    """Tokens per example, with the model's per-example training limit.

    The limit is often 100x the examples (65,536 vs a few hundred), so drawing
    the whole axis would squeeze every bar into one pixel. The line is drawn
    where it is when an example comes within half of it; otherwise the x axis
    stays on the data and an arrow at the right edge names the limit and how far
    the largest example is from it.
    """
    train = _present(per_example)
    valid = _present(validation)
    fig = _base("Tokens per example", "tokens")
    if not train and not valid:
        _empty(fig)
        return fig
    edges = bin_edges(train, valid)
    _add(fig, train, edges, "training", COLORS["train"], "tokens")
    _add(fig, valid, edges, "validation", COLORS["valid"], "tokens")
    largest = max(train + valid)
    if limit:
        if largest >= limit / 2:
            fig.add_vline(
                x=limit,
                line_color=COLORS["limit"],
                line_dash="dash",
                line_width=2,
                annotation_text=f"limit {limit:,}",
                annotation_position="top left",
                annotation_font_color=COLORS["limit"],
            )
        else:
            fig.add_annotation(
                xref="paper", yref="paper", x=0.99, y=0.86, xanchor="right", yanchor="top", showarrow=False,
                text=f"limit {limit:,} →<br>largest: {largest / limit:.1%} of it",
                font=dict(color=COLORS["limit"], size=11), align="right", bgcolor="rgba(255,255,255,0.7)",
            )  # fmt: skip
    return fig


def assistant_tokens_histogram(assistant: list) -> go.Figure:
    """Tokens of the assistant's answers per example (what the model learns to write)."""
    values = _present(assistant)
    fig = _base("Assistant tokens per example", "tokens")
    if values:
        _add(fig, values, bin_edges(values), "assistant", COLORS["accent"], "tokens")
    else:
        _empty(fig)
    fig.update_layout(showlegend=False)
    return fig


def messages_histogram(n_messages: list) -> go.Figure:
    """Messages per example (one bar per count: 3 = system, user, assistant)."""
    values = _present(n_messages)
    fig = _base("Messages per example", "messages")
    if values:
        edges = bin_edges(values, integer=True)
        _add(fig, values, edges, "messages", COLORS["base"], "messages")
        if len(edges) <= MAX_BINS + 1 and edges[1] - edges[0] == 1:
            fig.update_xaxes(dtick=1)
    else:
        _empty(fig)
    fig.update_layout(showlegend=False)
    return fig


def _empty(fig: go.Figure) -> None:
    fig.add_annotation(text="no examples to show", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
