"""Likely-duplicate scan speed: does opening a ticket stay fast as the desk grows?

A synthetic desk (seeded, so every run is the same) of live tickets spread evenly over
the last 60 days, their questions drawn from 400 support topics with varied wording. For
each size, new tickets are scanned the way intake does it (`DuplicateFinder.scan`: live
tickets of the last 7 days, at most 500, native pre-filter, then the mean score).
The baseline is the same scorer over every live ticket in the database (no window, no
cap), measured in the same run on the same data.

    python bench/duplicates.py [--sizes 1000,10000,30000] [--scans 30] [--database URL]

Target on a 2-core machine: p95 under 50 ms whatever the desk size.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from bot.tickets import duplicates  # noqa: E402
from bot.tickets.duplicates import DuplicateFinder  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402
from store.models import Message, Ticket  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUBJECTS = [
    "export",
    "import",
    "login",
    "webhook",
    "invoice",
    "report",
    "dashboard",
    "sync",
    "upload",
    "search",
]
PROBLEMS = [
    "fails",
    "stopped",
    "is-slow",
    "times-out",
    "shows-an-error",
    "is-blank",
    "crashes",
    "loops",
]
PLACES = ["since this morning", "after the update", "for every user", "on mobile", "in Firefox"]
FILLER = ["our", "the", "team", "again", "today", "please", "help", "urgent", "hi", "all"]


def question(rng: random.Random, topic: int) -> str:
    """A support question about one of 400 topics, worded a little differently each time."""
    subject = SUBJECTS[topic % len(SUBJECTS)]
    problem = PROBLEMS[(topic // len(SUBJECTS)) % len(PROBLEMS)].replace("-", " ")
    place = PLACES[(topic // 80) % len(PLACES)]
    words = [subject, problem, place, f"code {topic}"]
    words += rng.sample(FILLER, rng.randint(0, 3))
    rng.shuffle(words)
    return " ".join(words)


def fill(engine, size: int, rng: random.Random) -> None:
    """`size` live tickets over the last 60 days, each with its root message."""
    tickets, messages = [], []
    for n in range(1, size + 1):
        created = NOW - timedelta(days=60) * (1 - n / size)
        ts = f"{1_700_000_000 + n}.000000"
        tickets.append(
            {
                "id": n,
                "workspace_id": "T0HOME",
                "number": n,
                "channel_id": "C0HELP",
                "root_ts": ts,
                "customer_id": "UCUST",
                "customer_team_id": f"T0ORG{n % 50}",
                "is_external": True,
                "subject": "s",
                "status": "new",
                "priority": "normal",
                "created_at": created,
                "updated_at": created,
                "reopen_count": 0,
            }
        )
        messages.append(
            {
                "ticket_id": n,
                "channel_id": "C0HELP",
                "ts": ts,
                "user_id": "UCUST",
                "role": "customer",
                "text": question(rng, rng.randrange(400)),
                "files": [],
                "sent_at": created,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Ticket), tickets)
        connection.execute(insert(Message), messages)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # planner statistics, as a live database has


def reset(engine) -> None:
    """Empty every table."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


def time_scans(finder: DuplicateFinder, engine, size: int, scans: int, rng) -> list[float]:
    """Milliseconds per scan of the newest tickets' questions."""
    from sqlmodel import Session

    times = []
    with Session(engine) as session:
        newest = [session.get(Ticket, size - n) for n in range(scans)]
        bodies = {
            t.id: session.exec(
                text("SELECT text FROM message WHERE ticket_id = :id"), params={"id": t.id}
            ).scalar_one()
            for t in newest
            if t is not None
        }
    for ticket in newest:
        assert ticket is not None and ticket.id is not None
        started = time.perf_counter()
        finder.scan(ticket, bodies[ticket.id])
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    """Fill desks of each size, time the scans, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,30000")
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--database", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        rng = random.Random(size)
        reset(engine)
        print(f"  filling {size} tickets...", file=sys.stderr)
        fill(engine, size, rng)
        finder = DuplicateFinder(engine, lambda: NOW)
        ours = time_scans(finder, engine, size, args.scans, rng)
        window, cap = duplicates.DUPLICATE_WINDOW, duplicates.MAX_CANDIDATES
        duplicates.DUPLICATE_WINDOW, duplicates.MAX_CANDIDATES = timedelta(days=3650), 10**9
        try:
            base = time_scans(finder, engine, size, args.scans, rng)
        finally:
            duplicates.DUPLICATE_WINDOW, duplicates.MAX_CANDIDATES = window, cap
        rows.append((size, ours, base))
        print(f"  {size}: done", file=sys.stderr)
    print(f"\nDatabase: {engine.dialect.name}; {args.scans} scans per size\n")
    print("| live tickets | deskbot p50 ms | deskbot p95 ms | every ticket p50 ms | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    for size, ours, base in rows:
        speedup = statistics.median(base) / statistics.median(ours)
        print(
            f"| {size} | {statistics.median(ours):.1f} | {p95(ours):.1f} | "
            f"{statistics.median(base):.1f} | {speedup:.1f}x |"
        )
    worst = max(p95(ours) for _, ours, _ in rows)
    verdict = "met" if worst < 50 else "MISSED"
    print(f"\nscan p95 at most {worst:.1f} ms at any size (target < 50 ms: {verdict})")


if __name__ == "__main__":
    main()
