"""Business-time arithmetic for SLA timers: pure, exact to the microsecond, no wall clock.

A `Calendar` says which moments count. `WallClockCalendar` counts every moment;
`BusinessCalendar` counts only opening hours: on the configured weekdays that are not
holidays, from `start` to `end` local wall-clock time in the calendar's timezone.

All instants going in must be timezone-aware (any zone; naive ones raise ValueError) and
all instants coming out are UTC. Durations are real elapsed time, so a day whose opening
hours contain a DST change is an hour (or on Lord Howe Island half an hour) shorter or
longer than usual; a 09:00-17:00 day is always exactly 8 hours because the change happens
at night.

Opening and closing times that fall into a DST gap or fold resolve to *the first instant
at which the local clock reads that time or later*:

- in a gap (spring forward: 02:30 does not exist in New York on 2026-03-08) that is the
  instant the clocks jump, 03:00 EDT — the office opens or closes when the clock passes
  the time, not an hour after it;
- in a fold (fall back: 01:30 happens twice in New York on 2026-11-01) that is the first
  occurrence, 01:30 EDT; when the clock shows 01:00-01:30 again after falling back the
  opening window is already decided, so counted time never depends on reading the clock
  twice.

Every day therefore contributes one half-open window [open, close) of UTC instants, and
everything else is interval arithmetic over those windows, one day at a time.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import BusinessHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Pause = tuple[datetime, datetime | None]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# Day windows are cached per calendar; a long-running process only ever looks at a few
# years of dates, but cap the cache so a pathological caller cannot grow it forever.
_WINDOW_CACHE_LIMIT = 20_000
# How far `add` and `next_open` look ahead before deciding the calendar never opens again.
_SEARCH_HORIZON_DAYS = 36_525


def _utc(moment: datetime, name: str = "moment") -> datetime:
    """Return an aware datetime converted to UTC; naive datetimes are a caller bug."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _check_duration(duration: timedelta, name: str = "duration") -> None:
    if not isinstance(duration, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"{name} must not be negative, got {duration}")


class Calendar(ABC):
    """Which moments count towards a duration."""

    @abstractmethod
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the earliest moment by which `duration` of counted time has elapsed."""

    @abstractmethod
    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the counted time between two moments (zero if end <= start)."""


