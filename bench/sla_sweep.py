"""SLA sweep benchmark: one full sweep over 100k open tickets of which 10k are due.

Half the tickets fall under a business-hours policy (Europe/Berlin), half calendar time.

For SQLite and PostgreSQL it seeds the tickets with bulk inserts (progress on stderr),
then times, in the same run:

- naive (baseline): load every open ticket into Python and check each one's SLA alerts;
- sweep plan: `SlaSweeper`'s plan phase as `deskbot run` does it (indexed range scan of
  `sla_schedule` with SKIP LOCKED, batches of 5,000, one statement per batch writing the
  outbox rows, leased to this sweeper, and the schedule's next alert times);
- sweep deliver: the planned rows plus any other due ones (leased with SKIP LOCKED), one
  digest per recipient, marking them sent, against a Slack stand-in that answers
  instantly (no network in the number).

It prints the query plan of the sweep's ticket query, showing the index in use.

    python bench/sla_sweep.py [--tickets 100000] [--due 10000] [--databases sqlite,postgresql]
        [--pg-url URL]   (or SLA_BENCH_PG_URL; default the test_sla database)

Target: a sweep (plan + deliver) under 1 s.
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import parse_config  # noqa: E402
from bot.sla.planner import SlaPlanner  # noqa: E402
from bot.sla.sweeper import PLAN_BATCH, Delivery, SlaSweeper  # noqa: E402
from store import sla  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402
from store.models import SlaNotification, SlaSchedule, Ticket, TicketPause  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_sla"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DESK = parse_config(
    {
        "leads_channel": "C0LEADS",
        "triage_channel": "C0TRIAGE",
        "business_hours": {"timezone": "Europe/Berlin", "holidays": ["2026-12-24"]},
        "sla_policies": [
            {
                "name": "business",
                "priorities": ["high"],
                "first_response": "4h",
                "resolution": "3d",
                "business_hours": True,
            },
            {"name": "standard", "first_response": "1h", "resolution": "3d"},
        ],
        "nudges": {"warn_at": 0.75, "escalate_after": ["2h"]},
    }
)
CHUNK = 10_000


def progress(message: str) -> None:
    """One line of progress on stderr, overwritten in place."""
    print(f"\r  {message:<60}", end="", file=sys.stderr, flush=True)


def fresh_engine(database: str, pg_url: str, workdir: Path) -> Engine:
    """An empty, migrated database."""
    url = f"sqlite:///{workdir / 'sweep.db'}" if database == "sqlite" else pg_url
    engine = make_engine(url)
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)
    return engine


def ticket_row(n: int, due: bool) -> dict[str, Any]:
    """A live ticket: due ones breached their first response; the rest are far off."""
    business = (n // 10) % 2 == 0  # half the tickets (and half the due ones): Berlin hours
    if due:
        created = NOW - (timedelta(days=3) if business else timedelta(hours=2))
    else:
        created = NOW - timedelta(minutes=n % 30)
    return {
        "workspace_id": "T0HOME",
        "number": n,
        "channel_id": "C0HELP",
        "root_ts": f"{1_700_000_000 + n}.000100",
        "customer_id": "UCUST1",
        "customer_team_id": "T0ACME",
        "is_external": True,
        "subject": f"Question {n}",
        "status": "new" if n % 3 else "open",
        "priority": "high" if business else "normal",
        "assignee_id": None if n % 3 else "UAGENT1",
        "created_at": created,
        "updated_at": created,
        "reopen_count": 0,
        "sla_policy": "business" if business else "standard",
        "first_response_due_at": created + timedelta(hours=1),
        "resolution_due_at": created + timedelta(days=3),
    }


def schedule_row(n: int, due: bool) -> dict[str, Any]:
    """The sweep schedule of ticket n: due ones owe an alert now."""
    created = ticket_row(n, due)["created_at"]
    alert = created + timedelta(minutes=45) if due else NOW + timedelta(days=1, seconds=n)
    return {"ticket_id": n, "alert_at": alert}


def seed(engine: Engine, tickets: int, due: int) -> None:
    """Bulk-insert the tickets (every tenth due one had a closed pause) and analyse."""
    due_every = max(tickets // due, 1)
    with engine.begin() as connection:
        for start in range(1, tickets + 1, CHUNK):
            numbers = range(start, min(start + CHUNK, tickets + 1))
            connection.execute(insert(Ticket), [ticket_row(n, n % due_every == 0) for n in numbers])
            connection.execute(
                insert(SlaSchedule), [schedule_row(n, n % due_every == 0) for n in numbers]
            )
            progress(f"seeding tickets {numbers[-1]:>7}/{tickets}")
        pauses = [
            {
                "ticket_id": n,
                "started_at": NOW - timedelta(hours=2),
                "ended_at": NOW - timedelta(hours=1, minutes=55),
            }
            for n in range(due_every, tickets + 1, due_every * 10)
        ]
        connection.execute(insert(TicketPause), pauses)
        connection.execute(text("ANALYZE"))
    progress(f"seeded {tickets} tickets, {due} due, {len(pauses)} pauses")
    print(file=sys.stderr)


def naive(engine: Engine, planner: SlaPlanner) -> int:
    """Baseline: every open ticket into Python, each checked; how many owe an alert."""
    with Session(engine) as session:
        tickets = session.exec(
            select(Ticket).where(col(Ticket.status).in_(["new", "open", "pending"]))
        ).all()
        pauses = sla.pauses_by_ticket(session, ticket_ids=[t.id for t in tickets if t.id])
        return sum(
            1
            for ticket in tickets
            if any(a.at <= NOW for a in planner.alerts(ticket, pauses.get(ticket.id or 0, [])))
        )


def query_plan(engine: Engine) -> list[str]:
    """EXPLAIN (QUERY PLAN) of the sweep's own ticket query, as the sweep sends it."""
    postgres = engine.dialect.name == "postgresql"
    statement = sla.owing_alerts_statement(now=NOW, limit=PLAN_BATCH, postgres=postgres)
    compiled = statement.compile(engine)
    params = {
        key: value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value
        for key, value in compiled.params.items()
    }
    bound: Any = (
        tuple(params[key] for key in compiled.positiontup or ()) if compiled.positional else params
    )
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + str(compiled), bound).all()
    return [" | ".join(str(v) for v in row) for row in rows]


