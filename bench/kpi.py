"""KPI benchmark: every `/kpi` answer over 30 and 365 days on a large synthetic history.

Generates SIZE tickets with their messages, audit trail, SLA targets, tags, links, CSAT
answers and suggestions (bench/kpi_data.py), bulk-inserted into SQLite and PostgreSQL
(the KPI fact triggers are dropped for the load; each batch's ticket_fact rows and
rollups are filled by the migration's backfill SQL, then the triggers go back), then
times each answer REPEAT times (p50, p95) exactly as `/kpi` computes it (the
KpiService, charts included). Baseline, timed in the same run: the naive way, loading
every ticket, message, SLA target and survey into Python and computing the summary there.

    python bench/kpi.py [--size 1000000] [--databases sqlite,postgresql] [--repeat 10]

Target: every /kpi answer under 300 ms p95.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kpi_data  # noqa: E402

import store.models  # noqa: E402, F401
from bot.config import parse_config  # noqa: E402
from bot.kpi.chart import CHARTS, chart_png  # noqa: E402
from bot.kpi.service import METRIC_NAMES, KpiService  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_kpi"
CONFIG = {
    "business_hours": {"timezone": "Europe/Berlin"},
    "costs": {"monthly_spend": 40000, "currency": "EUR"},
}
TARGET_MS = 300.0


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    """Empty schema, migrated."""
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)


def ticket_count(engine) -> int:  # type: ignore[no-untyped-def]
    """Tickets already there (to reuse a loaded database)."""
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM ticket")).scalar_one())
    except Exception:  # no schema yet
        return -1


def answers(service: KpiService, words: str) -> list[tuple[str, Callable[[], object]]]:
    """Every /kpi answer for one range: each metric, each breakdown, each chart."""
    found: list[tuple[str, Callable[[], object]]] = []
    for metric in METRIC_NAMES:
        query = service.query(metric, words)
        found.append((metric, lambda q=query: service.report(q)))
    for by in ("type", "priority"):
        query = service.query("summary", words, by)
        found.append((f"by {by}", lambda q=query: service.report(q)))
    query = service.query("summary", words)
    found.append(("agent's own", lambda q=query: service.report(q, agent_id="UAGENT03")))
    for chart in CHARTS:
        found.append((f"chart {chart}", lambda c=chart, q=query: chart_png(service, c, q.range)))
    return found


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each run."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def naive_summary(engine, start: datetime, end: datetime, now: datetime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The baseline: load everything, filter and aggregate in Python."""
    sqlite = engine.dialect.name == "sqlite"

    def when(value):  # type: ignore[no-untyped-def]
        if value is None or not sqlite:
            return value
        return datetime.fromisoformat(value)

    lo, hi, at = (moment.replace(tzinfo=None) for moment in (start, end, now))
    with engine.connect() as connection:
        tickets = [
            tuple(when(v) for v in row)
            for row in connection.execute(
                text("SELECT created_at, first_response_at, resolved_at FROM ticket")
            )
        ]
        messages = [
            (when(sent), role, deleted)
            for sent, role, deleted in connection.execute(
                text("SELECT sent_at, role, deleted_at FROM message WHERE ticket_id IS NOT NULL")
            )
        ]
        targets = [
            (when(due), when(met))
            for due, met in connection.execute(text("SELECT due_at, met_at FROM sla_target"))
        ]
        ratings = [
            (when(asked), rating)
            for asked, rating in connection.execute(
                text("SELECT asked_at, rating FROM csat_survey")
            )
        ]
    created = [t for t in tickets if lo <= t[0] < hi]
    frt = sorted((t[1] - t[0]).total_seconds() for t in created if t[1] is not None)
    resolved = [t for t in tickets if t[2] is not None and lo <= t[2] < hi]
    durations = sorted((t[2] - t[0]).total_seconds() for t in resolved)
    due = [(d, m) for d, m in targets if lo <= d < hi]
    answered = [r for a, r in ratings if lo <= a < hi and r is not None]
    return {
        "created": len(created),
        "resolved": len(resolved),
        "backlog": sum(1 for t in tickets if t[0] < hi and not (t[2] is not None and t[2] < hi)),
        "in": sum(1 for s, r, d in messages if d is None and r == "customer" and lo <= s < hi),
        "frt_median": statistics.median(frt) if frt else None,
        "resolution_median": statistics.median(durations) if durations else None,
        "breaches": sum(1 for d, m in due if (m is not None and m > d) or (m is None and d < at)),
        "csat": statistics.mean(answered) if answered else None,
    }


def run(name: str, url: str, args: argparse.Namespace) -> list[list[object]]:
    """Load (unless reused) and time one database; rows of the result table."""
    engine = make_engine(url)
    if args.reuse and ticket_count(engine) == args.size:
        print(f"{name}: reusing {args.size:,} tickets (migrating first)", file=sys.stderr)
        began = time.perf_counter()
        migrate(engine)  # a database loaded by an earlier release gets the new KPI tables
        print(f"{name}: migrated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        load_s = None
        if args.rebuild_facts:
            seconds = kpi_data.rebuild_facts(engine)
            print(f"{name}: rebuilt ticket_fact and kpi_hour in {seconds:.0f} s", file=sys.stderr)
    else:
        reset(engine)
        load_s = kpi_data.load(engine, args.size)
    service = KpiService(engine, parse_config(CONFIG), kpi_data.now)
    rows: list[list[object]] = []
    for words in args.ranges.split(","):
        for label, work in answers(service, words):
            work()  # warm caches and the connection pool, as a running bot has them
            samples = timed(work, args.repeat)
            rows.append([name, words, label, statistics.median(samples), p95(samples)])
            print(f"  {name} {words} {label}: p95 {rows[-1][-1]:.0f} ms", file=sys.stderr)
        if not args.no_naive:
            date_range = service.parse_range(words)
            began = time.perf_counter()
            naive_summary(engine, date_range.start, date_range.end, kpi_data.now())
            naive_ms = (time.perf_counter() - began) * 1000
            rows.append([name, words, "naive summary (baseline)", naive_ms, naive_ms])
    engine.dispose()
    if load_s is not None:
        print(f"{name}: loaded {args.size:,} tickets in {load_s:.0f} s", file=sys.stderr)
    return rows


def main() -> None:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="tickets (default 1,000,000)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sqlite-path", default="/tmp/deskbot-kpi-bench.sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per answer")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument(
        "--rebuild-facts", action="store_true", help="with --reuse: recompute ticket_fact"
    )
    parser.add_argument("--ranges", default="30d,365d", help="comma-separated /kpi ranges")
    parser.add_argument("--no-naive", action="store_true", help="skip the baseline")
    args = parser.parse_args()
    urls = {"sqlite": f"sqlite:///{args.sqlite_path}", "postgresql": args.pg_url}
    rows: list[list[object]] = []
    for name in args.databases.split(","):
        rows += run(name, urls[name.strip()], args)
    print(f"\nKPI answers over {args.size:,} tickets ({kpi_data.SPAN_DAYS} days of history), "
          f"{args.repeat} timed runs each; target p95 < {TARGET_MS:.0f} ms\n")  # fmt: skip
    print("| database | range | answer | p50 ms | p95 ms | under target |")
    print("|---|---|---|---:|---:|---|")
    for database, words, label, median, worst in rows:
        flag = "" if "naive" in str(label) else ("yes" if worst < TARGET_MS else "**no**")  # type: ignore[operator]
        print(f"| {database} | {words} | {label} | {median:,.0f} | {worst:,.0f} | {flag} |")


if __name__ == "__main__":
    main()
