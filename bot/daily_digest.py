"""The leads' daily digest: yesterday's tickets, first responses in SLA, a week of breaches.

Exactly once per local day, whatever the number of replicas or restarts: `run()` (called
every minute by the scheduler, which is only a trigger) writes the day's row with a
unique key once the configured time has passed, then leases pending rows with SKIP
LOCKED and sends them. A failed send stays pending and is retried with backoff; a crash
between sending and marking sends again after the lease, at most once per crash.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.config import DeskConfig
from bot.sla.sweeper import Delivery
from store import digest, sla_targets
from store.db import session_scope

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)
WEEK = 7


@dataclass(frozen=True)
class DayBreaches:
    """Breaches of the response and resolution targets due on one local day."""

    day: date
    first_response: int
    resolution: int


@dataclass(frozen=True)
class DigestReport:
    """What the digest says about one local day."""

    day: date
    timezone: str
    created: int
    resolved: int
    open_now: int
    first_inside: int
    first_outside: int
    week: list[DayBreaches]


Send = Callable[[str, DigestReport], Delivery]


@dataclass(frozen=True)
class DigestRun:
    """What one run did."""

    sent: int = 0
    failed: int = 0


class DailyDigestService:
    """Decides in the database when the day's digest is owed, and sends it once."""

    def __init__(self, engine: Engine, desk: DeskConfig, clock: Clock, send: Send) -> None:
        self._engine = engine
        self._desk = desk
        self._clock = clock
        self._send = send

    @property
    def enabled(self) -> bool:
        """On when `daily_digest.at` is set and there is a leads channel."""
        return self._desk.daily_digest.at is not None and self._desk.leads_channel is not None

    def run(self) -> DigestRun:
        """Write today's digest row once its time has come; send what is pending."""
        if not self.enabled:
            return DigestRun()
        now = self._clock()
        self._plan(now)
        return self._deliver(now)

    def _plan(self, now: datetime) -> None:
        local = now.astimezone(self._zone)
        at = self._desk.daily_digest.at
        assert at is not None and self._desk.leads_channel is not None
        if local.time() < at:
            return
        with session_scope(self._engine) as session:
            digest.add_digest(session, day=local.date(), channel=self._desk.leads_channel, now=now)

    def _deliver(self, now: datetime) -> DigestRun:
        with session_scope(self._engine) as session:
            claimed = digest.claim_digests(session, now=now, lease_until=now + LEASE)
        sent = failed = 0
        for row in claimed:
            outcome = self._send(row.channel, self.report(row.day - timedelta(days=1), now=now))
            with session_scope(self._engine) as session:
                if outcome is Delivery.SENT:
                    digest.finish_digest(session, digest_id=row.id, status="sent", at=now)
                    sent += 1
                elif outcome is Delivery.REFUSED:
                    digest.finish_digest(session, digest_id=row.id, status="dropped", at=now)
                else:
                    retry_at = now + min(timedelta(minutes=1) * 2**row.attempts, MAX_BACKOFF)
                    digest.retry_digest(session, digest_id=row.id, retry_at=retry_at)
                    failed += 1
        return DigestRun(sent, failed)

    def report(self, day: date, *, now: datetime) -> DigestReport:
        """The numbers for one local day, and the breaches of the week ending with it."""
        timezone = self._desk.business_hours.timezone
        start, end = sla_targets.day_bounds(day, timezone)
        first_day = day - timedelta(days=WEEK - 1)
        with session_scope(self._engine) as session:
            inside, outside = sla_targets.met_in_window(
                session, target="first_response", start=start, end=end
            )
            per_target = {
                target: sla_targets.breaches_per_day(
                    session,
                    target=target,
                    first_day=first_day,
                    last_day=day,
                    timezone=timezone,
                    now=now,
                )
                for target in ("first_response", "resolution")
            }
            return DigestReport(
                day=day,
                timezone=timezone,
                created=digest.tickets_created(session, start=start, end=end),
                resolved=digest.tickets_resolved(session, start=start, end=end),
                open_now=digest.tickets_open(session),
                first_inside=inside,
                first_outside=outside,
                week=[
                    DayBreaches(d, per_target["first_response"][d], per_target["resolution"][d])
                    for d in sorted(per_target["first_response"])
                ],
            )

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self._desk.business_hours.timezone)
