"""Keeping `ticket_fact` and `kpi_hour` current: one definition, compiled into triggers.

Every KPI input that belongs to a ticket (first response, resolution, reopenings, agent
replies, handle time, self-service outcome, the grouping columns) is one row of
`ticket_fact`; additive counts by time (created, resolved, messages in and out) are rows
of `kpi_hour`. Database triggers on ticket, message, activity, ticket_pause and
suggestion keep both in the writer's own transaction, whichever code path (or replica,
or ETL tool) writes. The per-ticket row is recomputed from the source tables by the
SELECT below, compiled for each dialect, so the triggers, the migration's backfill and
`backfill()` share one definition. On PostgreSQL the trigger first locks the ticket's
row (FOR NO KEY UPDATE), so two transactions touching one ticket recompute one after the
other, the second from a fresh snapshot that includes the first one's committed rows. A
row lock is kept in the row itself, not in the shared lock table, so one transaction may
touch any number of tickets; inserts that only reference the ticket (FOR KEY SHARE) are
not blocked by it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, literal_column, or_
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from store.fact_models import TicketFact
from store.kpi.queries import frt_days
from store.kpi.sqlfn import epoch
from store.kpi.triggers import csat_rollup, group_rollup, rollup, sla_rollup
from store.kpi.triggers.durations import (
    CLAIM_ACTIONS,
    RESOLVE_ACTIONS,
    business_clock,
    business_seconds,
    calendar_clock,
    handle_seconds,
)
from store.kpi.triggers.rollup import hour_of
from store.models import Activity, AuthorRole, Message, Suggestion, Ticket

FACT_ACTIONS = (*CLAIM_ACTIONS, *RESOLVE_ACTIONS, "reopened")
COLUMNS = [column.name for column in TicketFact.__table__.columns]  # type: ignore[attr-defined]
TICKET_COLUMNS = (
    "created_at", "first_response_at", "first_responder_id", "resolved_at", "reopen_count",
    "status", "priority", "assignee_id", "channel_id", "customer_team_id", "merged_at",
)  # fmt: skip


def merged_moment(row: str) -> str:
    """SQL: when a ticket left the backlog by being merged (NULL: not merged, or it was
    resolved, which counts as `resolved`): kpi_hour's `merged` kind."""
    return f"(CASE WHEN {row}.resolved_at IS NULL THEN {row}.merged_at END)"


def fact_select(name: str, where: Any) -> Any:
    """The `ticket_fact` rows of the tickets matching the SQL condition `where`."""
    ticket = col(Ticket.id)
    resolved = col(Ticket.resolved_at)
    # Agent replies up to the (latest) resolution: a "you're welcome" after it does not
    # make a one-touch ticket two-touch. Roles are the ticket's: its requester is its
    # customer even when an agent (bot/intake/values.py).
    replies = select(func.count()).where(
        col(Message.ticket_id) == ticket,
        col(Message.role) == str(AuthorRole.AGENT),
        col(Message.deleted_at).is_(None),
        or_(resolved.is_(None), col(Message.sent_at) <= resolved),
    )
    # "This solved it" taken back: the customer wrote again after it and the ticket was
    # reopened (and not self-served again since): neither deflected nor self-served. The
    # audit trail is read only for a solved suggestion (a CASE evaluates in order).
    last_of = {
        action: select(func.max(Activity.at))
        .where(col(Activity.ticket_id) == ticket, col(Activity.action) == action)
        .correlate(Ticket)
        .scalar_subquery()
        for action in ("self_served", "reopened")
    }
    outcome = col(Suggestion.outcome)
    suggestion = (
        select(
            case(
                (outcome != "solved", outcome),
                (last_of["reopened"] > last_of["self_served"], literal("taken_back")),
                else_=outcome,
            )
        )
        .where(col(Suggestion.ticket_id) == ticket)
        .limit(1)
        .scalar_subquery()
    )
    article = (
        select(Suggestion.solved_article_id).where(col(Suggestion.ticket_id) == ticket).limit(1)
    )
    values = [
        ticket,
        col(Ticket.created_at),
        col(Ticket.first_response_at),
        resolved,
        col(Ticket.channel_id),
        col(Ticket.customer_team_id),
        col(Ticket.priority),
        col(Ticket.status),
        col(Ticket.assignee_id),
        col(Ticket.first_responder_id),
        epoch(Ticket.first_response_at) - epoch(Ticket.created_at),
        business_seconds(name, col(Ticket.created_at), col(Ticket.first_response_at), Ticket),
        epoch(resolved) - epoch(Ticket.created_at),
        col(Ticket.reopen_count),
        replies.scalar_subquery(),
        handle_seconds(name, calendar_clock),
        suggestion,
        article.scalar_subquery(),
        handle_seconds(name, business_clock),
    ]
    labelled = [value.label(name) for value, name in zip(values, COLUMNS, strict=True)]
    return select(*labelled).where(where)


