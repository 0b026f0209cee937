"""Pure pieces of the KPIs: `/kpi` parsing, formatting, business seconds, local days over DST."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.business_time import BusinessCalendar
from bot.config import BusinessHours
from bot.kpi.business import open_seconds
from bot.kpi.report import format_duration, slug
from handlers.kpi.commands import KpiRequest, KpiUsageError, parse_kpi_command
from store.kpi.sqlfn import interpolate, offset_segments

BERLIN = BusinessCalendar.from_config(
    BusinessHours(timezone="Europe/Berlin", holidays=["2026-10-26"])  # type: ignore[list-item]
)
BASE = int(datetime(2026, 10, 20, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", KpiRequest("report")),
        ("frt", KpiRequest("report", "frt")),
        ("frt 7d by agent", KpiRequest("report", "frt", "7d", "agent")),
        ("SLA Last Month", KpiRequest("report", "sla", "last month")),
        ("this week", KpiRequest("report", "summary", "this week")),
        ("orgs by type", KpiRequest("report", "orgs", "30d", "type")),
        ("chart volume 30d", KpiRequest("chart", "volume", "30d")),
        ("chart csat", KpiRequest("chart", "csat", "30d")),
        ("export last week", KpiRequest("export", "export", "last week")),
        ("help", KpiRequest("help")),
    ],
)
def test_parse_kpi_command(text, expected):
    assert parse_kpi_command(text) == expected


@pytest.mark.parametrize("text", ["chart", "chart pie", "frt by agent 7d", "by"])
def test_parse_kpi_command_rejects(text):
    with pytest.raises(KpiUsageError):
        parse_kpi_command(text)


def test_formatting():
    assert [format_duration(s) for s in (0, 45, 750, 29700, 212400)] == [
        "0s", "45s", "12m 30s", "8h 15m", "2d 11h",
    ]  # fmt: skip
    assert slug("2026-11-02..2026-11-06") == "2026-11-02-2026-11-06"
    assert slug("last 30 days") == "last-30-days"
    assert interpolate([1200, 1800, 57600, 212400], 0.5) == 29700
    assert interpolate([], 0.5) is None and interpolate([7], 0.9) == 7


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30 * 86400), st.integers(0, 10 * 86400)), max_size=20))
def test_open_seconds_match_the_business_calendar(pairs):
    # Across the October DST change in Berlin and a holiday.
    epochs = [(BASE + start, BASE + start + length) for start, length in pairs]
    expected = [
        BERLIN.elapsed(
            datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)
        ).total_seconds()
        for a, b in epochs
    ]
    assert open_seconds(BERLIN, epochs) == expected


def test_offset_segments_find_the_dst_change():
    from zoneinfo import ZoneInfo

    start = datetime(2026, 10, 20, tzinfo=UTC)
    segments = offset_segments(ZoneInfo("Europe/Berlin"), start, start + timedelta(days=10))
    assert segments == [(start, 7200), (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600)]


def test_kb_gaps_say_how_many_questions_beyond_the_counting_bound():
    from bot.suggestions import GAP_COUNT_CAP, GapGroup, Gaps
    from handlers.blocks.kb import gaps_blocks

    group = GapGroup("export fails", ["export fails"], [7], 1, 1)
    many = Gaps([group], clustered=1000, total=GAP_COUNT_CAP + 1)
    assert many.total_text == "10,000+"
    assert Gaps([group], clustered=1000, total=2500).total_text == "2,500"
    blocks = gaps_blocks("365 days", many.groups, clustered=1000, total=many.total,
                         total_text=many.total_text)  # fmt: skip
    assert "Grouped the newest 1,000 of 10,000+ questions" in str(blocks)
