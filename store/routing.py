"""Query functions for routing: who is away, round-robin cursors, claims and their timeouts.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
Locks use `FOR UPDATE` on PostgreSQL (SQLite serialises writers) so replicas agree.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store import statuses
from store.models import AgentAway, RoutingCursor, Ticket, TicketClaim, TicketStatus


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def set_away(
    session: Session, *, workspace_id: str, agent_id: str, since: datetime, until: datetime | None
) -> None:
    """Mark an agent away (again): until a moment, or until they say they are back."""
    statement = _insert(session)(AgentAway).values(
        workspace_id=workspace_id, agent_id=agent_id, since=since, until=until
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "agent_id"],
            set_={"since": since, "until": until},
        )
    )
    session.flush()


def clear_away(session: Session, *, workspace_id: str, agent_id: str) -> AgentAway | None:
    """Mark an agent back; the away row they had, if any."""
    row = session.get(AgentAway, (workspace_id, agent_id))
    if row is None:
        return None
    session.execute(
        delete(AgentAway).where(
            col(AgentAway.workspace_id) == workspace_id, col(AgentAway.agent_id) == agent_id
        )
    )
    session.flush()
    return row


def away_agents(
    session: Session, *, workspace_id: str, now: datetime
) -> dict[str, datetime | None]:
    """Agents away right now, with when they are back (None: until they say so)."""
    statement = select(AgentAway.agent_id, AgentAway.until).where(
        AgentAway.workspace_id == workspace_id,
        or_(col(AgentAway.until).is_(None), col(AgentAway.until) > now),
    )
    return {agent: until for agent, until in session.exec(statement)}


def lock_cursor(session: Session, *, workspace_id: str, scope: str, at: datetime) -> RoutingCursor:
    """The round-robin cursor of a scope, created if new, locked until the commit."""
    session.execute(
        _insert(session)(RoutingCursor)
        .values(workspace_id=workspace_id, scope=scope, updated_at=at)
        .on_conflict_do_nothing(index_elements=["workspace_id", "scope"])
    )
    statement = (
        select(RoutingCursor)
        .where(RoutingCursor.workspace_id == workspace_id, RoutingCursor.scope == scope)
        .with_for_update()
    )
    cursor = session.exec(statement).one()
    session.refresh(cursor)  # another replica may have moved it since this session read it
    return cursor


def move_cursor(session: Session, *, cursor: RoutingCursor, agent_id: str, at: datetime) -> None:
    """Remember who got the last ticket of the scope."""
    cursor.last_agent_id = agent_id
    cursor.updated_at = at
    session.add(cursor)
    session.flush()


def live_load(session: Session, *, workspace_id: str, agents: Sequence[str]) -> dict[str, int]:
    """How many live (new, open or pending) tickets each agent holds; 0 for none."""
    if not agents:
        return {}
    statement = (
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.workspace_id == workspace_id,
            col(Ticket.assignee_id).in_(list(agents)),
            col(Ticket.status).in_(statuses.LIVE),
        )
        .group_by(col(Ticket.assignee_id))
    )
    counts = {agent: int(count) for agent, count in session.exec(statement) if agent}
    return {agent: counts.get(agent, 0) for agent in agents}


def record_claim(
    session: Session,
    *,
    ticket_id: int,
    agent_id: str,
    how: str,
    claimed_at: datetime,
    due_at: datetime | None,
) -> None:
    """The ticket's current claim (replacing the last one) and when it times out."""
    values = {
        "agent_id": agent_id,
        "how": how,
        "claimed_at": claimed_at,
        "due_at": due_at,
        "released_at": None,
    }
    statement = _insert(session)(TicketClaim).values(ticket_id=ticket_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["ticket_id"], set_=values))
    session.flush()


def claim_of(session: Session, *, ticket_id: int, lock: bool = False) -> TicketClaim | None:
    """The ticket's current or last claim."""
    statement = select(TicketClaim).where(TicketClaim.ticket_id == ticket_id)
    if lock:
        statement = statement.with_for_update()
    claim = session.exec(statement).first()
    if claim is not None and lock:
        session.refresh(claim)
    return claim


def due_claim_tickets(session: Session, *, now: datetime, limit: int = 200) -> list[int]:
    """Tickets whose claim timeout has come (to be checked one by one, under locks)."""
    statement = (
        select(TicketClaim.ticket_id)
        .where(col(TicketClaim.due_at) <= now)
        .order_by(col(TicketClaim.due_at))
        .limit(limit)
    )
    return list(session.exec(statement))


def lock_ticket(session: Session, *, ticket_id: int) -> Ticket | None:
    """A ticket locked for this transaction; None if another replica holds it right now."""
    statement = select(Ticket).where(Ticket.id == ticket_id).with_for_update(skip_locked=True)
    ticket = session.exec(statement).first()
    if ticket is not None:
        session.refresh(ticket)
    return ticket


def end_claim(session: Session, *, ticket_id: int, released_at: datetime | None) -> None:
    """Stop the claim's timer; `released_at` when it ended by timing out."""
    session.execute(
        update(TicketClaim)
        .where(col(TicketClaim.ticket_id) == ticket_id)
        .values(due_at=None, released_at=released_at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def waiting_tickets(
    session: Session,
    *,
    workspace_id: str,
    channels: Sequence[str] | None,
    excluded: Sequence[str],
    limit: int = 50,
) -> list[Ticket]:
    """New unassigned tickets in routed channels, oldest first.

    `channels` None means every channel except `excluded`.
    """
    conditions = [
        col(Ticket.workspace_id) == workspace_id,
        col(Ticket.status) == str(TicketStatus.NEW),
        col(Ticket.assignee_id).is_(None),
    ]
    if channels is not None:
        conditions.append(col(Ticket.channel_id).in_(list(channels)))
    if excluded:
        conditions.append(col(Ticket.channel_id).not_in(list(excluded)))
    statement = (
        select(Ticket).where(and_(*conditions)).order_by(col(Ticket.created_at)).limit(limit)
    )
    return list(session.exec(statement))
