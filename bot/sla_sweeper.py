"""The SLA sweep: turn due warnings, breaches and escalations into notifications, exactly once.

A sweep has two phases, each in short transactions:
1. Plan: tickets whose next alert moment has come (locked with SKIP LOCKED, so replicas
   split the work) get a notification row per alert, keyed by (ticket, target, level,
   cycle): a row that exists is never written twice.
2. Deliver: pending rows are leased, grouped into one digest per recipient, sent, then
   marked sent. A failed send is retried on a later sweep with backoff. A crash between
   sending and marking lets the lease expire and sends that digest again: at most one
   duplicate per crash, never more.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.config import DeskConfig
from bot.sla import Alert
from bot.sla_planner import SlaPlanner
from store import sla as store
from store import workflow as work
from store.db import session_scope
from store.models import SlaNotification, Ticket

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)
TARGET_NAMES = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


class Delivery(StrEnum):
    """What happened to a digest."""

    SENT = "sent"
    FAILED = "failed"  # Slack could not take it now: retry later
    REFUSED = "refused"  # the leak guard refused the target: never retry


Send = Callable[[str, str], Delivery]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    planned: int
    sent: int
    failed: int


class SlaSweeper:
    """Runs sweeps; safe to run in several processes against one PostgreSQL."""

    def __init__(
        self, engine: Engine, planner: SlaPlanner, desk: DeskConfig, clock: Clock, send: Send
    ) -> None:
        self._engine = engine
        self._planner = planner
        self._desk = desk
        self._clock = clock
        self._send = send

    def sweep(self) -> SweepReport:
        """Plan due notifications, then deliver what is pending."""
        now = self._clock()
        planned = self._plan(now)
        sent, failed = self._deliver(now)
        return SweepReport(planned, sent, failed)

    def _plan(self, now: datetime) -> int:
        with session_scope(self._engine) as session:
            planned = 0
            for ticket in store.tickets_owing_alerts(session, now=now):
                planned += self._plan_ticket(session, ticket, now)
            return planned

    def _plan_ticket(self, session: Session, ticket: Ticket, now: datetime) -> int:
        assert ticket.id is not None
        pauses = work.pauses_of(session, ticket_id=ticket.id)
        due = [a for a in self._planner.alerts(ticket, pauses) if a.at <= now]
        planned = 0
        for alert in _latest_per_target(due):
            recipient = self._recipient(ticket, alert)
            if recipient is None:
                continue
            notification = SlaNotification(
                ticket_id=ticket.id,
                target=alert.target,
                level=alert.level,
                cycle=alert.cycle,
                recipient=recipient,
                text=_line(ticket, alert, now),
                next_attempt_at=now,
                created_at=now,
            )
            planned += store.add_notification(session, notification=notification)
        ticket.sla_swept_until = now
        ticket.sla_alert_at = self._planner.next_alert_at(ticket, pauses, after=now)
        session.add(ticket)
        session.flush()
        return planned

    def _recipient(self, ticket: Ticket, alert: Alert) -> str | None:
        """Warnings go to the assignee (or triage); breaches to the leads (or triage)."""
        if alert.level == "warn":
            return ticket.assignee_id or self._desk.triage_channel or self._desk.leads_channel
        return self._desk.leads_channel or self._desk.triage_channel

    def _deliver(self, now: datetime) -> tuple[int, int]:
        with session_scope(self._engine) as session:
            claimed = store.claim_notifications(session, now=now, lease_until=now + LEASE)
        by_recipient: dict[str, list[SlaNotification]] = defaultdict(list)
        for notification in claimed:
            by_recipient[notification.recipient].append(notification)
        sent = failed = 0
        for recipient, batch in by_recipient.items():
            outcome = self._send(recipient, _digest(batch))
            ids = [n.id for n in batch if n.id is not None]
            with session_scope(self._engine) as session:
                if outcome is Delivery.SENT:
                    store.mark_sent(session, ids=ids, at=now)
                    sent += len(ids)
                elif outcome is Delivery.REFUSED:
                    store.mark_dropped(session, ids=ids, at=now)
                else:
                    attempts = max(n.attempts for n in batch) + 1
                    retry_at = now + min(timedelta(seconds=30) * 2**attempts, MAX_BACKOFF)
                    store.mark_failed(session, ids=ids, retry_at=retry_at)
                    failed += len(ids)
        return sent, failed


def _latest_per_target(alerts: list[Alert]) -> list[Alert]:
    """Only the highest level reached per target: after downtime, no stale warning."""
    latest: dict[tuple[str, str], Alert] = {}
    for alert in sorted(alerts, key=lambda a: a.at):
        latest[(alert.target, alert.cycle)] = alert
    return list(latest.values())


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def _line(ticket: Ticket, alert: Alert, now: datetime) -> str:
    name = TARGET_NAMES.get(alert.target, alert.target)
    subject = ticket.subject[:80].replace("<", "&lt;").replace(">", "&gt;")
    title = f"<{ticket.permalink}|{subject}>" if ticket.permalink else subject
    if alert.level == "warn":
        state = f":hourglass: {name} due in {_ago(alert.due - now)}"
    elif alert.level == "breach":
        state = f":rotating_light: {name} target missed {_ago(now - alert.due)} ago"
    else:
        state = f":fire: {name} still missed after {_ago(now - alert.due)} ({alert.level})"
    return f"*#{ticket.number}* {state} · {title}"


def _digest(batch: list[SlaNotification]) -> str:
    """One message for everything a recipient is owed in this sweep."""
    header = (
        "SLA: 1 ticket needs attention"
        if len(batch) == 1
        else (f"SLA: {len(batch)} tickets need attention")
    )
    return "\n".join([f"*{header}*", *(n.text for n in batch)])[:39000]
