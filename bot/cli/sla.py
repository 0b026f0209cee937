"""`deskbot sla whatif --policy FILE [--since DATE] [--until DATE] [--format text|json|csv]`."""

import argparse
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.clock import Clock, utc_now
from bot.config import ConfigError, DeskConfig
from bot.csv_safe import SafeDictWriter

if TYPE_CHECKING:
    from bot.sla.whatif import Comparison

DEFAULT_DAYS = 30


def add_sla_parser(subparsers: Any) -> None:
    """Add `sla` (with `whatif`) to the CLI's subparsers."""
    sla = subparsers.add_parser("sla", help="SLA tools: try proposed policies on past tickets")
    commands = sla.add_subparsers(dest="sla_command", required=True, metavar="SLA_COMMAND")
    whatif = commands.add_parser(
        "whatif",
        help="replay past tickets against proposed SLA policies, beside the current ones",
        description="Replay the tickets created in a period (their messages, pauses, "
        "resolutions and reopenings) against the sla_policies in FILE and against the "
        "current ones, and print how many SLA clocks would have breached, per policy and "
        "per day (the day a target was due), with totals and the share within target. "
        "FILE uses the deskbot.yaml format; only sla_policies and business_hours are read "
        "(business_hours defaults to the current calendar). Progress goes to stderr.",
    )
    whatif.add_argument(
        "--policy", type=Path, required=True, metavar="FILE", help="YAML with sla_policies"
    )
    whatif.add_argument("--since", help=f"first day, YYYY-MM-DD (default {DEFAULT_DAYS} days ago)")
    whatif.add_argument("--until", help="last day, YYYY-MM-DD (default today)")
    whatif.add_argument("--format", choices=("text", "json", "csv"), default="text")
    whatif.add_argument(
        "--chart", type=Path, metavar="PNG", help="also draw breaches per day as a PNG chart"
    )


def run_sla(
    args: argparse.Namespace,
    *,
    desk: DeskConfig,
    database_url: str,
    clock: Clock = utc_now,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `deskbot sla whatif`; 2 on bad input, with the reason on stderr."""
    out, err = out or sys.stdout, err or sys.stderr
    # Imported here, not at the top: `deskbot --help` must not load the replay and SQLAlchemy.
    from bot.cli.database import NoDatabase, open_existing
    from bot.sla.whatif import Policies, compare, load_proposal, print_progress

    timezone = desk.business_hours.timezone
    now = clock()
    try:
        proposed = load_proposal(args.policy, desk)
        first, last = _period(args.since, args.until, today=now.astimezone(ZoneInfo(timezone)))
    except (ConfigError, ValueError) as error:
        print(f"deskbot sla whatif: {error}", file=err)
        return 2
    if not desk.sla_policies:
        print("deskbot sla whatif: note: no current sla_policies to compare with", file=err)
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    sides = [Policies("current", list(desk.sla_policies), desk.business_hours), proposed]
    try:
        engine = open_existing(database_url)
    except NoDatabase as error:
        print(f"deskbot sla whatif: {error}", file=err)
        return 2
    try:
        result = compare(
            engine,
            sides,
            start=start,
            end=end,
            now=now,
            timezone=timezone,
            progress=print_progress(err),
        )
    finally:
        engine.dispose()
    header = {"since": first, "until": last, "timezone": timezone, "now": now}
    {"text": _text, "json": _json, "csv": _csv}[args.format](result, header, out)
    if args.chart is not None:
        from bot.sla.chart import write_whatif_chart

        title = f"SLA breaches {first}..{last}: current vs {args.policy.name}"
        write_whatif_chart(result, args.chart, title=title)
        print(f"chart written to {args.chart}", file=err)
    return 0


def _period(since: str | None, until: str | None, *, today: datetime) -> tuple[date, date]:
    last = _day(until, "--until") if until else today.date()
    first = _day(since, "--since") if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValueError(f"--until {last} is before --since {first}")
    return first, last


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: {text!r} is not a date (use YYYY-MM-DD)") from None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _rows(result: "Comparison") -> list[dict[str, Any]]:
    """Flat rows: per side, policy and target; per side, day and target; totals."""
    rows: list[dict[str, Any]] = []
    for side in ("current", "proposed"):
        for (policy, target), tally in sorted(result.by_policy.get(side, {}).items()):
            rows.append(_row(side, "policy", policy, target, tally))
        for (day, target), tally in sorted(result.by_day.get(side, {}).items()):
            rows.append(_row(side, "day", day.isoformat(), target, tally))
        for target, tally in sorted(result.totals.get(side, {}).items()):
            rows.append(_row(side, "total", "total", target, tally))
    return rows


def _row(side: str, by: str, key: str, target: str, tally: Any) -> dict[str, Any]:
    pct = tally.within_pct
    return {
        "side": side,
        "by": by,
        "key": key,
        "target": target,
        "clocks": tally.clocks,
        "breached": tally.breached,
        "within_pct": None if pct is None else round(pct, 1),
    }


def _json(result: "Comparison", header: dict[str, Any], out: TextIO) -> None:
    document = {
        "since": header["since"].isoformat(),
        "until": header["until"].isoformat(),
        "timezone": header["timezone"],
        "evaluated_at": header["now"].isoformat(),
        "tickets": result.tickets,
        "rows": _rows(result),
    }
    json.dump(document, out, indent=2)
    out.write("\n")


def _csv(result: "Comparison", header: dict[str, Any], out: TextIO) -> None:
    rows = _rows(result)
    fields = ["side", "by", "key", "target", "clocks", "breached", "within_pct"]
    writer = SafeDictWriter(out, fields)
    writer.writeheader()
    writer.writerows(rows)


def _text(result: "Comparison", header: dict[str, Any], out: TextIO) -> None:
    from bot.sla.whatif import TARGETS

    print(
        f"SLA what-if: {result.tickets} tickets created {header['since']}..{header['until']} "
        f"({header['timezone']}), evaluated at {header['now']:%Y-%m-%d %H:%M} UTC",
        file=out,
    )
    print("\nBy policy", file=out)
    table = [("side", "policy", "target", "clocks", "breached", "within")]
    for side in ("current", "proposed"):
        for (policy, target), tally in sorted(result.by_policy.get(side, {}).items()):
            table.append(
                (
                    side,
                    policy,
                    target,
                    str(tally.clocks),
                    str(tally.breached),
                    _pct(tally.within_pct),
                )
            )
        for target, tally in sorted(result.totals.get(side, {}).items()):
            table.append(
                (
                    side,
                    "(all)",
                    target,
                    str(tally.clocks),
                    str(tally.breached),
                    _pct(tally.within_pct),
                )
            )
    _print_table(table, out)
    print("\nBreaches by day due (current -> proposed)", file=out)
    days = sorted({day for side in result.by_day.values() for day, _target in side})
    table = [("day", *TARGETS)]
    for day in days:
        cells = [
            " -> ".join(
                str(_breached(result.by_day.get(side, {}).get((day, target))))
                for side in ("current", "proposed")
            )
            for target in TARGETS
        ]
        table.append((day.isoformat(), *cells))
    totals = [
        " -> ".join(
            str(_breached(result.totals.get(side, {}).get(target)))
            for side in ("current", "proposed")
        )
        for target in TARGETS
    ]
    table.append(("total", *totals))
    _print_table(table, out)


def _breached(tally: Any) -> int:
    return tally.breached if tally is not None else 0


def _print_table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(width) if index >= 3 or cell[:1].isdigit() else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