class WallClockCalendar(Calendar):
    """Calendar time: every moment counts, so this is plain datetime arithmetic."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return `start + duration` in UTC."""
        _check_duration(duration)
        return _utc(start, "start") + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return `end - start`, or zero if end <= start."""
        return max(_utc(end, "end") - _utc(start, "start"), _ZERO)

    def __repr__(self) -> str:
        return "WallClockCalendar()"


class BusinessCalendar(Calendar):
    """Opening hours in a timezone: weekdays, a daily start and end, and closed holidays."""

    def __init__(
        self,
        *,
        timezone: str,
        days: Sequence[str],
        start: time,
        end: time,
        holidays: Iterable[date] = (),
    ) -> None:
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {timezone!r} (use an IANA name)") from exc
        unknown = [day for day in days if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown!r}; use {', '.join(WEEKDAYS)}")
        # Without at least one open weekday `add` could never finish.
        if not days:
            raise ValueError("a business calendar needs at least one open weekday")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("start and end are local wall-clock times; give them no tzinfo")
        if start >= end:
            raise ValueError(f"start ({start}) must be before end ({end})")
        self.timezone = timezone
        self.days = tuple(day for day in WEEKDAYS if day in days)
        # fold=1 would flip which occurrence of an ambiguous time is meant; normalize it.
        self.start = start.replace(fold=0)
        self.end = end.replace(fold=0)
        self.holidays = frozenset(holidays)
        self._open_weekdays = frozenset(WEEKDAYS.index(day) for day in self.days)
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    @classmethod
    def from_config(cls, hours: BusinessHours) -> "BusinessCalendar":
        """Build the calendar from the validated `business_hours` config section."""
        return cls(
            timezone=hours.timezone,
            days=hours.days,
            start=hours.start,
            end=hours.end,
            holidays=hours.holidays,
        )

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self.timezone!r}, days={list(self.days)!r}, "
            f"start={self.start.isoformat()!r}, end={self.end.isoformat()!r}, "
            f"holidays={len(self.holidays)})"
        )

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` lies inside opening hours (opening inclusive, closing exclusive)."""
        moment = _utc(moment)
        opens, _closes = next(self._windows_after(moment))
        return opens <= moment

    def next_open(self, moment: datetime) -> datetime:
        """Return `moment` if open, else the next opening time (UTC)."""
        moment = _utc(moment)
        opens, _closes = next(self._windows_after(moment))
        return max(opens, moment)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the earliest moment by which `duration` of business time has elapsed."""
        start = _utc(start, "start")
        _check_duration(duration)
        if duration == _ZERO:
            return start
        remaining = duration
        for opens, closes in self._windows_after(start):
            begin = max(opens, start)
            available = closes - begin
            # `>=` so a duration that runs out exactly at closing time is due at closing,
            # not at the next opening: a Friday-afternoon target breaches on Friday.
            if available >= remaining:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: the window generator never ends")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time between two moments (zero if end <= start)."""
        start, end = _utc(start, "start"), _utc(end, "end")
        total = _ZERO
        if end <= start:
            return total
        for opens, closes in self._windows_after(start, bounded=True):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total

    def windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The UTC opening windows that close after `start` and open before `end`, in order."""
        end = _utc(end, "end")
        for opens, closes in self._windows_after(_utc(start, "start"), bounded=True):
            if opens >= end:
                return
            yield opens, closes

    def _windows_after(
        self, moment: datetime, *, bounded: bool = False
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the non-empty opening windows that close after `moment`, in order."""
        # Start a day early: near midnight in a zone with a fold the local date of
        # `moment` can be one later than the date whose window still contains it.
        day = moment.astimezone(self._zone).date() - _ONE_DAY
        # A caller that stops by itself (`elapsed` has an end) may walk any distance;
        # open-ended searches give up after a century instead of crawling to year 9999.
        horizon = None if bounded else day.toordinal() + _SEARCH_HORIZON_DAYS
        try:
            while True:
                window = self._window(day)
                if window is not None and window[1] > moment:
                    yield window
                day += _ONE_DAY
                if horizon is not None and day.toordinal() > horizon:
                    raise ValueError(
                        f"no business time left within {_SEARCH_HORIZON_DAYS // 365} years "
                        f"after {moment.isoformat()} (duration too long, or only holidays?)"
                    )
        except OverflowError:
            raise ValueError(
                f"business time after {moment.isoformat()} runs past the last supported date"
            ) from None

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the UTC [open, close) window of a local date, or None when closed."""
        if day.weekday() not in self._open_weekdays or day in self.holidays:
            return None
        try:
            return self._windows[day]
        except KeyError:
            pass
        opens = self._first_instant_at(datetime.combine(day, self.start))
        closes = self._first_instant_at(datetime.combine(day, self.end))
        # Both ends in the same DST gap (or a skipped calendar day, as in Samoa on
        # 2011-12-30) leave nothing open that day.
        window = (opens, closes) if opens < closes else None
        if len(self._windows) >= _WINDOW_CACHE_LIMIT:
            self._windows.clear()
        self._windows[day] = window
        return window

    def _first_instant_at(self, wall: datetime) -> datetime:
        """Return the first UTC instant at which the local clock reads `wall` or later."""
        # fold=0 is the first occurrence of an ambiguous time and is exact for normal times.
        candidate = wall.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        if self._wall(candidate) == wall:
            return candidate
        # `wall` is in a gap. fold=0 mapped it with the pre-transition offset, which lands
        # after the jump; the jump itself is the first instant reading `wall` or later.
        # zoneinfo does not expose transitions, so bisect for it in whole microseconds.
        low, high = candidate - _ONE_DAY, candidate
        if self._wall(low) >= wall:  # no single forward jump here; keep PEP 495's answer
            return candidate
        while high - low > _MICROSECOND:
            middle = low + (high - low) // 2
            if self._wall(middle) >= wall:
                high = middle
            else:
                low = middle
        return high

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self._zone).replace(tzinfo=None)


_WALL_CLOCK = WallClockCalendar()


def calendar_for(policy_business_hours: bool, hours: BusinessHours) -> Calendar:
    """Return the business calendar if the policy counts business hours, else wall-clock.

    Calendars are shared per configuration, so their day-window caches survive between
    calls (the sweep asks for one per ticket).
    """
    if not policy_business_hours:
        return _WALL_CLOCK
    key = (hours.timezone, tuple(hours.days), hours.start, hours.end, tuple(hours.holidays))
    return _shared_calendar(key, hours)


_CALENDARS: dict[tuple[object, ...], BusinessCalendar] = {}


def _shared_calendar(key: tuple[object, ...], hours: BusinessHours) -> BusinessCalendar:
    calendar = _CALENDARS.get(key)
    if calendar is None:
        if len(_CALENDARS) > 64:  # configs change rarely; never grow without bound
            _CALENDARS.clear()
        calendar = _CALENDARS[key] = BusinessCalendar.from_config(hours)
    return calendar


def _merged_pauses(
    pauses: Sequence[Pause], start: datetime, end: datetime | None
) -> list[tuple[datetime, datetime | None]]:
    """Clip pauses to [start, end], sort and merge them; an open pause stays open (None)."""
    clipped: list[tuple[datetime, datetime | None]] = []
    for index, (paused, resumed) in enumerate(pauses):
        paused = _utc(paused, f"pauses[{index}] start")
        if resumed is not None:
            resumed = _utc(resumed, f"pauses[{index}] end")
            if resumed < paused:
                raise ValueError(f"pauses[{index}] ends before it starts")
            if resumed <= start:
                continue
        if end is not None:
            if paused >= end:
                continue
            resumed = end if resumed is None else min(resumed, end)
        clipped.append((max(paused, start), resumed))
    clipped.sort(key=lambda pause: pause[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for paused, resumed in clipped:
        if merged:
            last_paused, last_resumed = merged[-1]
            # Overlapping or touching pauses become one, so no time is subtracted twice.
            if last_resumed is None or paused <= last_resumed:
                if last_resumed is not None and (resumed is None or resumed > last_resumed):
                    merged[-1] = (last_paused, resumed)
                continue
        merged.append((paused, resumed))
    return merged


def elapsed_excluding(
    calendar: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause]
) -> timedelta:
    """Return counted time in [start, end] minus counted time inside the pauses."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return _ZERO
    total = calendar.elapsed(start, end)
    for paused, resumed in _merged_pauses(pauses, start, end):
        total -= calendar.elapsed(paused, end if resumed is None else resumed)
    return total