def run(database: str, args: argparse.Namespace, workdir: Path) -> list[tuple[str, ...]]:
    """Seed one database and time the baseline and the sweep on it."""
    print(f"{database}:", file=sys.stderr)
    engine = fresh_engine(database, args.pg_url, workdir)
    seed(engine, args.tickets, args.due)
    planner = SlaPlanner(DESK, lambda: NOW)
    sweeper = SlaSweeper(engine, planner, DESK, lambda: NOW, send=lambda _to, _text: Delivery.SENT)

    progress("naive: loading every open ticket")
    found, naive_t = timed(lambda: naive(engine, planner))
    progress("sweep: plan")
    leased, plan_t = timed(lambda: sweeper._plan(NOW))
    planned = len(leased)
    progress("sweep: deliver")
    (sent, failed), deliver_t = timed(lambda: sweeper._deliver(NOW, leased))
    print(file=sys.stderr)
    with Session(engine) as session:
        rows = len(session.exec(select(SlaNotification.id)).all())
    assert found == args.due == planned == rows == sent and failed == 0, (found, planned, sent)

    print(f"\nquery plan ({database}): sweep's ticket query")
    for line in query_plan(engine):
        print(f"  {line}")
    engine.dispose()
    size = f"{args.tickets // 1000}k/{args.due // 1000}k"
    total = (plan_t[0] + deliver_t[0], plan_t[1] + deliver_t[1])
    return [
        (database, "naive: every open ticket in Python", size, *cells(naive_t), str(found), ""),
        (database, "sweep: plan (outbox rows)", size, *cells(plan_t), str(planned), ""),
        (database, "sweep: deliver (instant Slack)", size, *cells(deliver_t), str(sent), ""),
        (
            database,
            "sweep: plan + deliver",
            size,
            *cells(total),
            str(planned),
            f"{naive_t[0] / total[0]:.1f}x faster than naive",
        ),
    ]


def timed(work: Callable[[], Any]) -> tuple[Any, tuple[float, float]]:
    """Run `work`; its result, and (wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def cells(times: tuple[float, float]) -> tuple[str, str]:
    """Wall and CPU seconds as table cells."""
    return f"{times[0]:.3f}", f"{times[1]:.3f}"


def main() -> None:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("SLA_BENCH_PG_URL", DEFAULT_PG_URL), help="PostgreSQL"
    )
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as workdir:
        for database in args.databases.split(","):
            rows.extend(run(database.strip(), args, Path(workdir)))
    header = ("database", "what", "open/due", "wall s", "cpu s", "tickets", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print("\ntarget: sweep (plan + deliver) under 1 s wall; cpu s is this process only")
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared machines inflate wall)")


if __name__ == "__main__":
    main()
