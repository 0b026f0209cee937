"""Ticket intake: turning Slack messages, edits and deletes into tickets and their history.

Pure database work (no Slack I/O): handlers parse events into these inputs, call the
service, and do the Slack side (acknowledge, the triage card) with what it returns. Every call is
one transaction; a unique-key clash means Slack redelivered something already stored.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.clock import Clock, ts_to_datetime
from bot.intake import replies
from bot.intake.changes import MessageChanges
from bot.intake.grouping import Group, Grouper
from bot.intake.values import Also, IncomingMessage, IntakeResult, Outcome
from bot.sla.planner import SlaPlanner
from bot.text import storable, subject_from
from store import events, messages, tickets
from store.db import is_unique_violation, outlast_outage, session_scope
from store.models import AuthorRole, Ticket, TicketStatus

__all__ = ["Also", "IncomingMessage", "IntakeResult", "IntakeService", "Outcome"]

logger = logging.getLogger(__name__)
# Messages stay unique by channel+ts forever; event ids only need to outlive Slack's retries.
EVENT_KEY_RETENTION = timedelta(days=2)
FOLLOWUP_LEASE = timedelta(minutes=2)


class IntakeService:
    """Records messages, edits and deletes exactly once, on SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        planner: SlaPlanner,
        *,
        group_window: timedelta | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._planner = planner
        self._grouper = Grouper(group_window, planner, clock)
        self._changes = MessageChanges(clock, planner)
        self.pause: Callable[[float], None] = time.sleep  # between retries; tests record it

    def receive_message(
        self, incoming: IncomingMessage, *, hold_orphans: bool, also: Also | None = None
    ) -> IntakeResult:
        """Open a ticket for a thread root, or add a reply to its ticket.

        `hold_orphans` keeps replies whose thread has no ticket yet (out-of-order
        delivery in a support channel) so the ticket adopts them when it appears.
        `also` runs last in the same transaction (see `_transaction`).
        """

        def work(session: Session) -> IntakeResult:
            self._record_event(session, incoming.event_id, "message")
            if incoming.is_reply:
                return self._add_reply(session, incoming, hold_orphans=hold_orphans)
            if incoming.author_is_agent:
                return IntakeResult(Outcome.IGNORED)  # announcements
            group = self._grouper.find(session, incoming)
            if group is not None:
                return self._join_group(session, incoming, group)
            if incoming.is_small_talk:
                return IntakeResult(Outcome.IGNORED)  # "hi", "thanks!" open nothing
            return self._open_ticket(session, incoming)

        def work_then_held_changes(session: Session) -> IntakeResult:
            result = work(session)
            if result.outcome is not Outcome.DUPLICATE:
                # An edit or delete Slack delivered before this message is applied now.
                self._changes.apply_held(session, channel_id=incoming.channel_id, ts=incoming.ts)
            return result

        return self._transaction(work_then_held_changes, also=also)

    def open_ticket_from_thread(
        self, root: IncomingMessage, replies: list[IncomingMessage], *, opened_by: str
    ) -> IntakeResult:
        """Make a ticket of an existing message (an agent's :ticket:), pulling in its replies.

        Works for any author, agents included (internal requests); a message that already
        is a ticket is returned as it is.
        """

        def work(session: Session) -> IntakeResult:
            self._record_event(session, root.event_id, "reaction_added")
            existing = tickets.find_ticket_by_thread(
                session, channel_id=root.channel_id, root_ts=root.ts
            )
            if existing is not None:
                return IntakeResult(Outcome.DUPLICATE, existing)
            for reply in replies:
                if messages.find_message(session, channel_id=reply.channel_id, ts=reply.ts) is None:
                    stored = reply.as_message(
                        None, text=storable(reply.text), requester_id=root.user_id
                    )
                    messages.add_message(session, message=stored)
            result = self._open_ticket(session, root)
            assert result.ticket is not None
            events.add_activity(
                session,
                ticket_id=_id(result.ticket),
                action="opened_by_reaction",
                at=self._clock(),
                actor_id=opened_by,
            )
            return result

        return self._transaction(work, replayable=False)  # a reaction is not kept

    def receive_edit(
        self,
        *,
        event_id: str | None,
        channel_id: str,
        ts: str,
        text: str,
        files: list[dict[str, Any]],
        edited_at: datetime,
        also: Also | None = None,
    ) -> IntakeResult:
        """Apply an edit to a stored message, keeping the previous text as a revision."""

        def work(session: Session) -> IntakeResult:
            self._record_event(session, event_id, "message_changed")
            return self._changes.edit(session, channel_id, ts, storable(text), files, edited_at)

        return self._transaction(work, also=also)

    def receive_delete(
        self,
        *,
        event_id: str | None,
        channel_id: str,
        ts: str,
        deleted_at: datetime,
        also: Also | None = None,
    ) -> IntakeResult:
        """Mark a stored message deleted; its text stays in the history."""

        def work(session: Session) -> IntakeResult:
            self._record_event(session, event_id, "message_deleted")
            return self._changes.delete(session, channel_id, ts, deleted_at)

        return self._transaction(work, also=also)

    def prune_event_keys(self, *, keep: timedelta = EVENT_KEY_RETENTION) -> int:
        """Drop redelivery keys older than `keep` (Slack retries for minutes, not days)."""
        with session_scope(self._engine) as session:
            messages.prune_held_changes(session, held_before=self._clock() - keep)
            return events.prune_events(session, received_before=self._clock() - keep)

    def claim_unfinished(
        self,
        *,
        workspace_id: str,
        created_after: datetime,
        created_before: datetime,
        lease_until: datetime,
    ) -> list[Ticket]:
        """Live tickets still without a triage card, leased to this replica to finish."""
        with session_scope(self._engine) as session:
            return tickets.claim_unfinished_tickets(
                session,
                workspace_id=workspace_id,
                created_after=created_after,
                created_before=created_before,
                now=self._clock(),
                lease_until=lease_until,
            )

    def release_unfinished(self, *, ticket_id: int) -> None:
        """Let the next sweep (on any replica) try a welcome that failed again at once."""
        with session_scope(self._engine) as session:
            tickets.renew_followup_leases(
                session, ticket_ids=[ticket_id], lease_until=self._clock()
            )

    def attach_card(
        self, *, ticket_id: int, channel_id: str, ts: str, permalink: str | None
    ) -> None:
        """Remember the triage card posted for a ticket (outlasting a short outage)."""

        def record() -> None:
            with session_scope(self._engine) as session:
                tickets.set_triage_card(
                    session, ticket_id=ticket_id, channel_id=channel_id, ts=ts, permalink=permalink
                )

        outlast_outage(record, pause=self.pause)

    # -- steps ---------------------------------------------------------------------------

    def _open_ticket(self, session: Session, incoming: IncomingMessage) -> IntakeResult:
        created_at = ts_to_datetime(incoming.ts)
        text = storable(incoming.text)
        number = tickets.next_ticket_number(session, workspace_id=incoming.workspace_id)
        ticket = tickets.add_ticket(
            session,
            ticket=Ticket(
                workspace_id=incoming.workspace_id,
                number=number,
                channel_id=incoming.channel_id,
                root_ts=incoming.ts,
                customer_id=incoming.user_id,
                customer_team_id=incoming.user_team_id,
                is_external=incoming.user_team_id != incoming.workspace_id,
                subject=subject_from(text, incoming.files),
                status=TicketStatus.NEW,
                created_at=created_at,
                last_customer_message_at=created_at,
                updated_at=self._clock(),
                # The replica storing it posts its card; the finisher steps in only after
                # this lease, however late (a replayed inbox event) the ticket was stored.
                followup_lease_until=self._clock() + FOLLOWUP_LEASE,
            ),
        )
        messages.add_message(
            session,
            message=incoming.as_message(_id(ticket), text=text, requester_id=incoming.user_id),
        )
        events.add_activity(
            session,
            ticket_id=_id(ticket),
            action="created",
            at=created_at,
            actor_id=incoming.user_id,
            detail={"number": number},
        )
        adopted = messages.adopt_thread_replies(
            session,
            ticket_id=_id(ticket),
            channel_id=incoming.channel_id,
            thread_ts=incoming.ts,
            customer_id=incoming.user_id,
        )
        if adopted:
            self._recompute_from_messages(session, ticket)
        self._planner.refresh(session, ticket, new=True)
        return IntakeResult(Outcome.CREATED, ticket)

    def _join_group(
        self, session: Session, incoming: IncomingMessage, group: Group
    ) -> IntakeResult:
        ticket = group.survivor
        message = messages.add_message(
            session,
            message=incoming.as_message(
                _id(ticket), text=storable(incoming.text), requester_id=ticket.customer_id
            ),
        )
        self._grouper.join(session, group, message)
        messages.adopt_thread_replies(
            session,
            ticket_id=_id(ticket),
            channel_id=incoming.channel_id,
            thread_ts=incoming.ts,
            customer_id=ticket.customer_id,
        )
        if not incoming.is_small_talk:
            replies.note_customer_reply(session, ticket, message)
        self._touch(session, ticket)
        return IntakeResult(Outcome.GROUPED, ticket, merged=tuple(group.absorbed))

    def _add_reply(
        self, session: Session, incoming: IncomingMessage, *, hold_orphans: bool
    ) -> IntakeResult:
        assert incoming.thread_ts is not None
        ticket = tickets.thread_ticket(
            session, channel_id=incoming.channel_id, thread_ts=incoming.thread_ts
        )
        if ticket is None and not hold_orphans:
            return IntakeResult(Outcome.IGNORED)
        message = messages.add_message(
            session,
            message=incoming.as_message(
                ticket.id if ticket else None,
                text=storable(incoming.text),
                requester_id=ticket.customer_id if ticket else None,
            ),
        )
        if ticket is None:
            return IntakeResult(Outcome.HELD)
        if message.role == AuthorRole.AGENT:
            first = replies.note_agent_reply(session, ticket, message)
            self._touch(session, ticket)
            return IntakeResult(Outcome.REPLY, ticket, first_response=first)
        if incoming.is_small_talk:
            # "thanks!" after a fix is kept, but neither reopens the ticket nor asks for
            # another response.
            return IntakeResult(Outcome.REPLY, ticket)
        reopened = replies.note_customer_reply(session, ticket, message)
        self._touch(session, ticket)
        return IntakeResult(Outcome.REOPENED if reopened else Outcome.REPLY, ticket)

    def _recompute_from_messages(self, session: Session, ticket: Ticket) -> None:
        first = messages.first_agent_reply(session, ticket_id=_id(ticket), since=ticket.created_at)
        if first is not None:
            ticket.first_response_at = first.sent_at
            ticket.first_responder_id = first.user_id
        ticket.last_agent_message_at = messages.latest_agent_message_at(
            session, ticket_id=_id(ticket)
        )
        latest = messages.latest_customer_message_at(session, ticket_id=_id(ticket))
        if latest is not None:
            ticket.last_customer_message_at = latest
        session.add(ticket)
        session.flush()

    # -- helpers -------------------------------------------------------------------------

    def _record_event(self, session: Session, event_id: str | None, event_type: str) -> None:
        if event_id:
            events.record_event(
                session, event_id=event_id, event_type=event_type, received_at=self._clock()
            )

    def _touch(self, session: Session, ticket: Ticket) -> None:
        ticket.updated_at = self._clock()
        self._planner.refresh(session, ticket)  # adds and flushes the ticket

    def _transaction(
        self,
        work: Callable[[Session], IntakeResult],
        *,
        replayable: bool = True,
        also: Also | None = None,
    ) -> IntakeResult:
        """Run `work`, then `also`, in one transaction.

        A redelivery rolls back both (`also` then never happened) and comes back as
        DUPLICATE, so a caller whose `also` must happen does it on its own then.
        """
        try:
            # Messages, edits and deletes come from the inbox, which replays what a
            # database crash undoes, so their commits need not wait for a flush.
            with session_scope(self._engine, replayable=replayable) as session:
                result = work(session)
                if also is not None:
                    also(session)
                return result
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            logger.info("redelivered event ignored: %s", error.orig)
            return IntakeResult(Outcome.DUPLICATE)


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
