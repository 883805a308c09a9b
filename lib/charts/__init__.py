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
