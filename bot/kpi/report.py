"""A KPI answer as data (figures and tables), and its text, JSON and CSV renderings.

Slack and the command line render the same `Report`, so they always show the same numbers.
"""

import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.csv_safe import SafeWriter

# Units tell renderers how to show a value; the value itself stays exact.
COUNT, SECONDS, RATIO, MONEY, STARS, PERCENT, TEXT = (
    "count",
    "seconds",
    "ratio",
    "money",
    "stars",
    "percent",
    "text",
)


@dataclass(frozen=True)
class Figure:
    """One headline number."""

    key: str
    label: str
    value: Any
    unit: str = COUNT


@dataclass(frozen=True)
class Table:
    """Rows of a breakdown; `units` says how to show each column."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    units: list[str] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as column -> value mappings."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class Report:
    """What one `/kpi` or `deskbot kpi` question answers."""

    metric: str
    title: str
    range_label: str
    start: datetime
    end: datetime
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    currency: str = "USD"

    def figure(self, key: str) -> Any:
        """The value of a figure by key."""
        for item in self.figures:
            if item.key == key:
                return item.value
        raise KeyError(key)

    def table(self, key: str) -> Table:
        """A table by key."""
        for item in self.tables:
            if item.key == key:
                return item
        raise KeyError(key)

    def values(self) -> dict[str, Any]:
        """Every figure, by key."""
        return {item.key: item.value for item in self.figures}


def format_value(value: Any, unit: str, currency: str = "USD") -> str:
    """A value the way people read it: 1h 30m, 66.7%, 100.00 USD, 4.5★."""
    if value is None:
        return "–"
    if unit == SECONDS:
        return format_duration(float(value))
    if unit == RATIO:
        return f"{float(value) * 100:.1f}%"
    if unit == PERCENT:
        return f"{float(value):+.1f}%"
    if unit == MONEY:
        return f"{float(value):,.2f} {currency}"
    if unit == STARS:
        return f"{float(value):.2f}★"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_duration(seconds: float) -> str:
    """Seconds as `45s`, `12m 30s`, `3h 5m` or `2d 4h`."""
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, whole = divmod(whole, size)
        parts.append((amount, unit))
    first = next((i for i, (amount, _) in enumerate(parts) if amount), None)
    if first is None:
        return "0s"
    return " ".join(f"{amount}{unit}" for amount, unit in parts[first : first + 2] if amount)


def slug(label: str) -> str:
    """A range label fit for a file name: `2026-11-02..2026-11-06` -> `2026-11-02-2026-11-06`."""
    return re.sub(r"[^0-9a-z]+", "-", label.lower()).strip("-") or "range"


def to_json(report: Report) -> str:
    """The report as JSON: exact values, ISO times."""
    data = {
        "metric": report.metric,
        "title": report.title,
        "range": {
            "label": report.range_label,
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
        },
        "figures": report.values(),
        "tables": {table.key: table.dicts() for table in report.tables},
    }
    return json.dumps(data, indent=2, default=str)


FIGURES = "figures"  # the table of headline numbers, in CSV


class TableChoiceError(ValueError):
    """A CSV answer needs one table, and the report has several or not the one asked."""


def csv_tables(report: Report) -> list[str]:
    """The tables a CSV answer can be: `figures` (when there are any), then each table."""
    return [FIGURES] * bool(report.figures) + [table.key for table in report.tables]


def to_csv(report: Report, table: str | None = None) -> str:
    """One table as one loadable CSV: the one asked for, or the only one there is; several
    and none chosen is a TableChoiceError that lists them."""
    names = csv_tables(report)
    if table is None:
        if len(names) > 1:
            raise TableChoiceError(
                f"{report.metric} has {len(names)} tables: {', '.join(names)}; "
                "choose one with --table NAME"
            )
        table = names[0] if names else FIGURES
    if table not in names:
        raise TableChoiceError(f"{table!r} is not a table of {report.metric}: {', '.join(names)}")
    out = io.StringIO()
    writer = SafeWriter(out)
    if table == FIGURES:
        writer.writerow(["figure", "value"])
        for item in report.figures:
            writer.writerow([item.key, "" if item.value is None else item.value])
        return out.getvalue()
    chosen = report.table(table)
    writer.writerow(chosen.columns)
    for row in chosen.rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def to_text(report: Report) -> str:
    """An aligned plain-text rendering for terminals."""
    lines = [f"{report.title} — {report.range_label}"]
    width = max((len(item.label) for item in report.figures), default=0)
    for item in report.figures:
        shown = format_value(item.value, item.unit, report.currency)
        lines.append(f"  {item.label.ljust(width)}  {shown}")
    for table in report.tables:
        lines += ["", table.title]
        lines += _aligned(table, report.currency)
    return "\n".join(lines)


def table_cells(table: Table, currency: str = "USD") -> list[list[str]]:
    """Every row of a table formatted for display."""
    units = table.units or [TEXT] * len(table.columns)
    return [
        [format_value(value, unit, currency) for value, unit in zip(row, units, strict=True)]
        for row in table.rows
    ]


def _aligned(table: Table, currency: str) -> list[str]:
    # A terminal reader wants the name; the id column beside it is for CSV and JSON.
    shown = [i for i in range(len(table.columns)) if not is_id_column(table.columns, i)]
    cells = [[row[i] for i in shown] for row in [table.columns, *table_cells(table, currency)]]
    if len(cells) == 1:
        return ["  (nothing in this range)"]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(shown))]
    return [
        "  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def is_id_column(columns: list[str], index: int) -> bool:
    """True for the id column that follows a named one (`org`, `org_id`)."""
    return index > 0 and columns[index] == columns[index - 1] + "_id"
