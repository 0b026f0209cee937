"""Working tickets: claim, assign, pending, resolve, reopen, priority, tags, links, notes.

Pure database work. Every change is one transaction that also writes the audit trail;
a request that cannot be done raises `WorkflowError` with a message for the agent and
changes nothing.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.events import Dispatcher, TicketChanged
from bot.sla.planner import SlaPlanner
from bot.tickets import annotations
from bot.tickets.annotations import Annotation
from bot.tickets.results import Change, WorkflowError
from store import events, statuses, tickets, workflow
from store.db import session_scope
from store.models import Activity, Ticket, TicketStatus

T = TypeVar("T")
PRIORITIES = ("urgent", "high", "normal", "low")
QUEUES = ("mine", "unassigned", "open", "pending", "breaching")


# Told of every change inside its transaction: (session, ticket, action, actor, detail).
# The ticket may not be refreshed yet; rely on its id, number, channel and customer.
# (`events` hears of it after the commit, as a `TicketChanged`.)
ChangeObserver = Callable[[Session, Ticket, str, str | None, dict[str, Any]], None]
_LOGGED = "deskbot.logged"  # session.info key: this transaction's (action, actor, detail)


@dataclass(frozen=True)
class TicketDetails:
    """Everything `show` displays."""

    ticket: Ticket
    tags: list[str]
    links: list[str]
    activity: list[Activity]
    sla: list[str]


class TicketWorkflow:
    """The agent-facing operations on tickets."""

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

    def find(self, *, workspace_id: str, number: int) -> Ticket:
        """The ticket `#number`, or a WorkflowError saying there is none."""
        with session_scope(self._engine) as session:
            return self._load(session, workspace_id, number)

    def ticket_of_message(self, *, channel_id: str, ts: str) -> Ticket | None:
        """The live ticket of a thread or message: the one it roots or belongs to as a reply,
        followed to the survivor of a merge (its thread lives on there). The one lookup
        every listener uses, read as intake reads it: under the rows' locks, so a merge
        committing meanwhile is not half seen.
        """
        with session_scope(self._engine) as session:
            return tickets.thread_ticket(session, channel_id=channel_id, thread_ts=ts)

    def claim(self, *, workspace_id: str, number: int, agent_id: str) -> Change:
        """Take a ticket; exactly one of two simultaneous claims wins."""

        def do(session: Session, ticket: Ticket) -> Change:
            if ticket.status in statuses.DONE:
                raise WorkflowError(
                    f"#{ticket.number} is {ticket.status}; `/ticket reopen {ticket.number}` first."
                )
            if ticket.assignee_id == agent_id:
                return Change(ticket, f"You already hold #{ticket.number}.", changed=False)
            if not workflow.claim_ticket(
                session, ticket_id=_id(ticket), agent_id=agent_id, at=self._clock()
            ):
                holder = tickets.get_ticket(session, ticket_id=_id(ticket))
                session.refresh(holder)  # type: ignore[arg-type]
                who = holder.assignee_id if holder else None
                raise WorkflowError(f"#{ticket.number} is already claimed by <@{who}>.")
            self._log(session, ticket, agent_id, "claimed")
            return Change(self._reload(session, ticket), f"You claimed #{ticket.number}.")

        return self._change(workspace_id, number, do)

    def assign(self, *, workspace_id: str, number: int, actor_id: str, assignee_id: str) -> Change:
        """Give a live ticket to an agent (whoever held it before)."""

        def do(session: Session, ticket: Ticket) -> Change:
            self._require_live(ticket)
            status = TicketStatus.OPEN if ticket.status == TicketStatus.NEW else ticket.status
            workflow.update_ticket(
                session,
                ticket_id=_id(ticket),
                at=self._clock(),
                assignee_id=assignee_id,
                status=str(status),
            )
            self._log(
                session,
                ticket,
                actor_id,
                "assigned",
                {"to": assignee_id, "from": ticket.assignee_id},
            )
            return Change(
                self._reload(session, ticket), f"#{ticket.number} is now <@{assignee_id}>'s."
            )

        return self._change(workspace_id, number, do)

    def unassign(self, *, workspace_id: str, number: int, actor_id: str) -> Change:
        """Put a ticket back in the unassigned queue."""

        def do(session: Session, ticket: Ticket) -> Change:
            if ticket.assignee_id is None:
                return Change(ticket, f"#{ticket.number} is not assigned.", changed=False)
            status = TicketStatus.NEW if ticket.status == TicketStatus.OPEN else ticket.status
            workflow.update_ticket(
                session,
                ticket_id=_id(ticket),
                at=self._clock(),
                assignee_id=None,
                status=str(status),
            )
            self._log(session, ticket, actor_id, "unassigned", {"from": ticket.assignee_id})
            return Change(self._reload(session, ticket), f"#{ticket.number} is unassigned.")

        return self._change(workspace_id, number, do)

    def pending(self, *, workspace_id: str, number: int, actor_id: str) -> Change:
        """Mark a ticket as waiting on the customer."""

        def do(session: Session, ticket: Ticket) -> Change:
            self._require_live(ticket)
            if ticket.status == TicketStatus.PENDING:
                return Change(ticket, f"#{ticket.number} is already pending.", changed=False)
            workflow.update_ticket(
                session, ticket_id=_id(ticket), at=self._clock(), status=str(TicketStatus.PENDING)
            )
            self._log(session, ticket, actor_id, "pending")
            return Change(
                self._reload(session, ticket), f"#{ticket.number} is waiting on the customer."
            )

        return self._change(workspace_id, number, do)

    def resolve(
        self, *, workspace_id: str, number: int, actor_id: str, note: str | None = None
    ) -> Change:
        """Resolve a ticket, with an optional internal note."""
        detail = {"note": annotations.limited(note, annotations.NOTE_LIMIT, "note")} if note else {}
        return self._resolve(
            workspace_id, number, actor_id, action="resolved", detail=detail, done="is resolved"
        )

    def resolve_self_served(
        self, *, workspace_id: str, number: int, actor_id: str, article_id: str
    ) -> Change:
        """The customer says an article solved it: resolved as deflected (self-served)."""
        return self._resolve(
            workspace_id,
            number,
            actor_id,
            action="self_served",
            detail={"article": article_id},
            done="was self-served",
        )

    def _resolve(
        self,
        workspace_id: str,
        number: int,
        actor_id: str,
        *,
        action: str,
        detail: dict[str, Any],
        done: str,
    ) -> Change:
        def do(session: Session, ticket: Ticket) -> Change:
            if ticket.status in statuses.DONE:
                return Change(
                    ticket, f"#{ticket.number} is already {ticket.status}.", changed=False
                )
            now = self._clock()
            workflow.update_ticket(
                session,
                ticket_id=_id(ticket),
                at=now,
                status=str(TicketStatus.RESOLVED),
                resolved_at=now,
            )
            self._log(session, ticket, actor_id, action, detail)
            return Change(self._reload(session, ticket), f"#{ticket.number} {done}.")

        return self._change(workspace_id, number, do)

    def reopen(self, *, workspace_id: str, number: int, actor_id: str) -> Change:
        """Reopen a resolved or closed ticket."""

        def do(session: Session, ticket: Ticket) -> Change:
            if ticket.status not in statuses.DONE:
                return Change(ticket, f"#{ticket.number} is already open.", changed=False)
            status = TicketStatus.OPEN if ticket.assignee_id else TicketStatus.NEW
            workflow.update_ticket(
                session,
                ticket_id=_id(ticket),
                at=self._clock(),
                status=str(status),
                resolved_at=None,
                closed_at=None,
                reopen_count=ticket.reopen_count + 1,
            )
            self._log(session, ticket, actor_id, "reopened", {"from": str(ticket.status)})
            return Change(self._reload(session, ticket), f"#{ticket.number} is reopened.")

        return self._change(workspace_id, number, do)

    def set_priority(
        self, *, workspace_id: str, number: int, actor_id: str, priority: str
    ) -> Change:
        """Change a ticket's priority."""
        if priority not in PRIORITIES:
            raise WorkflowError(f"Priority is one of {', '.join(PRIORITIES)}.")

        def do(session: Session, ticket: Ticket) -> Change:
            if ticket.priority == priority:
                return Change(ticket, f"#{ticket.number} is already {priority}.", changed=False)
            workflow.update_ticket(
                session, ticket_id=_id(ticket), at=self._clock(), priority=priority
            )
            self._log(
                session, ticket, actor_id, "priority", {"from": ticket.priority, "to": priority}
            )
            return Change(self._reload(session, ticket), f"#{ticket.number} is now {priority}.")

        return self._change(workspace_id, number, do)

    def add_type(self, *, workspace_id: str, number: int, actor_id: str, raw_tag: str) -> Change:
        """Tag a ticket with a (normalised) type."""
        return self._annotate(workspace_id, number, actor_id, annotations.type_tag(raw_tag))

    def add_link(self, *, workspace_id: str, number: int, actor_id: str, ref: str) -> Change:
        """Link a ticket to a bug or feature request elsewhere."""
        return self._annotate(workspace_id, number, actor_id, annotations.link(ref))

    def add_note(self, *, workspace_id: str, number: int, actor_id: str, text: str) -> Change:
        """Add an internal note (never shown to the customer)."""
        return self._annotate(workspace_id, number, actor_id, annotations.note(text))

    def details(self, *, workspace_id: str, number: int) -> TicketDetails:
        """A ticket with its tags, links and activity."""
        with session_scope(self._engine) as session:
            ticket = self._load(session, workspace_id, number)
            return TicketDetails(
                ticket=ticket,
                tags=workflow.tags_of(session, ticket_id=_id(ticket)),
                links=workflow.links_of(session, ticket_id=_id(ticket)),
                activity=events.ticket_activity(session, ticket_id=_id(ticket)),
                sla=self._planner.describe(ticket),
            )

    def list_queue(self, *, workspace_id: str, name: str, agent_id: str) -> list[Ticket]:
        """The tickets of a named queue: mine, unassigned, open, pending, breaching."""
        if name not in QUEUES:
            raise WorkflowError(f"List one of: {', '.join(QUEUES)}.")
        with session_scope(self._engine) as session:
            if name == "mine":
                return workflow.queue(
                    session, workspace_id=workspace_id, states=statuses.LIVE, assignee_id=agent_id
                )
            if name == "unassigned":
                return workflow.queue(
                    session, workspace_id=workspace_id, states=statuses.LIVE, unassigned=True
                )
            if name == "pending":
                return workflow.queue(
                    session, workspace_id=workspace_id, states=(TicketStatus.PENDING,)
                )
            if name == "breaching":
                return workflow.breaching(
                    session, workspace_id=workspace_id, before=self._planner.breaching_before()
                )
            return workflow.queue(
                session, workspace_id=workspace_id, states=(TicketStatus.NEW, TicketStatus.OPEN)
            )

    # -- helpers -------------------------------------------------------------------------

    def _change(
        self, workspace_id: str, number: int, do: Callable[[Session, Ticket], Change]
    ) -> Change:
        with session_scope(self._engine) as session:
            ticket = self._load(session, workspace_id, number)
            survivor = tickets.follow_merges(session, ticket=ticket)
            if survivor is not None and survivor is not ticket:
                raise WorkflowError(f"#{number} was merged into #{survivor.number}: work on that.")
            change = do(session, ticket)
            logged: list[tuple[str, str | None, dict[str, Any]]] = session.info.pop(_LOGGED, [])
        # Committed: only now may anyone hear of it (a rolled-back change was never made).
        for action, actor_id, detail in logged:
            self._events.emit(
                TicketChanged(change.ticket, action, actor_id, change.summary, detail)
            )
        return change

    def _annotate(
        self, workspace_id: str, number: int, actor_id: str, annotation: Annotation
    ) -> Change:
        def do(session: Session, ticket: Ticket) -> Change:
            if not annotation.add(session, _id(ticket)):
                return Change(ticket, annotation.already(ticket.number), changed=False)
            self._log(session, ticket, actor_id, annotation.action, annotation.detail)
            return Change(self._reload(session, ticket), annotation.done(ticket.number))

        return self._change(workspace_id, number, do)

    def _load(self, session: Session, workspace_id: str, number: int) -> Ticket:
        ticket = tickets.find_ticket_by_number(session, workspace_id=workspace_id, number=number)
        if ticket is None:
            raise WorkflowError(f"There is no ticket #{number}.")
        return ticket

    def _reload(self, session: Session, ticket: Ticket) -> Ticket:
        session.refresh(ticket)
        self._planner.refresh(session, ticket)  # state or priority may move the SLA clocks
        return ticket

    def _require_live(self, ticket: Ticket) -> None:
        if ticket.status in statuses.DONE:
            raise WorkflowError(
                f"#{ticket.number} is {ticket.status}; `/ticket reopen {ticket.number}` first."
            )

    def _log(
        self,
        session: Session,
        ticket: Ticket,
        actor_id: str,
        action: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        events.add_activity(
            session,
            ticket_id=_id(ticket),
            action=action,
            at=self._clock(),
            actor_id=actor_id,
            detail=detail,
        )
        for observe in self._observers:
            observe(session, ticket, action, actor_id, detail or {})
        session.info.setdefault(_LOGGED, []).append((action, actor_id, detail or {}))


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