def compiled(connection: Connection, statement: Any) -> str:
    """SQL text of a statement with its parameters inlined (for trigger bodies)."""
    return str(
        statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )


def refresh_sql(connection: Connection, ticket_id: str, when: str = "1 = 1") -> list[str]:
    """Statements recomputing one ticket's fact row (SQLite triggers; `ticket_id` and
    `when` are SQL text).

    The row before and after are held in two scratch tables for the length of the
    refresh, so each rollup moves only when a column it reads changed: most writes (a
    customer's message, an agent's reply for the groups) move none or few.
    """
    moves, select_sql = refresh_parts(connection, ticket_id, when)
    columns = ", ".join(COLUMNS)
    mine = f"ticket_id = {ticket_id} AND {when}"

    def moved(scratch: str, inputs: tuple[str, ...], row: str = "f") -> str:
        same = " AND ".join(f"s.{column} IS {row}.{column}" for column in inputs)
        return (
            f"NOT EXISTS (SELECT 1 FROM {scratch} s WHERE s.ticket_id = {row}.ticket_id AND {same})"
        )

    return [
        f"INSERT INTO kpi_fact_was ({columns}) SELECT {columns} FROM ticket_fact WHERE {mine}",
        f"INSERT INTO kpi_fact_next ({columns}) {select_sql}",
        *(move.sql(-1, moved("kpi_fact_next", move.inputs)) for move in moves),
        f"DELETE FROM ticket_fact WHERE {mine} "
        f"AND {moved('kpi_fact_next', tuple(COLUMNS), 'ticket_fact')}",
        f"INSERT INTO ticket_fact ({columns}) SELECT {columns} FROM kpi_fact_next n "
        f"WHERE n.{mine} AND NOT EXISTS (SELECT 1 FROM ticket_fact t "
        "WHERE t.ticket_id = n.ticket_id)",
        *(move.sql(1, moved("kpi_fact_was", move.inputs)) for move in moves),
        f"DELETE FROM kpi_fact_was WHERE {mine}",
        f"DELETE FROM kpi_fact_next WHERE {mine}",
    ]


