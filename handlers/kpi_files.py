"""Delivering KPI files (PNG charts, CSV exports) to the asker's DM with the bot."""

from slack_sdk import WebClient

from bot.kpi import KpiService
from bot.kpi_chart import chart_png
from bot.kpi_export import export_csv
from bot.ranges import DateRange


def _dm(client: WebClient, user_id: str) -> str:
    # Only the asker ever sees these: never a channel, least of all a shared one.
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def deliver_chart(
    service: KpiService, client: WebClient, metric: str, date_range: DateRange, user_id: str
) -> None:
    """Render a chart and upload it to the asker."""
    filename, png = chart_png(service, metric, date_range)
    client.files_upload_v2(
        channel=_dm(client, user_id),
        file=png,
        filename=filename,
        title=f"{metric} · {date_range.label}",
        initial_comment=f"Your `{metric}` chart for {date_range.label}.",
    )


def deliver_export(
    service: KpiService, client: WebClient, date_range: DateRange, user_id: str
) -> None:
    """Build the CSV export and upload it to the asker."""
    filename, data = export_csv(service, date_range)
    client.files_upload_v2(
        channel=_dm(client, user_id),
        file=data,
        filename=filename,
        title=f"Tickets · {date_range.label}",
        initial_comment=f"Tickets created {date_range.label}, with every KPI's inputs.",
    )
