"""Which tickets a KPI looks at, and how it groups them (by agent, channel, org, type...)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql import Select
from sqlmodel import col

from store.kpi.sqlfn import all_group
from store.models import Ticket, TicketTag

DIMENSIONS = ("agent", "channel", "org", "type", "priority")


@dataclass(frozen=True)
class Scope:
    """A grouping dimension (None: the whole team) and an optional single agent."""

    dimension: str | None = None
    agent_id: str | None = None

    def group(self, *, responder: bool = False) -> Any:
        """The SQL grouping key; FRT groups agents by who answered first."""
        if self.dimension is None:
            return all_group()
        if self.dimension == "agent":
            return col(Ticket.first_responder_id) if responder else col(Ticket.assignee_id)
        columns = {
            "channel": col(Ticket.channel_id),
            "org": col(Ticket.customer_team_id),
            "priority": col(Ticket.priority),
            "type": col(TicketTag.tag),
        }
        return columns[self.dimension]

    def apply(self, statement: Select[Any], *, responder: bool = False) -> Select[Any]:
        """Add the joins and filters this scope needs to a statement over Ticket."""
        if self.dimension == "type":
            # A WHERE, not a JOIN: the grouping column already puts ticket_tag in FROM.
            statement = statement.where(col(TicketTag.ticket_id) == col(Ticket.id))
        if self.agent_id is not None:
            who = Ticket.first_responder_id if responder else Ticket.assignee_id
            statement = statement.where(col(who) == self.agent_id)
        return statement

    def group_by(self, statement: Select[Any], *more: Any) -> Select[Any]:
        """GROUP BY this scope's key (a constant key is left out: PostgreSQL refuses it)."""
        keys = list(more) if self.dimension is None else [self.group(), *more]
        return statement.group_by(*keys) if keys else statement


TEAM = Scope()
