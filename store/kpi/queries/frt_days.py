"""First response time per local day (the FRT chart), with ended days cached exactly.

A day's median and p90 need that day's values sorted; over a year that is every answered
ticket (on SQLite at a million tickets, over a second). Days that have ended rarely
change, so their results are kept in kpi_frt_day with a version: the number of times a
first response of a ticket created in the day's UTC hours changed, which the fact
triggers count in kpi_frt_version (`version_sql`, one lock-free append per change). A
cached day is used only while its version is still the current sum, so an answer is
always what a full computation would give; the rest is computed and cached on the way.
"""

from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from store.db import is_read_only
from store.fact_models import KpiFrtDay, KpiFrtVersion, TicketFact
from store.kpi.sqlfn import PERCENTILES, Dist, dialect, distribution, in_range, local_day
from store.kpi.triggers.rollup import hour_of, live
from store.types import UTCDateTime

assert PERCENTILES == (0.5, 0.9), "kpi_frt_day stores p50 and p90"


def version_sql(name: str, where: str, sign: int = 1) -> str:
    """SQL counting a change of the answered fact rows `f` matching `where` in their hour
    of creation (taking a row out and putting one in both count: `sign` is ignored)."""
    return (
        f"INSERT INTO kpi_frt_version (hour, n) SELECT {hour_of(name, 'f.created_at')}, 1 "
        f"FROM ticket_fact f WHERE {where} AND f.frt_seconds IS NOT NULL "
        "ON CONFLICT (hour) DO UPDATE SET n = kpi_frt_version.n + excluded.n"
    )


def _bounds(zone: ZoneInfo, day: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of an ISO date, as UTC instants."""
    first = datetime.fromisoformat(day).replace(tzinfo=zone)
    following = (first + timedelta(days=1)).replace(tzinfo=zone)
    return first.astimezone(ZoneInfo("UTC")), following.astimezone(ZoneInfo("UTC"))


def frt_by_day(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    days: list[str],
) -> dict[str, Dist]:
    """Calendar FRT of the tickets created on each local day in `days`, within [start, end)."""
    zone = ZoneInfo(timezone)
    bounds = {day: _bounds(zone, day) for day in days}
    whole = [day for day, (low, high) in bounds.items() if low >= start and high <= min(end, now)]
    current = dict(zip(whole, _versions(session, [bounds[day] for day in whole]), strict=True))
    cached = _cached(session, timezone, whole)
    stale = {day: v for day, v in current.items() if day not in cached or cached[day][0] != v}
    found = {
        day: dist for day in current if day not in stale and (dist := cached[day][1]) is not None
    }
    unended = [day for day in days if day not in current]
    spans = [(day, *bounds[day]) for day in [*stale, *unended]]
    computed = _compute(session, timezone, spans, start, end)
    found |= computed
    if not is_read_only(session):  # a read-only report computes, and leaves caching to charts
        _store(session, timezone, {day: (v, computed.get(day)) for day, v in stale.items()})
    return dict(sorted(found.items()))


def _versions(session: Session, spans: list[tuple[datetime, datetime]]) -> list[int]:
    """The current version of each span: its UTC hours' change counts, summed (an hour
    shared with a neighbouring day, in a half-hour time zone, counts for both)."""
    if not spans:
        return []
    rows = live(session, KpiFrtVersion).c
    low = min(span[0] for span in spans).replace(minute=0, second=0, microsecond=0)
    high = max(span[1] for span in spans)
    statement = (
        select(rows.hour, func.sum(rows.n))
        .where(rows.hour >= low, rows.hour < high)
        .group_by(rows.hour)
    )
    hours = sorted((hour, int(n or 0)) for hour, n in session.execute(statement))
    # Running totals: each span's sum is a difference of two, found by bisection, not a
    # pass over a year's hours for each of its days.
    starts = [hour for hour, _ in hours]
    running = [0, *accumulate(n for _, n in hours)]
    result = []
    for first, last in spans:
        floor = first.replace(minute=0, second=0, microsecond=0)
        result.append(running[bisect_left(starts, last)] - running[bisect_left(starts, floor)])
    return result


def _cached(session: Session, timezone: str, days: list[str]) -> dict[str, tuple[int, Dist | None]]:
    if not days:
        return {}
    statement = select(KpiFrtDay).where(
        col(KpiFrtDay.timezone) == timezone,
        col(KpiFrtDay.day) >= days[0],
        col(KpiFrtDay.day) <= days[-1],
    )
    found = {}
    for row in session.exec(statement):
        dist = None if row.n == 0 else Dist(row.n, row.mean, {0.5: row.p50, 0.9: row.p90})
        found[row.day] = (row.version, dist)
    return found


def _store(session: Session, timezone: str, results: dict[str, tuple[int, Dist | None]]) -> None:
    """Cache ended days' results (days without answered tickets too, as n = 0)."""
    if not results:
        return
    rows = [
        {
            "timezone": timezone,
            "day": day,
            "version": version,
            "n": dist.count if dist else 0,
            "mean": dist.mean if dist else None,
            "p50": dist.pct.get(0.5) if dist else None,
            "p90": dist.pct.get(0.9) if dist else None,
        }
        for day, (version, dist) in results.items()
    ]
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    statement = insert(KpiFrtDay).values(rows)
    columns = ("version", "n", "mean", "p50", "p90")
    statement = statement.on_conflict_do_update(
        index_elements=["timezone", "day"],
        set_={column: statement.excluded[column] for column in columns},
    )
    session.execute(statement)


