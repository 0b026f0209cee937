"""`/kpi export`: a CSV of the tickets created in a range with every metric's inputs.

Channels, organizations and people show by name (as remembered from Slack), each with
its id in the next column, so the file reads well and still joins with other data.
"""

import io
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.csv_safe import SafeWriter
from bot.kpi.metrics import Ctx
from bot.kpi.report import slug
from bot.kpi.service import KpiService
from bot.ranges import DateRange
from store import names
from store.kpi.queries.export import COLUMNS, ticket_rows

# Id columns of the query, and whose names they are.
NAMED = {
    "channel": names.CHANNEL,
    "org": names.ORG,
    "assignee": names.USER,
    "first_responder": names.USER,
}


def export_columns() -> list[str]:
    """The CSV header: each named column followed by its `_id` column."""
    header: list[str] = []
    for column in COLUMNS:
        header += [column, f"{column}_id"] if column in NAMED else [column]
    return header


def export_csv(service: KpiService, date_range: DateRange) -> tuple[str, bytes]:
    """(file name, CSV bytes); times in ISO 8601 UTC."""
    out = io.StringIO()
    writer = SafeWriter(out)  # subjects and CSAT comments are the customers' words
    writer.writerow(export_columns())

    def write(session: Session, ctx: Ctx) -> int:
        known = {kind: names.known_names(session, kind=kind) for kind in set(NAMED.values())}
        count = 0
        for row in ticket_rows(session, start=ctx.start, end=ctx.end, now=ctx.now):
            writer.writerow(_named_row(row, known))
            count += 1
        return count

    service.run(date_range, write)
    return f"tickets-{slug(date_range.label)}.csv", out.getvalue().encode("utf-8")


def _named_row(row: list[Any], known: dict[str, dict[str, str]]) -> list[object]:
    cells: list[object] = []
    for column, value in zip(COLUMNS, row, strict=True):
        if column in NAMED:
            name = known[NAMED[column]].get(value, value) if value else value
            cells += [_cell(name), _cell(value)]
        else:
            cells.append(_cell(value))
    return cells


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
