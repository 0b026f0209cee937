"""The FRT chart's per-day numbers: ended days are cached, and a cached day is never stale."""

import math

import pytest
from sqlalchemy import text

from bot.config import parse_config
from bot.kpi.chart import chart_data
from bot.kpi.service import KpiService
from tests.scenarios.test_kpi_metrics import RANGE
from tests.support import kpi_dataset as data
from tests.support.harness import MutableClock


@pytest.fixture
def kpi(db) -> KpiService:
    """The service over the KPI dataset, asked on 2026-11-10."""
    data.load(db)
    return KpiService(db, parse_config(data.CONFIG), MutableClock(data.NOW))


def medians(
    service: KpiService, range_text: str = RANGE, *, caches: bool = True
) -> list[int | None]:
    """The chart's median per day, in whole seconds (computed as the chart does: caching)."""
    chart = service.run(
        service.parse_range(range_text),
        lambda session, ctx: chart_data(session, ctx, "frt"),
        caches=caches,
    )
    return [None if math.isnan(v) else round(v) for v in chart.series["median"]]


def cached(db) -> dict[str, int]:
    """Day -> answered tickets, as kept in the cache."""
    with db.connect() as connection:
        return dict(connection.execute(text("SELECT day, n FROM kpi_frt_day ORDER BY day")).all())


def test_ended_days_are_cached_and_read_back(kpi, db):
    assert medians(kpi) == [1800, 1200, None, 57600, 212400]
    # Every day of the range has ended by Nov 10: all five are kept, Nov 4 as empty.
    assert cached(db) == {
        "2026-11-02": 1, "2026-11-03": 1, "2026-11-04": 0, "2026-11-05": 1, "2026-11-06": 1,
    }  # fmt: skip
    with db.begin() as connection:  # proves the answer comes from the cache when current
        connection.execute(text("UPDATE kpi_frt_day SET p50 = 7 WHERE day = '2026-11-03'"))
    assert medians(kpi) == [1800, 7, None, 57600, 212400]


def test_a_changed_first_response_invalidates_its_day(kpi, db):
    assert medians(kpi)[0] == 1800
    with db.begin() as connection:  # any write path: the triggers count the change
        connection.execute(
            text("UPDATE ticket SET first_response_at = :at WHERE number = 1"),
            {"at": (data.at(11, 2, 9)).replace(tzinfo=None)},
        )
    assert medians(kpi) == [3600, 1200, None, 57600, 212400]


def test_today_is_computed_live_and_not_cached(kpi, db):
    clock = MutableClock(data.at(11, 6, 22))  # Nov 6 23:00 in Berlin: the day is not over
    service = KpiService(db, parse_config(data.CONFIG), clock)
    assert medians(service) == [1800, 1200, None, 57600, 212400]
    assert "2026-11-06" not in cached(db)
    clock.advance(days=4)
    assert medians(service)[-1] == 212400 and "2026-11-06" in cached(db)


def test_a_read_only_report_computes_the_same_days_and_caches_nothing(kpi, db):
    assert medians(kpi, caches=False) == [1800, 1200, None, 57600, 212400]
    assert cached(db) == {}  # (on PostgreSQL a write here would fail: READ ONLY)
    assert medians(kpi) == [1800, 1200, None, 57600, 212400]
    assert len(cached(db)) == 5
