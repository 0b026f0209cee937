"""Pure logic of routing: reading `/ticket away [until]`, parsing `/ticket away|back`."""

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.routing.away import UntilError, parse_until
from handlers.tickets.commands import USAGE, UsageError, parse_ticket_command

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # a Monday


def until(text: str, timezone: str = "UTC") -> datetime | None:
    return parse_until(text, now=NOW, timezone=timezone, day_start=time(9, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW + timedelta(hours=2)),
        ("90m", NOW + timedelta(minutes=90)),
        ("1h30m", NOW + timedelta(minutes=90)),
        ("3d", NOW + timedelta(days=3)),
        ("until 2h", NOW + timedelta(hours=2)),
        ("tomorrow", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("tomorrow 9:00", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("Tomorrow 14:30", datetime(2026, 11, 24, 14, 30, tzinfo=UTC)),
        ("today 17:00", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
        ("17:00", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
        ("8:15", datetime(2026, 11, 24, 8, 15, tzinfo=UTC)),  # passed today: tomorrow's
        ("friday", datetime(2026, 11, 27, 9, 0, tzinfo=UTC)),
        ("fri 14:00", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("monday", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),  # next week's, not today's
        ("2026-12-01", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("2026-12-01 13:45", datetime(2026, 12, 1, 13, 45, tzinfo=UTC)),
        ("2026-12-01T13:45", datetime(2026, 12, 1, 13, 45, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text, expected):
    assert until(text) == expected


def test_nothing_means_until_back():
    assert until("") is None and until("  ") is None


def test_times_are_in_the_team_timezone():
    # 09:00 in Berlin (UTC+1 in November) is 08:00 UTC.
    assert until("tomorrow 9:00", "Europe/Berlin") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "next week",
        "soon",
        "25:00",
        "2026-02-30",
        "tomorrow at 9",
        "tomorrow 9",
        "t",
        "0h",
        "2026-11-20",  # past
        "today 9:00",  # past
        "2028-01-01",  # more than a year
        "400d",
        "2h 3h",
    ],
)
def test_everything_else_is_refused_with_what_is_accepted(text):
    with pytest.raises(UntilError) as error:
        until(text)
    assert "tomorrow 9:00" in str(error.value) or "more than a year" in str(error.value)


def test_parser_knows_away_and_back():
    assert parse_ticket_command("away").name == "away"
    assert parse_ticket_command("away tomorrow 9:00").argument == "tomorrow 9:00"
    assert parse_ticket_command("BACK").name == "back"
    with pytest.raises(UsageError):
        parse_ticket_command("back tomorrow")
    assert "`away [until]`" in USAGE and "`back`" in USAGE
