"""Figures of the Costs page: spend over time, all models side by side, sensitivity.

Each function takes results from :mod:`lib.costs` and returns a plotly figure;
nothing here computes money.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from lib.charts import COLORS, titled_layout
from lib.costs import MAX_HORIZON_MONTHS, Comparison, Outcome, Projection, Sensitivity, TimelinePoint, calls_text, usd

_SHUTDOWN_SHADE = "rgba(185, 28, 28, 0.06)"
_GAIN = COLORS["fine_tuned"]
_LOSS = COLORS["limit"]


def _layout(fig: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    legend = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1)
    return titled_layout(fig, title, height=height, hovermode="x unified", legend=legend)


def _vertical_marker(fig: go.Figure, x, text: str, color: str, *, label_left: bool = False) -> None:
    # add_vline's annotation arithmetic fails on date axes, so draw line and label separately.
    fig.add_shape(
        type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper", line=dict(color=color, width=2, dash="dash")
    )
    fig.add_annotation(
        x=x,
        xref="x",
        y=1,
        yref="paper",
        text=text,
        showarrow=False,
        xanchor="right" if label_left else "left",
        xshift=-4 if label_left else 4,
        yanchor="top",
        font=dict(color=color, size=12),
        bgcolor="rgba(255,255,255,0.85)",
    )


def _split_at_shutdown(points: list[TimelinePoint]) -> tuple[list[TimelinePoint], list[TimelinePoint]]:
    """Points up to the shutdown, and from the shutdown on (sharing the shutdown point)."""
    live = [pt for pt in points if not pt.after_shutdown]
    gone = [pt for pt in points if pt.after_shutdown]
    if gone and live:
        gone = [live[-1], *gone]
    return live, gone


def cumulative_cost_chart(p: Projection, points: list[TimelinePoint]) -> go.Figure:
    """Cumulative spend over time: base model with the long prompt vs. fine-tuned (training included).

    The break-even point and the shutdown date are marked; beyond the shutdown
    the lines are dotted and the area shaded, because no call can be made there.
    """
    fig = go.Figure()
    _add_spend_lines(fig, p, points)
    last = points[-1].date
    right_edge = last + (last - points[0].date) * 0.03  # room for a marker on the last day
    if p.shutdown_date is not None and p.shutdown_date <= last:
        _mark_shutdown(fig, p, points, right_edge)
    if p.break_even_date is not None and p.break_even_date <= last:
        _mark_break_even(fig, p, points)
    else:
        _note_no_break_even(fig, p)
    fig.update_xaxes(title_text=None, range=[points[0].date, right_edge])
    fig.update_yaxes(title_text="Cumulative spend (USD)", tickprefix="$", rangemode="tozero")
    _layout(fig, "Cumulative spend: base model vs. fine-tuned")
    # Below the plot: long series names (training and hosting) would run into the title above it.
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.08, xanchor="left", x=0), margin=dict(l=10, r=10, t=60, b=40)
    )
    return fig


def _add_spend_lines(fig: go.Figure, p: Projection, points: list[TimelinePoint]) -> None:
    """One line per side (base, fine-tuned): solid while the model answers, dotted after its shutdown."""
    live, gone = _split_at_shutdown(points)
    included = "training and hosting" if p.hosting_per_month > 0 else "training"
    series = (
        ("Base model, long prompt", "base_cost", COLORS["base"]),
        (f"Fine-tuned, short prompt (incl. {included})", "fine_tuned_cost", COLORS["fine_tuned"]),
    )
    for name, attr, color in series:
        for part, dash, label, show in (
            (live, "solid", name, True),
            (gone, "dot", f"{name}, after shutdown (hypothetical)", False),
        ):
            if not part:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[pt.date for pt in part],
                    y=[getattr(pt, attr) for pt in part],
                    name=label,
                    mode="lines",
                    legendgroup=attr,
                    showlegend=show,
                    line=dict(color=color, width=3 if dash == "solid" else 2, dash=dash),
                    customdata=[pt.calls for pt in part],
                    hovertemplate="%{y:$,.2f} after %{customdata:,.0f} calls<extra>" + label + "</extra>",
                )
            )


def _mark_shutdown(fig: go.Figure, p: Projection, points: list[TimelinePoint], right_edge) -> None:
    """The shutdown date as a dashed line, with the time after it shaded."""
    last = points[-1].date
    fig.add_vrect(x0=p.shutdown_date, x1=right_edge, fillcolor=_SHUTDOWN_SHADE, line_width=0, layer="below")
    near_the_end = (p.shutdown_date - points[0].date) > (last - points[0].date) * 0.6
    what = "deployments stop" if p.backend == "azure" else "shuts down"  # Azure: the fine-tunes' deployments
    _vertical_marker(
        fig,
        p.shutdown_date,
        f"{p.model_label} {what} {p.shutdown_date:%Y-%m-%d}",
        COLORS["deadline"],
        label_left=near_the_end,
    )


def _mark_break_even(fig: go.Figure, p: Projection, points: list[TimelinePoint]) -> None:
    """The break-even point on the base line, red with an x when it comes after the shutdown."""
    last = points[-1].date
    at = next(pt for pt in points if pt.date == p.break_even_date)
    after = p.shutdown_date is not None and p.break_even_date > p.shutdown_date
    color = _LOSS if after else _GAIN
    note = " (too late)" if after else ""
    in_right_half = (at.date - points[0].date) > (last - points[0].date) / 2
    fig.add_trace(
        go.Scatter(
            x=[at.date],
            y=[at.base_cost],
            mode="markers",
            name="Break-even",
            showlegend=False,
            marker=dict(size=13, color=color, symbol="x" if after else "circle", line=dict(color="white", width=1)),
            hovertemplate=f"break-even: {p.break_even_calls:,} calls<extra></extra>",
        )
    )
    # The lines rise to the right, so the space level with the crossing and away from the middle is free.
    fig.add_annotation(
        x=at.date,
        y=at.base_cost,
        text=f"break-even {at.date:%Y-%m-%d}{note}",
        showarrow=True,
        arrowcolor=color,
        arrowhead=0,
        ax=-60 if in_right_half else 60,
        ay=0,
        xanchor="right" if in_right_half else "left",
        font=dict(color=color, size=12),
        bgcolor="rgba(255,255,255,0.85)",
    )


def _no_break_even_text(p: Projection) -> str:
    """Why the chart shows no break-even point."""
    if p.break_even_date is not None:
        return f"break-even would come on {p.break_even_date:%Y-%m-%d} (off the chart)"
    if p.outcome is Outcome.HOSTING:
        return (
            f"hosting alone outweighs the saving: it needs {calls_text(p.hosting_needs_calls_per_month)} calls a month"
        )
    if p.break_even_calls is not None:
        return f"no break-even within {MAX_HORIZON_MONTHS // 12} years"
    return "no break-even: a fine-tuned call costs more"


def _note_no_break_even(fig: go.Figure, p: Projection) -> None:
    """:func:`_no_break_even_text` in the bottom right corner of the plot."""
    fig.add_annotation(
        x=1,
        xref="paper",
        y=0,
        yref="paper",
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        text=_no_break_even_text(p),
        font=dict(color=_LOSS, size=12),
        bgcolor="rgba(255,255,255,0.85)",
    )


def model_comparison_chart(comparison: Comparison) -> go.Figure:
    """Net result at each model's horizon: savings on calls minus training (green gains, red losses)."""
    rows = list(comparison.projections)
    labels = [r.model_label for r in rows]
    nets = [r.net_saving_at_horizon for r in rows]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=nets,
            marker_color=[_GAIN if n >= 0 else _LOSS for n in nets],
            text=[usd(n) for n in nets],
            textposition="outside",
            cliponaxis=False,
            name="Net at horizon",
            customdata=[
                [
                    usd(r.training.cost),
                    usd(r.saving_per_call),
                    r.break_even_date.isoformat() if r.break_even_date else "never",
                    r.horizon_end.isoformat(),
                ]
                for r in rows
            ],
            hovertemplate=(
                "<b>%{x}</b><br>net by %{customdata[3]}: %{text}<br>training %{customdata[0]}"
                "<br>saving per call %{customdata[1]}<br>break-even %{customdata[2]}<extra></extra>"
            ),
        )
    )
    fig.add_hline(y=0, line_color="#94a3b8", line_width=1)
    fig.update_yaxes(title_text="Net saving at horizon (USD)", tickprefix="$")
    _layout(fig, "Net result by the horizon, per model", height=380)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def _months_line(fig: go.Figure, months: float, text: str, color: str, dash: str) -> None:
    # On a log axis shapes take data values but annotations take log10 of them.
    fig.add_shape(
        type="line", x0=0, x1=1, xref="paper", y0=months, y1=months, line=dict(color=color, dash=dash, width=2)
    )
    fig.add_annotation(
        x=0,
        xref="paper",
        y=math.log10(months),
        text=text,
        showarrow=False,
        xanchor="left",
        yanchor="bottom",
        font=dict(color=color, size=12),
        bgcolor="rgba(255,255,255,0.85)",
    )


