"""Pure Block Kit builders for KPI answers: a header, the figures, the tables as lines."""

from datetime import datetime
from typing import Any

from bot.business_time import format_remaining
from bot.kpi.report import Report, Table, format_value, is_id_column
from handlers.blocks.cards import Block, escape, mrkdwn
from handlers.blocks.tickets import ticket_line
from store.models import Ticket

FIELDS_PER_SECTION = 10  # Slack's limit
ROWS_PER_TABLE = 15
TEXT_LIMIT = 2900  # a section's text may be 3000 characters


def _name(column: str, value: Any, slack_id: Any) -> str:
    """A group as Slack shows it: people and channels as mentions (Slack names them for
    each reader), anything else (an organization's name) in bold."""
    if value is None:
        return "(none)"
    if not slack_id:  # a row of its own, like agents' "Unassigned"
        return f"*{escape(str(value))}*"
    if column == "agent":
        return f"<@{slack_id}>"
    if column == "channel":
        return f"<#{slack_id}>"
    return f"*{escape(str(value))}*"


def figure_sections(report: Report) -> list[Block]:
    """The headline numbers as two-column fields."""
    fields = [
        mrkdwn(f"*{escape(item.label)}*\n{format_value(item.value, item.unit, report.currency)}")
        for item in report.figures
    ]
    return [
        {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}
        for start in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def table_lines(table: Table, currency: str) -> str:
    """One line per row: the group, then `column value` pairs."""
    units = table.units or ["text"] * len(table.columns)
    has_id = len(table.columns) > 1 and is_id_column(table.columns, 1)
    first = 2 if has_id else 1  # the id column is for exports, not for reading
    lines = []
    for row in table.rows[:ROWS_PER_TABLE]:
        parts = [
            f"{column.replace('_', ' ')} {escape(format_value(value, unit, currency))}"
            for column, value, unit in zip(
                table.columns[first:], row[first:], units[first:], strict=True
            )
            if value is not None
        ]
        name = _name(table.columns[0], row[0], row[1] if has_id else row[0])
        lines.append(f"• {name} — " + " · ".join(parts))
    if len(table.rows) > ROWS_PER_TABLE:
        lines.append(f"…and {len(table.rows) - ROWS_PER_TABLE} more (`deskbot kpi` lists all)")
    text = "\n".join(lines) or "_Nothing in this range._"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def report_blocks(report: Report) -> list[Block]:
    """A KPI report as blocks."""
    title = f"{report.title} · {report.range_label}"[:150]
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    blocks += figure_sections(report)
    for table in report.tables:
        text = f"*{escape(table.title)}*\n{table_lines(table, report.currency)}"
        blocks.append({"type": "section", "text": mrkdwn(text)})
    start, end = report.start.strftime("%Y-%m-%d %H:%M"), report.end.strftime("%Y-%m-%d %H:%M")
    blocks.append(
        {"type": "context", "elements": [mrkdwn(f"{start} to {end} UTC · `/kpi help` for more")]}
    )
    return blocks


def report_text(report: Report) -> str:
    """The notification fallback for a report."""
    return f"{report.title} · {report.range_label}"


def lead_home_blocks(
    summary: Report, breaching: list[tuple[Ticket, str, datetime]], now: datetime
) -> list[Block]:
    """The top of a lead's App Home: the summary card and the tickets past an SLA target."""
    title = f"Support · {summary.range_label}"[:150]
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    blocks += figure_sections(summary)
    lines = [
        f"• {ticket_line(ticket)} — {target.replace('_', ' ')} {format_remaining(due - now)}"
        for ticket, target, due in breaching
    ]
    text = "\n".join(lines) or "_No live ticket is past an SLA target._"
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT].rsplit("\n", 1)[0] + "\n…"
    blocks += [
        {"type": "section", "text": mrkdwn(f"*Breaching now* ({len(breaching)})\n{text}")},
        {"type": "context", "elements": [mrkdwn("`/kpi help` for every metric, charts and CSV")]},
        {"type": "divider"},
    ]
    return blocks