@dataclass(frozen=True)
class RollupMove:
    """How one rollup follows a ticket's fact row (`f`): its statements taking the row's
    contributions out or putting them in, and the fact columns those depend on."""

    add: Callable[[str, str, int], str]
    dialect: str
    mine: str

    def sql(self, sign: int, also: str = "1 = 1") -> str:
        """Take the row out (-1) or put it in (1), where `also` holds."""
        return self.add(self.dialect, f"{self.mine} AND {also}", sign)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The ticket_fact columns the contributions read, the key aside."""
        return tuple(sorted(set(re.findall(r"\bf\.(\w+)", self.sql(1))) - {"ticket_id"}))


def refresh_parts(
    connection: Connection, ticket_id: str, when: str = "1 = 1"
) -> tuple[list[RollupMove], str]:
    """A fact refresh in pieces: how each rollup follows the ticket's fact row, and the
    SELECT of its new row."""
    name = connection.dialect.name
    where = and_(col(Ticket.id) == literal_column(ticket_id), literal_column(when))
    mine = f"f.ticket_id = {ticket_id} AND {when}"
    moves = [
        RollupMove(add, name, mine)
        for add in (
            rollup.add_sql,
            rollup.tag_add_sql,
            group_rollup.add_sql,
            frt_days.version_sql,
        )
    ]
    return moves, compiled(connection, fact_select(name, where))


def message_kind(row: str) -> str:
    """SQL: 'in' for a customer's message, 'out' for an agent's."""
    return f"CASE {row}.role WHEN 'customer' THEN 'in' WHEN 'agent' THEN 'out' END"


def message_counted(row: str) -> str:
    """SQL: whether a message row counts as a message in or out of a ticket."""
    return (
        f"{row}.ticket_id IS NOT NULL AND {row}.deleted_at IS NULL"
        f" AND {row}.role IN ('customer', 'agent')"
    )


def _add_hours(connection: Connection, select_sql: str) -> None:
    connection.exec_driver_sql(
        f"INSERT INTO kpi_hour (hour, kind, n) {select_sql} "
        "ON CONFLICT (hour, kind) DO UPDATE SET n = kpi_hour.n + excluded.n"
    )


def backfill(
    connection: Connection, *, first_id: int | None = None, last_id: int | None = None
) -> int:
    """Recompute the facts (and daily rollups) of tickets with ids in [first_id, last_id]
    and add their hourly counts (for tickets just bulk-loaded).

    Without bounds everything is rebuilt from scratch, the hourly counts included.
    """
    name = connection.dialect.name
    connection.exec_driver_sql("DELETE FROM kpi_frt_day")  # computed from facts rebuilt here
    low = -1 if first_id is None else int(first_id)
    high = 2**62 if last_id is None else int(last_id)
    tickets = f"id >= {low} AND id <= {high}"
    everything = first_id is None and last_id is None
    mine = f"f.ticket_id >= {low} AND f.ticket_id <= {high}"
    if everything:
        rollup.fold(connection, wait=True)  # a folder meanwhile could add rows DELETE misses
        connection.exec_driver_sql("DELETE FROM kpi_hour")
        connection.exec_driver_sql("DELETE FROM kpi_hour_pending")
    else:
        connection.exec_driver_sql(rollup.add_sql(name, mine, -1))
        connection.exec_driver_sql(rollup.tag_add_sql(name, mine, -1))
        connection.exec_driver_sql(group_rollup.add_sql(name, mine, -1))
    connection.exec_driver_sql(
        f"DELETE FROM ticket_fact WHERE ticket_id >= {low} AND ticket_id <= {high}"
    )
    statement = fact_select(name, and_(col(Ticket.id) >= low, col(Ticket.id) <= high))
    result = connection.exec_driver_sql(
        f"INSERT INTO ticket_fact ({', '.join(COLUMNS)}) {compiled(connection, statement)}"
    )
    if everything:
        rollup.rebuild(connection)
        sla_rollup.rebuild(connection)
        group_rollup.rebuild(connection)
    else:
        connection.exec_driver_sql(rollup.add_sql(name, mine, 1))
        connection.exec_driver_sql(rollup.tag_add_sql(name, mine, 1))
        connection.exec_driver_sql(group_rollup.add_sql(name, mine, 1))
        sla_rollup.rebuild(connection, where=f"s.ticket_id >= {low} AND s.ticket_id <= {high}")
        # Claims hang off activity rows, not facts: the loaded tickets' ones are added here.
        connection.exec_driver_sql(
            group_rollup.upsert_sql(
                [group_rollup.claim_sql(name, "a", 1, group_rollup.tickets_where("a", (low, high)))]
            )
        )
    for column, kind in (
        ("created_at", "created"),
        ("resolved_at", "resolved"),
        (merged_moment("ticket"), "merged"),
    ):
        hour = hour_of(name, column)
        _add_hours(
            connection,
            f"SELECT {hour}, '{kind}', count(*) FROM ticket "
            f"WHERE {tickets} AND {column} IS NOT NULL GROUP BY {hour}",
        )
    hour, kind = hour_of(name, "m.sent_at"), message_kind("m")
    _add_hours(
        connection,
        f"SELECT {hour}, {kind}, count(*) FROM message m WHERE {message_counted('m')} "
        f"AND m.ticket_id >= {low} AND m.ticket_id <= {high} GROUP BY {hour}, {kind}",
    )
    surveys = f"c.ticket_id >= {low} AND c.ticket_id <= {high}"
    _add_hours(
        connection,
        f"SELECT h, kind, count(*) FROM ({csat_rollup.expected_sql(name, surveys)}) x "
        "WHERE 1 = 1 GROUP BY h, kind",
    )
    return int(result.rowcount or 0)


def _both_ways(expected: str, stored: str) -> str:
    """CTEs d (expected, not stored) and g (stored, not expected)."""
    return (
        f"d AS (SELECT * FROM {expected} EXCEPT SELECT * FROM {stored}), "
        f"g AS (SELECT * FROM {stored} EXCEPT SELECT * FROM {expected})"
    )


def drift(connection: Connection) -> dict[str, list[Any]]:
    """Rows of ticket_fact and kpi_hour that differ from a recomputation (empty: in step)."""
    name = connection.dialect.name
    every = compiled(connection, fact_select(name, literal(True)))
    stored = f"SELECT {', '.join(COLUMNS)} FROM ticket_fact"
    tickets = connection.exec_driver_sql(
        f"WITH e AS ({every}), f AS ({stored}), "
        f"{_both_ways('e', 'f')} SELECT ticket_id FROM d UNION SELECT ticket_id FROM g ORDER BY 1"
    ).scalars()
    created, resolved, merged, sent = (
        hour_of(name, "created_at"),
        hour_of(name, "resolved_at"),
        hour_of(name, merged_moment("ticket")),
        hour_of(name, "m.sent_at"),
    )
    expected = (
        f"SELECT h, kind, sum(n) AS n FROM ("
        f"SELECT {created} AS h, 'created' AS kind, 1 AS n FROM ticket "
        f"UNION ALL SELECT {resolved}, 'resolved', 1 FROM ticket WHERE resolved_at IS NOT NULL "
        f"UNION ALL SELECT {merged}, 'merged', 1 FROM ticket "
        f"WHERE {merged_moment('ticket')} IS NOT NULL "
        f"UNION ALL SELECT {sent}, {message_kind('m')}, 1 FROM message m "
        f"WHERE {message_counted('m')} UNION ALL {csat_rollup.expected_sql(name)}"
        ") x GROUP BY h, kind"
    )
    hours = connection.exec_driver_sql(
        f"WITH e AS ({expected}), k AS (SELECT * FROM ({rollup.summed_sql('kpi_hour')}) s "
        "WHERE n <> 0), "
        f"{_both_ways('e', 'k')} SELECT h, kind FROM d UNION SELECT hour, kind FROM g "
        "ORDER BY 1, 2"
    ).all()
    days = connection.exec_driver_sql(
        f"WITH e AS ({rollup.expected_sql(name)}), "
        f"k AS (SELECT day, metric, bucket, n, total FROM ({rollup.summed_sql('kpi_day')}) s "
        "WHERE n <> 0), "
        f"{_both_ways('e', 'k')} SELECT day, metric FROM d UNION SELECT day, metric FROM g "
        "ORDER BY 1, 2"
    ).all()
    targets = connection.exec_driver_sql(sla_rollup.drift_sql(name)).all()
    values = " OR ".join(f"{column} <> 0" for column in group_rollup.COLUMNS)
    group_days = connection.exec_driver_sql(
        f"WITH e AS (SELECT * FROM ({group_rollup.expected_sql(name)}) x WHERE {values}), "
        f"k AS (SELECT * FROM ({rollup.summed_sql('kpi_group_day')}) s WHERE {values}), "
        f"{_both_ways('e', 'k')} SELECT dimension, day, grp FROM d "
        "UNION SELECT dimension, day, grp FROM g ORDER BY 1, 2, 3"
    ).all()
    tags = connection.exec_driver_sql(
        f"WITH e AS ({rollup.tag_expected_sql(name)}), "
        f"k AS (SELECT day, tag, n FROM ({rollup.summed_sql('kpi_tag_day')}) s WHERE n <> 0), "
        f"{_both_ways('e', 'k')} SELECT day, tag FROM d UNION SELECT day, tag FROM g ORDER BY 1, 2"
    ).all()
    return {
        "kpi_sla_hour": [tuple(row) for row in targets],
        "kpi_tag_day": [tuple(row) for row in tags],
        "ticket_fact": list(tickets),
        "kpi_hour": [tuple(row) for row in hours],
        "kpi_day": [tuple(row) for row in days],
        "kpi_group_day": [tuple(row) for row in group_days],
    }
