"""Synthetic support history for the KPI benchmark: N tickets over two years, bulk-inserted.

Each ticket gets its thread (customer question, agent replies, sometimes a follow-up),
audit rows (claim, resolve, sometimes reopen), SLA targets, a type tag, and sometimes a
bug link, a pause, a CSAT answer and a self-service suggestion. Rows go in with raw
executemany (SQLite) or COPY (PostgreSQL), 20,000 tickets a batch, with progress on stderr.
"""

import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from store.kpi.triggers import fact_triggers, facts

SPAN_DAYS = 730
END = datetime(2026, 11, 20, tzinfo=UTC)
BATCH = 20_000
ORGS, AGENTS, TYPES, BUGS = 300, 25, 40, 800
PRIORITIES = ("urgent", "high", "normal", "normal", "normal", "low")

TABLES: dict[str, tuple[str, ...]] = {
    "ticket": ("id", "workspace_id", "number", "channel_id", "root_ts", "customer_id",
               "customer_team_id", "is_external", "subject", "status", "priority",
               "assignee_id", "created_at", "first_response_at", "first_responder_id",
               "resolved_at", "reopen_count", "updated_at"),
    "message": ("ticket_id", "channel_id", "ts", "thread_ts", "user_id", "role", "text", "sent_at"),
    "activity": ("ticket_id", "actor_id", "action", "at"),
    "sla_target": ("ticket_id", "target", "cycle", "policy", "business_hours", "due_at", "met_at"),
    "ticket_tag": ("ticket_id", "tag"),
    "ticket_link": ("ticket_id", "ref"),
    "ticket_pause": ("ticket_id", "started_at", "ended_at"),
    "csat_survey": ("ticket_id", "customer_id", "channel_id", "asked_at", "rating", "comment",
                    "answered_at"),
    "suggestion": ("ticket_id", "question", "lang", "outcome", "solved_article_id", "offered_at"),
}  # fmt: skip

_DAY_TEXT: dict[int, str] = {}
_TIME_TEXT = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86400)]


def stamp(epoch: int | None) -> str | None:
    """Epoch seconds as the naive-UTC text both databases store and compare."""
    if epoch is None:
        return None
    day, second = divmod(epoch, 86400)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
    return text + _TIME_TEXT[second]


