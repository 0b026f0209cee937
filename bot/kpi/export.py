"""`/kpi export`: a CSV of the tickets created in a range with every metric's inputs."""

import io
from datetime import datetime

from sqlmodel import Session

from bot.csv_safe import SafeWriter
from bot.kpi.metrics import Ctx
from bot.kpi.report import slug
from bot.kpi.service import KpiService
from bot.ranges import DateRange
from store.kpi.queries.export import COLUMNS, ticket_rows


def export_csv(service: KpiService, date_range: DateRange) -> tuple[str, bytes]:
    """(file name, CSV bytes); times in ISO 8601 UTC."""
    out = io.StringIO()
    writer = SafeWriter(out)  # CSAT comments are the customers' words
    writer.writerow(COLUMNS)

    def write(session: Session, ctx: Ctx) -> int:
        count = 0
        for row in ticket_rows(session, start=ctx.start, end=ctx.end, now=ctx.now):
            writer.writerow([_cell(value) for value in row])
            count += 1
        return count

    service.run(date_range, write)
    return f"tickets-{slug(date_range.label)}.csv", out.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
