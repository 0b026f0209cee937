"""Per-UTC-day rollups of ticket_fact: counts and duration histograms (kpi_day), type
tags of the tickets created each day (kpi_tag_day).

Each fact row contributes to (day, metric, bucket) rows: durations (first response,
business-hours first response, resolution, handle) by value bucket, with their sum; and
counts (unanswered, shown, solved, reopened, one_touch, self_served) in bucket 0. The
fact triggers subtract a row's old contributions before recomputing it and add the new
ones after, in the same transaction. Readers sum whole days and count the partial days at
a range's edges from ticket_fact itself, so numbers stay exact; a percentile is found by
walking bucket counts, then reading the few values of one bucket in order (an index on
(value, time) per duration).

Buckets are integer-only SQL (identical on SQLite and PostgreSQL): values below 16 are
their own bucket; above, 8 buckets per doubling.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.engine import Connection

from store import statuses

TOP = 40  # buckets reach 2**(TOP + 5) seconds
# ticket_fact.suggestion: the outcome of the articles shown, with "This solved it" taken
# back (the customer wrote again and the ticket was reopened) as `taken_back`.
SHOWN = ("offered", "solved", "need_help", "taken_back")
LIVE_SQL = ", ".join(f"'{status}'" for status in statuses.LIVE)
# metric -> (time column, value column, extra condition): durations, then counts.
DURATIONS = {
    "frt": ("created_at", "frt_seconds"),
    "frt_business": ("created_at", "frt_business_seconds"),
    "resolution": ("resolved_at", "resolution_seconds"),
    "handle": ("resolved_at", "handle_seconds"),
    "handle_business": ("resolved_at", "handle_business_seconds"),
}
_shown = ", ".join(f"'{outcome}'" for outcome in SHOWN)
# The one definition of each count (the team cards read it; breakdowns mirror it in SQL):
# unanswered = still waiting for a first agent reply (live, none yet): not self-served,
# merged or closed ones; one_touch = resolved with exactly one agent reply before the
# resolution, self-served tickets excluded (no agent resolved them).
COUNTS = {
    "unanswered": (
        "created_at",
        "{r}.frt_seconds IS NULL AND {r}.status IN (" + LIVE_SQL + ")",
    ),
    "shown": ("created_at", f"{{r}}.suggestion IN ({_shown})"),
    "solved": ("created_at", "{r}.suggestion = 'solved'"),
    "reopened": ("resolved_at", "{r}.reopen_count > 0"),
    "one_touch": (
        "resolved_at",
        "{r}.agent_replies = 1 AND coalesce({r}.suggestion, '') <> 'solved'",
    ),
    "self_served": ("resolved_at", "{r}.suggestion = 'solved'"),
}


def bucket_sql(value: str) -> str:
    """SQL: the histogram bucket of an integer value."""
    whens = [f"WHEN {value} < 16 THEN {value}"]
    for k in range(TOP):
        low = 2 ** (k + 4)
        whens.append(
            f"WHEN {value} < {2 * low} THEN {16 + 8 * k} + ({value} - {low}) / {2 ** (k + 1)}"
        )
    return f"(CASE {' '.join(whens)} ELSE {16 + 8 * TOP} END)"


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """The smallest and largest value of a bucket (the inverse of bucket_sql)."""
    if bucket < 16:
        return bucket, bucket
    k, j = divmod(bucket - 16, 8)
    if k >= TOP:
        return 2 ** (TOP + 4), 2**62
    low = 2 ** (k + 4) + j * 2 ** (k + 1)
    return low, low + 2 ** (k + 1) - 1


def hour_of(name: str, moment: str) -> str:
    """SQL for the UTC hour a timestamp falls in, stored like the timestamp columns."""
    if name == "sqlite":
        return f"strftime('%Y-%m-%d %H:00:00.000000', {moment})"
    return f"date_trunc('hour', {moment})"


def day_of(name: str, moment: str) -> str:
    """SQL: the UTC day a timestamp falls in, stored like the timestamp columns."""
    if name == "sqlite":
        return f"strftime('%Y-%m-%d 00:00:00.000000', {moment})"
    return f"date_trunc('day', {moment})"


def contributions(name: str, row: str, where: str, sign: int = 1) -> str:
    """SQL: (day, metric, bucket, n, total) of the ticket_fact rows `row` matching `where`."""
    parts = []
    for metric, (moment, value) in DURATIONS.items():
        parts.append(
            f"SELECT {day_of(name, f'{row}.{moment}')} AS day, '{metric}' AS metric, "
            f"{bucket_sql(f'{row}.{value}')} AS bucket, {sign} AS n, "
            f"{sign} * {row}.{value} AS total "
            f"FROM ticket_fact {row} WHERE {where} AND {row}.{moment} IS NOT NULL "
            f"AND {row}.{value} IS NOT NULL"
        )
    for metric, (moment, condition) in COUNTS.items():
        parts.append(
            f"SELECT {day_of(name, f'{row}.{moment}')}, '{metric}', 0, {sign}, 0 "
            f"FROM ticket_fact {row} WHERE {where} AND {row}.{moment} IS NOT NULL "
            f"AND {condition.format(r=row)}"
        )
    return " UNION ALL ".join(parts)


def add_sql(name: str, where: str, sign: int = 1, row: str = "f") -> str:
    """SQL adding (sign 1) or removing (-1) the contributions of matching fact rows."""
    return (
        f"INSERT INTO kpi_day (day, metric, bucket, n, total) "
        f"SELECT day, metric, bucket, sum(n), sum(total) "
        f"FROM ({contributions(name, row, where, sign)}) c "
        "WHERE 1 = 1 GROUP BY day, metric, bucket "
        "ON CONFLICT (metric, day, bucket) DO UPDATE "
        "SET n = kpi_day.n + excluded.n, total = kpi_day.total + excluded.total"
    )


def tag_contributions(name: str, where: str, sign: int = 1) -> str:
    """SQL: (day, tag, n) of the type tags of the fact rows `f` matching `where`."""
    return (
        f"SELECT {day_of(name, 'f.created_at')} AS day, t.tag AS tag, {sign} AS n "
        f"FROM ticket_fact f JOIN ticket_tag t ON t.ticket_id = f.ticket_id WHERE {where}"
    )


def tag_add_sql(name: str, where: str, sign: int = 1) -> str:
    """SQL adding (or removing) the tag counts of matching fact rows."""
    return (
        "INSERT INTO kpi_tag_day (day, tag, n) SELECT day, tag, sum(n) "
        f"FROM ({tag_contributions(name, where, sign)}) c WHERE 1 = 1 GROUP BY day, tag "
        "ON CONFLICT (day, tag) DO UPDATE SET n = kpi_tag_day.n + excluded.n"
    )


def tag_row_sql(name: str, row: str, sign: int) -> str:
    """SQL counting one ticket_tag row (`NEW`/`OLD` in a trigger) in or out."""
    return (
        f"INSERT INTO kpi_tag_day (day, tag, n) SELECT {day_of(name, 'f.created_at')}, "
        f"{row}.tag, {sign} FROM ticket_fact f WHERE f.ticket_id = {row}.ticket_id "
        "ON CONFLICT (day, tag) DO UPDATE SET n = kpi_tag_day.n + excluded.n"
    )


def tag_expected_sql(name: str) -> str:
    """SQL: kpi_tag_day recomputed from ticket_fact and ticket_tag."""
    every = tag_contributions(name, "1 = 1")
    return f"SELECT day, tag, sum(n) AS n FROM ({every}) c GROUP BY day, tag"


def rebuild(connection: Connection, *, metric: str | None = None) -> None:
    """Recompute kpi_day from ticket_fact (one metric, or all).

    The caller keeps fact writers out meanwhile (triggers dropped, or ticket_fact locked):
    the deltas they left pending are already in ticket_fact, so they are dropped too.
    """
    name = connection.dialect.name
    if name == "postgresql":  # a folder running meanwhile could add rows this DELETE misses
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({FOLD_LOCK})")
    if metric is None:
        for table in ("kpi_day", "kpi_day_pending", "kpi_tag_day", "kpi_tag_day_pending"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
        connection.exec_driver_sql(add_sql(name, "1 = 1"))
        connection.exec_driver_sql(tag_add_sql(name, "1 = 1"))
        return
    for table in ("kpi_day", "kpi_day_pending"):
        connection.exec_driver_sql(f"DELETE FROM {table} WHERE metric = '{metric}'")
    connection.exec_driver_sql(
        f"INSERT INTO kpi_day (day, metric, bucket, n, total) SELECT day, metric, bucket, "
        f"sum(n), sum(total) FROM ({contributions(name, 'f', '1 = 1')}) c "
        f"WHERE metric = '{metric}' GROUP BY day, metric, bucket"
    )


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """[first, last): the whole UTC days inside [start, end), if any."""
    floor = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = floor if floor == start else floor + timedelta(days=1)
    last = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


def expected_sql(name: str) -> str:
    """SQL: kpi_day as recomputed from ticket_fact (for drift checks)."""
    return (
        f"SELECT day, metric, bucket, sum(n) AS n, sum(total) AS total "
        f"FROM ({contributions(name, 'f', '1 = 1')}) c GROUP BY day, metric, bucket"
    )


# PostgreSQL: triggers never update a counter row. Two transactions adding to the same
# hot rows (this hour's `created` and `in`, today's buckets) would otherwise wait on each
# other until commit (or deadlock, adding in different orders). Triggers append deltas to
# an unconstrained, unindexed *_pending twin instead: an append takes no row lock and two
# appends never conflict, so the deltas commute. Readers sum a counter and its twin in one
# statement (`live`), which is exact at any moment; `fold` moves committed deltas into the
# counters now and then, in one statement per table, so a reader's snapshot sees each
# delta exactly once (before the fold's commit in the twin, after it in the counter).
COUNTERS = {
    "kpi_hour": ("hour, kind", "n"),
    "kpi_day": ("metric, day, bucket", "n, total"),
    "kpi_tag_day": ("day, tag", "n"),
    "kpi_sla_hour": ("hour, target", "due, ok, late, open"),
    "kpi_group_day": (
        "dimension, day, grp",
        "created, resolved, frt_n, frt_s, frtb_n, frtb_s, handle_n, handle_s, csat_asked, "
        "csat_answered, csat_stars, sla_due, sla_ok, sla_late, sla_open, claims",
    ),
    "kpi_frt_version": ("hour", "n"),
}
FOLD_LOCK = 0x6B70666C  # one advisory lock (not one per row) for folders ("kpfl")


def pending(sql: str) -> str:
    """A counter upsert made an append to the counter's pending twin (PostgreSQL triggers)."""
    for table in COUNTERS:
        sql = sql.replace(f"INSERT INTO {table} (", f"INSERT INTO {table}_pending (")
    return sql.split(" ON CONFLICT ")[0]


