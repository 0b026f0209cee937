"""Dashboard benchmark: every page of the leads' dashboard on a large synthetic history.

Loads SIZE tickets with bench/kpi_data.py (as bench/kpi.py does; `--reuse` keeps a
database already loaded at that size), starts the real deskbot (create_app against the
fake Slack, served by waitress on loopback), signs a lead in through the fake's OpenID
pages, then GETs each page REPEAT times over HTTP: p50 and p95 per page. Beside them, timed
in the same run, the same numbers fetched through `deskbot kpi` (the CLI's entry point,
in process, so without Python's start-up): the summary card and the SLA report.

    python bench/dashboard.py [--size 1000000] [--databases sqlite,postgresql] [--repeat 10]

Target: every page under 300 ms p95.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kpi_data  # noqa: E402
from kpi import p95, reset, ticket_count, timed  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.business_time import BusinessCalendar  # noqa: E402
from bot.cli.main import main as deskbot  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.kpi.business import ensure_open_days  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import HttpServer, make_wsgi_app  # noqa: E402
from fakeslack import FakeSlack  # noqa: E402
from fakeslack.openid import CLIENT_ID, CLIENT_SECRET  # noqa: E402
from store.db import make_engine, migrate, session_scope  # noqa: E402
from tests.support.visitor import Visitor  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_web"
LEAD = "ULEAD01"
CONFIG = {
    "business_hours": {"timezone": "Europe/Berlin"},
    "costs": {"monthly_spend": 40000, "currency": "EUR"},
    "leads": [LEAD],
    "agents": [f"UAGENT{n:02d}" for n in range(kpi_data.AGENTS)],
}
TARGET_MS = 300.0


def pages(size: int) -> list[tuple[str, str]]:
    """(label, path) of every page a lead opens, over 30 and 365 days."""
    found = []
    for words in ("30d", "365d"):
        found += [
            (f"overview {words}", f"/?range={words}"),
            (f"sla {words}", f"/sla?range={words}"),
            (f"known issues {words}", f"/known?range={words}"),
            (f"kb gaps {words}", f"/kb-gaps?range={words}"),
            (f"tickets {words}", f"/tickets?range={words}"),
        ]
    found += [
        ("tickets 30d, one org", "/tickets?range=30d&org=T0ORG0007"),
        ("tickets 30d, agent + type", "/tickets?range=30d&agent=UAGENT03&tag=type07"),
        ("tickets 30d, page 20, by first response", "/tickets?range=30d&sort=-frt&page=20"),
        ("tickets 30d, SLA breached", "/tickets?range=30d&on=due&sla=breached"),
        ("tickets 30d, 5 stars", "/tickets?range=30d&on=asked&stars=5"),
        ("tickets live, all time", "/tickets?range=all&status=live"),
        ("tickets breaching now", "/tickets?range=all&breaching=1"),
        ("tickets all time", "/tickets?range=all"),
        ("ticket page", f"/tickets/{max(1, size - 100)}"),
        ("csv export 7d (whole list)", "/tickets.csv?range=7d"),
    ]
    return found


def start(url: str) -> tuple[FakeSlack, HttpServer, Visitor]:
    """deskbot against the fake Slack, served over HTTP; a lead signed in."""
    fake = FakeSlack(team_id="T0HOME").start()
    fake.add_user(LEAD, "lee", real_name="Lee Lead")
    settings = Settings(
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret="bench",  # type: ignore[arg-type]
        slack_api_url=fake.api_url,
        database_url=url,
        desk=parse_config(CONFIG),
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
    )
    engine = make_engine(url)
    app = create_app(settings, engine=engine, clock=kpi_data.now)
    server = HttpServer(make_wsgi_app(app, engine), host="127.0.0.1", port=0).start()
    visitor = Visitor(server.url, timeout=900)  # a first page on a fresh database fills caches
    assert visitor.sign_in(LEAD).status == 302, "the lead could not sign in"
    return fake, server, visitor


def cli_timings(url: str, repeat: int) -> list[tuple[str, list[float]]]:
    """`deskbot kpi summary` and `deskbot kpi sla` over the last 30 and 365 days."""
    end = kpi_data.now().date()
    found = []
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "deskbot.yaml"
        config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
        os.environ.update(DATABASE_URL=url, DESKBOT_CONFIG=str(config))
        for days in (30, 365):
            since = end - timedelta(days=days - 1)
            for metric in ("summary", "sla"):
                argv = ["--log-level", "WARNING", "kpi", metric, "--since", str(since),
                        "--until", str(end), "--format", "json"]  # fmt: skip

                def run(argv: list[str] = argv) -> None:
                    with redirect_stdout(io.StringIO()):
                        assert deskbot(argv) == 0

                run()
                found.append((f"deskbot kpi {metric} {days}d", timed(run, repeat)))
    return found


def bench(name: str, url: str, args: argparse.Namespace) -> list[list[object]]:
    """Load (unless reused) and time one database: rows of the result table."""
    engine = make_engine(url)
    if args.reuse and ticket_count(engine) == args.size:
        print(f"{name}: reusing {args.size:,} tickets", file=sys.stderr)
        migrate(engine)
    else:
        reset(engine)
        seconds = kpi_data.load(engine, args.size)
        print(f"{name}: loaded {args.size:,} tickets in {seconds:.0f} s", file=sys.stderr)
    settle_calendar(engine)
    engine.dispose()
    fake, server, visitor = start(url)
    rows: list[list[object]] = []
    try:
        for label, path in pages(args.size):
            answer = visitor.get(path)  # warm: a running dashboard has its caches and pool
            assert answer.status == 200, (path, answer.status, answer.text[-300:])
            samples = timed(lambda p=path: _ok(visitor, p), args.repeat)
            rows.append([name, label, statistics.median(samples), p95(samples), True])
            print(f"  {name} {label}: p95 {rows[-1][3]:.0f} ms", file=sys.stderr)
        for label, samples in cli_timings(url, args.repeat):
            rows.append([name, label, statistics.median(samples), p95(samples), False])
    finally:
        server.stop()
        fake.stop()
    return rows


def settle_calendar(engine: Engine) -> None:
    """Store the configured calendar (at 1M tickets its first store rewrites every fact's
    business-hours seconds), then let the database settle as a running one would have:
    on PostgreSQL without it, index-only scans read the heap for every rewritten row."""
    calendar = BusinessCalendar.from_config(parse_config(CONFIG).business_hours)
    with session_scope(engine) as session:
        recomputed = ensure_open_days(session, calendar, kpi_data.now())
    if recomputed:
        print(f"  calendar stored, {recomputed:,} facts recomputed", file=sys.stderr)
    kpi_data.settle(engine)


def _ok(visitor: Visitor, path: str) -> None:
    answer = visitor.get(path)
    assert answer.status == 200, (path, answer.status)


def main() -> None:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="tickets (default 1,000,000)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sqlite-path", default="/tmp/deskbot-dashboard-bench.sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()
    urls = {"sqlite": f"sqlite:///{args.sqlite_path}", "postgresql": args.pg_url}
    rows: list[list[object]] = []
    for name in args.databases.split(","):
        rows += bench(name.strip(), urls[name.strip()], args)
    print(f"\nDashboard pages over {args.size:,} tickets ({kpi_data.SPAN_DAYS} days of history), "
          f"{args.repeat} timed requests each over HTTP; target p95 < {TARGET_MS:.0f} ms; "
          "beside them the same numbers through `deskbot kpi` (in process)\n")  # fmt: skip
    print("| database | page | p50 ms | p95 ms | under target |")
    print("|---|---|---:|---:|---|")
    for database, label, median, worst, page in rows:
        flag = ("yes" if worst < TARGET_MS else "**no**") if page else "(baseline)"  # type: ignore[operator]
        print(f"| {database} | {label} | {median:,.0f} | {worst:,.0f} | {flag} |")


if __name__ == "__main__":
    main()
