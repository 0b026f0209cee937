"""sla.targets_by_day and sla.team_targets_and_breaches: one read of the hourly rollup (or,
where days start mid-hour, of the targets) answers what the per-day and per-target
questions answer on their own."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.ranges import parse_range
from store.kpi.queries import sla
from store.kpi.sqlfn import local_days
from tests.store.conftest import _empty
from tests.support import kpi_dataset as data

Window = tuple[Session, dict[str, datetime], str]


@pytest.fixture(params=["Europe/Berlin", "Asia/Kolkata"])
def timezone(request: pytest.FixtureRequest) -> str:
    """A zone whose days start on whole hours, and one whose days start on the half hour."""
    return request.param


@pytest.fixture(params=[0, -96], ids=["after-every-day", "mid-range"])
def window(engine: Engine, timezone: str, request: pytest.FixtureRequest) -> Iterator[Window]:
    """The KPI dataset, a session, and Nov 1-9 in `timezone` asked at a moment."""
    _empty(engine)
    try:
        data.load(engine)
        whole = parse_range("2026-11-01..2026-11-09", now=data.NOW, timezone=timezone)
        moment = data.NOW + timedelta(hours=request.param)
        with Session(engine) as session:
            yield session, {"start": whole.start, "end": whole.end, "now": moment}, timezone
    finally:
        _empty(engine)


def test_each_day_is_what_targets_gives_for_that_day(window: Window) -> None:
    session, bounds, timezone = window
    found = sla.targets_by_day(session, **bounds, timezone=timezone)
    expected = {}
    for day in local_days(timezone, bounds["start"], bounds["end"]):
        one = parse_range(day, now=data.NOW, timezone=timezone)
        counts = sla.targets(session, start=one.start, end=one.end, now=bounds["now"])
        total = sum(counts.values(), sla.TargetCounts())
        if total.due:
            expected[day] = total
    assert found == expected and sum(c.due for c in found.values()) >= 10


def test_the_reports_one_read_answers_what_its_two_questions_do(window: Window) -> None:
    session, bounds, timezone = window
    per_target, per_day = sla.team_targets_and_breaches(session, **bounds, timezone=timezone)
    counts = sla.targets(session, **bounds)
    assert per_target == {target: found for (_, target), found in counts.items()}
    assert per_day == sla.breaches_by_day(session, **bounds, timezone=timezone)
    assert sum(per_day.values()) >= 3
