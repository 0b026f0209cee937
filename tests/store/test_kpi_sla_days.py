"""sla.targets_by_day: one read for a chart's days gives what `sla.targets` gives for each
day on its own, from the hourly rollup or, where days start mid-hour, from the targets."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.ranges import parse_range
from store.kpi.queries import sla
from store.kpi.sqlfn import local_days
from tests.store.conftest import _empty
from tests.support import kpi_dataset as data


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("hours_later", [0, -96])  # asked after every day, or mid-range
def test_each_day_is_what_targets_gives_for_that_day(
    engine: Engine, timezone: str, hours_later: int
) -> None:
    _empty(engine)
    try:
        data.load(engine)
        now = data.NOW + timedelta(hours=hours_later)
        whole = parse_range("2026-11-01..2026-11-09", now=data.NOW, timezone=timezone)
        with Session(engine) as session:
            found = sla.targets_by_day(
                session, start=whole.start, end=whole.end, now=now, timezone=timezone
            )
            expected = {}
            for day in local_days(timezone, whole.start, whole.end):
                bounds = parse_range(day, now=data.NOW, timezone=timezone)
                counts = sla.targets(session, start=bounds.start, end=bounds.end, now=now)
                total = sum(counts.values(), sla.TargetCounts())
                if total.due:
                    expected[day] = total
        assert found == expected and sum(c.due for c in found.values()) >= 10
    finally:
        _empty(engine)


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("hours_later", [0, -96])
def test_the_reports_one_read_answers_what_its_two_questions_do(
    engine: Engine, timezone: str, hours_later: int
) -> None:
    _empty(engine)
    try:
        data.load(engine)
        now = data.NOW + timedelta(hours=hours_later)
        whole = parse_range("2026-11-01..2026-11-09", now=data.NOW, timezone=timezone)
        window = {"start": whole.start, "end": whole.end, "now": now}
        with Session(engine) as session:
            per_target, per_day = sla.team_targets_and_breaches(
                session, **window, timezone=timezone
            )
            counts = sla.targets(session, **window)
            by_day = sla.breaches_by_day(session, **window, timezone=timezone)
        assert per_target == {target: found for (_, target), found in counts.items()}
        assert per_day == by_day and sum(per_day.values()) >= 3
    finally:
        _empty(engine)