def install_counter_triggers(
    connection: Connection,
    *,
    table: str,
    trigger: str,
    function: str,
    update_of: str,
    changes: Callable[[str, str, int], list[str]],
) -> None:
    """Create triggers on `table` that keep counters: `changes(dialect, row, delta)` gives
    the counter upserts of one row (OLD subtracted, NEW added; pending twins on PostgreSQL)."""
    drop_counter_triggers(connection, table=table, trigger=trigger)
    name = connection.dialect.name
    if name == "postgresql":
        old = "\n    ".join(f"{pending(s)};" for s in changes(name, "OLD", -1))
        new = "\n    ".join(f"{pending(s)};" for s in changes(name, "NEW", 1))
        connection.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  IF TG_OP <> 'INSERT' THEN\n    {old}\n  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {new}\n  END IF;\n  RETURN NULL;\nEND $$"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR DELETE OR UPDATE OF {update_of} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        return
    events = {
        "insert": ("INSERT", changes(name, "NEW", 1)),
        "update": (f"UPDATE OF {update_of}", changes(name, "OLD", -1) + changes(name, "NEW", 1)),
        "delete": ("DELETE", changes(name, "OLD", -1)),
    }
    for event, (when, statements) in events.items():
        body = "".join(f"  {statement};\n" for statement in statements)
        connection.exec_driver_sql(
            f"CREATE TRIGGER {trigger}_{event} AFTER {when} ON {table} FOR EACH ROW "
            f"BEGIN\n{body}END"
        )