def tickets(size: int, seed: int = 7) -> Iterator[dict[str, list[tuple]]]:
    """Batches of rows per table for `size` tickets, oldest first."""
    rng = random.Random(seed)
    end = int(END.timestamp())
    start = end - SPAN_DAYS * 86400
    step = (end - start) / size
    batch: dict[str, list[tuple]] = {name: [] for name in TABLES}
    for index in range(size):
        ticket_id = index + 1
        created = int(start + index * step + rng.random() * step)
        org = rng.randrange(ORGS)
        team, channel, customer = f"T0ORG{org:04d}", f"C0ORG{org:04d}", f"UC{org:04d}{index % 7}"
        agent = f"UAGENT{rng.randrange(AGENTS):02d}"
        answered = created + int(rng.expovariate(1 / 7200)) + 30 if rng.random() < 0.93 else None
        age = end - created
        resolved = None
        if answered is not None and rng.random() < (0.97 if age > 7 * 86400 else 0.5):
            resolved = answered + int(rng.expovariate(1 / 72000)) + 60
            if resolved > end:
                resolved = None
        reopened = resolved is not None and rng.random() < 0.05
        status = "resolved" if resolved else ("open" if answered else "new")
        rows = batch
        rows["ticket"].append((
            ticket_id, "T0HOME", ticket_id, channel, f"{created}.{index % 1000000:06d}", customer,
            team, True, "question", status, rng.choice(PRIORITIES),
            agent if answered else None, stamp(created), stamp(answered),
            agent if answered else None, stamp(resolved), 1 if reopened else 0, stamp(created),
        ))  # fmt: skip
        ts = f"{created}.{index % 1000000:06d}"
        rows["message"].append(
            (ticket_id, channel, ts, ts, customer, "customer", "q", stamp(created))
        )
        if rng.random() < 0.4:
            follow = created + rng.randrange(60, 3600)
            rows["message"].append((ticket_id, channel, f"{follow}.{index % 1000000:06d}1", ts,
                                    customer, "customer", "f", stamp(follow)))  # fmt: skip
        rows["activity"].append((ticket_id, customer, "created", stamp(created)))
        rows["sla_target"].append((ticket_id, "first_response", "1", "std", False,
                                   stamp(created + 4 * 3600), stamp(answered)))  # fmt: skip
        rows["sla_target"].append((ticket_id, "resolution", "1", "std", False,
                                   stamp(created + 3 * 86400), stamp(resolved)))  # fmt: skip
        rows["ticket_tag"].append((ticket_id, f"type-{min(int(rng.expovariate(0.15)), TYPES)}"))
        if rng.random() < 0.2:
            rows["ticket_link"].append((ticket_id, f"BUG-{int(rng.expovariate(0.01)) % BUGS}"))
        if rng.random() < 0.5:
            outcome = rng.choice(("offered", "solved", "need_help", "none", "need_help"))
            article = f"article-{rng.randrange(60)}" if outcome == "solved" else None
            rows["suggestion"].append((ticket_id, "q", "en", outcome, article, stamp(created)))
        if answered is not None:
            rows["activity"].append((ticket_id, agent, "claimed", stamp(answered - 60)))
            rows["message"].append((ticket_id, channel, f"{answered}.{index % 1000000:06d}2", ts,
                                    agent, "agent", "a", stamp(answered)))  # fmt: skip
        if resolved is not None:
            rows["activity"].append((ticket_id, agent, "resolved", stamp(resolved)))
            if reopened:
                rows["activity"].append((ticket_id, customer, "reopened", stamp(resolved - 30)))
            if rng.random() < 0.1:
                paused = answered + 60  # type: ignore[operator]
                rows["ticket_pause"].append(
                    (ticket_id, stamp(paused), stamp(min(paused + 3600, resolved)))
                )
            if rng.random() < 0.3:
                rating = rng.choice((5, 5, 4, 4, 3, 2, 1, None, None))
                rows["csat_survey"].append((
                    ticket_id, customer, channel, stamp(resolved), rating,
                    "thanks" if rating and rng.random() < 0.2 else None,
                    stamp(resolved + 600) if rating else None,
                ))  # fmt: skip
        if ticket_id % BATCH == 0 or ticket_id == size:
            yield batch
            batch = {name: [] for name in TABLES}


def load(engine: Engine, size: int) -> float:
    """Insert the synthetic history; returns seconds taken.

    The fact triggers are dropped for the bulk load; each batch's ticket_fact rows and
    hourly counts are then filled by the same SQL the migration's backfill uses, and the
    triggers are put back at the end.
    """
    began = time.perf_counter()
    with engine.begin() as connection:
        fact_triggers.drop(connection)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        if not postgres:
            cursor.execute("PRAGMA synchronous=OFF")
        done = 0
        for batch in tickets(size):
            if not postgres:
                cursor.execute("BEGIN")
            for table, rows in batch.items():
                if not rows:
                    continue
                columns = TABLES[table]
                if postgres:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" for _ in columns)
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                    )
            raw.commit()
            with engine.begin() as connection:
                facts.backfill(connection, first_id=done + 1, last_id=done + len(batch["ticket"]))
            done += len(batch["ticket"])
            rate = done / (time.perf_counter() - began)
            print(f"\r  {engine.dialect.name}: {done:,}/{size:,} tickets ({rate:,.0f}/s)",
                  end="", file=sys.stderr, flush=True)  # fmt: skip
        print(file=sys.stderr)
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        fact_triggers.install(connection)
    settle(engine)
    return time.perf_counter() - began


def settle(engine: Engine) -> None:
    """What a running database does by itself soon after: statistics, visibility (VACUUM)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        )


def rebuild_facts(engine: Engine) -> float:
    """Recompute ticket_fact and kpi_hour of a loaded database (after changing their SQL)."""
    began = time.perf_counter()
    with engine.begin() as connection:
        fact_triggers.drop(connection)
        facts.backfill(connection)
        fact_triggers.install(connection)
    settle(engine)
    return time.perf_counter() - began


def now() -> datetime:
    """The moment the benchmark asks its questions (the end of the history)."""
    return END - timedelta(seconds=1)
