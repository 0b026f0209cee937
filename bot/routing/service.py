"""Routing: agent availability, auto-assignment of new tickets, and claim timeouts.

Pure database work with one Slack-facing callback (`announce`, wired by `create_app`)
called after each commit. Every decision is taken under a database lock so that any
number of replicas agree: round-robin position lives in `routing_cursor` (the workspace
row serialises routing decisions), claim timeouts in `ticket_claim` (one replica releases
a claim, once). Nothing here is ever meant for a customer: notices go to the triage card.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.business_time import BusinessCalendar, format_remaining
from bot.clock import Clock
from bot.config import DeskConfig
from bot.routing.away import parse_until
from bot.sla.planner import SlaPlanner
from store import events, routing, statuses, tickets, workflow
from store.db import session_scope
from store.models import Ticket, TicketClaim, TicketStatus

logger = logging.getLogger(__name__)

WORKSPACE_SCOPE = "*"


@dataclass(frozen=True)
class RoutingNotice:
    """What the team should hear about a routing decision (triage card thread, DM)."""

    ticket: Ticket
    text: str
    assignee_id: str | None = None  # told in a DM when a ticket was routed to them
    loud: bool = False  # also shown in the triage channel itself, not only the card's thread


@dataclass(frozen=True)
class Availability:
    """An agent's availability after `/ticket away` or `/ticket back`."""

    agent_id: str
    away: bool
    until: datetime | None = None
    since: datetime | None = None  # for `back`: when they had gone away
    held: tuple[int, ...] = ()  # numbers of the live tickets they hold


@dataclass(frozen=True)
class SweepReport:
    """What one routing sweep did."""

    released: int
    assigned: int