def due_at(
    calendar: Calendar, start: datetime, target: timedelta, pauses: Sequence[Pause]
) -> datetime | None:
    """Return when `target` of counted, unpaused time is reached; None if the clock is stopped.

    A target reached before an open pause began is still due (already breached) at that
    moment; only a clock that is still short of the target when the open pause starts
    has no due time.
    """
    start = _utc(start, "start")
    _check_duration(target, "target")
    cursor, remaining = start, target
    for paused, resumed in _merged_pauses(pauses, start, None):
        available = calendar.elapsed(cursor, paused)
        if available >= remaining:
            return calendar.add(cursor, remaining)
        remaining -= available
        if resumed is None:
            return None
        cursor = max(cursor, resumed)
    return calendar.add(cursor, remaining)


def format_remaining(delta: timedelta) -> str:
    """Render a time left as "1h 20m", "2d 3h" or "45s"; negative as "overdue by 12m"."""
    # Whole seconds, truncated toward zero: "45s" left never reads as "46s".
    seconds = abs(delta) // timedelta(seconds=1)
    amounts: list[tuple[int, str]] = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        amounts.append((amount, unit))
    largest = next((index for index, (amount, _) in enumerate(amounts) if amount), None)
    if largest is None:
        shown = "0s"
    else:
        # The two largest units are precise enough for a reminder and stay short.
        shown = " ".join(
            f"{amount}{unit}" for amount, unit in amounts[largest : largest + 2] if amount
        )
    return f"overdue by {shown}" if delta < _ZERO else shown
