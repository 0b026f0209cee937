"""Dialect-aware SQL pieces for KPIs: epoch seconds, local calendar days, percentiles."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, select

from store.types import UTCDateTime

PERCENTILES = (0.5, 0.9)
ALL = "all"


class epoch(FunctionElement[int]):
    """Whole seconds since 1970 of a naive-UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def seconds_between(start: Any, end: Any) -> ColumnElement[int]:
    """`end - start` in whole seconds (each instant truncated to its second)."""
    return epoch(end) - epoch(start)


def dialect(session: Session) -> str:
    """The session's database dialect name (`sqlite` or `postgresql`)."""
    return session.get_bind().dialect.name


def greatest(session: Session, *values: Any) -> Any:
    """The larger of SQL values (`max(a, b)` on SQLite, GREATEST elsewhere)."""
    return func.max(*values) if dialect(session) == "sqlite" else func.greatest(*values)


def least(session: Session, *values: Any) -> Any:
    """The smaller of SQL values."""
    return func.min(*values) if dialect(session) == "sqlite" else func.least(*values)


def utc_bind(moment: datetime) -> ColumnElement[datetime]:
    """A datetime parameter stored like the UTC columns."""
    return literal(moment, UTCDateTime())


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from, utc offset seconds)] covering [start, end): the zone's offset changes in it."""
    segments = [(start, _offset(zone, start))]
    cursor = start
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if _offset(zone, step) != segments[-1][1]:
            low, high = cursor, step  # bisect to the second the clocks change
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            change = high.replace(microsecond=0)
            segments.append((change, _offset(zone, change)))
        cursor = step
    return segments


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def local_day(
    session: Session, column: Any, *, timezone: str, start: datetime, end: datetime
) -> ColumnElement[Any]:
    """The calendar date (in `timezone`) of a UTC column, for instants in [start, end)."""
    if dialect(session) == "postgresql":
        # A DATE (cheap to group by); callers turn it into ISO text with str().
        return cast(func.timezone(timezone, func.timezone("UTC", column)), Date)
    segments = offset_segments(ZoneInfo(timezone), start, end)
    modifiers = [literal_column(f"'{offset:+d} seconds'") for _, offset in segments]
    if len(segments) == 1:
        return func.date(column, modifiers[0])
    whens = [
        (column < utc_bind(segments[index + 1][0]), modifiers[index])
        for index in range(len(segments) - 1)
    ]
    return func.date(column, case(*whens, else_=modifiers[-1]))


def local_days(timezone: str, start: datetime, end: datetime) -> list[str]:
    """Every local date (ISO) that [start, end) touches, in order."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]


@dataclass
class Dist:
    """A distribution of durations: how many, their mean, and percentiles."""

    count: int = 0
    mean: float | None = None
    pct: dict[float, float | None] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        """The 50th percentile."""
        return self.pct.get(0.5)

    @property
    def p90(self) -> float | None:
        """The 90th percentile."""
        return self.pct.get(0.9)


def interpolate(sorted_values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (the same formula as SQL's percentile_cont)."""
    if not sorted_values:
        return None
    position = p * (len(sorted_values) - 1)
    low = int(position)
    if low + 1 >= len(sorted_values):
        return float(sorted_values[low])
    first, second = sorted_values[low], sorted_values[low + 1]
    return first + (second - first) * (position - low)


def python_dist(values: list[float]) -> Dist:
    """A Dist of values already in memory (business-hours durations)."""
    ordered = sorted(values)
    if not ordered:
        return Dist(pct={p: None for p in PERCENTILES})
    pct = {p: _round(interpolate(ordered, p)) for p in PERCENTILES}
    return Dist(count=len(ordered), mean=_round(sum(ordered) / len(ordered)), pct=pct)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def distribution(session: Session, *, source: Subquery) -> dict[Any, Dist]:
    """Count, mean and percentiles of `source.c.v` per `source.c.g`, computed in SQL.

    PostgreSQL aggregates with percentile_cont; SQLite ranks with window functions and
    fetches only the rows either side of each percentile.
    """
    g, v = source.c.g, source.c.v
    result: dict[Any, Dist] = {}
    if dialect(session) == "postgresql":
        columns = [func.percentile_cont(p).within_group(v) for p in PERCENTILES]
        statement = select(g, func.count(), func.avg(v), *columns).group_by(g)
        for key, count, mean, *pcts in session.execute(statement):
            pct = {p: _round(value) for p, value in zip(PERCENTILES, pcts, strict=True)}
            result[key] = Dist(count=count, mean=_round(mean), pct=pct)
        return result
    ranked = select(
        g.label("g"),
        v.label("v"),
        (func.row_number().over(partition_by=g, order_by=v) - 1).label("rn"),
        func.count().over(partition_by=g).label("n"),
        func.avg(v).over(partition_by=g).label("mean"),
    ).subquery()
    wanted = []
    for p in PERCENTILES:
        low = cast(literal(p) * (ranked.c.n - 1), Integer)
        wanted += [ranked.c.rn == low, ranked.c.rn == low + 1]
    statement = select(ranked.c.g, ranked.c.rn, ranked.c.n, ranked.c.mean, ranked.c.v).where(
        or_(*wanted)
    )
    rows: dict[Any, dict[int, float]] = defaultdict(dict)
    for key, rank, count, mean, value in session.execute(statement):
        rows[key][rank] = value
        result[key] = Dist(count=count, mean=_round(mean))
    for key, dist in result.items():
        for p in PERCENTILES:
            position = p * (dist.count - 1)
            low = int(position)
            first = rows[key][low]
            second = rows[key].get(low + 1, first)
            dist.pct[p] = _round(first + (second - first) * (position - low))
    return result


def overall(distributions: dict[Any, Dist]) -> Dist:
    """The single-group result of `distribution` (empty when there were no rows)."""
    return distributions.get(ALL) or Dist(pct={p: None for p in PERCENTILES})


def all_group() -> ColumnElement[str]:
    """A constant grouping key for whole-range aggregates."""
    return literal_column(f"'{ALL}'")


def in_range(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """`start <= column < end`."""
    return and_(column >= start, column < end)


@dataclass(frozen=True)
class OpenHours:
    """Opening hours as per-local-day arrays from `first_day`: when the day opens (epoch),
    how many seconds it is open, and how many open seconds came before it."""

    timezone: str
    first_day: date
    opens: list[int]
    lengths: list[int]
    before: list[int]
