"""Delivering KPI files (PNG charts, CSV exports) to the asker's DM with the bot."""

from bot.kpi.chart import chart_png
from bot.kpi.export import export_csv
from bot.kpi.service import KpiService
from bot.ports import Audience, Poster
from bot.ranges import DateRange


def deliver_chart(
    service: KpiService, guard: Poster, metric: str, date_range: DateRange, user_id: str
) -> bool:
    """Render a chart and upload it to the asker; False when the guard refused."""
    filename, png = chart_png(service, metric, date_range)
    sent = guard.upload(
        audience=Audience.INTERNAL,  # team numbers: only ever to the lead who asked
        channel=user_id,
        file=png,
        filename=filename,
        title=f"{metric} · {date_range.label}",
        initial_comment=f"Your `{metric}` chart for {date_range.label}.",
    )
    return sent is not None


def deliver_export(
    service: KpiService, guard: Poster, date_range: DateRange, user_id: str
) -> bool:
    """Build the CSV export and upload it to the asker; False when the guard refused."""
    filename, data = export_csv(service, date_range)
    sent = guard.upload(
        audience=Audience.INTERNAL,
        channel=user_id,
        file=data,
        filename=filename,
        title=f"Tickets · {date_range.label}",
        initial_comment=f"Tickets created {date_range.label}, with every KPI's inputs.",
    )
    return sent is not None
