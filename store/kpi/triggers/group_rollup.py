"""Per-group daily totals for breakdowns (kpi_group_day): by agent, channel, org, type, priority.

One row per (dimension, group, UTC day) holds additive totals only: tickets created and
resolved, first response (calendar and business hours) and handle time as count and sum,
CSAT surveys asked, answered and their stars, SLA targets due, met in time, late and
still open, and an agent's claims. Additive totals stay exact over any range: a reader
sums whole days and counts the partial days at a range's edges from the source rows
with the same SQL (`parts`). Percentiles do not add up, which is why breakdowns show
averages; team-wide cards keep medians and p90 (kpi_day's histograms).

A ticket's rows depend on its fact row (which groups it is in, its durations), its type
tags, its CSAT survey and its SLA targets; whichever of those changes, its trigger takes
the old contributions out and puts the new ones in, in the writer's transaction. On
PostgreSQL every such trigger first locks the ticket's row, like the fact refresh, so
two writers to one ticket never attribute its rows to groups the other is changing.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from store.kpi.triggers.rollup import (
    FOLD_LOCK,
    day_of,
    drop_counter_triggers,
    install_counter_triggers,
)

COLUMNS = (
    "created", "resolved", "frt_n", "frt_s", "frtb_n", "frtb_s", "handle_n", "handle_s",
    "csat_asked", "csat_answered", "csat_stars", "sla_due", "sla_ok", "sla_late", "sla_open",
    "claims",
)  # fmt: skip
KEYS = "dimension, day, grp"
UNASSIGNED = ""  # the agent group of tickets nobody holds, so agents' rows add up to the team
DIMENSIONS = {
    "agent": f"coalesce(f.assignee_id, '{UNASSIGNED}')",
    "channel": "f.channel_id",
    "org": "f.customer_team_id",
    "priority": "f.priority",
    "type": "t.tag",
}
TAGS = "JOIN ticket_tag t ON t.ticket_id = f.ticket_id"


def _flag(condition: str, sign: int) -> str:
    return f"CASE WHEN {condition} THEN {sign} ELSE 0 END"


@dataclass(frozen=True)
class Part:
    """One kind of contribution: rows of `source` (with the ticket's fact `f`) add `values`
    to the day of `moment`, for the group `group` (None: the dimension's own column)."""

    moment: str
    values: dict[str, str]
    source: str = "ticket_fact f"
    where: str = "1 = 1"
    group: str | None = None


def fact_parts(sign: int, *, responder: bool) -> list[Part]:
    """What a ticket's fact row adds: created (and first response), resolved (and handle).

    An agent's first response counts for whoever answered first (`responder` parts), every
    other number for the ticket's assignee.
    """
    frt = {
        "frt_n": _flag("f.frt_seconds IS NOT NULL", sign),
        "frt_s": f"{sign} * coalesce(f.frt_seconds, 0)",
        "frtb_n": _flag("f.frt_business_seconds IS NOT NULL", sign),
        "frtb_s": f"{sign} * coalesce(f.frt_business_seconds, 0)",
    }
    created = Part("f.created_at", {"created": str(sign), **({} if responder else frt)})
    resolved = Part(
        "f.resolved_at",
        {
            "resolved": str(sign),
            "handle_n": _flag("f.handle_seconds IS NOT NULL", sign),
            "handle_s": f"{sign} * coalesce(f.handle_seconds, 0)",
        },
    )
    parts = [created, resolved]
    if responder:
        parts.append(
            Part(
                "f.created_at", frt, where="f.frt_seconds IS NOT NULL", group="f.first_responder_id"
            )
        )
    return parts


def csat_part(sign: int, row: str = "c", *, joined: bool = True) -> Part:
    """What a CSAT survey (`row`) adds on the day it was asked."""
    return Part(
        f"{row}.asked_at",
        {
            "csat_asked": str(sign),
            "csat_answered": _flag(f"{row}.rating IS NOT NULL", sign),
            "csat_stars": f"{sign} * coalesce({row}.rating, 0)",
        },
        source="ticket_fact f JOIN csat_survey c ON c.ticket_id = f.ticket_id"
        if joined
        else "ticket_fact f",
        where="1 = 1" if joined else f"f.ticket_id = {row}.ticket_id",
    )


def sla_part(sign: int, row: str = "s", *, joined: bool = True, now: str | None = None) -> Part:
    """What an SLA target (`row`) adds on the day it falls due. `open` counts unmet targets;
    with `now`, only those past due by then (breached), for reads of partial days."""
    unmet = f"{row}.met_at IS NULL" + (f" AND {row}.due_at < {now}" if now else "")
    return Part(
        f"{row}.due_at",
        {
            "sla_due": str(sign),
            "sla_ok": _flag(f"{row}.met_at IS NOT NULL AND {row}.met_at <= {row}.due_at", sign),
            "sla_late": _flag(f"{row}.met_at > {row}.due_at", sign),
            "sla_open": _flag(unmet, sign),
        },
        source="ticket_fact f JOIN sla_target s ON s.ticket_id = f.ticket_id"
        if joined
        else "ticket_fact f",
        where="1 = 1" if joined else f"f.ticket_id = {row}.ticket_id",
    )


def ticket_parts(sign: int, *, responder: bool, now: str | None = None) -> list[Part]:
    """Every contribution that hangs off a ticket's fact row."""
    return [
        *fact_parts(sign, responder=responder),
        csat_part(sign),
        sla_part(sign, now=now),
    ]


def select_sql(name: str, dimension: str, part: Part, where: str, tag: str | None = None) -> str:
    """SQL: (dimension, day, grp, COLUMNS...) of one part for one dimension.

    `tag` (type only): the tag's SQL for rows of one ticket_tag row, instead of joining them.
    """
    group = part.group or (tag if tag else DIMENSIONS[dimension])
    source = part.source
    if dimension == "type" and tag is None:
        source = f"{source} {TAGS}"
    values = ", ".join(f"{part.values.get(column, '0')} AS {column}" for column in COLUMNS)
    return (
        f"SELECT '{dimension}' AS dimension, {day_of(name, part.moment)} AS day, "
        f"{group} AS grp, {values} FROM {source} WHERE {where} AND {part.where} "
        f"AND {part.moment} IS NOT NULL AND {group} IS NOT NULL"
    )


def contributions(name: str, where: str, sign: int = 1, now: str | None = None) -> Iterator[str]:
    """SELECTs of every dimension's contributions from the tickets (`f`) matching `where`."""
    for dimension in DIMENSIONS:
        for part in ticket_parts(sign, responder=dimension == "agent", now=now):
            yield select_sql(name, dimension, part, where)


def claim_sql(name: str, row: str, sign: int, where: str = "1 = 1") -> str:
    """SQL: an agent's claim (an activity row `row`) counted on its day."""
    values = ", ".join(f"{sign if column == 'claims' else 0} AS {column}" for column in COLUMNS)
    source = "" if row in ("NEW", "OLD") else f" FROM activity {row}"
    return (
        f"SELECT 'agent' AS dimension, {day_of(name, f'{row}.at')} AS day, "
        f"{row}.actor_id AS grp, {values}{source} WHERE {where} AND {row}.action = 'claimed' "
        f"AND {row}.actor_id IS NOT NULL"
    )


def upsert_sql(selects: list[str]) -> str:
    """SQL adding the summed rows of `selects` to kpi_group_day."""
    sums = ", ".join(f"sum({column})" for column in COLUMNS)
    updates = ", ".join(f"{c} = kpi_group_day.{c} + excluded.{c}" for c in COLUMNS)
    return (
        f"INSERT INTO kpi_group_day ({KEYS}, {', '.join(COLUMNS)}) "
        f"SELECT {KEYS}, {sums} FROM ({' UNION ALL '.join(selects)}) c WHERE 1 = 1 "
        f"GROUP BY {KEYS} ON CONFLICT ({KEYS}) DO UPDATE SET {updates}"
    )


def add_sql(name: str, where: str, sign: int = 1) -> str:
    """SQL adding (sign 1) or removing (-1) the contributions of fact rows `f` matching `where`."""
    return upsert_sql(list(contributions(name, where, sign)))


def tag_row_sql(name: str, row: str, sign: int) -> str:
    """SQL counting one ticket_tag row (`NEW`/`OLD`) in or out of its type's totals."""
    where = f"f.ticket_id = {row}.ticket_id"
    return upsert_sql(
        [
            select_sql(name, "type", part, where, tag=f"{row}.tag")
            for part in ticket_parts(sign, responder=False)
        ]
    )


def _survey_changes(name: str, row: str, sign: int) -> list[str]:
    return _row_changes(name, row, csat_part(sign, row, joined=False))


def _target_changes(name: str, row: str, sign: int) -> list[str]:
    return _row_changes(name, row, sla_part(sign, row, joined=False))


def _row_changes(name: str, row: str, part: Part) -> list[str]:
    """Upserts of one child row's contributions to every dimension (PostgreSQL: after
    locking its ticket, so a racing fact refresh cannot regroup it meanwhile)."""
    selects = [select_sql(name, dimension, part, "1 = 1") for dimension in DIMENSIONS]
    lock = [f"PERFORM kpi_lock_ticket({row}.ticket_id)"] if name == "postgresql" else []
    return [*lock, upsert_sql(selects)]


def _claim_changes(name: str, row: str, sign: int) -> list[str]:
    return [upsert_sql([claim_sql(name, row, sign)])]


# (table, trigger, function, columns whose update matters, the row's counter upserts)
CHILD_TRIGGERS = (
    ("csat_survey", "kpi_group_csat", "kpi_group_on_csat", "ticket_id, asked_at, rating",
     _survey_changes),
    ("sla_target", "kpi_group_sla", "kpi_group_on_sla", "ticket_id, due_at, met_at",
     _target_changes),
    ("activity", "kpi_group_claims", "kpi_group_on_claim", "action, actor_id, at",
     _claim_changes),
)  # fmt: skip


def install(connection: Connection) -> None:
    """Create (or replace) the triggers of the rows that hang off a ticket (surveys,
    targets, claims); fact refreshes and tag rows are wired in
    store/kpi/triggers/fact_triggers.py."""
    for table, trigger, function, update_of, changes in CHILD_TRIGGERS:
        install_counter_triggers(
            connection,
            table=table,
            trigger=trigger,
            function=function,
            update_of=update_of,
            changes=changes,
        )


def drop(connection: Connection) -> None:
    """Remove the triggers `install` made."""
    for table, trigger, *_ in CHILD_TRIGGERS:
        drop_counter_triggers(connection, table=table, trigger=trigger)


def tickets_where(row: str, tickets: tuple[int, int] | None) -> str:
    """SQL: the rows `row` of the tickets with ids in [first, last] (all when None)."""
    if tickets is None:
        return "1 = 1"
    return f"{row}.ticket_id >= {int(tickets[0])} AND {row}.ticket_id <= {int(tickets[1])}"


def expected_sql(name: str, tickets: tuple[int, int] | None = None) -> str:
    """SQL: kpi_group_day recomputed from the source rows (of the tickets in `tickets`)."""
    selects = [
        *contributions(name, tickets_where("f", tickets)),
        claim_sql(name, "a", 1, tickets_where("a", tickets)),
    ]
    sums = ", ".join(f"sum({column}) AS {column}" for column in COLUMNS)
    return f"SELECT {KEYS}, {sums} FROM ({' UNION ALL '.join(selects)}) c GROUP BY {KEYS}"


def rebuild(connection: Connection, *, tickets: tuple[int, int] | None = None) -> None:
    """Recompute kpi_group_day from the source rows (or add those of the tickets with ids
    in [first, last], just bulk-loaded). Like rollup.rebuild, the caller keeps writers out.
    """
    name = connection.dialect.name
    if tickets is None:
        if name == "postgresql":  # a folder running meanwhile could add rows DELETE misses
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({FOLD_LOCK})")
        connection.exec_driver_sql("DELETE FROM kpi_group_day")
        connection.exec_driver_sql("DELETE FROM kpi_group_day_pending")
    updates = ", ".join(f"{c} = kpi_group_day.{c} + excluded.{c}" for c in COLUMNS)
    connection.exec_driver_sql(
        f"INSERT INTO kpi_group_day ({KEYS}, {', '.join(COLUMNS)}) "
        f"SELECT * FROM ({expected_sql(name, tickets)}) x WHERE 1 = 1 "
        f"ON CONFLICT ({KEYS}) DO UPDATE SET {updates}"
    )


def rebuild_business(connection: Connection) -> None:
    """Recompute the business-hours first response totals (after the calendar changed and
    ticket_fact's seconds were recomputed); the caller keeps fact writers out."""
    name = connection.dialect.name
    business = ("frtb_n", "frtb_s")
    for table in ("kpi_group_day", "kpi_group_day_pending"):
        connection.exec_driver_sql(f"UPDATE {table} SET frtb_n = 0, frtb_s = 0")
    selects = [
        select_sql(
            name,
            dimension,
            Part(
                part.moment,
                {c: part.values[c] for c in business},
                part.source,
                part.where,
                part.group,
            ),
            "1 = 1",
        )
        for dimension in DIMENSIONS
        for part in fact_parts(1, responder=dimension == "agent")
        if "frtb_n" in part.values
    ]
    connection.exec_driver_sql(upsert_sql(selects))
