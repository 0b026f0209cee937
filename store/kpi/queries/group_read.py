"""Breakdown totals per group over a range: whole past days from kpi_group_day, the rest
(a range's partial days, today, days still to come) from the source rows, in one statement.

Both halves use the same contribution SQL (store/kpi/triggers/group_rollup.py), so the numbers are
the ones a full scan would give. An SLA target still open counts as breached once its due
time has passed: every day read from the rollup has ended, and the rest compares with now.
"""

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlmodel import Session

from store.kpi.triggers.group_rollup import COLUMNS, DIMENSIONS, claim_sql, select_sql, ticket_parts
from store.kpi.triggers.rollup import edges_outside, whole_days
from store.types import UTCDateTime

# What a reader sums: the stored columns, with late and open targets as one `breached`.
READ = (*(c for c in COLUMNS if c not in ("sla_late", "sla_open", "claims")), "breached", "claims")


def _read_sql(columns: tuple[str, ...]) -> str:
    """SQL selecting `columns` from stored rows (breached = late + open)."""
    return ", ".join(
        "sla_late + sla_open AS breached" if column == "breached" else column for column in columns
    )


@dataclass(frozen=True)
class GroupTotals:
    """One group's additive totals over a range (durations in seconds)."""

    created: int = 0
    resolved: int = 0
    frt_n: int = 0
    frt_s: int = 0
    frtb_n: int = 0
    frtb_s: int = 0
    handle_n: int = 0
    handle_s: int = 0
    csat_asked: int = 0
    csat_answered: int = 0
    csat_stars: int = 0
    sla_due: int = 0
    sla_ok: int = 0
    breached: int = 0
    claims: int = 0

    @property
    def frt_mean(self) -> float | None:
        """Mean calendar first response, seconds."""
        return _mean(self.frt_s, self.frt_n)

    @property
    def frt_business_mean(self) -> float | None:
        """Mean business-hours first response, seconds."""
        return _mean(self.frtb_s, self.frtb_n)

    @property
    def handle_mean(self) -> float | None:
        """Mean handle time, seconds."""
        return _mean(self.handle_s, self.handle_n)

    @property
    def csat_average(self) -> float | None:
        """Average stars of the answered surveys."""
        return _mean(self.csat_stars, self.csat_answered)


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 3) if count else None


def _day_floor(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def totals(
    session: Session,
    *,
    dimension: str,
    start: datetime,
    end: datetime,
    now: datetime,
    group: str | None = None,
    only: tuple[str, ...] = READ,
) -> dict[str, GroupTotals]:
    """Totals per group of `dimension` over [start, end) (only `group`'s, when given;
    only the totals named in `only`, the others left at 0)."""
    if dimension not in DIMENSIONS:  # it becomes SQL text below
        raise ValueError(f"not a dimension: {dimension!r}")
    name = session.get_bind().dialect.name
    whole = whole_days(start, min(end, _day_floor(now)))
    params: dict[str, datetime] = {}
    branches = []
    if whole is not None:
        params |= {"first": whole[0], "last": whole[1]}
        tables = ["kpi_group_day"] + (["kpi_group_day_pending"] if name == "postgresql" else [])
        branches += [
            f"SELECT grp, {_read_sql(only)} FROM {table} WHERE dimension = '{dimension}' "
            "AND day >= :first AND day < :last"
            for table in tables
        ]
    for index, (low, high) in enumerate(edges_outside(start, end, whole)):
        params |= {"now": now, f"low{index}": low, f"high{index}": high}
        window = f"{{moment}} >= :low{index} AND {{moment}} < :high{index}"
        parts = [
            select_sql(name, dimension, part, window.format(moment=part.moment))
            for part in ticket_parts(1, responder=dimension == "agent", now=":now")
        ]
        if dimension == "agent":
            parts.append(claim_sql(name, "a", 1, window.format(moment="a.at")))
        branches += [
            f"SELECT grp, {_read_sql(only)} FROM ({part}) p{index}_{n}"
            for n, part in enumerate(parts)
        ]
    if not branches:
        return {}
    one_group = "WHERE grp = :group" if group is not None else ""
    sums = ", ".join(f"sum({column})" for column in only)
    statement = text(
        f"SELECT grp, {sums} FROM ({' UNION ALL '.join(branches)}) x {one_group} GROUP BY grp"
    ).bindparams(*(bindparam(key, type_=UTCDateTime()) for key in params))
    values: dict[str, object] = dict(params)
    if group is not None:
        values["group"] = group
    result = {}
    for key, *sums_found in session.execute(statement, values):
        found = GroupTotals(
            **{column: int(value or 0) for column, value in zip(only, sums_found, strict=True)}
        )
        if any(getattr(found, field.name) for field in fields(found)):
            result[key] = found
    return result


__all__ = ["COLUMNS", "GroupTotals", "totals"]