def drop_counter_triggers(connection: Connection, *, table: str, trigger: str) -> None:
    """Remove the triggers `install_counter_triggers` made."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        return
    for event in ("insert", "update", "delete"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}_{event}")


def edges_outside(
    start: datetime, end: datetime, whole: tuple[datetime, datetime] | None
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that the `whole` hours or days leave out (all of it if None)."""
    if whole is None:
        return [(start, end)]
    return [(low, high) for low, high in ((start, whole[0]), (whole[1], end)) if low < high]


def live_sums(
    session: Any,
    model: Any,
    *,
    key: str,
    keys: tuple[str, ...],
    at: str,
    whole: tuple[datetime, datetime],
) -> dict[str, int]:
    """Sum of `n` per `key` value in `keys`, over the counter rows whose `at` lies in `whole`."""
    rows = live(session, model).c
    statement = (
        select(rows[key], func.sum(rows.n))
        .where(rows[key].in_(keys), rows[at] >= whole[0], rows[at] < whole[1])
        .group_by(rows[key])
    )
    return {found: int(n or 0) for found, n in session.execute(statement)}


def live(session: Any, model: Any) -> Any:
    """The rows of a counter table plus its pending deltas (PostgreSQL), as one selectable
    with the table's columns; the table itself on SQLite, whose triggers add in place."""
    table = model.__table__
    if session.get_bind().dialect.name != "postgresql":
        return table
    twin = table.metadata.tables[f"{table.name}_pending"]
    names = [column.name for column in table.columns]
    both = union_all(
        select(*(table.c[name] for name in names)), select(*(twin.c[name] for name in names))
    )
    return both.subquery(f"{table.name}_live")


