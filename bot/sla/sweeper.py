"""The SLA sweep: turn due warnings, breaches and escalations into notifications, exactly once.

A sweep has two phases, each in short transactions:
1. Plan: tickets whose next alert moment has come (locked with SKIP LOCKED, so replicas
   split the work) get a notification row per alert, keyed by (ticket, target, level,
   cycle): a row that exists is never written twice.
   New rows are written already leased to the sweeper that planned them (it sends them
   next, so they need no separate claim); a crash before sending lets the lease expire.
2. Deliver: the rows this sweep planned, plus pending rows that are due (retries, rows
   whose lease expired; leased with SKIP LOCKED), grouped into one digest per
   recipient, sent, then marked sent. A failed send is retried on a later sweep with
   backoff. A crash between sending and marking lets the lease expire and sends that
   digest again: at most one duplicate per crash, never more.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import text
from bot.clock import Clock
from bot.config import DeskConfig
from bot.events import Dispatcher, TicketChanged
from bot.sla.planner import SlaPlanner
from bot.sla.policy import Alert
from store import sla
from store.db import session_scope

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
PLAN_BATCH = 5000
MAX_BATCHES = 20  # 100k tickets per sweep at most; the next sweep carries on
DIGEST_LINES = 40
LEVEL_ORDER = {"escalate": 0, "breach": 1, "warn": 2}  # most urgent lines first
MAX_BACKOFF = timedelta(minutes=30)
# Cards refreshed per sweep when targets breach: chat.update is rate-limited (about 50 a
# minute); a mass breach after downtime refreshes the rest as their tickets next change.
MAX_CARD_REFRESHES = 50
BREACHED = "sla_breached"  # the TicketChanged action a breach emits (the card shows it)
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
        self,
        engine: Engine,
        planner: SlaPlanner,
        desk: DeskConfig,
        clock: Clock,
        send: Send,
        *,
        events: Dispatcher | None = None,
    ) -> None:
        self._engine = engine
        self._planner = planner
        self._desk = desk
        self._clock = clock
        self._send = send
        self._events = events

    def sweep(self) -> SweepReport:
        """Plan due notifications, deliver what is pending, then tell of new breaches."""
        now = self._clock()
        planned = self._plan(now)
        sent, failed = self._deliver(now, planned)
        self._tell_breaches(planned)
        return SweepReport(len(planned), sent, failed)

    def late(self, *, ticket_id: int) -> dict[str, timedelta]:
        """How late each target the ticket met after its due time was (first_response: 2h).

        The ticket's own due columns hold running targets only; this is what the card and
        `/ticket show` say once a late answer has stopped the clock.
        """
        with session_scope(self._engine) as session:
            rows = sla.late_targets(session, ticket_id=ticket_id)
        return {target: met - due for target, due, met in rows}  # the latest cycle wins

    def _tell_breaches(self, planned: list[Any]) -> None:
        """A target passed: emit a TicketChanged, so the card says "overdue" (the Slack
        side refreshes it; bot/ never calls Slack itself)."""
        if self._events is None:
            return
        breached = sorted({n.ticket_id for n in planned if n.level != "warn"})
        if not breached:
            return
        with session_scope(self._engine) as session:
            tickets = sla.tickets_by_id(session, ticket_ids=breached[:MAX_CARD_REFRESHES])
        for ticket in tickets:
            self._events.emit(TicketChanged(ticket=ticket, action=BREACHED, actor_id=None))

    def _plan(self, now: datetime) -> list[Any]:
        """Plan in batches, each its own short transaction, until no ticket is owed.

        Returns the notifications written, leased to this sweeper until now + LEASE.
        """
        planned: list[Any] = []
        for _ in range(MAX_BATCHES):
            with session_scope(self._engine) as session:
                batch = sla.tickets_owing_alerts(session, now=now, limit=PLAN_BATCH)
                planned += self._plan_batch(session, batch, now)
            if len(batch) < PLAN_BATCH:
                break
        return planned

    def _plan_batch(self, session: Session, batch: list[Any], now: datetime) -> list[Any]:
        """Set-based: one query for the pauses, one statement writing rows and marks."""
        pauses = sla.pauses_by_ticket(session, ticket_ids=[t.id for t in batch])
        rows: list[dict[str, Any]] = []
        marks: list[dict[str, Any]] = []
        for ticket in batch:
            alerts = self._planner.alerts(ticket, pauses.get(ticket.id, []))
            for alert in _latest_per_target([a for a in alerts if a.at <= now]):
                recipient = self._recipient(ticket, alert)
                if recipient is not None:
                    rows.append(_notification(ticket, alert, recipient, now, now + LEASE))
            upcoming = [a.at for a in alerts if a.at > now]
            marks.append(
                {"b_id": ticket.id, "b_swept": now, "b_alert": min(upcoming, default=None)}
            )
        return sla.record_batch(session, rows=rows, marks=marks, now=now)

    def _recipient(self, ticket: Any, alert: Alert) -> str | None:
        """Warnings go to the assignee (or triage); breaches to the leads (or triage)."""
        if alert.level == "warn":
            return ticket.assignee_id or self._desk.triage_channel or self._desk.leads_channel
        return self._desk.leads_channel or self._desk.triage_channel

    def _deliver(self, now: datetime, planned: list[Any]) -> tuple[int, int]:
        """Send `planned` (leased when written) and every other due pending row."""
        with session_scope(self._engine) as session:
            claimed = sla.claim_notifications(session, now=now, lease_until=now + LEASE)
        by_recipient: dict[str, list[Any]] = defaultdict(list)
        for notification in sorted([*planned, *claimed], key=lambda row: row.id):
            by_recipient[notification.recipient].append(notification)
        sent = failed = 0
        for recipient, batch in by_recipient.items():
            outcome = self._send(recipient, _digest(batch))
            ids = [n.id for n in batch if n.id is not None]
            with session_scope(self._engine) as session:
                if outcome is Delivery.SENT:
                    sla.mark_sent(session, ids=ids, at=now)
                    sent += len(ids)
                elif outcome is Delivery.REFUSED:
                    sla.mark_dropped(session, ids=ids, at=now)
                else:
                    attempts = max(n.attempts for n in batch) + 1
                    retry_at = now + min(timedelta(seconds=30) * 2**attempts, MAX_BACKOFF)
                    sla.mark_failed(session, ids=ids, retry_at=retry_at)
                    failed += len(ids)
        return sent, failed


def _notification(
    ticket: Any, alert: Alert, recipient: str, now: datetime, lease_until: datetime
) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "target": alert.target,
        "level": alert.level,
        "cycle": alert.cycle,
        "recipient": recipient,
        "text": _line(ticket, alert, now),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": lease_until,  # leased to this sweeper, which sends it next
        "created_at": now,
    }


def _latest_per_target(alerts: list[Alert]) -> list[Alert]:
    """Only the highest level reached per target: after downtime, no stale warning."""
    latest: dict[tuple[str, str], Alert] = {}
    for alert in sorted(alerts, key=lambda a: a.at):
        latest[(alert.target, alert.cycle)] = alert
    return list(latest.values())


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _line(ticket: Any, alert: Alert, now: datetime) -> str:
    """One alert as a lead reads it: no internal level names, no "0m ago"."""
    name = TARGET_NAMES.get(alert.target, alert.target)
    subject = text.escape(ticket.subject[:80])
    title = f"<{ticket.permalink}|{subject}>" if ticket.permalink else subject
    late = now - alert.due
    if alert.level == "warn":
        left = alert.due - now
        due = "now" if left < timedelta(minutes=1) else f"in {_ago(left)}"
        state = f":hourglass: {name} due {due}"
    elif alert.level == "breach":
        when = "just now" if late < timedelta(minutes=1) else f"{_ago(late)} ago"
        state = f":rotating_light: {name} target missed {when}"
    else:
        # escalate1 is the alert after the breach's: the 2nd a lead gets for this target
        repeat = alert.level.removeprefix("escalate")
        nth = f", {_ordinal(int(repeat) + 1)} alert" if repeat.isdigit() else ""
        state = f":fire: {name} still missed after {_ago(late)}{nth}"
    return f"*#{ticket.number}* {state} · {title}"


def _digest(batch: list[Any]) -> str:
    """One message for everything a recipient is owed in this sweep (long lists cut short)."""
    # Tickets, not alerts: one ticket late on two targets is one ticket to look at.
    tickets = len({n.ticket_id for n in batch})
    header = (
        "SLA: 1 ticket needs attention"
        if tickets == 1
        else f"SLA: {tickets} tickets need attention"
    )
    ordered = sorted(batch, key=lambda n: (LEVEL_ORDER.get(n.level[:8], 0), n.id or 0))
    lines = [n.text for n in ordered[:DIGEST_LINES]]
    if len(batch) > DIGEST_LINES:
        more = len(batch) - DIGEST_LINES
        lines.append(f"…and {more} more: `/ticket list breaching` lists the most urgent")
    return "\n".join([f"*{header}*", *lines])[:39000]
