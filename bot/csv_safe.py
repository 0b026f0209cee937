"""CSV that spreadsheets open as data: cells that would run as formulas are neutralised.

Every CSV deskbot writes (KPI reports, the ticket export, `deskbot sla whatif`) carries text
customers or config authors chose: a CSAT comment `=HYPERLINK("http://evil", "click")`
would otherwise be a live formula in a lead's spreadsheet (CSV injection). A text cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which
spreadsheets read as "this is text" (OWASP's advice). Numbers stay numbers.
"""

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """The cell as written: text that a spreadsheet would evaluate gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        # `neutralised` inline: an export writes a dozen cells for each of 10,000s of rows.
        starts = FORMULA_STARTS
        self._writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(starts) else v for v in row]
        )


class SafeDictWriter:
    """`csv.DictWriter` whose values are neutralised."""

    def __init__(self, out: TextIO, fieldnames: list[str]) -> None:
        self._writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")

    def writeheader(self) -> None:
        """Write the header row (deskbot's own field names)."""
        self._writer.writeheader()

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write every row."""
        self._writer.writerows(
            {key: neutralised(value) for key, value in row.items()} for row in rows
        )
