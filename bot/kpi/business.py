"""Business-hours durations for many tickets at once: cumulative open seconds and bisection.

`BusinessCalendar.elapsed` walks day windows per call; for tens of thousands of tickets a
table of the windows once, then two binary searches per ticket, gives the same seconds.
"""

import hashlib
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.business_time import BusinessCalendar, Calendar
from store.kpi.sqlfn import OpenHours
from store.kpi.triggers import open_days

AHEAD = timedelta(days=400)  # days stored past today, so new tickets are covered
MARGIN = timedelta(days=30)  # re-store the days when fewer than this remain ahead


class OpenSeconds:
    """Counted (open) seconds between epoch instants, for one calendar over a span."""

    def __init__(self, calendar: Calendar, first: int, last: int) -> None:
        self._calendar = calendar
        self._opens: list[float] = []
        self._lengths: list[float] = []
        self._before: list[float] = []  # open seconds before each window
        if isinstance(calendar, BusinessCalendar):
            total = 0.0
            start, end = _instant(first), _instant(last + 1)
            for opens, closes in calendar.windows(start, end):
                length = (closes - opens).total_seconds()
                self._opens.append(opens.timestamp())
                self._lengths.append(length)
                self._before.append(total)
                total += length

    def _counted(self, moment: float) -> float:
        index = bisect_right(self._opens, moment) - 1
        if index < 0:
            return 0.0
        return self._before[index] + min(
            max(moment - self._opens[index], 0.0), self._lengths[index]
        )

    def elapsed(self, start: int, end: int) -> float:
        """Open seconds in [start, end] (zero when end <= start)."""
        if end <= start:
            return 0.0
        if not isinstance(self._calendar, BusinessCalendar):
            return float(end - start)
        return self._counted(end) - self._counted(start)


def open_seconds(calendar: Calendar, pairs: Iterable[tuple[int, int]]) -> list[float]:
    """Open seconds of each (start, end) epoch pair."""
    pairs = list(pairs)
    if not pairs:
        return []
    clock = OpenSeconds(calendar, min(a for a, _ in pairs), max(b for _, b in pairs))
    return [clock.elapsed(start, end) for start, end in pairs]


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def open_hours(calendar: BusinessCalendar, start: datetime, end: datetime) -> OpenHours:
    """The calendar's opening hours per local day over [start, end], as SQL-ready arrays."""
    zone = ZoneInfo(calendar.timezone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    days = (last - first).days + 1
    opens = [0] * days
    lengths = [0] * days
    for window_open, window_close in calendar.windows(
        datetime.combine(first, time(0), zone), datetime.combine(last, time(23, 59), zone)
    ):
        index = (window_open.astimezone(zone).date() - first).days
        if 0 <= index < days:
            opens[index] = int(window_open.timestamp())
            lengths[index] = int((window_close - window_open).total_seconds())
    before, total = [], 0
    for length in lengths:
        before.append(total)
        total += length
    return OpenHours(str(zone), first, opens, lengths, before)


def fingerprint(calendar: BusinessCalendar) -> str:
    """A stable digest of what the calendar counts as open."""
    holidays = sorted(str(day) for day in calendar.holidays)
    text = f"{calendar.timezone}|{calendar.days}|{calendar.start}|{calendar.end}|{holidays}"
    return hashlib.sha256(text.encode()).hexdigest()


def local_days(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> list[open_days.OpenDay]:
    """(local midnight as UTC, opens, open seconds, open seconds before) for each local day."""
    hours = open_hours(calendar, start, end)
    zone = ZoneInfo(hours.timezone)
    return [
        (
            datetime.combine(hours.first_day + timedelta(days=index), time(0), zone).astimezone(
                UTC
            ),
            opens,
            length,
            before,
        )
        for index, (opens, length, before) in enumerate(
            zip(hours.opens, hours.lengths, hours.before, strict=True)
        )
    ]


def open_days_current(session: Session, calendar: BusinessCalendar, now: datetime) -> bool:
    """Whether the stored calendar days are this calendar's and cover the history to now
    (a read: the usual answer, so a report needs no write turn to find it out)."""
    return _current(session, calendar, now, _first_day(session, now))


def _first_day(session: Session, now: datetime) -> datetime:
    """The calendar must start before the oldest ticket (two days' margin for zones)."""
    return min(open_days.earliest_created(session) or now, now) - timedelta(days=2)


def _current(session: Session, calendar: BusinessCalendar, now: datetime, first: datetime) -> bool:
    return open_days.is_current(
        open_days.calendar_state(session),
        fingerprint=fingerprint(calendar),
        first=first,
        last=now + MARGIN,
    )


def ensure_open_days(session: Session, calendar: BusinessCalendar, now: datetime) -> int:
    """Store the calendar's days for SQL if they are not the stored ones (facts recomputed).

    When only the days ahead are running out, the same calendar's next days are added
    and nothing is recomputed: no stored duration reaches past today. At 1M tickets a
    recomputation holds the writer's turn for a minute or more, once a year otherwise."""
    first = _first_day(session, now)
    if _current(session, calendar, now, first):
        return 0
    state = open_days.calendar_state(session)
    if (
        state is not None
        and state.fingerprint == fingerprint(calendar)
        and state.first_day <= first
    ):
        # Local days begin the day before the given moment's: noon of the day after the
        # stored first day (whatever its length) makes them begin on that first day.
        ahead = local_days(calendar, state.first_day + timedelta(hours=36), now + AHEAD)
        carries_on = ahead[0][0] == state.first_day  # the stored days' running totals go on
        if carries_on and open_days.extend_open_days(
            session, fingerprint=fingerprint(calendar), days=ahead, last=now + MARGIN
        ):
            return 0
    days = local_days(calendar, first, now + AHEAD)
    return open_days.replace_open_days(
        session, fingerprint=fingerprint(calendar), days=days, first=first, last=now + MARGIN
    )
