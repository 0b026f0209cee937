"""Retention: text older than `retention.message_text` is redacted, one span at a time.

The database remembers how far it has gone (the last retention entry of erasure_log), so
each run only looks at text that has aged past the cutoff since, whole UTC days at a
time. The first run on an old database walks its history in 30-day spans, one
transaction each, so no transaction holds the database for long. Replicas take turns.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from store import erasure
from store.db import lock_until_commit, session_scope

SPAN = timedelta(days=30)


def _day(moment: datetime) -> datetime:
    """The start of a moment's UTC day."""
    return datetime.combine(moment.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)


def cutoff(*, keep: timedelta, now: datetime) -> datetime:
    """Text written before this moment is past its retention."""
    return _day(now - keep)


def expire_old_text(engine: Engine, *, keep: timedelta, now: datetime) -> dict[str, int]:
    """Redact the text written before the day `keep` ago; rows redacted per kind."""
    end_of_retention = cutoff(keep=keep, now=now)
    totals: dict[str, int] = {}
    while True:
        with session_scope(engine) as session:
            lock_until_commit(session, key="retention")
            start = erasure.expired_until(session)
            if start is not None and start >= end_of_retention:
                return totals
            first = start or erasure.earliest_text(session)
            end = end_of_retention if first is None else min(end_of_retention, _day(first) + SPAN)
            counts = erasure.expire(session, start=start, end=end, at=now)
        for kind, count in counts.items():
            totals[kind] = totals.get(kind, 0) + count
