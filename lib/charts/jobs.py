"""Figures of the Jobs page: training curves of one job, and curves of several jobs overlaid.

Inputs are the metric rows of :func:`lib.jobs.metric_rows` (one dict per step).
"""

from __future__ import annotations

import plotly.graph_objects as go

from lib.charts import COLORS, TEMPLATE
from lib.jobs import METRIC_LABELS, smooth

# (metric key, palette colour, legend name): the chart title says loss or accuracy.
LOSS_SERIES = (
    ("train_loss", "train", "Train"),
    ("valid_loss", "valid", "Validation"),
    ("full_valid_loss", "full_valid", "Full validation"),
)
ACCURACY_SERIES = (
    ("train_mean_token_accuracy", "train", "Train"),
    ("valid_mean_token_accuracy", "valid", "Validation"),
    ("full_valid_mean_token_accuracy", "full_valid", "Full validation"),
)
# Colours for jobs overlaid in a comparison (cycled).
JOB_COLORS = ("#0f766e", "#c2410c", "#7c3aed", "#2563eb", "#b45309", "#be185d", "#4d7c0f", "#0e7490")


def _layout(fig: go.Figure, title: str, y_title: str, *, height: int = 340) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis_title="Step",
        yaxis_title=y_title,
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


def _series(
    fig: go.Figure, rows: list[dict], key: str, name: str, color: str, smoothing: float, *, sparse: bool
) -> None:
    points = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
    if not points:
        return
    steps = [p[0] for p in points]
    values = [p[1] for p in points]
    if sparse:
        # Full validation runs once per epoch: a few points, drawn as markers, never smoothed.
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                name=name,
                mode="lines+markers",
                line=dict(color=color, dash="dot"),
                marker=dict(size=9, color=color),
            )
        )
        return
    if smoothing > 0:
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                name=f"{name} (raw)",
                mode="lines",
                line=dict(color=color, width=1),
                opacity=0.3,
                showlegend=False,
                hoverinfo="skip",
            )
        )
        values = smooth(values, smoothing)
    fig.add_trace(go.Scatter(x=steps, y=values, name=name, mode="lines", line=dict(color=color, width=2)))


def training_figure(
    rows: list[dict], *, accuracy: bool = False, smoothing: float = 0.0, total_steps: int | None = None
) -> go.Figure:
    """Loss (or token accuracy) by step: train, validation and full validation, with optional EMA."""
    fig = go.Figure()
    series = ACCURACY_SERIES if accuracy else LOSS_SERIES
    for key, color_key, name in series:
        _series(fig, rows, key, name, COLORS[color_key], smoothing, sparse=key.startswith("full_valid"))
    if total_steps:
        fig.update_xaxes(range=[0, total_steps * 1.02])
    title = "Token accuracy" if accuracy else "Loss"
    if not rows:
        fig.add_annotation(
            text="Waiting for the first training step…", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5
        )
    return _layout(fig, title, "Accuracy" if accuracy else "Loss")


def compare_figure(rows_by_label: dict[str, list[dict]], metric: str, *, smoothing: float = 0.0) -> go.Figure:
    """One metric of several jobs overlaid, one colour per job."""
    fig = go.Figure()
    for index, (label, rows) in enumerate(rows_by_label.items()):
        _series(
            fig,
            rows,
            metric,
            label,
            JOB_COLORS[index % len(JOB_COLORS)],
            smoothing,
            sparse=metric.startswith("full_valid"),
        )
    return _layout(fig, METRIC_LABELS.get(metric, metric), METRIC_LABELS.get(metric, metric), height=420)