def _compute(
    session: Session,
    timezone: str,
    spans: Iterable[tuple[str, datetime, datetime]],
    start: datetime,
    end: datetime,
) -> dict[str, Dist]:
    """FRT per local day over the spans (clipped to [start, end)), from ticket_fact."""
    spans = [(day, max(low, start), min(high, end)) for day, low, high in spans]
    spans = [(day, low, high) for day, low, high in spans if low < high]
    if not spans:
        return {}
    if dialect(session) == "postgresql":
        return _compute_postgresql(session, spans)
    found: dict[str, Dist] = {}
    for low, high in _runs(spans):  # one window query per run of adjacent days
        day = local_day(session, col(TicketFact.created_at), timezone=timezone, start=low, end=high)
        statement = select(day.label("g"), col(TicketFact.frt_seconds).label("v")).where(
            in_range(col(TicketFact.created_at), low, high),
            col(TicketFact.frt_seconds).is_not(None),
        )
        for key, dist in distribution(session, source=statement.subquery()).items():
            found[str(key)] = dist
    return found


def _runs(spans: list[tuple[str, datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The spans merged where one ends as the next begins."""
    runs: list[tuple[datetime, datetime]] = []
    for _, low, high in sorted(spans, key=lambda span: span[1]):
        if runs and runs[-1][1] == low:
            runs[-1] = (runs[-1][0], high)
        else:
            runs.append((low, high))
    return runs


# One small index-only range scan and sort per day: grouping a year's rows by a computed
# local date sorts all of them at once (at a million tickets, 90 ms against 260 ms).
_PERCENTILES = ", ".join(
    f"percentile_cont({p}) WITHIN GROUP (ORDER BY frt_seconds) AS p{i}"
    for i, p in enumerate(PERCENTILES)
)
_BY_DAY = text(
    f"""SELECT d.day, s.* FROM unnest(
  CAST(:days AS text[]), CAST(:lows AS timestamp[]), CAST(:highs AS timestamp[])
) AS d(day, low, high)
CROSS JOIN LATERAL (
  SELECT count(*) AS n, avg(frt_seconds) AS mean, {_PERCENTILES}
  FROM ticket_fact
  WHERE created_at >= d.low AND created_at < d.high AND frt_seconds IS NOT NULL
) s WHERE s.n > 0"""
)


def _compute_postgresql(
    session: Session, spans: list[tuple[str, datetime, datetime]]
) -> dict[str, Dist]:
    naive = UTCDateTime().process_bind_param
    rows = session.execute(
        _BY_DAY,
        {
            "days": [day for day, _, _ in spans],
            "lows": [naive(low, None) for _, low, _ in spans],  # type: ignore[arg-type]
            "highs": [naive(high, None) for _, _, high in spans],  # type: ignore[arg-type]
        },
    )
    return {str(day): _dist(n, mean, pcts) for day, n, mean, *pcts in rows}


def _dist(n: int, mean: Any, pcts: list[Any]) -> Dist:
    def rounded(value: Any) -> float | None:
        return None if value is None else round(float(value), 3)

    return Dist(
        count=n,
        mean=rounded(mean),
        pct={p: rounded(value) for p, value in zip(PERCENTILES, pcts, strict=True)},
    )
