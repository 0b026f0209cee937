"""The event inbox: what makes an acknowledged message event a kept one.

Slack needs an answer within three seconds and redelivers what it gets no 2xx for. So the
request thread does one small insert of the event as Slack sent it, and only then lets
Bolt acknowledge; turning it into tickets, messages, SLA timers and routing happens after
the acknowledgement. A row left behind by a crash, a database outage or a failing handler
is taken up again once its lease runs out, by any replica, and after `max_attempts` it is
kept aside (never deleted) for a person to look at.
"""

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from store import inbox as store
from store.db import session_scope
from store.models import InboxEvent

# Long enough for the listener pool to get through a burst before another replica steps in;
# a second pass is harmless (intake is idempotent) but wasted work.
LEASE = timedelta(minutes=2)
RETRY_LEASE = timedelta(minutes=5)


def event_key(event: dict[str, Any], event_id: str | None) -> str:
    """Slack's event id, or a digest of the event when a transport leaves it out."""
    if event_id:
        return event_id[:64]
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode())
    return "sha256:" + digest.hexdigest()[:57]


class InHand:
    """How many kept events this process is still storing or following up."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def add(self) -> None:
        """One more event in hand."""
        with self._idle:
            self._count += 1

    def done(self) -> None:
        """One event finished with."""
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

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
        self.in_hand = InHand()

    def keep(self, event: dict[str, Any], event_id: str | None) -> int | None:
        """Store an event before it is acknowledged; None if this delivery is a repeat."""
        now = self._clock()
        with session_scope(self._engine) as session:
            return store.add_event(
                session,
                event_key=event_key(event, event_id),
                payload={"event": event, "event_id": event_id},
                received_at=now,
                lease_until=now + LEASE,
            )

    def done(self, row_id: int) -> None:
        """Forget an event whose tickets and messages are stored."""
        # Lost in a database crash, the event is replayed; storing it again changes nothing.
        with session_scope(self._engine, replayable=True) as session:
            store.remove_event(session, event_id=row_id)

    def removal(self, row_id: int) -> Callable[[Session], None]:
        """Forgetting an event as part of the transaction that stores it (see `done`)."""

        def remove(session: Session) -> None:
            store.remove_event(session, event_id=row_id)

        return remove

    def take_expired(self, *, limit: int = 200) -> list[InboxEvent]:
        """Events whose handling was cut short, leased to this replica to try again."""
        now = self._clock()
        with session_scope(self._engine) as session:
            return store.claim_expired(session, now=now, lease_until=now + RETRY_LEASE, limit=limit)

    def give_up(self, row_id: int) -> None:
        """Stop retrying an event that keeps failing (it stays in the table)."""
        with session_scope(self._engine) as session:
            store.mark_failed(session, event_id=row_id, failed_at=self._clock())

    def waiting(self) -> int:
        """How many kept events are not yet stored as tickets and messages."""
        with session_scope(self._engine) as session:
            return store.count_waiting(session)
