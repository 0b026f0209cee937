"""Which tickets a KPI looks at, and how it groups them (by agent, channel, org, type...)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.sql import Select
from sqlmodel import col, select

from store.fact_models import TicketFact as Ticket
from store.kpi.sqlfn import all_group
from store.models import TicketTag

DIMENSIONS = ("agent", "channel", "org", "type", "priority")
LOOKUP_DAYS = 62  # up to this long a range's rows probe their ticket's group by key


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
        """Add the joins and filters this scope needs to a statement over TicketFact."""
        if self.dimension == "type":
            # A WHERE, not a JOIN: the grouping column already puts ticket_tag in FROM.
            statement = statement.where(col(TicketTag.ticket_id) == col(Ticket.ticket_id))
        if self.agent_id is not None:
            who = Ticket.first_responder_id if responder else Ticket.assignee_id
            statement = statement.where(col(who) == self.agent_id)
        return statement

    def probes(self, start: datetime, end: datetime) -> bool:
        """Whether rows of [start, end) should look their group up per row (`lookup`):
        short ranges; over long ones, one join with every ticket costs less."""
        short = end - start <= timedelta(days=LOOKUP_DAYS)
        return short and self.dimension != "type" and (self.dimension or self.agent_id) is not None

    def lookup(self, ticket_id: Any) -> tuple[Any, list[Any]]:
        """The group key, and the agent filter, of the ticket a row points at, as scalar
        subqueries: one primary-key probe per row instead of joining every ticket.

        Not for `type` (a ticket has several): callers join ticket_tag for that.
        """

        def of(column: Any) -> Any:
            return select(column).where(col(Ticket.ticket_id) == ticket_id).scalar_subquery()

        group = all_group() if self.dimension is None else of(self.group())
        filters = [] if self.agent_id is None else [of(col(Ticket.assignee_id)) == self.agent_id]
        return group, filters

    def group_by(self, statement: Select[Any], *more: Any) -> Select[Any]:
        """GROUP BY this scope's key (a constant key is left out: PostgreSQL refuses it)."""
        keys = list(more) if self.dimension is None else [self.group(), *more]
        return statement.group_by(*keys) if keys else statement


TEAM = Scope()