def fold_sql(table: str) -> str:
    """PostgreSQL: move a counter's committed pending deltas into it, in one statement."""
    keys, values = COUNTERS[table]
    sums = ", ".join(f"sum({value})" for value in values.split(", "))
    updates = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values.split(", "))
    return (
        f"WITH moved AS (DELETE FROM {table}_pending RETURNING {keys}, {values}) "
        f"INSERT INTO {table} ({keys}, {values}) SELECT {keys}, {sums} FROM moved "
        f"GROUP BY {keys} ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def fold(connection: Connection, *, wait: bool = False) -> bool:
    """Fold the pending deltas into the counters (PostgreSQL; a no-op on SQLite).

    One folder at a time (a single transaction-scoped advisory lock); without `wait`,
    returns False at once when another one is folding. Writers are never blocked.
    """
    if connection.dialect.name != "postgresql":
        return True
    take = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = connection.exec_driver_sql(f"SELECT {take}({FOLD_LOCK})").scalar()
    if got is False:
        return False
    for table in COUNTERS:
        connection.exec_driver_sql(fold_sql(table))
    return True


def summed_sql(table: str) -> str:
    """SQL: a counter's rows with its pending deltas added (drift checks, both dialects)."""
    keys, values = COUNTERS[table]
    sums = ", ".join(f"sum({value}) AS {value}" for value in values.split(", "))
    return (
        f"SELECT {keys}, {sums} FROM (SELECT {keys}, {values} FROM {table} UNION ALL "
        f"SELECT {keys}, {values} FROM {table}_pending) x GROUP BY {keys}"
    )
