"""Time sources: the one place deskbot reads the wall clock, and Slack timestamp helpers.

Every service takes a `Clock` (a zero-argument callable returning an aware UTC
datetime) so tests and the demo can run on injected or accelerated time.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (the production clock)."""
    return datetime.now(UTC)


def ts_to_datetime(ts: str) -> datetime:
    """Convert a Slack message timestamp such as "1763900000.000100" to aware UTC."""
    try:
        seconds = Decimal(ts)
    except InvalidOperation as exc:
        raise ValueError(f"not a Slack timestamp: {ts!r}") from exc
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return datetime.fromtimestamp(whole, UTC).replace(microsecond=micros)


def datetime_to_ts(moment: datetime) -> str:
    """Format an aware datetime as a Slack-style timestamp string."""
    return f"{moment.timestamp():.6f}"
