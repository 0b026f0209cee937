"""Reading when an away agent is back (`/ticket away [until]`): pure, strict, in the team's zone."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import parse_duration

LONGEST_AWAY = timedelta(days=365)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[t ](\d{1,2}:\d{2})$")


def accepted(timezone: str) -> str:
    """What `until` may be, for error messages and help."""
    return (
        "Say how long or until when: nothing (until `/ticket back`), a duration like `2h`, "
        "`90m` or `3d`, `tomorrow`, `tomorrow 9:00`, `friday`, `friday 14:00`, `17:30` "
        "(the next time the clock shows it), or a date like `2026-12-01` or "
        f"`2026-12-01 09:00`. Times are {timezone}; a day alone means its start of "
        "business hours."
    )


class UntilError(ValueError):
    """`until` is not something deskbot reads; the message says what is accepted."""


def parse_until(text: str, *, now: datetime, timezone: str, day_start: time) -> datetime | None:
    """The UTC moment an agent is back, or None for "until I say I'm back"."""
    words = text.strip().lower().split()
    if words and words[0] in ("until", "till", "for"):
        words = words[1:]
    if not words:
        return None
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    moment = _read(words, now=now, local_now=local_now, zone=zone, day_start=day_start)
    if moment is None:
        raise UntilError(f"`{text.strip()[:60]}` is not a time deskbot reads. {accepted(timezone)}")
    if moment <= now:
        raise UntilError(f"`{text.strip()[:60]}` is already past. {accepted(timezone)}")
    if moment - now > LONGEST_AWAY:
        raise UntilError("Away for more than a year? Use `/ticket away` with no end instead.")
    return moment.astimezone(UTC)


def _read(
    words: list[str], *, now: datetime, local_now: datetime, zone: ZoneInfo, day_start: time
) -> datetime | None:
    joined = " ".join(words)
    if len(words) == 1 and re.fullmatch(r"(\d+\s*[smhdw])+", joined):
        try:
            return now + parse_duration(joined)
        except ValueError:
            return None
    match = _DATETIME.match(joined)
    if match:
        words = [match.group(1), match.group(2)]
    if len(words) > 2:
        return None
    day_word, clock = words[0], (words[1] if len(words) == 2 else None)
    at = _clock(clock) if clock else None
    if clock and at is None:
        return None
    today = local_now.date()
    if _TIME.match(day_word) and clock is None:
        at = _clock(day_word)
        assert at is not None
        moment = _local(today, at, zone)
        return moment if moment > now else _local(today + timedelta(days=1), at, zone)
    day = _day(day_word, today)
    if day is None:
        return None
    return _local(day, at or day_start, zone)


def _day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    names = [name for name in WEEKDAYS if len(word) >= 3 and name.startswith(word)]
    if len(names) == 1:
        ahead = (WEEKDAYS.index(names[0]) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    match = _DATE.match(word)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    return None


def _clock(word: str) -> time | None:
    match = _TIME.match(word)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)
