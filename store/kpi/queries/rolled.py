"""Team-wide KPIs from the daily rollups (kpi_day) plus the partial days at a range's edges.

Exact like the per-row queries: counts and sums add up; a percentile walks the bucket
counts to the bucket holding its rank, then reads that bucket's values in order.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal_column
from sqlmodel import Session, col, select

from store.fact_models import KpiDay, TicketFact
from store.kpi.sqlfn import ALL, PERCENTILES, Dist, in_range
from store.kpi.triggers.rollup import (
    COUNTS,
    DURATIONS,
    bucket_bounds,
    bucket_sql,
    edges_outside,
    live,
    live_sums,
    whole_days,
)


def _edges(
    start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime] | None, list[tuple[datetime, datetime]]]:
    days = whole_days(start, end)
    return days, edges_outside(start, end, days)


def counts(
    session: Session, *, metrics: tuple[str, ...], start: datetime, end: datetime
) -> dict[str, int]:
    """How many tickets each count metric (rollup.COUNTS) has over [start, end)."""
    days, edges = _edges(start, end)
    found = dict.fromkeys(metrics, 0)
    if days is not None:
        sums = live_sums(session, KpiDay, key="metric", keys=metrics, at="day", whole=days)
        for metric, total in sums.items():
            found[metric] += total
    for moment in {COUNTS[metric][0] for metric in metrics}:
        mine = [metric for metric in metrics if COUNTS[metric][0] == moment]
        sums = [
            func.sum(case((literal_column(COUNTS[m][1].format(r="ticket_fact")), 1), else_=0))
            for m in mine
        ]
        for low, high in edges:
            row = session.execute(
                select(*sums).where(in_range(col(getattr(TicketFact, moment)), low, high))
            ).one()
            for metric, value in zip(mine, row, strict=True):
                found[metric] += int(value or 0)
    return found


def distribution(
    session: Session, *, metric: str, start: datetime, end: datetime
) -> dict[Any, Dist]:
    """{ALL: Dist} of a duration metric (rollup.DURATIONS) over [start, end); {} when empty."""
    moment, value = DURATIONS[metric]
    when, what = col(getattr(TicketFact, moment)), col(getattr(TicketFact, value))
    days, edges = _edges(start, end)
    buckets: dict[int, list[int]] = {}
    statements = []
    if days is not None:
        rows = live(session, KpiDay).c
        statements.append(
            select(rows.bucket, func.sum(rows.n), func.sum(rows.total))
            .where(rows.metric == metric, rows.day >= days[0], rows.day < days[1])
            .group_by(rows.bucket)
        )
    bucket = literal_column(bucket_sql(f"ticket_fact.{value}"))
    for low, high in edges:
        statements.append(
            select(bucket, func.count(), func.sum(what))
            .where(in_range(when, low, high), what.is_not(None))
            .group_by(bucket)
        )
    for statement in statements:
        for key, n, total in session.execute(statement):
            entry = buckets.setdefault(int(key), [0, 0])
            entry[0] += int(n or 0)
            entry[1] += int(total or 0)
    count = sum(n for n, _ in buckets.values())
    if count == 0:
        return {}
    order = sorted(key for key, (n, _) in buckets.items() if n)

    def values_at(rank: int, wanted: int) -> list[int]:
        """The values of ranks rank.. (up to `wanted`, fewer past its bucket's end): a
        percentile's two neighbours usually share a bucket, so one read finds both."""
        for key in order:
            n = buckets[key][0]
            if rank < n:
                lo, hi = bucket_bounds(key)
                if lo == hi:  # a bucket of one value (small values, zero...)
                    return [lo] * min(wanted, n - rank)
                statement = (
                    select(what)
                    .where(in_range(when, start, end), what >= lo, what <= hi)
                    .order_by(what)
                    .offset(rank)
                    .limit(min(wanted, n - rank))
                )
                return [int(v) for v in session.execute(statement).scalars()]
            rank -= n
        raise ValueError("rank outside the distribution")

    pct: dict[float, float | None] = {}
    for p in PERCENTILES:
        position = p * (count - 1)
        low = int(position)
        pair = low + 1 < count and position > low
        found = values_at(low, 2 if pair else 1)
        first = found[0]
        second = (found[1] if len(found) > 1 else values_at(low + 1, 1)[0]) if pair else first
        pct[p] = round(float(first + (second - first) * (position - low)), 3)
    total = sum(t for _, t in buckets.values())
    return {ALL: Dist(count=count, mean=round(total / count, 3), pct=pct)}
