"""Date ranges people type: `today`, `yesterday`, `7d`, `this week`, `last month`, `A..B`."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RANGE_WORDS = frozenset({"today", "yesterday", "this", "last"})  # words a range can start with
RANGE_HELP = (
    "`today`, `yesterday`, `7d`, `30d`, `this week`, `last week`, `this month`, `last month`, "
    "`2026-10-01..2026-10-31` or one day `2026-10-01`"
)
MAX_DAYS = 3660
# Dates people can mean; outside them (year 1, 9999-12-31) a day's midnight, its morrow or
# the trend's previous range would overflow.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """A half-open interval [start, end) in UTC, with the words it was asked with."""

    start: datetime
    end: datetime
    label: str

    @property
    def days(self) -> float:
        """Length in days."""
        return (self.end - self.start) / timedelta(days=1)

    def previous(self, timezone: str = "UTC") -> "DateRange":
        """The range of equal length just before this one (for trends), in calendar
        days of `timezone` (see `previous_range`)."""
        start, end = previous_range(self.start, self.end, timezone)
        return DateRange(start, end, f"before {self.label}")


def previous_range(start: datetime, end: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start', start): the range just before [start, end) of equal length on the local
    clock of `timezone`: as many calendar days (or local hours), not as many seconds, so a
    week across a DST switch is preceded by the week from its own Monday's midnight, not
    from 01:00 (the hour a 167-hour week would lose)."""
    zone = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    wall = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)
    earlier = (local_start.replace(tzinfo=None) - wall).replace(tzinfo=zone)
    return earlier.astimezone(UTC), start


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _parse_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`{text[:60]}` is not a date (use YYYY-MM-DD).") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"`{text[:60]}`: a date between {FIRST_DAY} and {LAST_DAY}, please.")
    return day


def parse_range(text: str, *, now: datetime, timezone: str = "UTC") -> DateRange:
    """Turn range words into UTC bounds; days start at midnight in `timezone`."""
    zone = ZoneInfo(timezone)
    words = " ".join(text.lower().split())
    today = now.astimezone(zone).date()
    tomorrow = _midnight(today + timedelta(days=1), zone)
    if words in ("", "today"):
        return DateRange(_midnight(today, zone), tomorrow, "today")
    if words == "yesterday":
        yesterday = today - timedelta(days=1)
        return DateRange(_midnight(yesterday, zone), _midnight(today, zone), "yesterday")
    if match := re.fullmatch(r"(\d{1,4})\s*d(ays?)?", words):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"`{text}`: between 1 and {MAX_DAYS} days, please.")
        start = _midnight(today - timedelta(days=days - 1), zone)
        return DateRange(start, tomorrow, f"last {days} days")
    if words in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        if words == "last week":
            return DateRange(
                _midnight(monday - timedelta(days=7), zone), _midnight(monday, zone), words
            )
        return DateRange(_midnight(monday, zone), tomorrow, words)
    if words in ("this month", "last month"):
        first = today.replace(day=1)
        if words == "last month":
            previous_first = (first - timedelta(days=1)).replace(day=1)
            return DateRange(_midnight(previous_first, zone), _midnight(first, zone), words)
        return DateRange(_midnight(first, zone), tomorrow, words)
    if ".." in words:
        first_text, _, last_text = words.partition("..")
        first, last = _parse_day(first_text.strip()), _parse_day(last_text.strip())
        if last < first:
            raise ValueError(f"`{text}`: the range ends before it starts.")
        if (last - first).days > MAX_DAYS:
            raise ValueError(f"`{text}`: at most {MAX_DAYS} days, please.")
        end = _midnight(last + timedelta(days=1), zone)
        return DateRange(_midnight(first, zone), end, f"{first}..{last}")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", words):
        day = _parse_day(words)
        return DateRange(_midnight(day, zone), _midnight(day + timedelta(days=1), zone), words)
    raise ValueError(f"`{text[:60]}` is not a range. Try {RANGE_HELP}.")
