"""Keeps `sla_target` current: one row per SLA clock of a ticket, kept after it is met.

Called by the planner inside the transaction that changed the ticket. A running clock's
row follows its due time (pauses, priority, policy); a clock that stops gets `met_at`:
the first agent reply, the agent reply that answers a customer's wait, or the
resolution. Resolving stops every clock, so a response still owed then counts as met at
the resolution (late if that came after its due time). The due time of a stopped clock
is recomputed with the pauses up to the moment it stopped, so a clock met or resolved
while pending keeps the exact due time it had. A clock paused before its due time has
no due time: its unmet row is dropped and comes back when the clock runs again.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.business_time import calendar_for, due_at
from bot.config import DeskConfig, SlaPolicy
from bot.sla.policy import (
    Pause,
    TicketFacts,
    first_response_start,
    match_policy,
    running_clocks,
)
from store import sla_targets, statuses
from store.models import SlaTarget, Ticket

Key = tuple[str, str]


def keep_targets(
    session: Session,
    desk: DeskConfig,
    ticket: Ticket,
    facts: TicketFacts,
    *,
    previous_wait: datetime | None = None,
    new: bool = False,
) -> None:
    """Upsert a row per running clock; record met ones; drop unmet ones without a due time.

    `previous_wait` is the customer's wait before this change: answered now, it is met
    even when its row had been dropped (answered while pending). A `new` ticket (inserted
    in this transaction) has no rows yet to look at.
    """
    assert ticket.id is not None
    policy = match_policy(desk.sla_policies, channel_id=facts.channel_id, priority=facts.priority)
    running = _running(desk, policy, facts)
    stopped = _stopped(desk, policy, ticket, facts, previous_wait)
    for row in [] if new else sla_targets.unmet_targets(session, ticket_id=ticket.id):
        key = (row.target, row.cycle)
        if key in running or key in stopped:
            continue
        _stop_row(session, desk, ticket, row, stopped)
    for (target, cycle), due in running.items():
        assert policy is not None
        # A first response still owed while the ticket is live runs, even if a resolution
        # (or a reply since deleted) had met it: reopened, it is owed again.
        restart = target == "first_response"
        _upsert(session, ticket.id, policy, target, cycle, due, None, restart=restart)
    for (target, cycle), (start, duration, met_at, row_policy) in stopped.items():
        due = _stopped_due(desk, row_policy, start, duration, facts.pauses, met_at)
        if due is None:
            continue
        if _merged_before_due(ticket, met_at, due):
            sla_targets.drop_unmet(session, ticket_id=ticket.id, target=target, cycle=cycle)
            continue
        _upsert(session, ticket.id, row_policy, target, cycle, due, met_at)


def _merged_before_due(ticket: Ticket, stopped_at: datetime, due: datetime) -> bool:
    """Whether a clock stopped by merging the ticket before it came due: it was not met,
    it lives on in the ticket it was merged into, so it counts nowhere here."""
    merged_at = ticket.merged_at
    return merged_at is not None and stopped_at >= merged_at and due > stopped_at


Stop = tuple[datetime, timedelta, datetime, SlaPolicy]


def _running(desk: DeskConfig, policy: SlaPolicy | None, facts: TicketFacts) -> dict[Key, datetime]:
    if policy is None:
        return {}
    clocks = running_clocks(policy, desk.business_hours, facts)
    return {(c.target, c.cycle): c.due for c in clocks if c.due is not None}


def _stopped(
    desk: DeskConfig,
    policy: SlaPolicy | None,
    ticket: Ticket,
    facts: TicketFacts,
    previous_wait: datetime | None,
) -> dict[Key, Stop]:
    """Clocks known to have stopped: by the resolution, the first response, an answer."""
    stopped: dict[Key, Stop] = {}
    if policy is None:
        return stopped
    closed_at = _closed_at(ticket)
    if closed_at is not None:
        was_running = running_clocks(policy, desk.business_hours, replace(facts, resolved=False))
        for clock in was_running:
            stopped[(clock.target, clock.cycle)] = (clock.start, clock.duration, closed_at, policy)
    if policy.first_response and ticket.first_response_at is not None:
        # Also covers a reply given while pending, when the row had been dropped.
        stopped.setdefault(
            ("first_response", "0"),
            (facts.first_response_start(), policy.first_response, ticket.first_response_at, policy),
        )
    answered = ticket.last_agent_message_at
    if (
        policy.next_response is not None
        and previous_wait is not None
        and ticket.first_response_at is not None
        and previous_wait > ticket.first_response_at
        and answered is not None
        and answered >= previous_wait
    ):
        # Also covers an answer given while pending, when the row had been dropped.
        stopped.setdefault(
            ("next_response", previous_wait.isoformat()),
            (previous_wait, policy.next_response, answered, policy),
        )
    return stopped


def _stop_row(
    session: Session, desk: DeskConfig, ticket: Ticket, row: SlaTarget, stopped: dict[Key, Stop]
) -> None:
    """An unmet row whose clock no longer runs: met (recomputing its due), or dropped."""
    assert row.id is not None
    met_at = _met_at(ticket, row.target, row.cycle)
    if met_at is None:  # paused before its due time, or the policy no longer sets it
        sla_targets.drop_target(session, target_id=row.id)
        return
    policy = next((p for p in desk.sla_policies if p.name == row.policy), None)
    duration: timedelta | None = getattr(policy, row.target, None) if policy else None
    start = _start_of(ticket, row)
    if policy is not None and duration is not None and start is not None:
        stopped[(row.target, row.cycle)] = (start, duration, met_at, policy)
    elif _merged_before_due(ticket, met_at, row.due_at):
        sla_targets.drop_target(session, target_id=row.id)
    else:
        sla_targets.meet_target(session, target_id=row.id, met_at=met_at)


def _start_of(ticket: Ticket, row: SlaTarget) -> datetime | None:
    if row.target == "first_response":
        return first_response_start(
            created_at=ticket.created_at,
            first_response_at=ticket.first_response_at,
            reopen_count=ticket.reopen_count,
            cycle_started_at=ticket.sla_cycle_started_at,
        )
    if row.target == "next_response":
        return datetime.fromisoformat(row.cycle)
    if row.cycle == str(ticket.reopen_count):
        return ticket.sla_cycle_started_at or ticket.created_at
    return None


def _stopped_due(
    desk: DeskConfig,
    policy: SlaPolicy,
    start: datetime,
    duration: timedelta,
    pauses: Sequence[Pause],
    stopped_at: datetime,
) -> datetime | None:
    """The due time a clock had when it stopped: pauses count only up to that moment."""
    calendar = calendar_for(policy.business_hours, desk.business_hours)
    cut = [
        (begin, stopped_at if end is None or end > stopped_at else end)
        for begin, end in pauses
        if begin < stopped_at
    ]
    return due_at(calendar, start, duration, cut)


def _upsert(
    session: Session,
    ticket_id: int,
    policy: SlaPolicy,
    target: str,
    cycle: str,
    due: datetime,
    met_at: datetime | None,
    *,
    restart: bool = False,
) -> None:
    sla_targets.upsert_target(
        session,
        ticket_id=ticket_id,
        target=target,
        cycle=cycle,
        policy=policy.name,
        business_hours=policy.business_hours,
        due_at=due,
        met_at=met_at,
        restart=restart,
    )


def _closed_at(ticket: Ticket) -> datetime | None:
    if ticket.status not in statuses.DONE:
        return None
    return ticket.resolved_at or ticket.closed_at or ticket.updated_at


def _met_at(ticket: Ticket, target: str, cycle: str) -> datetime | None:
    """When a stopped clock was met; None when it stopped for another reason."""
    if target == "first_response" and ticket.first_response_at is not None:
        return ticket.first_response_at
    if target == "next_response":
        answered = ticket.last_agent_message_at
        if answered is not None and answered >= datetime.fromisoformat(cycle):
            return answered
    return _closed_at(ticket)
