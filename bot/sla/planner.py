"""Keeps each ticket's SLA due times and pauses current, inside the caller's transaction."""

from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from bot.clock import Clock
from bot.config import DeskConfig
from bot.sla.policy import (
    BREACHING_SOON,
    Alert,
    Dues,
    Pause,
    TicketFacts,
    compute_alerts,
    compute_dues,
    describe_due,
)
from bot.sla.targets import keep_targets
from store import sla, statuses, workflow
from store.models import Ticket, TicketStatus
from store.sla_targets import last_reopened_at


class SlaTicket(Protocol):
    """What the SLA clock reads of a ticket: a `Ticket`, or a row of the sweep's columns."""

    channel_id: str
    priority: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    last_customer_message_at: datetime | None
    last_agent_message_at: datetime | None
    reopen_count: int
    sla_waiting_since: datetime | None
    sla_cycle_started_at: datetime | None


class SlaPlanner:
    """Recomputes due times whenever a ticket changes (state, priority, messages)."""

    def __init__(self, desk: DeskConfig, clock: Clock) -> None:
        self._desk = desk
        self._clock = clock

    def refresh(self, session: Session, ticket: Ticket, *, new: bool = False) -> Dues:
        """Sync the pause with the state, then store fresh due times on the ticket.

        `new` is for a ticket inserted in this very transaction:
        it has no pauses, targets or sweep yet, so none of them is read.
        """
        assert ticket.id is not None
        # The reads below never look at the ticket's own row: its changes are written
        # once, by the flush at the end, not before each read.
        with session.no_autoflush:
            pauses = [] if new else workflow.pauses_of(session, ticket_id=ticket.id)
            paused = bool(pauses) and pauses[-1][1] is None
            now = self._clock()
            if ticket.status == TicketStatus.PENDING and not paused:
                workflow.start_pause(session, ticket_id=ticket.id, at=now)
                pauses.append((now, None))
            elif ticket.status != TicketStatus.PENDING and paused:
                workflow.end_pause(session, ticket_id=ticket.id, at=now)
                pauses[-1] = (pauses[-1][0], now)
            previous_wait = ticket.sla_waiting_since
            ticket.sla_cycle_started_at = self._cycle_started_at(session, ticket)
            ticket.sla_waiting_since = self._facts(ticket, pauses).waiting()
            dues = self.dues(ticket, pauses)
            keep_targets(
                session,
                self._desk,
                ticket,
                self._facts(ticket, pauses),
                previous_wait=previous_wait,
                new=new,
            )
            ticket.sla_policy = dues.policy
            ticket.first_response_due_at = dues.first_response
            ticket.next_response_due_at = dues.next_response
            ticket.resolution_due_at = dues.resolution
            session.add(ticket)
        session.flush()
        times = [alert.at for alert in self.alerts(ticket, pauses)]
        # How far the sweep got only matters when there is an alert to compare with it.
        swept = sla.swept_until(session, ticket_id=ticket.id) if times and not new else None
        upcoming = [at for at in times if swept is None or at > swept]
        sla.schedule_alert(session, ticket_id=ticket.id, alert_at=min(upcoming, default=None))
        return dues

    def alerts(self, ticket: SlaTicket, pauses: list[Pause]) -> list[Alert]:
        """Every nudge and alert the ticket's running targets call for."""
        return compute_alerts(
            self._desk.sla_policies,
            self._desk.business_hours,
            self._desk.nudges,
            self._facts(ticket, pauses),
        )

    def dues(self, ticket: SlaTicket, pauses: list[Pause]) -> Dues:
        """Due times for the ticket as it stands."""
        return compute_dues(
            self._desk.sla_policies, self._desk.business_hours, self._facts(ticket, pauses)
        )

    def _facts(self, ticket: SlaTicket, pauses: list[Pause]) -> TicketFacts:
        return TicketFacts(
            channel_id=ticket.channel_id,
            priority=ticket.priority,
            created_at=ticket.created_at,
            first_response_at=ticket.first_response_at,
            last_customer_message_at=ticket.last_customer_message_at,
            last_agent_message_at=ticket.last_agent_message_at,
            resolved=ticket.status in statuses.DONE,
            pauses=pauses,
            reopen_count=ticket.reopen_count,
            waiting_since=ticket.sla_waiting_since,
            cycle_started_at=ticket.sla_cycle_started_at,
        )

    def _cycle_started_at(self, session: Session, ticket: Ticket) -> datetime | None:
        """The start of the current resolution cycle: the last reopening, if any."""
        if ticket.reopen_count == 0 or ticket.status in statuses.DONE:
            return ticket.sla_cycle_started_at if ticket.reopen_count else None
        assert ticket.id is not None
        return last_reopened_at(session, ticket_id=ticket.id) or self._clock()

    def describe(self, ticket: Ticket) -> list[str]:
        """Lines like `first response due in 1h 20m (business hours)` for `show`."""
        policy = next((p for p in self._desk.sla_policies if p.name == ticket.sla_policy), None)
        if policy is None:
            return []
        now = self._clock()
        named = [
            ("first response", ticket.first_response_due_at),
            ("next response", ticket.next_response_due_at),
            ("resolution", ticket.resolution_due_at),
        ]
        return [
            describe_due(name, due, now=now, business_hours=policy.business_hours)
            for name, due in named
            if due is not None
        ]

    def breaching_before(self) -> datetime:
        """Tickets due before this moment are breaching or about to."""
        return self._clock() + BREACHING_SOON