def sensitivity_chart(s: Sensitivity) -> go.Figure:
    """Months needed to break even as one input varies, against the months the model has left."""
    xs = [pt.x for pt in s.points]
    ys = [pt.months_to_break_even for pt in s.points]  # None = never: a gap in the line
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name="Months to break even",
            connectgaps=False,
            line=dict(color=COLORS["fine_tuned"], width=3),
            marker=dict(size=6),
            hovertemplate=f"{s.label}: %{{x:,.0f}}<br>break-even after %{{y:,.1f}} months<extra></extra>",
        )
    )
    _mark_months_left(fig, s)
    log_x = s.variable == "calls_per_month"
    _mark_current_figure(fig, s, log_x)
    _shade_never_pays(fig, s, log_x)
    if log_x and s.hosting_needs_calls_per_month and xs[0] <= s.hosting_needs_calls_per_month <= xs[-1]:
        _mark_hosting_needs(fig, s.hosting_needs_calls_per_month)
    fig.update_xaxes(title_text=s.label, type="log" if log_x else "linear", dtick=1 if log_x else None)
    fig.update_yaxes(title_text="Months to break even", type="log", dtick=1)
    _layout(fig, f"Break-even vs. {s.label.lower()}", height=360)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def _mark_months_left(fig: go.Figure, s: Sensitivity) -> None:
    """The months until the shutdown and the months of the user's horizon, as level lines (one when equal)."""
    if s.months_until_shutdown is not None:
        _months_line(
            fig,
            s.months_until_shutdown,
            f"shutdown, {s.months_until_shutdown:.1f} months away",
            COLORS["deadline"],
            "dash",
        )
    if s.months_until_shutdown is None or abs(s.months_in_horizon - s.months_until_shutdown) > 1e-9:
        _months_line(fig, s.months_in_horizon, "your horizon", COLORS["accent"], "dot")


