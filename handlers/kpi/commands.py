"""Parsing `/kpi` text: `[metric] [range] [by dim]`, `chart METRIC [range]`, `export [range]`."""

from dataclasses import dataclass

from bot.kpi.service import BY_HELP, DEFAULT_RANGE, METRIC_HELP, METRIC_NAMES, RANGE_HELP
from bot.ranges import RANGE_WORDS

CHART_METRICS = ("volume", "frt", "sla", "types", "csat")
USAGE = f"""\
*`/kpi`* — support numbers (leads see the team's, agents their own):
• `/kpi` the summary card for the last 30 days
• `/kpi [metric] [range] [by dimension]`, e.g. `/kpi frt 7d by agent`
• `/kpi chart volume 30d` a PNG chart ({", ".join(f"`{m}`" for m in CHART_METRICS)})
• `/kpi export 30d` a CSV of the tickets with every metric's inputs
Metrics: {METRIC_HELP}
Ranges: {RANGE_HELP}
By: {BY_HELP}"""


class KpiUsageError(ValueError):
    """The text is not a `/kpi` request; the message says why."""


@dataclass(frozen=True)
class KpiRequest:
    """A parsed `/kpi` request."""

    kind: str  # report | chart | export | help
    metric: str = "summary"
    range_text: str = DEFAULT_RANGE
    by: str | None = None


def parse_kpi_command(text: str) -> KpiRequest:
    """Split `/kpi` text into what to compute; ranges and names are checked by the service."""
    words = text.lower().split()
    if words[:1] == ["help"]:
        return KpiRequest("help")
    if words[:1] == ["chart"]:
        if len(words) < 2 or words[1] not in CHART_METRICS:
            charts = ", ".join(f"`{name}`" for name in CHART_METRICS)
            raise KpiUsageError(f"Chart one of {charts}, e.g. `/kpi chart volume 30d`.")
        return KpiRequest("chart", words[1], " ".join(words[2:]) or DEFAULT_RANGE)
    if words[:1] == ["export"]:
        return KpiRequest("export", "export", " ".join(words[1:]) or DEFAULT_RANGE)
    metric = "summary"
    if words and words[0] in METRIC_NAMES:
        metric, words = words[0], words[1:]
    elif words and words[0].isalpha() and words[0] not in RANGE_WORDS | {"by"}:
        # A word that starts neither a metric nor a range: say both, not "not a range".
        raise KpiUsageError(
            f"`{words[0][:40]}` is neither a metric nor a range. "
            f"Metrics: {METRIC_HELP}. Ranges: {RANGE_HELP}."
        )
    by = None
    if "by" in words:
        at = words.index("by")
        if at != len(words) - 2:
            raise KpiUsageError(
                f"Put `by` last with one of {BY_HELP}, e.g. `/kpi frt 7d by agent`."
            )
        by, words = words[-1], words[:at]
    return KpiRequest("report", metric, " ".join(words) or DEFAULT_RANGE, by)
