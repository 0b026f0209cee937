"""SLA: targets due in a range, met in time or breached, and breaches per local day.

A target is breached when it was met after its due time, or is still unmet and its due
time has passed. A breach counts on the local day its due time falls in.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, literal_column, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.fact_models import KpiSlaHour, TicketFact
from store.kpi.queries.scope import TEAM, Scope
from store.kpi.queries.volume import hour_aligned
from store.kpi.sqlfn import ALL, in_range, local_day
from store.kpi.triggers.rollup import edges_outside, live
from store.models import SlaTarget, Ticket

TARGETS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class TargetCounts:
    """How one kind of target did over a range: `due` counts every target whose due time
    falls in it, `running` those still unmet and not due yet (decided later)."""

    due: int = 0
    met_in_time: int = 0
    breached: int = 0
    running: int = 0

    @property
    def decided(self) -> int:
        """Targets met, or past their due time: the ones "within SLA" is a share of."""
        return self.due - self.running

    @property
    def within(self) -> float | None:
        """Share met in time of the decided targets (None when none is decided yet)."""
        return round(self.met_in_time / self.decided, 4) if self.decided else None

    def __add__(self, other: "TargetCounts") -> "TargetCounts":
        return TargetCounts(
            self.due + other.due,
            self.met_in_time + other.met_in_time,
            self.breached + other.breached,
            self.running + other.running,
        )


def breached(now: datetime) -> ColumnElement[bool]:
    """The breach condition, as of `now`."""
    met_at, due_at = col(SlaTarget.met_at), col(SlaTarget.due_at)
    return or_(met_at > due_at, and_(met_at.is_(None), due_at < now))


def _running(now: datetime) -> ColumnElement[bool]:
    """Still unmet and not due yet at `now`: neither within nor breached so far."""
    return and_(col(SlaTarget.met_at).is_(None), col(SlaTarget.due_at) >= now)


def _met_in_time() -> ColumnElement[bool]:
    return and_(col(SlaTarget.met_at).is_not(None), col(SlaTarget.met_at) <= col(SlaTarget.due_at))


def _hours(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime] | None:
    """[first, cut): the whole UTC hours in the range that ended by `now` (None: none)."""
    floor = start.replace(minute=0, second=0, microsecond=0)
    first = floor if floor == start else floor + timedelta(hours=1)
    cut = min(end, now).replace(minute=0, second=0, microsecond=0)
    return (first, cut) if first < cut else None


def _rolled(session: Session, hours: tuple[datetime, datetime], day: Any = None) -> list[Any]:
    """(day or None, target, counts) from kpi_sla_hour over whole past hours."""
    rows = live(session, KpiSlaHour).c
    key = day(rows.hour) if day else literal(None)
    sums = [func.sum(rows[kind]) for kind in ("due", "ok", "late", "open")]
    statement = select(key, rows.target, *sums)
    statement = statement.where(rows.hour >= hours[0], rows.hour < hours[1])
    found = session.execute(statement.group_by(key, rows.target))
    return [(when, target, _rolled_counts(*counts)) for when, target, *counts in found]


def _rolled_counts(
    due: int | None, ok: int | None, late: int | None, still_open: int | None
) -> TargetCounts:
    """Hours of kpi_sla_hour as counts: due, met in time (ok), and breached (late, or open
    in an hour that has ended)."""
    return TargetCounts(int(due or 0), int(ok or 0), int(late or 0) + int(still_open or 0))


def targets(
    session: Session, *, start: datetime, end: datetime, now: datetime, scope: Scope = TEAM
) -> dict[tuple[Any, str], TargetCounts]:
    """(group, target) -> due, met in time and breached, for targets due in the range."""
    hours = _hours(start, end, now) if scope == TEAM else None
    if hours is None:
        return _targets(session, start=start, end=end, now=now, scope=scope)
    # Hours that ended by `now` hold no running target: an unmet one there is breached.
    found: dict[str, TargetCounts] = {}
    for _, target, counts in _rolled(session, hours):
        found[target] = found.get(target, TargetCounts()) + counts
    for low, high in edges_outside(start, end, hours):
        for (_, target), counts in _targets(session, start=low, end=high, now=now).items():
            found[target] = found.get(target, TargetCounts()) + counts
    return {(ALL, target): counts for target, counts in found.items() if counts.due}


def team_total(session: Session, *, start: datetime, end: datetime, now: datetime) -> TargetCounts:
    """Every kind of target together over a range (the summary's "within SLA"): the
    hourly rollup's rows summed, a year some 17,500 of them."""
    return sum(targets(session, start=start, end=end, now=now).values(), TargetCounts())


def _targets(
    session: Session, *, start: datetime, end: datetime, now: datetime, scope: Scope = TEAM
) -> dict[tuple[Any, str], TargetCounts]:
    statement = select(
        scope.group().label("g"),
        col(SlaTarget.target),
        func.count(),
        func.sum(case((_met_in_time(), 1), else_=0)),
        func.sum(case((breached(now), 1), else_=0)),
        func.sum(case((_running(now), 1), else_=0)),
    ).where(in_range(col(SlaTarget.due_at), start, end))
    if scope.probes(start, end):
        group, filters = scope.lookup(col(SlaTarget.ticket_id))
        statement = statement.with_only_columns(group.label("g"), *statement.selected_columns[1:])
        keys = [literal_column("1")] if scope.dimension is not None else []
        statement = statement.where(*filters).group_by(*keys, literal_column("2"))
    else:
        if scope != TEAM:  # the whole team needs no ticket columns
            joined = statement.join(
                TicketFact, col(TicketFact.ticket_id) == col(SlaTarget.ticket_id)
            )
            statement = scope.apply(joined)
        statement = scope.group_by(statement, col(SlaTarget.target))
    return {
        (group, target): TargetCounts(int(due), int(met or 0), int(late or 0), int(running or 0))
        for group, target, due, met, late, running in session.execute(statement)
    }


def targets_by_day(
    session: Session, *, start: datetime, end: datetime, now: datetime, timezone: str
) -> dict[str, TargetCounts]:
    """Local day -> every kind of target due that day together (due, met in time,
    breached, running): whole past hours from kpi_sla_hour, the rest from the targets."""

    def local(column: Any) -> Any:
        return local_day(session, column, timezone=timezone, start=start, end=end)

    found: dict[str, TargetCounts] = {}

    def add(day: Any, counts: TargetCounts) -> None:
        found[str(day)] = found.get(str(day), TargetCounts()) + counts

    hours = _hours(start, end, now)
    if hours is None or not hour_aligned(timezone, start, end):
        hours = None  # a day that starts mid-hour cannot be read from hourly rows
    else:  # hours that ended by `now` hold no running target: an unmet one is breached
        for day, _target, counts in _rolled(session, hours, local):
            add(day, counts)
    for low, high in edges_outside(start, end, hours):
        moment = local(col(SlaTarget.due_at))
        statement = select(
            moment,
            func.count(),
            func.sum(case((_met_in_time(), 1), else_=0)),
            func.sum(case((breached(now), 1), else_=0)),
            func.sum(case((_running(now), 1), else_=0)),
        ).where(in_range(col(SlaTarget.due_at), low, high))
        for day, due, met, late, running in session.execute(statement.group_by(moment)):
            add(day, TargetCounts(int(due), int(met or 0), int(late or 0), int(running or 0)))
    return {day: counts for day, counts in found.items() if counts.due}


def team_targets_and_breaches(
    session: Session, *, start: datetime, end: datetime, now: datetime, timezone: str
) -> tuple[dict[str, TargetCounts], dict[tuple[str, str], int]]:
    """The SLA report's two questions, target -> counts (`targets`) and (local day, target)
    -> breaches (`breaches_by_day`), from one read of the hourly rollup when the range's
    days start on whole hours (a year is some 70,000 rows: reading them once, not twice)."""
    hours = _hours(start, end, now)
    if hours is None or not hour_aligned(timezone, start, end):
        counts = targets(session, start=start, end=end, now=now)
        by_day = breaches_by_day(session, start=start, end=end, now=now, timezone=timezone)
        return {target: found for (_, target), found in counts.items()}, by_day

    def local(column: Any) -> Any:
        return local_day(session, column, timezone=timezone, start=start, end=end)

    per_target: dict[str, TargetCounts] = {}
    per_day: dict[tuple[str, str], int] = {}
    # Hours that ended by `now` hold no running target: an unmet one there is breached.
    for day, target, counts in _rolled(session, hours, local):
        per_target[target] = per_target.get(target, TargetCounts()) + counts
        per_day[(str(day), target)] = per_day.get((str(day), target), 0) + counts.breached
    for low, high in edges_outside(start, end, hours):
        for (_, target), counts in _targets(session, start=low, end=high, now=now).items():
            per_target[target] = per_target.get(target, TargetCounts()) + counts
        edge = _breaches_by_day(session, start=low, end=high, now=now, timezone=timezone, day=local)
        for key, n in edge.items():
            per_day[key] = per_day.get(key, 0) + n
    return (
        {target: counts for target, counts in per_target.items() if counts.due},
        {key: n for key, n in per_day.items() if n},
    )


def breaches_by_day(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    scope: Scope = TEAM,
) -> dict[tuple[str, str], int]:
    """(local day, target) -> breaches due that day."""

    def local(column: Any) -> Any:
        return local_day(session, column, timezone=timezone, start=start, end=end)

    hours = _hours(start, end, now)
    team = scope.agent_id is None and scope.dimension is None
    if team and hours is not None and hour_aligned(timezone, start, end):
        found: dict[tuple[str, str], int] = {}
        for day, target, counts in _rolled(session, hours, local):
            found[(str(day), target)] = found.get((str(day), target), 0) + counts.breached
        for low, high in edges_outside(start, end, hours):
            raw = _breaches_by_day(
                session, start=low, end=high, now=now, timezone=timezone, day=local
            )
            for key, n in raw.items():
                found[key] = found.get(key, 0) + n
        return {key: n for key, n in found.items() if n}
    return _breaches_by_day(
        session, start=start, end=end, now=now, timezone=timezone, scope=scope, day=local
    )


def _breaches_by_day(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    day: Any,
    scope: Scope = TEAM,
) -> dict[tuple[str, str], int]:
    day = day(col(SlaTarget.due_at))
    statement = select(day, col(SlaTarget.target), func.count()).where(
        in_range(col(SlaTarget.due_at), start, end), breached(now)
    )
    if scope.agent_id is not None or scope.dimension is not None:
        statement = scope.apply(
            statement.join(TicketFact, col(TicketFact.ticket_id) == col(SlaTarget.ticket_id))
        )
    statement = statement.group_by(day, col(SlaTarget.target))
    return {(str(d), target): int(n) for d, target, n in session.execute(statement)}


def breaching_tickets(
    session: Session, *, now: datetime, since: datetime, limit: int = 25
) -> list[tuple[Ticket, str, datetime]]:
    """Live (unresolved) tickets with a target past due and unmet: (ticket, target, due)."""
    statement = (
        select(Ticket, col(SlaTarget.target), col(SlaTarget.due_at))
        .join(SlaTarget, col(SlaTarget.ticket_id) == col(Ticket.id))
        .where(
            col(SlaTarget.met_at).is_(None),
            col(SlaTarget.due_at) < now,
            col(SlaTarget.due_at) >= since,
            col(Ticket.status).in_(["new", "open", "pending"]),
        )
        .order_by(col(SlaTarget.due_at))
        .limit(limit)
    )
    return [(ticket, target, due) for ticket, target, due in session.execute(statement)]