class RoutingService:
    """Auto-assigns tickets among available agents and releases claims nobody acts on."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        desk: DeskConfig,
        planner: SlaPlanner,
        *,
        workspace_id: str,
        pool: Callable[[], list[str]],
        is_member: Callable[[str], bool],
        announce: Callable[[RoutingNotice], None],
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._desk = desk
        self._routing = desk.routing
        self._planner = planner
        self._workspace_id = workspace_id
        self._pool = pool
        self._is_member = is_member
        self._announce = announce
        self._calendar = BusinessCalendar.from_config(desk.business_hours)

    # -- availability ----------------------------------------------------------------------

    def go_away(self, *, agent_id: str, until_text: str) -> Availability:
        """Mark an agent away until a time they name (UntilError if it cannot be read)."""
        now = self._clock()
        hours = self._desk.business_hours
        until = parse_until(until_text, now=now, timezone=hours.timezone, day_start=hours.start)
        with session_scope(self._engine) as session:
            routing.set_away(
                session, workspace_id=self._workspace_id, agent_id=agent_id, since=now, until=until
            )
            return Availability(agent_id, True, until=until, held=self._held(session, agent_id))

    def come_back(self, *, agent_id: str) -> Availability:
        """Mark an agent available again."""
        with session_scope(self._engine) as session:
            row = routing.clear_away(session, workspace_id=self._workspace_id, agent_id=agent_id)
            still_away = row is not None and (row.until is None or row.until > self._clock())
            return Availability(
                agent_id,
                False,
                since=row.since if row is not None and still_away else None,
                held=self._held(session, agent_id),
            )

    def away_now(self) -> dict[str, datetime | None]:
        """Agents away right now and when they are back."""
        with session_scope(self._engine) as session:
            return routing.away_agents(session, workspace_id=self._workspace_id, now=self._clock())

    def _held(self, session: Session, agent_id: str) -> tuple[int, ...]:
        held = workflow.queue(
            session, workspace_id=self._workspace_id, states=statuses.LIVE, assignee_id=agent_id
        )
        return tuple(ticket.number for ticket in held)

    # -- claims ----------------------------------------------------------------------------

    def observe(
        self,
        session: Session,
        ticket: Ticket,
        action: str,
        actor_id: str | None,
        detail: dict[str, Any],
    ) -> None:
        """Workflow observer: a claim or an assignment starts the claim timer."""
        if ticket.id is None:
            return
        if action == "claimed" and actor_id:
            self._record_claim(session, ticket, actor_id, "claimed")
        elif action == "assigned" and detail.get("to"):
            self._record_claim(session, ticket, str(detail["to"]), "assigned")
        elif action == "unassigned":
            routing.end_claim(session, ticket_id=ticket.id, released_at=None)

    def _record_claim(self, session: Session, ticket: Ticket, agent_id: str, how: str) -> None:
        assert ticket.id is not None
        now = self._clock()
        timeout = self._routing.claim_timeout_for(ticket.channel_id)
        routing.record_claim(
            session,
            ticket_id=ticket.id,
            agent_id=agent_id,
            how=how,
            claimed_at=now,
            due_at=self._calendar.add(now, timeout) if timeout else None,
        )

    # -- routing -----------------------------------------------------------------------------

    def route_new(self, *, ticket_id: int) -> RoutingNotice | None:
        """Auto-assign a new ticket if its channel routes; the notice was announced."""
        if not self._routing.routes_anything:
            return None  # the common setup: no transaction for every new ticket
        with session_scope(self._engine) as session:
            ticket = tickets.get_ticket(session, ticket_id=ticket_id)
            if ticket is None or self._routing.mode_for(ticket.channel_id) == "none":
                return None
            if ticket.assignee_id is not None or ticket.status != TicketStatus.NEW:
                return None
            routed = self._assign(session, ticket, exclude=())
            if routed is None:
                text = (
                    f":busts_in_silhouette: No available agent to auto-assign #{ticket.number}"
                    " to (everyone in its routing pool is away); it waits in the unassigned "
                    "queue and is routed as soon as someone is back."
                )
                notice = RoutingNotice(ticket, text)
            else:
                notice = RoutingNotice(ticket, routed[1], assignee_id=routed[0])
        self._announce(notice)
        return notice

    def sweep(self) -> SweepReport:
        """Release timed-out claims, then route tickets still waiting for an agent."""
        now = self._clock()
        notices: list[RoutingNotice] = []
        with session_scope(self._engine) as session:
            due = routing.due_claim_tickets(session, now=now)
        for ticket_id in due:
            with session_scope(self._engine) as session:
                notice = self._release(session, ticket_id, now)
            if notice is not None:
                notices.append(notice)
        released = len(notices)
        if self._routing.routes_anything:
            with session_scope(self._engine) as session:
                notices.extend(self._route_waiting(session))
        for notice in notices:
            self._announce(notice)
        assigned = sum(1 for notice in notices if notice.assignee_id)
        return SweepReport(released=released, assigned=assigned)

    def _route_waiting(self, session: Session) -> list[RoutingNotice]:
        # The workspace cursor first: every routing transaction takes it before tickets.
        routing.lock_cursor(
            session, workspace_id=self._workspace_id, scope=WORKSPACE_SCOPE, at=self._clock()
        )
        overrides = self._routing.channels
        if self._routing.mode != "none":
            channels = None
            excluded = [c for c, o in overrides.items() if o.mode == "none"]
        else:
            channels = [c for c, o in overrides.items() if o.mode not in (None, "none")]
            excluded = []
        notices = []
        for ticket in routing.waiting_tickets(
            session, workspace_id=self._workspace_id, channels=channels, excluded=excluded
        ):
            assert ticket.id is not None
            last = routing.claim_of(session, ticket_id=ticket.id)
            routed = self._assign(session, ticket, exclude=[last.agent_id] if last else [])
            if routed is not None:
                notices.append(RoutingNotice(ticket, routed[1], assignee_id=routed[0]))
        return notices

    def _release(self, session: Session, ticket_id: int, now: datetime) -> RoutingNotice | None:
        """Release one timed-out claim (ticket row first, then claim: the workflow's order)."""
        ticket = routing.lock_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            return None  # another replica is on it
        claim = routing.claim_of(session, ticket_id=ticket_id, lock=True)
        if claim is None or claim.due_at is None or claim.due_at > now:
            return None
        if not _still_waiting(ticket, claim):
            routing.end_claim(session, ticket_id=ticket_id, released_at=None)
            return None
        agent = claim.agent_id
        timeout = self._routing.claim_timeout_for(ticket.channel_id) or timedelta(0)
        workflow.update_ticket(
            session, ticket_id=ticket_id, at=now, assignee_id=None, status=str(TicketStatus.NEW)
        )
        events.add_activity(
            session,
            ticket_id=ticket_id,
            action="claim_released",
            at=now,
            detail={
                "from": agent,
                "after": format_remaining(timeout),
                "claimed_at": claim.claimed_at.isoformat(),
            },
        )
        routing.end_claim(session, ticket_id=ticket_id, released_at=now)
        session.refresh(ticket)
        self._planner.refresh(session, ticket)
        text = (
            f":hourglass: <@{agent}>'s claim on #{ticket.number} was released: no agent reply "
            f"within {format_remaining(timeout)} of business time."
        )
        routed = None
        if self._routing.mode_for(ticket.channel_id) != "none":
            routed = self._assign(session, ticket, exclude=[agent])
        text += f" {routed[1]}" if routed else " It is back in the unassigned queue."
        return RoutingNotice(ticket, text, assignee_id=routed[0] if routed else None, loud=True)

    def _assign(
        self, session: Session, ticket: Ticket, *, exclude: Sequence[str]
    ) -> tuple[str, str] | None:
        """Pick an available agent and give them the ticket; (agent, notice text) or None."""
        assert ticket.id is not None
        channel = ticket.channel_id
        mode = self._routing.mode_for(channel)
        now = self._clock()
        listed = self._routing.pool_for(channel) or self._pool()
        # Only verified members of our workspace: an outsider listed by mistake (or anyone
        # Slack cannot place right now) would be handed a ticket they cannot work.
        pool = [agent for agent in dict.fromkeys(listed) if self._is_member(agent)]
        workspace = self._workspace_id
        # Lock before reading who is away or loaded, so two routings never both see a gap.
        routing.lock_cursor(session, workspace_id=workspace, scope=WORKSPACE_SCOPE, at=now)
        scope = channel if channel in self._routing.channels else WORKSPACE_SCOPE
        cursor = routing.lock_cursor(session, workspace_id=workspace, scope=scope, at=now)
        away = routing.away_agents(session, workspace_id=workspace, now=now)
        available = [a for a in pool if a not in away and a not in exclude]
        if not available:
            return None
        order = _rotation(pool, available, after=cursor.last_agent_id)
        if mode == "least_loaded":
            loads = routing.live_load(session, workspace_id=workspace, agents=order)
            fewest = min(loads.values())
            agent = next(a for a in order if loads[a] == fewest)
            reason = f"least loaded, {fewest} open"
        else:
            agent, reason = order[0], "round robin"
        if not workflow.claim_ticket(session, ticket_id=ticket.id, agent_id=agent, at=now):
            return None  # someone claimed it meanwhile
        events.add_activity(
            session,
            ticket_id=ticket.id,
            action="auto_assigned",
            at=now,
            detail={"to": agent, "mode": mode, "reason": reason},
        )
        self._record_claim(session, ticket, agent, "auto")
        routing.move_cursor(session, cursor=cursor, agent_id=agent, at=now)
        session.refresh(ticket)
        self._planner.refresh(session, ticket)
        return agent, f"Auto-assigned to <@{agent}>: {reason}."


def _still_waiting(ticket: Ticket, claim: TicketClaim) -> bool:
    """Whether the claim holder still holds a ticket whose customer awaits a reply."""
    if ticket.assignee_id != claim.agent_id or ticket.status not in (
        TicketStatus.NEW,
        TicketStatus.OPEN,
    ):
        return False
    last_agent = ticket.last_agent_message_at
    if last_agent is not None and last_agent >= claim.claimed_at:
        return False  # an agent replied since the claim
    last_customer = ticket.last_customer_message_at
    return last_agent is None or (last_customer is not None and last_customer > last_agent)


def _rotation(pool: list[str], available: list[str], *, after: str | None) -> list[str]:
    """Available agents in pool order, starting after whoever got the last ticket."""
    start = pool.index(after) + 1 if after in pool else 0
    ordered = pool[start:] + pool[:start]
    return [agent for agent in ordered if agent in available]
