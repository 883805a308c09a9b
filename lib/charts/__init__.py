"""Functions that return plotly figures, one module per page topic.

They take plain data (lists, dicts, dataclasses from ``lib``) and never import
streamlit, so they are unit-testable and reusable from notebooks.
"""

import plotly.io as pio

# One palette for the whole product, so base vs fine-tuned look the same everywhere.
COLORS = {
    "base": "#64748b",
    "fine_tuned": "#0f766e",
    "train": "#0f766e",
    "valid": "#c2410c",
    "full_valid": "#7c3aed",
    "limit": "#dc2626",
    "deadline": "#b91c1c",
    "accent": "#2563eb",
}
# Built once: a template given by name is looked up and copied for every figure (about a fifth
# of a second per page run on the Costs page), the object is only validated.
TEMPLATE = pio.templates["plotly_white"]


def titled_layout(fig, title: str, *, height: int = 420, **more):
    """``fig`` in the product's look: its template, ``title`` at the top left, ``height`` pixels high and
    narrow margins; ``more`` are further ``update_layout`` settings (hover mode, legend)."""
    fig.update_layout(
        template=TEMPLATE,
        title=dict(text=title, x=0, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=60, b=10),
        **more,
    )
    return fig
