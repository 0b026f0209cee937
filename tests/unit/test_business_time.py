"""Business-time math: concrete examples around weekends, holidays and DST, and its laws."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.business_time import (
    WEEKDAYS,
    BusinessCalendar,
    Calendar,
    WallClockCalendar,
    calendar_for,
    due_at,
    elapsed_excluding,
    format_remaining,
)
from bot.config import BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
WEEKDAYS_ONLY = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = WEEKDAYS
US = timedelta(microseconds=1)

# Hypothesis runs many examples per law; keep the whole file well under 5 seconds.
laws = settings(max_examples=100, deadline=None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def office(zone: str = "UTC", **kwargs: object) -> BusinessCalendar:
    options: dict[str, object] = {"days": WEEKDAYS_ONLY, "start": time(9), "end": time(17)}
    options.update(kwargs)
    return BusinessCalendar(timezone=zone, **options)  # type: ignore[arg-type]


def sundays(zone: str, start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar(timezone=zone, days=["sun"], start=start, end=end)


def sunday_hours(calendar: BusinessCalendar, day: date) -> timedelta:
    """Real time the calendar is open on one local date (the window fits inside 00-06)."""
    zone = ZoneInfo(calendar.timezone)
    return calendar.elapsed(
        datetime.combine(day, time(0), tzinfo=zone) - timedelta(hours=6),
        datetime.combine(day, time(6), tzinfo=zone) + timedelta(hours=6),
    )


# --- weekends, out-of-hours openings, holidays, long durations ------------------------


def test_friday_afternoon_plus_two_hours_is_monday_ten():
    calendar = office()
    friday = utc(2026, 3, 6, 16)
    assert friday.weekday() == 4
    assert calendar.add(friday, timedelta(hours=2)) == utc(2026, 3, 9, 10)
    assert calendar.elapsed(friday, utc(2026, 3, 9, 10)) == timedelta(hours=2)


def test_target_exhausted_at_closing_time_is_due_at_closing_not_next_morning():
    calendar = office()
    assert calendar.add(utc(2026, 3, 6, 16), timedelta(hours=1)) == utc(2026, 3, 6, 17)
    assert not calendar.is_open(utc(2026, 3, 6, 17))
    assert calendar.is_open(utc(2026, 3, 6, 17) - US)


def test_ticket_opened_on_saturday_counts_from_monday_nine():
    calendar = office()
    saturday = utc(2026, 3, 7, 11, 30)
    assert not calendar.is_open(saturday)
    assert calendar.next_open(saturday) == utc(2026, 3, 9, 9)
    assert calendar.add(saturday, timedelta(hours=1)) == utc(2026, 3, 9, 10)
    assert calendar.elapsed(saturday, utc(2026, 3, 9, 9, 30)) == timedelta(minutes=30)
    assert calendar.elapsed(saturday, utc(2026, 3, 9, 8, 59)) == timedelta(0)


def test_opened_before_hours_and_after_hours():
    calendar = office()
    assert calendar.add(utc(2026, 3, 10, 6), timedelta(minutes=5)) == utc(2026, 3, 10, 9, 5)
    assert calendar.add(utc(2026, 3, 10, 20), timedelta(minutes=5)) == utc(2026, 3, 11, 9, 5)
    assert calendar.next_open(utc(2026, 3, 10, 12)) == utc(2026, 3, 10, 12)


def test_holidays_are_closed_all_day():
    # Good Friday and Easter Monday 2026 in Berlin.
    calendar = office("Europe/Berlin", holidays=[date(2026, 4, 3), date(2026, 4, 6)])
    thursday = berlin(2026, 4, 2, 16)
    assert calendar.add(thursday, timedelta(hours=2)) == berlin(2026, 4, 7, 10)
    assert not calendar.is_open(berlin(2026, 4, 3, 12))
    assert calendar.elapsed(berlin(2026, 4, 3), berlin(2026, 4, 7)) == timedelta(0)


def test_multi_day_and_multi_week_durations():
    calendar = office()
    monday = utc(2026, 3, 2, 10)
    # Monday 7h + Tuesday 8h + Wednesday 5h.
    assert calendar.add(monday, timedelta(hours=20)) == utc(2026, 3, 4, 14)
    # 400 business hours = 50 working days = exactly 10 weeks, due at a Friday closing.
    due = calendar.add(utc(2026, 3, 2, 9), timedelta(hours=400))
    assert due == utc(2026, 5, 8, 17)
    assert calendar.elapsed(utc(2026, 3, 2, 9), due) == timedelta(hours=400)
    assert calendar.elapsed(utc(2026, 3, 1), utc(2027, 3, 1)) == timedelta(hours=8 * 260)


def test_results_are_utc_and_any_aware_input_zone_is_accepted():
    calendar = office("Europe/Berlin")
    due = calendar.add(berlin(2026, 1, 5, 16), timedelta(hours=1))
    assert due.tzinfo is UTC
    assert due == utc(2026, 1, 5, 16)  # 17:00 CET
    assert calendar.elapsed(utc(2026, 1, 5, 8), berlin(2026, 1, 5, 10)) == timedelta(hours=1)


def test_years_of_holidays_in_a_row_still_terminate():
    # Two years of holidays in a row: still answers, and quickly.
    first = date(2026, 1, 1)
    holidays = [first + timedelta(days=n) for n in range(730)]
    calendar = office(holidays=holidays)
    assert calendar.next_open(utc(2026, 1, 1)) == utc(2028, 1, 3, 9)
    assert calendar.add(utc(2026, 1, 1), timedelta(hours=1)) == utc(2028, 1, 3, 10)


def test_absurd_durations_fail_clearly_instead_of_walking_to_year_9999():
    with pytest.raises(ValueError, match="within 100 years"):
        office().add(utc(2026, 1, 1), timedelta(days=100_000))
    with pytest.raises(ValueError, match="last supported date"):
        office().add(datetime.max.replace(tzinfo=UTC) - timedelta(days=1), timedelta(days=2))


# --- DST --------------------------------------------------------------------------------


def test_berlin_working_day_is_eight_real_hours_on_both_dst_weekends():
    calendar = office("Europe/Berlin")
    # Friday 16:00 CET + 2h crosses the spring-forward weekend: Monday 10:00 CEST.
    due = calendar.add(berlin(2026, 3, 27, 16), timedelta(hours=2))
    assert due == berlin(2026, 3, 30, 10) == utc(2026, 3, 30, 8)
    # Real time between them is 66h minus the lost hour; business time is 2h.
    assert due - berlin(2026, 3, 27, 16) == timedelta(hours=65)
    for monday in (date(2026, 3, 30), date(2026, 10, 26)):
        nine = datetime.combine(monday, time(9), tzinfo=BERLIN)
        assert calendar.elapsed(nine, nine + timedelta(hours=9)) == timedelta(hours=8)
    week = calendar.elapsed(berlin(2026, 10, 19), berlin(2026, 11, 2))
    assert week == timedelta(hours=80)


def test_berlin_hours_spanning_the_change_are_an_hour_shorter_or_longer():
    calendar = sundays("Europe/Berlin", time(0), time(6))
    assert sunday_hours(calendar, date(2026, 3, 29)) == timedelta(hours=5)
    assert sunday_hours(calendar, date(2026, 10, 25)) == timedelta(hours=7)
    assert sunday_hours(calendar, date(2026, 3, 22)) == timedelta(hours=6)
    # 03:00 CEST comes one real hour after 01:00 CET.
    assert calendar.add(berlin(2026, 3, 29, 1), timedelta(hours=1)) == berlin(2026, 3, 29, 3)


def test_new_york_hours_crossing_two_am():
    calendar = sundays("America/New_York", time(1), time(4))
    assert sunday_hours(calendar, date(2026, 3, 8)) == timedelta(hours=2)
    assert sunday_hours(calendar, date(2026, 11, 1)) == timedelta(hours=4)
    # Both passes through 01:00-02:00 on the fall-back night are open.
    assert calendar.is_open(utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert calendar.is_open(utc(2026, 11, 1, 6, 30))  # 01:30 EST


def test_opening_time_in_a_dst_gap_opens_when_the_clocks_jump():
    calendar = sundays("America/New_York", time(2, 30), time(4))
    # 02:30 does not exist on 2026-03-08; the clock jumps from 02:00 EST to 03:00 EDT.
    assert calendar.next_open(utc(2026, 3, 8)) == utc(2026, 3, 8, 7)
    assert sunday_hours(calendar, date(2026, 3, 8)) == timedelta(hours=1)
    assert calendar.next_open(utc(2026, 3, 15)) == utc(2026, 3, 15, 6, 30)


def test_closing_time_in_a_dst_fold_closes_at_its_first_occurrence():
    calendar = sundays("America/New_York", time(0, 30), time(1, 30))
    # 01:30 happens twice on 2026-11-01; the office closes at 01:30 EDT.
    assert sunday_hours(calendar, date(2026, 11, 1)) == timedelta(hours=1)
    assert calendar.is_open(utc(2026, 11, 1, 5, 29))
    assert not calendar.is_open(utc(2026, 11, 1, 5, 30))
    assert not calendar.is_open(utc(2026, 11, 1, 6, 15))  # 01:15 EST, second pass


def test_lord_howe_half_hour_dst_inside_opening_hours():
    calendar = sundays("Australia/Lord_Howe", time(1), time(3))
    assert sunday_hours(calendar, date(2026, 4, 5)) == timedelta(hours=2, minutes=30)
    assert sunday_hours(calendar, date(2026, 10, 4)) == timedelta(hours=1, minutes=30)
    # 02:15 is in the 02:00-02:30 gap; the office opens at the jump, 02:30 LHDT.
    gap = sundays("Australia/Lord_Howe", time(2, 15), time(3))
    opens = gap.next_open(datetime(2026, 10, 4, tzinfo=LORD_HOWE))
    assert opens == datetime(2026, 10, 4, 2, 30, tzinfo=LORD_HOWE)
    assert sunday_hours(gap, date(2026, 10, 4)) == timedelta(minutes=30)


def test_a_skipped_calendar_day_is_simply_closed():
    # Samoa skipped 2011-12-30 entirely when it moved across the date line.
    calendar = office("Pacific/Apia", days=EVERY_DAY)
    apia = ZoneInfo("Pacific/Apia")
    start = datetime(2011, 12, 29, 9, tzinfo=apia)
    assert calendar.elapsed(start, datetime(2011, 12, 31, 17, tzinfo=apia)) == timedelta(hours=16)
    assert calendar.add(start + timedelta(hours=7), timedelta(hours=2)) == datetime(
        2011, 12, 31, 10, tzinfo=apia
    )


# --- pauses and due times -----------------------------------------------------------------


def test_pending_time_is_excluded_and_overlaps_are_not_subtracted_twice():
    calendar = office()
    start, end = utc(2026, 3, 2, 9), utc(2026, 3, 3, 17)  # 16 business hours
    pause = (utc(2026, 3, 2, 15), utc(2026, 3, 3, 10))  # 2h Monday + 1h Tuesday
    assert elapsed_excluding(calendar, start, end, [pause]) == timedelta(hours=13)
    overlapping = [pause, (utc(2026, 3, 3, 9, 30), utc(2026, 3, 3, 11))]
    assert elapsed_excluding(calendar, start, end, overlapping) == timedelta(hours=12)
    assert elapsed_excluding(calendar, start, end, [pause, pause]) == timedelta(hours=13)
    # An open pause runs until `end`; a pause from before `start` is clipped.
    assert elapsed_excluding(calendar, start, end, [(utc(2026, 3, 3, 12), None)]) == timedelta(
        hours=11
    )
    assert elapsed_excluding(calendar, start, end, [(utc(2026, 2, 1), start)]) == timedelta(
        hours=16
    )


def test_due_at_moves_with_pending_time_and_stops_while_pending():
    calendar = office()
    start = utc(2026, 3, 6, 15)  # Friday
    target = timedelta(hours=4)
    assert due_at(calendar, start, target, []) == utc(2026, 3, 9, 11)
    pending = (utc(2026, 3, 6, 16), utc(2026, 3, 9, 10))  # 1h Friday + 1h Monday
    assert due_at(calendar, start, target, [pending]) == utc(2026, 3, 9, 13)
    # Still waiting on the customer: the clock is stopped, there is no due time.
    assert due_at(calendar, start, target, [(utc(2026, 3, 6, 16), None)]) is None
    # Breached before the customer was asked: still due (overdue) at the breach moment.
    assert due_at(calendar, start, target, [(utc(2026, 3, 9, 12), None)]) == utc(2026, 3, 9, 11)


def test_wall_clock_calendar_counts_everything():
    calendar = calendar_for(False, BusinessHours())
    assert isinstance(calendar, WallClockCalendar)
    start = utc(2026, 3, 6, 16)
    assert calendar.add(start, timedelta(hours=2)) == utc(2026, 3, 6, 18)
    assert calendar.elapsed(start, utc(2026, 3, 9)) == timedelta(hours=56)
    assert calendar.elapsed(utc(2026, 3, 9), start) == timedelta(0)
    pauses = [(utc(2026, 3, 6, 17), utc(2026, 3, 6, 18))]
    assert due_at(calendar, start, timedelta(hours=2), pauses) == utc(2026, 3, 6, 19)


def test_calendar_from_config():
    hours = BusinessHours(
        timezone="Europe/Berlin",
        days=["mon", "tue"],
        start=time(8),
        end=time(12, 30),
        holidays=[date(2026, 3, 3)],
    )
    calendar = calendar_for(True, hours)
    assert isinstance(calendar, BusinessCalendar)
    assert calendar.elapsed(berlin(2026, 3, 2), berlin(2026, 3, 9)) == timedelta(hours=4.5)
    assert "Europe/Berlin" in repr(calendar)


# --- validation and formatting -------------------------------------------------------------


MONDAY = utc(2026, 3, 2)
NAIVE = datetime(2026, 3, 2, 9)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(NAIVE, timedelta(hours=1)),
        lambda c: c.elapsed(MONDAY, NAIVE),
        lambda c: c.add(MONDAY, timedelta(hours=-1)),
        lambda c: elapsed_excluding(c, MONDAY, MONDAY + timedelta(1), [(NAIVE, None)]),
        lambda c: elapsed_excluding(c, MONDAY, MONDAY + timedelta(1), [(MONDAY, NAIVE)]),
        lambda c: elapsed_excluding(c, MONDAY, MONDAY + timedelta(1), [(MONDAY + US, MONDAY)]),
        lambda c: due_at(c, NAIVE, timedelta(hours=1), []),
        lambda c: due_at(c, MONDAY, timedelta(hours=-1), []),
    ],
)
@pytest.mark.parametrize("calendar", [office(), WallClockCalendar()], ids=["business", "wall"])
def test_bad_input_raises_value_error(calendar: Calendar, call):
    with pytest.raises(ValueError):
        call(calendar)


@pytest.mark.parametrize("method", ["is_open", "next_open"])
def test_naive_moments_are_rejected(method: str):
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(office(), method)(NAIVE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"days": []}, "at least one"),
        ({"days": ["monday"]}, "unknown weekday"),
        ({"start": time(17), "end": time(9)}, "before end"),
        ({"start": time(9, tzinfo=UTC)}, "wall-clock"),
    ],
)
def test_calendar_validation(kwargs: dict[str, object], message: str):
    options: dict[str, object] = {"timezone": "UTC", "days": WEEKDAYS_ONLY}
    options |= {"start": time(9), "end": time(17)} | kwargs
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=1, minutes=20, seconds=59), "1h 20m"),
        (timedelta(days=2, hours=3, minutes=4), "2d 3h"),
        (timedelta(days=2, minutes=4), "2d"),
        (timedelta(seconds=45, microseconds=999_999), "45s"),
        (timedelta(minutes=5, seconds=7), "5m 7s"),
        (timedelta(0), "0s"),
        (-timedelta(minutes=12), "overdue by 12m"),
        (-timedelta(days=1, hours=2, minutes=3), "overdue by 1d 2h"),
        (-timedelta(seconds=1), "overdue by 1s"),
        (timedelta(days=400), "400d"),
    ],
)
def test_format_remaining(delta: timedelta, text: str):
    assert format_remaining(delta) == text


# --- laws (hypothesis) ----------------------------------------------------------------------

FIXED_CALENDARS = [
    office(),
    office("Europe/Berlin", holidays=[date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25)]),
    sundays("America/New_York", time(1), time(4)),
    office("America/New_York", days=EVERY_DAY, start=time(0, 30), end=time(3, 30)),
    office("America/New_York", days=EVERY_DAY, start=time(2, 30), end=time(23, 30)),
    office("Australia/Lord_Howe", days=EVERY_DAY, start=time(1, 45), end=time(2, 15)),
    office("Europe/Berlin", days=["sat", "sun"], start=time(1), end=time(4)),
    office("Asia/Kathmandu", days=["sun", "mon", "tue", "wed", "thu"], start=time(9, 59, 59, 1)),
]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
# Moments near 2025-2027 DST transitions (of all the zones above) get extra attention.
TRANSITIONS = [
    utc(2026, 3, 8, 7),
    utc(2026, 3, 29, 1),
    utc(2026, 4, 4, 15),
    utc(2026, 10, 3, 15, 30),
    utc(2026, 10, 25, 1),
    utc(2026, 11, 1, 6),
    utc(2026, 9, 26, 14),
    utc(2027, 3, 14, 7),
]


@st.composite
def generated_calendars(draw: st.DrawFn) -> BusinessCalendar:
    start, end = sorted(draw(st.lists(st.times(), min_size=2, max_size=2, unique=True)))
    # Keep days at least an hour long so multi-week durations stay quick to walk.
    if datetime.combine(date.min, end) - datetime.combine(date.min, start) < timedelta(hours=1):
        start, end = time(9), time(17)
    holidays = draw(st.lists(st.dates(date(2025, 12, 1), date(2027, 2, 1)), max_size=20))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        days=draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)),
        start=start,
        end=end,
        holidays=holidays,
    )


calendars = st.one_of(st.sampled_from(FIXED_CALENDARS), generated_calendars())
anywhere = st.datetimes(datetime(2025, 12, 1), datetime(2027, 1, 31), timezones=st.just(UTC))
near_dst = st.builds(
    lambda base, offset: base + offset,
    st.sampled_from(TRANSITIONS),
    st.timedeltas(timedelta(days=-3), timedelta(days=3)),
)
moments = st.one_of(anywhere, near_dst)
durations = st.timedeltas(timedelta(0), timedelta(days=4))
spans = st.timedeltas(timedelta(0), timedelta(days=10))


@laws
@given(calendars, moments, durations)
def test_add_then_elapsed_returns_the_duration_exactly(calendar, start, duration):
    due = calendar.add(start, duration)
    assert due.tzinfo is UTC
    assert due >= start
    assert calendar.elapsed(start, due) == duration
    if duration:
        # The earliest such moment: one microsecond earlier is not enough yet ...
        assert calendar.elapsed(start, due - US) < duration
        # ... so it lies in open hours or exactly at a closing boundary.
        assert calendar.is_open(due - US)


@laws
@given(calendars, moments, spans, spans)
def test_elapsed_is_monotonic_and_additive(calendar, start, first, second):
    middle, end = start + first, start + first + second
    whole = calendar.elapsed(start, end)
    assert whole == calendar.elapsed(start, middle) + calendar.elapsed(middle, end)
    assert calendar.elapsed(start, middle) <= whole
    assert calendar.elapsed(middle, end) <= whole
    assert timedelta(0) <= whole <= end - start
    assert calendar.elapsed(end, start) == timedelta(0)
    # Measuring a span and adding it back lands no later than the span's end.
    assert calendar.add(start, whole) <= end


@laws
@given(calendars, moments, durations, durations)
def test_add_is_monotonic_in_duration(calendar, start, first, second):
    shorter, longer = sorted([first, second])
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@laws
@given(calendars, moments)
def test_next_open_is_open_and_nothing_counts_before_it(calendar, moment):
    opens = calendar.next_open(moment)
    assert opens >= moment
    assert calendar.is_open(opens)
    assert calendar.elapsed(moment, opens) == timedelta(0)
    assert calendar.is_open(moment) == (opens == moment)


# Calendars whose opening and closing times are never in a DST fold, so "open" is exactly
# "the local wall clock shows a time in [start, end) on an open day".
WALL_CHECKED = [
    FIXED_CALENDARS[1],
    FIXED_CALENDARS[2],
    FIXED_CALENDARS[3],
    FIXED_CALENDARS[4],
    FIXED_CALENDARS[6],
    office("Australia/Lord_Howe", days=EVERY_DAY, start=time(1), end=time(3)),
    office("Australia/Lord_Howe", days=EVERY_DAY, start=time(2, 15), end=time(3)),
]


def wall_clock_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(calendar.timezone))
    return (
        WEEKDAYS[local.weekday()] in calendar.days
        and local.date() not in calendar.holidays
        and calendar.start <= local.time() < calendar.end
    )


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(WALL_CHECKED),
    near_dst.map(lambda moment: moment.replace(second=0, microsecond=0)),
    st.integers(0, 3 * 24 * 60),
)
def test_elapsed_matches_a_minute_by_minute_wall_clock_count(calendar, start, minutes):
    end = start + timedelta(minutes=minutes)
    counted = sum(wall_clock_open(calendar, start + timedelta(minutes=n)) for n in range(minutes))
    assert calendar.elapsed(start, end) == timedelta(minutes=counted)
    assert calendar.is_open(end) == wall_clock_open(calendar, end)


pause_lists = st.lists(
    st.tuples(
        moments,
        st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=3))),
    ).map(lambda pause: (pause[0], None if pause[1] is None else pause[0] + pause[1])),
    max_size=4,
)
closed_pause_lists = pause_lists.map(lambda pauses: [p for p in pauses if p[1] is not None])


@laws
@given(calendars, moments, spans, pause_lists, pause_lists)
def test_pauses_only_ever_reduce_elapsed(calendar, start, span, pauses, more):
    end = start + span
    counted = elapsed_excluding(calendar, start, end, pauses)
    assert timedelta(0) <= counted <= calendar.elapsed(start, end)
    assert elapsed_excluding(calendar, start, end, pauses + more) <= counted
    assert elapsed_excluding(calendar, start, end, pauses + pauses) == counted
    assert elapsed_excluding(calendar, start, end, []) == calendar.elapsed(start, end)


@laws
@given(calendars, moments, spans, moments, spans)
def test_a_single_pause_excludes_exactly_its_counted_time(calendar, start, span, paused, length):
    end, resumed = start + span, paused + length
    inside = calendar.elapsed(max(paused, start), min(resumed, end))
    expected = calendar.elapsed(start, end) - inside
    assert elapsed_excluding(calendar, start, end, [(paused, resumed)]) == expected


@laws
@given(calendars, moments, durations, closed_pause_lists, pause_lists)
def test_due_at_is_reached_exactly_and_moves_later_with_pauses(
    calendar, start, target, pauses, more
):
    assert due_at(calendar, start, target, []) == calendar.add(start, target)
    due = due_at(calendar, start, target, pauses)
    assert due is not None
    assert due >= calendar.add(start, target)
    assert elapsed_excluding(calendar, start, due, pauses) == target
    if target:
        assert elapsed_excluding(calendar, start, due - US, pauses) < target
    later = due_at(calendar, start, target, pauses + more)
    assert later is None or later >= due


@laws
@given(calendars, moments, durations, closed_pause_lists, moments)
def test_an_open_pause_stops_the_clock_unless_the_target_was_already_reached(
    calendar, start, target, pauses, waiting_since
):
    due = due_at(calendar, start, target, [*pauses, (waiting_since, None)])
    reached_before = elapsed_excluding(calendar, start, waiting_since, pauses) >= target
    if reached_before:
        assert due == due_at(calendar, start, target, pauses)
    else:
        assert due is None
