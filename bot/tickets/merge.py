"""Merging tickets: one conversation, one ticket, and every customer it affects kept on record.

`fold` does the work inside a caller's transaction (intake uses it when a late message
bridges two groups); `TicketMerger` is the agent-facing operation with its checks.
A merged ticket is closed, keeps its own row (customer, organization, audit trail) and
points at the surviving ticket in `merged_into_id`; merges are flattened, so that column
always names the survivor and `coalesce(merged_into_id, id)` is the known issue.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.events import Dispatcher, TicketChanged
from bot.sla.planner import SlaPlanner
from bot.tickets.duplicates import SHOWN
from bot.tickets.workflow import PRIORITIES, ChangeObserver, WorkflowError
from store import conversations, events, messages, statuses, tickets
from store.db import session_scope
from store.models import Activity, Message, Ticket, TicketStatus


@dataclass(frozen=True)
class MergeResult:
    """The surviving ticket and the one folded into it, as they stand after the merge."""

    target: Ticket
    source: Ticket
    moved: int


@dataclass(frozen=True)
class MergeFacts:
    """What a card or `show` says about merges: where this went, what came in."""

    merged_into: Ticket | None = None
    merged_from: list[Ticket] = field(default_factory=list)
    folded_activity: list[tuple[int, Activity]] = field(default_factory=list)
    opening: list[Message] = field(default_factory=list)
    duplicates: list[Ticket] = field(default_factory=list)


def fold(
    session: Session,
    planner: SlaPlanner,
    *,
    target: Ticket,
    source: Ticket,
    actor_id: str | None,
    at: datetime,
    reason: str,
) -> int:
    """Fold `source` into `target` (both loaded, ideally locked); return messages moved."""
    assert target.id is not None and source.id is not None
    moved = conversations.move_messages(session, from_ticket_id=source.id, to_ticket_id=target.id)
    conversations.copy_labels(session, from_ticket_id=source.id, to_ticket_id=target.id)
    conversations.repoint_merged(session, from_ticket_id=source.id, to_ticket_id=target.id)
    source.status = TicketStatus.CLOSED
    source.closed_at = source.closed_at or at
    source.merged_into_id = target.id
    source.merged_at = at
    source.updated_at = at
    target.priority = min(target.priority, source.priority, key=_rank)
    if target.assignee_id is None and source.assignee_id is not None:
        # Whoever was working the merged ticket carries on with the conversation.
        target.assignee_id = source.assignee_id
        if target.status == TicketStatus.NEW:
            target.status = TicketStatus.OPEN
    _recompute_times(session, target)
    target.updated_at = at
    events.add_activity(
        session,
        ticket_id=target.id,
        action="merged",
        at=at,
        actor_id=actor_id,
        detail={
            "from": source.number,
            "ticket_id": source.id,
            "customer_team_id": source.customer_team_id,
            "channel_id": source.channel_id,
            "messages": moved,
            "assignee": target.assignee_id,
            "reason": reason,
        },
    )
    events.add_activity(
        session,
        ticket_id=source.id,
        action="merged_into",
        at=at,
        actor_id=actor_id,
        detail={"into": target.number, "ticket_id": target.id, "reason": reason},
    )
    planner.refresh(session, source)
    planner.refresh(session, target)
    return moved


def _rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


def _recompute_times(session: Session, target: Ticket) -> None:
    """The survivor's message times now cover both conversations."""
    assert target.id is not None
    first = messages.first_agent_reply(session, ticket_id=target.id, since=target.created_at)
    if first is not None and (
        target.first_response_at is None or first.sent_at < target.first_response_at
    ):
        target.first_response_at = first.sent_at
        target.first_responder_id = first.user_id
    target.last_customer_message_at = messages.latest_customer_message_at(
        session, ticket_id=target.id
    )
    target.last_agent_message_at = messages.latest_agent_message_at(session, ticket_id=target.id)


class TicketMerger:
    """`/ticket merge #A #B` and the Merge button: fold B into A, once, with every check."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        planner: SlaPlanner,
        *,
        observers: Sequence[ChangeObserver] = (),
        events: Dispatcher | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._planner = planner
        self._observers = tuple(observers)
        self._events = events or Dispatcher()

    def merge(self, *, workspace_id: str, into: int, source: int, actor_id: str) -> MergeResult:
        """Fold ticket `#source` into `#into`; WorkflowError (nothing changed) when it cannot."""
        if into == source:
            raise WorkflowError(f"#{into} cannot be merged into itself.")
        with session_scope(self._engine) as session:
            found = {}
            for number in (into, source):
                ticket = tickets.find_ticket_by_number(
                    session, workspace_id=workspace_id, number=number
                )
                if ticket is None:
                    raise WorkflowError(f"There is no ticket #{number}.")
                found[number] = ticket
            # Lock both rows, then check again: a racing merge or intake must not slip in.
            conversations.lock_tickets(session, ticket_ids=[_id(t) for t in found.values()])
            target, folded = found[into], found[source]
            self._check(session, target, folded)
            holder = target.assignee_id
            moved = fold(
                session,
                self._planner,
                target=target,
                source=folded,
                actor_id=actor_id,
                at=self._clock(),
                reason="agent",
            )
            if holder is None and target.assignee_id is not None:
                # The survivor was handed over: claim timers and the like start as for
                # any assignment.
                for observe in self._observers:
                    observe(session, target, "assigned", actor_id, {"to": target.assignee_id})
            result = MergeResult(target, folded, moved)
        # Committed: the team and the merged thread may hear of it now.
        self._events.emit(
            TicketChanged(target, "merged", actor_id, detail={"moved": moved}, other=folded)
        )
        return result

    def _check(self, session: Session, target: Ticket, source: Ticket) -> None:
        for ticket in (source, target):
            if ticket.merged_into_id is not None:
                survivor = tickets.get_ticket(session, ticket_id=ticket.merged_into_id)
                where = f"#{survivor.number}" if survivor else "another ticket"
                raise WorkflowError(f"#{ticket.number} was already merged into {where}.")
        if target.status in statuses.DONE:
            raise WorkflowError(
                f"#{target.number} is {target.status}: `/ticket reopen {target.number}` first, "
                f"or merge the other way (`/ticket merge #{source.number} #{target.number}`)."
            )

    def facts(self, ticket: Ticket, *, history: bool = False) -> MergeFacts:
        """Where a ticket went, what was folded into it, its opening messages and likely
        duplicates, read in one transaction; `history` adds the folded tickets' activity.
        """
        assert ticket.id is not None
        with session_scope(self._engine) as session:
            if ticket.merged_into_id is not None:
                into = tickets.get_ticket(session, ticket_id=ticket.merged_into_id)
                return MergeFacts(merged_into=into)
            merged = conversations.merged_into(session, ticket_id=ticket.id)
            folded = [
                (child.number, entry)
                for child in (merged if history else [])
                for entry in events.ticket_activity(session, ticket_id=_id(child))
            ]
            folded.sort(key=lambda item: (item[1].at, item[1].id or 0))
            return MergeFacts(
                merged_from=merged,
                folded_activity=folded,
                opening=conversations.opening_messages(session, ticket=ticket),
                duplicates=conversations.live_duplicates(session, ticket_id=ticket.id, limit=SHOWN),
            )

    def survivor(self, ticket: Ticket) -> Ticket:
        """The ticket a merged ticket now lives on (itself when not merged)."""
        if ticket.merged_into_id is None:
            return ticket
        with session_scope(self._engine) as session:
            return tickets.get_ticket(session, ticket_id=ticket.merged_into_id) or ticket


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
