"""The words `/kpi` and `deskbot kpi` accept, apart from the code that computes them.

The CLI's argument parser needs these names, and `deskbot --help` must start fast: this
module imports nothing, so the parser never loads SQLAlchemy, NumPy or matplotlib.
`tests/unit/test_kpi_units.py` holds them equal to what the KPI service computes.
"""

METRICS = (
    "summary", "volume", "frt", "sla", "resolution", "handle", "types", "csat", "cost",
    "selfservice", "known",
)  # fmt: skip
# Shorthands for the breakdowns people ask for by name.
GROUPED = {"agents": "agent", "orgs": "org", "channels": "channel"}
METRIC_NAMES = (*METRICS, *GROUPED)
DIMENSIONS = ("agent", "channel", "org", "type", "priority")
DEFAULT_RANGE = "30d"
FORMATS = ("csv", "json", "text")
BY_HELP = ", ".join(f"`{name}`" for name in DIMENSIONS)
