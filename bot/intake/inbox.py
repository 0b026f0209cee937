"""The event inbox: what makes an acknowledged message event a kept one.

Slack needs an answer within three seconds and redelivers what it gets no 2xx for. So the
request thread does one small insert of the event as Slack sent it, and only then lets
Bolt acknowledge; turning it into tickets, messages, SLA timers and routing happens after
the acknowledgement. The replica storing an event holds a lease on it and renews it while
it works; a row left behind by a crash, a database outage or a failing handler is taken up
again once its lease runs out, by any replica with room, and after `max_attempts` it is
kept aside (never deleted) for a person to look at.
"""

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from store import inbox, tickets
from store.db import session_scope
from store.models import InboxEvent

# How long a replica that stops renewing (it died) keeps its events from the others; a
# second pass is harmless (intake is idempotent) but wasted work.
LEASE = timedelta(minutes=2)
LEASE_BEAT = timedelta(seconds=30)  # how often held leases are renewed: four beats a lease
# Renewed leases keep held work with its replica; past this, a stuck replica lets go.
MAX_HOLD = timedelta(minutes=15)


def event_key(event: dict[str, Any], event_id: str | None) -> str:
    """Slack's event id, or a digest of the event when a transport leaves it out."""
    if event_id:
        return event_id[:64]
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode())
    return "sha256:" + digest.hexdigest()[:57]


class InHand:
    """What this process is still storing or following up, and the leases that covers.

    A replica renews the leases of what it holds (`Inbox.renew_leases`), so only the work
    of a replica that died is taken up by others, however long its own queue has grown.
    Work held longer than `MAX_HOLD` is no longer renewed: a pipeline stuck that long must
    not keep it from everyone else.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._count = 0
        self._rows: dict[int, datetime] = {}  # inbox row id -> when taken
        self._tickets: dict[int, datetime] = {}  # ticket id whose welcome is pending -> since
        self._idle = threading.Condition()

    def add(self, row_id: int | None = None) -> None:
        """One more event in hand; its inbox row (if any) is held until stored."""
        with self._idle:
            self._count += 1
            if row_id is not None:
                self._rows[row_id] = self._clock()

    def stored(self, row_id: int, *, welcome_for: int | None = None) -> None:
        """The event's inbox row is gone; hold the new ticket's welcome until it is posted."""
        with self._idle:
            self._rows.pop(row_id, None)
            if welcome_for is not None:
                self._tickets[welcome_for] = self._clock()

    def done(self, *, row_id: int | None = None, ticket_id: int | None = None) -> None:
        """One event finished with (stored and followed up, or left for a replay)."""
        with self._idle:
            self._count -= 1
            if row_id is not None:
                self._rows.pop(row_id, None)
            if ticket_id is not None:
                self._tickets.pop(ticket_id, None)
            if self._count == 0:
                self._idle.notify_all()

    def rows_waiting(self) -> int:
        """How many events this process holds that are not stored yet."""
        with self._idle:
            return len(self._rows)

    def held(self) -> tuple[list[int], list[int]]:
        """Inbox row ids and ticket ids held for less than `MAX_HOLD`, to renew."""
        fresh_since = self._clock() - MAX_HOLD
        with self._idle:
            rows = [row for row, since in self._rows.items() if since > fresh_since]
            tickets = [ticket for ticket, since in self._tickets.items() if since > fresh_since]
        return rows, tickets

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is in hand; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


class Inbox:
    """Keeps message events from acknowledgement until intake has stored them."""

    def __init__(self, engine: Engine, clock: Clock, *, max_attempts: int = 5) -> None:
        self._engine = engine
        self._clock = clock
        self.max_attempts = max_attempts
        self.in_hand = InHand(clock)

    def keep(self, event: dict[str, Any], event_id: str | None, *, hold: bool = True) -> int | None:
        """Store an event before it is acknowledged; None if this delivery is a repeat.

        With `hold`, this replica leases it to store it; without, it is left for any
        replica with room to take up.
        """
        now = self._clock()
        with session_scope(self._engine) as session:
            return inbox.add_event(
                session,
                event_key=event_key(event, event_id),
                payload={"event": event, "event_id": event_id},
                received_at=now,
                lease_until=now + LEASE if hold else now,
            )

    def done(self, row_id: int) -> None:
        """Forget an event whose tickets and messages are stored."""
        # Lost in a database crash, the event is replayed; storing it again changes nothing.
        with session_scope(self._engine, replayable=True) as session:
            inbox.remove_event(session, event_id=row_id)

    def removal(self, row_id: int) -> Callable[[Session], None]:
        """Forgetting an event as part of the transaction that stores it (see `done`)."""

        def remove(session: Session) -> None:
            inbox.remove_event(session, event_id=row_id)

        return remove

    def renew_leases(self, *, followup_lease: timedelta) -> tuple[int, int]:
        """Extend the leases of held events and pending welcomes; returns how many of each."""
        rows, ticket_ids = self.in_hand.held()
        if not rows and not ticket_ids:
            return 0, 0
        now = self._clock()
        with session_scope(self._engine) as session:
            renewed_rows = inbox.renew_leases(session, event_ids=rows, lease_until=now + LEASE)
            renewed_tickets = tickets.renew_followup_leases(
                session, ticket_ids=ticket_ids, lease_until=now + followup_lease
            )
        return renewed_rows, renewed_tickets

    def take_expired(self, *, limit: int, lease: timedelta = LEASE) -> list[InboxEvent]:
        """Events nobody holds (left unleased, or whose lease ran out), leased to this replica."""
        now = self._clock()
        with session_scope(self._engine) as session:
            return inbox.claim_expired(session, now=now, lease_until=now + lease, limit=limit)

    def give_up(self, row_id: int) -> None:
        """Stop retrying an event that keeps failing (it stays in the table)."""
        with session_scope(self._engine) as session:
            inbox.mark_failed(session, event_id=row_id, failed_at=self._clock())

    def backlog(self) -> tuple[int, datetime | None]:
        """How many kept events wait to be stored, and when the oldest arrived."""
        with session_scope(self._engine) as session:
            return inbox.backlog(session)

    def waiting(self) -> int:
        """How many kept events are not yet stored as tickets and messages."""
        with session_scope(self._engine) as session:
            return inbox.count_waiting(session)