def _mark_current_figure(fig: go.Figure, s: Sensitivity, log_x: bool) -> None:
    """The user's own value of the varied input, as a dotted vertical line."""
    fig.add_shape(
        type="line",
        x0=s.current,
        x1=s.current,
        y0=0,
        y1=1,
        yref="paper",
        line=dict(color="#475569", dash="dot", width=1),
    )
    fig.add_annotation(
        x=math.log10(s.current) if log_x else s.current,
        y=1,
        yref="paper",
        text="your figure",
        showarrow=False,
        yanchor="bottom",
        font=dict(color="#475569"),
    )


def _shade_never_pays(fig: go.Figure, s: Sensitivity, log_x: bool) -> None:
    """The range of values where fine-tuning never breaks even, shaded and named."""
    never = [pt for pt in s.points if pt.months_to_break_even is None]
    if not never:
        return
    low, high = min(pt.x for pt in never), max(pt.x for pt in never)
    fig.add_vrect(x0=low, x1=high, fillcolor="rgba(220, 38, 38, 0.08)", line_width=0, layer="below")
    mid = (low + high) / 2
    hosting = all(pt.outcome is Outcome.HOSTING for pt in never)
    fig.add_annotation(
        x=math.log10(mid) if log_x else mid,
        y=0.5,
        yref="paper",
        text="hosting outweighs the saving" if hosting else "never pays",
        showarrow=False,
        font=dict(color=_LOSS, size=13),
    )


def _mark_hosting_needs(fig: go.Figure, needs: float) -> None:
    """The monthly calls hosting alone needs to pay for itself, on a log volume axis."""
    fig.add_shape(
        type="line", x0=needs, x1=needs, y0=0, y1=1, yref="paper", line=dict(color=_LOSS, dash="dash", width=2)
    )
    fig.add_annotation(
        x=math.log10(needs),
        y=0.08,
        yref="paper",
        xanchor="left",
        xshift=4,
        showarrow=False,
        text=f"hosting alone needs {calls_text(needs)} calls a month",
        font=dict(color=_LOSS, size=12),
        bgcolor="rgba(255,255,255,0.85)",
    )
