"""`deskbot kpi METRIC`: the numbers `/kpi` answers, for scripts and terminals."""

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.clock import Clock, utc_now
from bot.kpi.names import BY_HELP, DEFAULT_RANGE, FORMATS, METRIC_NAMES

if TYPE_CHECKING:
    from bot.settings import Settings
EPILOG = """\
metrics: summary, volume, frt, sla, resolution, handle, types, csat, cost,
         selfservice, known, agents, orgs, channels (docs/kpi-definitions.md defines each)
ranges:  --since/--until are dates in the business-hours timezone, both included;
         or --range with the words /kpi takes (today, 7d, this week, last month, ...).
         Default: the last 30 days.
examples:
  deskbot kpi summary --range "last month"
  deskbot kpi frt --since 2026-10-01 --until 2026-10-31 --by agent --format csv
  deskbot kpi volume --format csv --table days   (CSV is one table per run)
"""


def add_kpi_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register `deskbot kpi`."""
    kpi = commands.add_parser(
        "kpi",
        help="print a KPI (the same numbers /kpi answers in Slack)",
        description="Print one KPI over a range of days, optionally broken down.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kpi.add_argument("metric", metavar="METRIC", help=", ".join(METRIC_NAMES))
    kpi.add_argument("--since", type=_day, help="first day, YYYY-MM-DD")
    kpi.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (included)")
    kpi.add_argument("--range", dest="range_text", help="range words, e.g. 7d or 'last month'")
    kpi.add_argument("--by", help=f"break down by {BY_HELP.replace('`', '')}")
    kpi.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    kpi.add_argument(
        "--table",
        metavar="NAME",
        help="with --format csv: which table (`figures` or a table's name); "
        "needed when the answer has several",
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def range_words(args: argparse.Namespace, today: date) -> str:
    """The range as /kpi words: --range as is, else since..until (defaults: last 30 days)."""
    if args.range_text:
        if args.since or args.until:
            from bot.kpi.service import KpiError

            raise KpiError("Give either --range or --since/--until, not both.")
        return str(args.range_text)
    if not args.since and not args.until:
        return DEFAULT_RANGE
    until = args.until or today
    since = args.since or until
    return f"{since}..{until}"


def run_kpi(settings: "Settings", args: argparse.Namespace, *, clock: Clock = utc_now) -> int:
    """Compute and print the report; 2 with a message on stderr for a bad question."""
    # Imported here, not at the top: `deskbot --help` must not pay for them.
    from bot.cli.database import NoDatabase, open_existing
    from bot.kpi.report import TableChoiceError, to_csv, to_json, to_text
    from bot.kpi.service import KpiError, KpiService

    try:
        engine = open_existing(settings.database_url)
    except NoDatabase as error:
        print(f"deskbot kpi: {error}", file=sys.stderr)
        return 2
    service = KpiService(engine, settings.desk, clock)
    try:
        from zoneinfo import ZoneInfo

        today = clock().astimezone(ZoneInfo(service.timezone)).date()
        query = service.query(args.metric, range_words(args, today), args.by)
        report = service.report(query)
    except KpiError as error:
        print(f"deskbot kpi: {error}".replace("`", ""), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.format != "csv":
        if args.table:
            print("deskbot kpi: --table goes with --format csv", file=sys.stderr)
            return 2
        print(to_json(report) if args.format == "json" else to_text(report))
        return 0
    try:
        print(to_csv(report, args.table), end="")
    except TableChoiceError as error:
        print(f"deskbot kpi: {error}", file=sys.stderr)
        return 2
    return 0
